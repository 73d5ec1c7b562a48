//! The one-time bridge: a database the old runners migrated (their tracking table and schema, created here
//! with the old runners' own SQL) opens the new way without anything being applied a second time, and keeps
//! its rows.

use db::migrate::Component;
use db::{Backend, Role};

use crate::harness::{BACKENDS, Fresh, applied, raw, scalar};

/// What the old runner of a component left behind, and a row of data to find again.
struct Old {
    component: Component,
    role: Role,
    tracking: &'static str,
    record: &'static str,
    schema_pg: &'static str,
    schema_sqlite: &'static str,
    data: &'static str,
    count: &'static str,
}

const OLD: [Old; 3] = [
    Old {
        component: Component::ReadModels,
        role: Role::ReadModels,
        tracking: "CREATE TABLE IF NOT EXISTS projection_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
        record: "INSERT INTO projection_migrations (version, name) VALUES (1, 'checkpoints')",
        schema_pg: include_str!("../../../../migrations/projection-postgres/1001_checkpoints.sql"),
        schema_sqlite: include_str!(
            "../../../../migrations/projection-sqlite/1001_checkpoints.sql"
        ),
        data: "INSERT INTO projection_checkpoints (name, version, checkpoint_tx, checkpoint_pos, updated_at) \
               VALUES ('case_list', 2, 41, 42, '2026-01-01T00:00:00+00:00')",
        count: "SELECT COUNT(*) FROM projection_checkpoints WHERE checkpoint_pos = 42",
    },
    Old {
        component: Component::Notifier,
        role: Role::Notifier,
        tracking: "CREATE TABLE IF NOT EXISTS notifier_migrations (version BIGINT PRIMARY KEY, applied_at_ms BIGINT NOT NULL)",
        record: "INSERT INTO notifier_migrations (version, applied_at_ms) VALUES (1, 1764633600000)",
        schema_pg: include_str!("../../../../migrations/notifier-postgres/2001_delivery_log.sql"),
        schema_sqlite: include_str!("../../../../migrations/notifier-sqlite/2001_delivery_log.sql"),
        data: "INSERT INTO notifier_checkpoints (consumer, transaction_id, global_position, updated_ms) \
               VALUES ('notifier', 41, 42, 1764633600000)",
        count: "SELECT COUNT(*) FROM notifier_checkpoints WHERE global_position = 42",
    },
    Old {
        component: Component::TransparencyLog,
        role: Role::TransparencyLog,
        tracking: "CREATE TABLE IF NOT EXISTS tlog_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
        record: "INSERT INTO tlog_migrations (version, name) VALUES (1, 'tlog')",
        schema_pg: include_str!("../../../../migrations/tlog-postgres/3001_tlog.sql"),
        schema_sqlite: include_str!("../../../../migrations/tlog-sqlite/3001_tlog.sql"),
        data: "INSERT INTO tlog_hashes (hash_index, hash) \
               VALUES (42, '0000000000000000000000000000000000000000000000000000000000000042')",
        count: "SELECT COUNT(*) FROM tlog_hashes WHERE hash_index = 42",
    },
];

/// Creates the database as the old runner did: its schema and its tracking table, one transaction.
async fn migrate_the_old_way(pool: &db::Pool, old: &Old) {
    let schema = match pool.backend() {
        Backend::Postgres => old.schema_pg,
        Backend::Sqlite => old.schema_sqlite,
    };
    raw(
        pool,
        &format!("BEGIN; {}; {schema}; {}; COMMIT;", old.tracking, old.record),
    )
    .await;
    raw(pool, old.data).await;
}

#[tokio::test]
async fn a_database_migrated_by_the_old_runners_is_bridged_not_migrated_again() {
    for backend in BACKENDS {
        for old in &OLD {
            let fresh = Fresh::new(backend).await;
            let pool = fresh.open(old.role).await;
            migrate_the_old_way(&pool, old).await;

            // Opening the new way twice: the second start finds everything recorded.
            for start in 1..=2 {
                db::migrate::run(old.component, &pool)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("{backend:?} {:?} start {start}: {e}", old.component)
                    });
            }
            // The old runner's schema is the component's first migration: recorded once as bridged
            // (execution_time -1), never applied; any later migration of the set is applied for real.
            let version = *old.component.range().start();
            let rows = applied(&pool).await;
            assert_eq!(
                rows.first(),
                Some(&(version, true, -1)),
                "{backend:?} {:?}: recorded once as bridged (execution_time -1), never applied: {rows:?}",
                old.component
            );
            assert!(
                rows[1..].iter().all(|r| r.0 > version && r.1 && r.2 >= 0),
                "{backend:?} {:?}: later migrations applied for real: {rows:?}",
                old.component
            );
            assert_eq!(
                scalar(&pool, old.count).await,
                1,
                "{backend:?} {:?}: the data is kept",
                old.component
            );
            assert_eq!(
                scalar(
                    &pool,
                    &format!(
                        "SELECT COUNT(*) FROM {}",
                        old.component.legacy().expect("legacy").table
                    )
                )
                .await,
                1,
                "the old tracking table is left as it was"
            );
            pool.close().await;
            fresh.drop_database().await;
        }
    }
}

#[tokio::test]
async fn a_new_database_is_migrated_by_the_set_and_has_no_old_tracking_table() {
    for backend in BACKENDS {
        for old in &OLD {
            let fresh = Fresh::new(backend).await;
            let pool = fresh.open(old.role).await;
            db::migrate::run(old.component, &pool)
                .await
                .expect("migrate");
            let rows = applied(&pool).await;
            assert!(!rows.is_empty(), "{rows:?}");
            assert_eq!(rows[0].0, *old.component.range().start());
            assert!(
                rows.iter().all(|r| r.1 && r.2 >= 0),
                "every migration applied for real: {rows:?}"
            );
            raw(&pool, old.data).await;
            assert_eq!(scalar(&pool, old.count).await, 1, "the schema is there");
            pool.close().await;
            fresh.drop_database().await;
        }
    }
}

#[tokio::test]
async fn an_old_tracking_table_naming_an_unknown_version_is_refused_with_its_name() {
    for backend in BACKENDS {
        let fresh = Fresh::new(backend).await;
        let pool = fresh.open(Role::ReadModels).await;
        migrate_the_old_way(&pool, &OLD[0]).await;
        raw(
            &pool,
            "INSERT INTO projection_migrations (version, name) VALUES (7, 'from the future')",
        )
        .await;
        let err = db::migrate::run(Component::ReadModels, &pool)
            .await
            .expect_err("an unknown version is refused");
        assert!(
            matches!(&err, db::Error::Migrate(m) if m.contains("projection_migrations") && m.contains('7')),
            "{err}"
        );
        pool.close().await;
        fresh.drop_database().await;
    }
}
