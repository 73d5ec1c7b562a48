//! Least privilege (deploy/postgres/grants.sql): the service role appends and reads, and cannot get around the
//! append-only rules by any of the means an owner or a superuser has.

use sqlx::{Connection, PgConnection};
use store::{Checkpoint, ExpectedVersion};

use crate::fixtures::{events, meta, new_stream, read_at_least};
use crate::harness::{Raw, make_pg_store, service_url, with_database};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_role_appends_and_reads_but_cannot_bypass_append_only() {
    let db = make_pg_store().await;
    let Raw::Postgres {
        admin_url,
        database,
        ..
    } = &db.raw
    else {
        panic!("PostgreSQL")
    };
    // The store under test already is the service role.
    db.store
        .append(&new_stream(), ExpectedVersion::NoStream, events(2), &meta())
        .await
        .expect("the service role appends");
    let before = read_at_least(db.store.as_ref(), Checkpoint::START, 100, 2).await;

    let mut service = PgConnection::connect(&service_url(&with_database(admin_url, database)))
        .await
        .expect("service connection");
    let (superuser, owner): (bool, bool) = sqlx::query_as(
        "SELECT rolsuper, pg_has_role(current_user, (SELECT tableowner FROM pg_tables WHERE tablename = 'events'), 'MEMBER') \
         FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&mut service)
    .await
    .expect("who am I");
    assert!(
        !superuser && !owner,
        "the service role is neither superuser nor owner"
    );

    let attacks = [
        // Not even granted; were it granted, the triggers would still refuse (immutability.rs).
        (
            "UPDATE events SET payload = '{\"rewritten\": true}'",
            "permission denied",
        ),
        ("DELETE FROM events", "permission denied"),
        (
            "UPDATE commands SET fingerprint = NULL",
            "permission denied",
        ),
        ("TRUNCATE events", "permission denied"),
        ("TRUNCATE commands", "permission denied"),
        ("ALTER TABLE events DISABLE TRIGGER ALL", "must be owner"),
        (
            "ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete",
            "must be owner",
        ),
        (
            "DROP TRIGGER events_refuse_update_delete ON events",
            "must be owner",
        ),
        ("DROP TABLE events", "must be owner"),
        (
            "SET session_replication_role = replica",
            "permission denied",
        ),
        (
            "CREATE OR REPLACE FUNCTION petition_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
            "must be owner",
        ),
        ("ALTER TABLE events OWNER TO CURRENT_USER", "must be owner"),
        (
            "INSERT INTO transaction_id_offsets (epoch, xid_offset, reason) VALUES (99, 0, 'attack')",
            "only the owner",
        ),
    ];
    for (sql, expected) in attacks {
        let error = sqlx::raw_sql(sql)
            .execute(&mut service)
            .await
            .expect_err(&format!("the service role may not run `{sql}`"));
        assert!(
            error.to_string().contains(expected),
            "`{sql}`: expected `{expected}`, got `{error}`"
        );
    }
    let _ = service.close().await;
    let after = read_at_least(db.store.as_ref(), Checkpoint::START, 100, 2).await;
    assert_eq!(after, before, "nothing changed");
    db.finish().await;
}
