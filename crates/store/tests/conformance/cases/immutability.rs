//! Invariant 1, enforced by the database itself: no UPDATE, DELETE or TRUNCATE, whoever sends it.

use store::ExpectedVersion;

use crate::fixtures::{events, meta, new_stream};
use crate::harness::TestDb;

pub async fn the_database_refuses_update_delete_and_truncate_on_events_and_commands(db: &TestDb) {
    let stream = new_stream();
    let meta = meta();
    db.store
        .append(&stream, ExpectedVersion::NoStream, events(2), &meta)
        .await
        .expect("append");
    let before = db.store.read_stream(&stream).await.expect("read");
    let command_before = db
        .store
        .find_command(meta.command_id, None)
        .await
        .expect("find");

    for table in ["events", "commands"] {
        let statements = [
            format!("UPDATE {table} SET stream_id = 'case-forged' WHERE stream_id = '{stream}'"),
            format!("DELETE FROM {table} WHERE stream_id = '{stream}'"),
            db.truncate_statement(table),
        ];
        for sql in statements {
            let error = db
                .execute(&sql)
                .await
                .expect_err(&format!("`{sql}` must be refused"));
            assert!(
                error.contains("append-only"),
                "`{sql}` is refused with a clear message, got: {error}"
            );
        }
    }

    assert_eq!(
        db.store.read_stream(&stream).await.expect("read"),
        before,
        "the rows are unchanged"
    );
    assert_eq!(
        db.store
            .find_command(meta.command_id, None)
            .await
            .expect("find"),
        command_before
    );
}
