//! Backup and restore as an operator does it (docs/operations.md): `pg_dump` of the live database, the
//! petition processes stopped, `pg_restore` into a FRESH PostgreSQL cluster (its transaction ids restart
//! below the stored ones), `petition migrate` as the owner (which opens a new transaction-id epoch), the
//! processes started against the new server — and the relay and read models continue in order: new events
//! reach the stream after the old ones, every read model folds them, nothing is lost or doubled.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use system_tests::load::Load;
use system_tests::{Cluster, check};

const PETITION: [&str; 7] = [
    "api-1",
    "api-2",
    "relay-1",
    "relay-2",
    "read-model-0",
    "read-model-1",
    "notifier",
];

fn as_postgres(bin: &Path) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn ok(command: &mut Command) {
    let out = command.output().expect("runs");
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn run_load(cluster: &Cluster, commands: usize) -> system_tests::load::Record {
    let load = Load::start(
        cluster.apis(),
        cluster.var("TOKEN"),
        4,
        Duration::from_millis(20),
    );
    let until = Instant::now() + Duration::from_secs(60);
    while load.acknowledged() < commands {
        assert!(Instant::now() < until, "the load stalled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    load.stop().await
}

async fn ready(url: &str) {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if reqwest::get(format!("{url}/ready"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        assert!(Instant::now() < until, "{url} never became ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logical_restore_into_a_fresh_cluster_keeps_the_order_for_relay_and_read_models() {
    let mut cluster = Cluster::start().expect("cluster");
    let mut record = run_load(&cluster, 150).await;
    check::settle(&cluster, Duration::from_secs(90))
        .await
        .unwrap();
    check::verify(&cluster, &record).await.unwrap();

    // Backup: the petition processes stop (as for an upgrade), then pg_dump in the custom format.
    for name in PETITION {
        cluster.signal(name, "TERM").unwrap();
    }
    let dump = cluster.dir.join("petition.dump");
    let old_port = cluster.var("PG_PORT");
    ok(Command::new("pg_dump")
        .args(["-Fc", "-f"])
        .arg(&dump)
        .arg(cluster.var("DATABASE_URL")));
    cluster.pg("stop").unwrap();

    // Restore into a fresh cluster: roles first, then the database and its grants from the dump.
    let bin = Path::new(&cluster.var("PG_BIN")).to_owned();
    let fresh = cluster.dir.join("pg/restored");
    ok(as_postgres(&bin.join("initdb"))
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "-D"])
        .arg(&fresh));
    let port = free_port().to_string();
    ok(as_postgres(&bin.join("pg_ctl"))
        .arg("-D")
        .arg(&fresh)
        .arg("-l")
        .arg(cluster.dir.join("pg/restored.log"))
        .args(["-w", "-t", "30", "-o"])
        .arg(format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {}",
            cluster.dir.join("pg").display()
        ))
        .arg("start"));
    let admin = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    ok(Command::new("psql").args([
        &admin,
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        "CREATE ROLE petition_owner LOGIN PASSWORD 'owner'",
        "-c",
        "CREATE ROLE petition_service LOGIN PASSWORD 'service'",
        "-c",
        "CREATE DATABASE petition OWNER petition_owner",
    ]));
    ok(Command::new("pg_restore")
        .args(["--exit-on-error", "-d"])
        .arg(format!("postgres://postgres@127.0.0.1:{port}/petition"))
        .arg(&dump));

    // Every process now talks to the restored server; the owner's migrate opens a new epoch.
    let env_file = cluster.dir.join("cluster.env");
    let env = std::fs::read_to_string(&env_file).unwrap();
    std::fs::write(
        &env_file,
        env.replace(
            &format!("127.0.0.1:{old_port}/"),
            &format!("127.0.0.1:{port}/"),
        )
        .replace(&format!("PG_PORT={old_port}"), &format!("PG_PORT={port}")),
    )
    .unwrap();
    cluster.reload_env().unwrap();
    let migrated = cluster.petition(&["migrate"]).unwrap();
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let db = cluster.db().await.unwrap();
    let epochs: i64 = sqlx::query_scalar("SELECT count(*) FROM transaction_id_offsets")
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(epochs >= 1, "the restore opened no transaction-id epoch");
    db.close().await;
    for name in PETITION {
        cluster.run(name).unwrap();
    }
    for api in cluster.apis() {
        ready(&api).await;
    }

    // New events land after the restored ones, on the stream and in every read model.
    let after = run_load(&cluster, 150).await;
    for (case, version) in after.acked {
        record.acked.insert(case, version);
    }
    check::settle(&cluster, Duration::from_secs(90))
        .await
        .unwrap();
    let counts = check::verify(&cluster, &record).await.unwrap();
    eprintln!("after the restore: {counts:?}");
    let _ = as_postgres(&bin.join("pg_ctl"))
        .arg("-D")
        .arg(&fresh)
        .args(["-m", "fast", "stop"])
        .output();
}
