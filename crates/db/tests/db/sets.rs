//! The migration sets: each within its own version range, and all four side by side in one database,
//! recorded in one `_sqlx_migrations` table, whatever order the components start in.

use db::migrate::Component;
use db::{Backend, Role};

use crate::harness::{BACKENDS, Fresh, applied};

#[test]
fn every_migration_lies_in_its_components_range_and_the_ranges_are_disjoint() {
    for backend in BACKENDS {
        for c in Component::ALL {
            let m = c.migrator(backend);
            assert!(m.iter().count() > 0, "{c:?} {backend:?} has migrations");
            for migration in m.iter() {
                assert!(
                    c.range().contains(&migration.version),
                    "{c:?} {backend:?}: version {} is outside {:?}",
                    migration.version,
                    c.range()
                );
            }
            assert!(
                m.ignore_missing,
                "{c:?}: the other sets' versions are not an error"
            );
        }
    }
    for a in Component::ALL {
        for b in Component::ALL {
            if a != b {
                assert!(
                    a.range().end() < b.range().start() || b.range().end() < a.range().start(),
                    "{a:?} and {b:?} overlap"
                );
            }
        }
    }
}

#[test]
fn both_backends_have_the_same_versions_per_component() {
    for c in Component::ALL {
        let versions = |b: Backend| c.migrator(b).iter().map(|m| m.version).collect::<Vec<_>>();
        assert_eq!(
            versions(Backend::Postgres),
            versions(Backend::Sqlite),
            "{c:?}"
        );
    }
}

#[tokio::test]
async fn all_sets_share_one_database_in_any_order_and_rerun_as_no_ops() {
    for backend in BACKENDS {
        let fresh = Fresh::new(backend).await;
        let pool = fresh.open(Role::EventStore).await;
        let total: usize = Component::ALL
            .iter()
            .map(|c| c.migrator(backend).iter().count())
            .sum();
        // Read models first, the store last, then everything again: each set ignores the others' rows.
        let order = [
            Component::ReadModels,
            Component::TransparencyLog,
            Component::Notifier,
            Component::Store,
        ];
        for c in order.iter().chain(order.iter()) {
            db::migrate::run(*c, &pool)
                .await
                .unwrap_or_else(|e| panic!("{backend:?} {c:?}: {e}"));
        }
        let rows = applied(&pool).await;
        assert_eq!(
            rows.len(),
            total,
            "{backend:?}: every migration once: {rows:?}"
        );
        assert!(rows.iter().all(|(_, ok, t)| *ok && *t >= 0), "{rows:?}");
        pool.close().await;
        fresh.drop_database().await;
    }
}

#[tokio::test]
async fn a_changed_migration_of_a_set_is_still_refused() {
    for backend in BACKENDS {
        let fresh = Fresh::new(backend).await;
        let pool = fresh.open(Role::ReadModels).await;
        db::migrate::run(Component::ReadModels, &pool)
            .await
            .expect("migrate");
        const TAMPER: &str = "UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 1001";
        db::on_pool!(&pool, p => sqlx::query(TAMPER).bind(vec![0u8]).execute(p).await.map(drop))
            .expect("tamper");
        let err = db::migrate::run(Component::ReadModels, &pool)
            .await
            .expect_err("a checksum mismatch is refused");
        assert!(matches!(err, db::Error::Migrate(_)), "{err}");
        pool.close().await;
        fresh.drop_database().await;
    }
}
