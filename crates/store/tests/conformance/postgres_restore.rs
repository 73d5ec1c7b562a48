//! A real logical restore (ADR 0002, epochs): `pg_dump` of a store, `pg_restore` into a FRESH cluster started by
//! the test (its transaction counter restarts near zero, below the stored ids), then the store keeps its global
//! order: every old checkpoint stays valid and new events land after it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use sqlx::{Connection, PgConnection};
use store::postgres::PgStore;
use store::{Checkpoint, EventStore, ExpectedVersion};

use crate::fixtures::{events, meta, new_stream, read_at_least};
use crate::harness::{Raw, make_pg_store, with_database};

/// The newest PostgreSQL server binaries on this machine (Debian's layout).
fn bindir() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect(
            "PostgreSQL's binaries under /usr/lib/postgresql (scripts/services.sh installs them)",
        )
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| d.join("initdb").exists())
        .collect();
    dirs.sort_by_key(|d| {
        d.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop()
        .expect("an initdb under /usr/lib/postgresql/*/bin")
}

/// Runs a server binary as the `postgres` user when we are root (initdb refuses root).
fn as_postgres(bin: &Path) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

/// A throw-away cluster on a free port, stopped (and its directory removed) on drop.
struct FreshCluster {
    dir: PathBuf,
    port: u16,
    server: Child,
}

impl FreshCluster {
    fn start() -> Self {
        let bin = bindir();
        let dir = std::env::temp_dir().join(format!(
            "petition-restore-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        let _ = Command::new("chmod").arg("777").arg(&dir).status();
        let data = dir.join("data");
        let status = as_postgres(&bin.join("initdb"))
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "-D"])
            .arg(&data)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("initdb runs");
        assert!(status.success(), "initdb failed");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        let server = as_postgres(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-k",
            ])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("postgres starts");
        Self { dir, port, server }
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    async fn wait_ready(&self) {
        for _ in 0..100 {
            if PgConnection::connect(&self.url("postgres")).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the fresh cluster did not accept connections");
    }
}

impl Drop for FreshCluster {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_restored_into_a_fresh_cluster_keeps_its_global_order() {
    let db = make_pg_store().await;
    let Raw::Postgres {
        pool,
        admin_url,
        database,
        ..
    } = &db.raw
    else {
        panic!("PostgreSQL")
    };
    // A long-lived cluster: ids around five million.
    sqlx::query(
        "INSERT INTO transaction_id_offsets (epoch, xid_offset, reason) \
         SELECT max(epoch) + 1, 5000000 - pg_current_xact_id()::text::bigint, 'test' FROM transaction_id_offsets",
    )
    .execute(pool)
    .await
    .expect("place the ids");
    for _ in 0..5 {
        db.store
            .append(&new_stream(), ExpectedVersion::NoStream, events(2), &meta())
            .await
            .expect("append");
    }
    let before = read_at_least(db.store.as_ref(), Checkpoint::START, 100, 10).await;
    let reader_at = before.last().expect("events").checkpoint();

    let dump = std::env::temp_dir().join(format!("{database}.dump"));
    let status = Command::new(bindir().join("pg_dump"))
        .args(["-Fc", "-f"])
        .arg(&dump)
        .arg(with_database(admin_url, database))
        .env("PGPASSWORD", "postgres")
        .status()
        .expect("pg_dump runs");
    assert!(status.success(), "pg_dump");

    let cluster = FreshCluster::start();
    cluster.wait_ready().await;
    let mut admin = PgConnection::connect(&cluster.url("postgres"))
        .await
        .expect("admin");
    sqlx::raw_sql("CREATE DATABASE restored")
        .execute(&mut admin)
        .await
        .expect("createdb");
    let counter: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(&mut admin)
        .await
        .expect("xid");
    assert!(
        counter < 5_000_000,
        "the fresh cluster's counter ({counter}) is below the stored ids"
    );
    let status = Command::new(bindir().join("pg_restore"))
        .args(["--no-owner", "--no-privileges", "-d"])
        .arg(cluster.url("restored"))
        .arg(&dump)
        .status()
        .expect("pg_restore runs");
    let _ = std::fs::remove_file(&dump);
    assert!(status.success(), "pg_restore");

    // The stored ids came back unchanged; the first start's migrate opens a new epoch.
    let restored = PgStore::connect(&cluster.url("restored"))
        .await
        .expect("connect and migrate");
    let again = read_at_least(&restored, Checkpoint::START, 100, 10).await;
    assert_eq!(
        again, before,
        "the restored store reads back exactly, in the same order"
    );
    restored
        .append(&new_stream(), ExpectedVersion::NoStream, events(1), &meta())
        .await
        .expect("append after the restore");
    let next = read_at_least(&restored, reader_at, 100, 1).await;
    assert_eq!(
        next.len(),
        1,
        "a reader that had read everything before the dump gets the new event"
    );
    assert!(next[0].checkpoint() > reader_at);
    assert!(
        restored
            .verify_stream(&next[0].stream_id)
            .await
            .expect("verify")
            .is_intact()
    );
    restored.close().await;
    drop(admin);
    drop(cluster);
    db.finish().await;
}
