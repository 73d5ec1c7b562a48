//! One pool opener for every role: sizes from settings with per-role defaults, SQLite's options set in one
//! place, and clear errors for a bad URL or an unreachable server.

use std::time::{Duration, Instant};

use db::{Backend, DbSettings, PoolSettings, Role};

use crate::harness::{BACKENDS, Fresh, scalar};

#[tokio::test]
async fn the_pool_size_comes_from_the_settings_or_the_roles_default() {
    for backend in BACKENDS {
        let fresh = Fresh::new(backend).await;
        for role in Role::ALL {
            let pool = db::open(role, &fresh.url, &PoolSettings::default())
                .await
                .expect("open");
            assert_eq!(
                pool.max_connections(),
                role.default_max_connections(backend),
                "{role:?}"
            );
            assert_eq!(pool.backend(), backend);
            pool.close().await;
        }
        let sized = db::open(
            Role::ReadModels,
            &fresh.url,
            &PoolSettings::with_max_connections(3),
        )
        .await
        .expect("open");
        assert_eq!(sized.max_connections(), 3);
        sized.close().await;
        let zero = db::open(
            Role::Notifier,
            &fresh.url,
            &PoolSettings::with_max_connections(0),
        )
        .await
        .expect("open");
        assert_eq!(
            zero.max_connections(),
            1,
            "a pool has at least one connection"
        );
        zero.close().await;
        fresh.drop_database().await;
    }
}

#[test]
fn pool_settings_deserialize_per_role_and_refuse_unknown_keys() {
    let s: DbSettings = serde_json::from_str(
        r#"{"read_models": {"max_connections": 6}, "notifier": {"acquire_timeout_secs": 3}}"#,
    )
    .expect("settings");
    assert_eq!(s.for_role(Role::ReadModels).max_connections, Some(6));
    assert_eq!(
        s.for_role(Role::Notifier)
            .acquire_timeout_for(Role::Notifier, Backend::Postgres),
        Duration::from_secs(3)
    );
    assert_eq!(s.for_role(Role::EventStore), PoolSettings::default());
    assert!(serde_json::from_str::<DbSettings>(r#"{"read_model": {}}"#).is_err());
    assert!(serde_json::from_str::<DbSettings>(r#"{"notifier": {"max_connection": 2}}"#).is_err());
}

#[tokio::test]
async fn sqlite_files_are_created_in_wal_mode_with_a_busy_timeout_and_the_roles_durability() {
    let fresh = Fresh::new(Backend::Sqlite).await;
    for (role, synchronous) in [
        (Role::EventStore, 2),
        (Role::TransparencyLog, 2),
        (Role::ReadModels, 1),
        (Role::Notifier, 1),
    ] {
        let pool = fresh.open(role).await;
        let mode: String =
            db::on_pool!(&pool, p => sqlx::query_scalar("PRAGMA journal_mode").fetch_one(p).await)
                .expect("journal mode");
        assert_eq!(mode, "wal", "{role:?}");
        assert_eq!(
            scalar(&pool, "PRAGMA busy_timeout").await,
            10_000,
            "{role:?}"
        );
        assert_eq!(
            scalar(&pool, "PRAGMA synchronous").await,
            synchronous,
            "{role:?}: 2 = FULL, 1 = NORMAL"
        );
        assert_eq!(scalar(&pool, "PRAGMA foreign_keys").await, 1, "{role:?}");
        assert_eq!(
            scalar(&pool, "PRAGMA secure_delete").await,
            i64::from(role == Role::EventStore),
            "{role:?}: erased keys are overwritten in the store's file"
        );
        pool.close().await;
    }
}

#[tokio::test]
async fn an_in_memory_database_outlives_idle_connections() {
    let pool = db::open(
        Role::ReadModels,
        "sqlite::memory:",
        &PoolSettings::default(),
    )
    .await
    .expect("open");
    crate::harness::raw(
        &pool,
        "CREATE TABLE kept (x INTEGER); INSERT INTO kept VALUES (1)",
    )
    .await;
    assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM kept").await, 1);
    assert!(pool.max_connections() >= 1);
    pool.close().await;
}

#[tokio::test]
async fn a_bad_url_is_a_configuration_error_and_a_closed_port_is_unavailable_at_once() {
    for url in ["mysql://localhost/x", "postgres://user@host:notaport/x", ""] {
        let err = db::open(Role::ReadModels, url, &PoolSettings::default())
            .await
            .expect_err(url);
        assert!(matches!(err, db::Error::Config(_)), "{url}: {err}");
    }
    let started = Instant::now();
    let err = db::open(
        Role::Notifier,
        "postgres://postgres@127.0.0.1:1/none",
        &PoolSettings::default(),
    )
    .await
    .expect_err("nothing listens on port 1");
    assert!(
        matches!(&err, db::Error::Unavailable(m) if m.contains("notifier") && m.contains("127.0.0.1:1")),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused at once, not after a pool timeout"
    );
}

#[tokio::test]
async fn a_postgres_connection_the_server_dropped_while_idle_is_replaced_before_it_fails_a_statement()
 {
    let fresh = Fresh::new(Backend::Postgres).await;
    let pool = db::open(
        Role::Notifier,
        &fresh.url,
        &PoolSettings::with_max_connections(1),
    )
    .await
    .expect("open");
    let first = scalar(&pool, "SELECT pg_backend_pid()::bigint").await;
    // The server drops the pool's one connection (as a restart does) while it sits idle.
    let mut admin =
        <sqlx::PgConnection as sqlx::Connection>::connect(&crate::harness::pg_admin_url())
            .await
            .expect("admin");
    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1::int)")
        .bind(first as i32)
        .fetch_one(&mut admin)
        .await
        .expect("terminate");
    assert!(killed, "the backend was terminated");
    tokio::time::sleep(db::open::PING_IF_IDLE_FOR + Duration::from_millis(300)).await;
    // Without the idle ping this statement would meet the dead connection and fail (57P01 / broken pipe).
    let db::Pool::Postgres(pg) = &pool else {
        panic!("a PostgreSQL pool")
    };
    let second: i64 = sqlx::query_scalar("SELECT pg_backend_pid()::bigint")
        .fetch_one(pg)
        .await
        .expect("a fresh connection, not the dropped one");
    assert_ne!(second, first, "a new server session");
    pool.close().await;
    fresh.drop_database().await;
}
