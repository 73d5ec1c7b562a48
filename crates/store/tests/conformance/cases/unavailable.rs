//! A database that is down is an answer (`Unavailable`, retry later), never a panic.

use store::{ExpectedVersion, StoreError};

use crate::fixtures::{events, meta, new_stream};
use crate::harness::TestDb;

pub async fn connecting_to_a_database_that_is_not_running_is_unavailable(db: &TestDb) {
    let url = db.unreachable_url();
    let started = std::time::Instant::now();
    let result = store::connect(&url).await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{url}: {result:?}"
    );
    assert!(
        started.elapsed().as_secs() < 5,
        "the failure is reported at once, not after a long retry"
    );
}

pub async fn a_closed_store_answers_unavailable_instead_of_panicking(db: &TestDb) {
    db.close_store().await;
    let read = db.store.read_stream(&new_stream()).await;
    assert!(matches!(read, Err(StoreError::Unavailable(_))), "{read:?}");
    let append = db
        .store
        .append(&new_stream(), ExpectedVersion::NoStream, events(1), &meta())
        .await;
    assert!(
        matches!(append, Err(StoreError::Unavailable(_))),
        "{append:?}"
    );
    let head = db.store.head().await;
    assert!(matches!(head, Err(StoreError::Unavailable(_))), "{head:?}");
}
