//! The test kit keeps its promises: databases vanish with their guards, the servers it starts really serve
//! and really stop, and a command recorded through it is in the store as production would record it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

#[tokio::test]
async fn a_fresh_postgres_database_exists_until_its_guard_drops() {
    let db = testkit::db::PgDatabase::fresh("testkit_guard").await;
    let name = db.name.clone();
    assert!(testkit::db::PgDatabase::exists(&name).await);
    let store = store::connect(&db.url).await.expect("a store on it");
    assert_eq!(store.backend(), "postgres");
    drop(store);
    drop(db);
    assert!(
        !testkit::db::PgDatabase::exists(&name).await,
        "dropped with its guard"
    );
}

#[test]
fn a_sqlite_database_directory_is_removed_with_its_guard() {
    let db = testkit::db::SqliteDatabase::fresh("testkit-sqlite");
    let dir = db.dir.path.clone();
    assert!(dir.exists());
    drop(db);
    assert!(!dir.exists());
}

#[test]
fn the_nats_server_accepts_connections_and_stops_on_drop() {
    let nats = testkit::nats::NatsServer::start();
    let port = nats.port;
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(nats);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "stopped on drop"
    );
}

/// One SMTP exchange by hand: every reply line read, the code of the last returned.
fn say(stream: &mut BufReader<TcpStream>, line: &str) -> String {
    if !line.is_empty() {
        stream
            .get_mut()
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("write");
    }
    let mut reply = String::new();
    loop {
        reply.clear();
        stream.read_line(&mut reply).expect("read");
        if reply.as_bytes().get(3) != Some(&b'-') {
            return reply[..3].to_owned();
        }
    }
}

#[tokio::test]
async fn the_smtp_server_process_stores_what_it_accepts() {
    let smtpd = testkit::smtpd::Smtpd::start();
    let mut s = BufReader::new(TcpStream::connect(("127.0.0.1", smtpd.port)).expect("connect"));
    assert_eq!(say(&mut s, ""), "220");
    assert_eq!(say(&mut s, "EHLO kit.test"), "250");
    assert_eq!(say(&mut s, "MAIL FROM:<a@kit.test>"), "250");
    assert_eq!(say(&mut s, "RCPT TO:<b@kit.test>"), "250");
    assert_eq!(say(&mut s, "DATA"), "354");
    assert_eq!(say(&mut s, "Subject: kit\r\n\r\nhello\r\n."), "250");
    let _ = say(&mut s, "QUIT");
    let mails = smtpd.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("X-RcptTo: b@kit.test") && mails[0].contains("hello"));
}

#[tokio::test]
async fn a_command_recorded_through_the_service_is_in_the_store() {
    let db = testkit::db::SqliteDatabase::fresh("testkit-service");
    let store = store::connect(&db.url).await.expect("store");
    let service = testkit::service::case_service(store.clone());
    let today = chrono::Utc::now().date_naive();
    let case = testkit::service::receive_feedback(&service, "UBND-HN", today).await;
    let page = store
        .read_all(&store::Checkpoint::START, 10)
        .await
        .expect("read");
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].event_type, "petition.received");
    assert_eq!(
        page.events[0].stream_id.to_string(),
        store::StreamId::for_case(case.as_uuid()).to_string()
    );
}
