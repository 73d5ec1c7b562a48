//! The relay on a PostgreSQL store whose transaction ids cross a digit boundary (99,999 → 100,000): the global
//! order is numeric, so publishing — and republishing the whole store onto an emptied stream, the "lost
//! stream" recovery — sends every event once, in order, and stops. Sorted as text, it sent some events out of
//! order and looped.

use std::time::Duration;

use bus::{Relay, cloudevents};
use sqlx::Connection;
use store::Checkpoint;

use crate::harness::*;

const LIMIT: Duration = Duration::from_secs(90);

async fn place_next_transaction_id(database: &str, next: i64) {
    let mut conn = sqlx::PgConnection::connect(&with_database(&pg_admin_url(), database))
        .await
        .expect("connect");
    sqlx::query(
        "INSERT INTO transaction_id_offsets (epoch, xid_offset, reason) \
         SELECT max(epoch) + 1, $1 - pg_current_xact_id()::text::bigint, 'test' FROM transaction_id_offsets",
    )
    .bind(next)
    .execute(&mut conn)
    .await
    .expect("place the transaction ids");
}

/// The checkpoints the stream's messages carry, in stream order.
async fn stream_checkpoints(js: &async_nats::jetstream::Context) -> Vec<Checkpoint> {
    stream_messages(js)
        .await
        .iter()
        .map(|m| cloudevents::checkpoint(&m.headers).expect("checkpoint header"))
        .collect()
}

async fn relay_until_caught_up(relay: &Relay) {
    while !relay.run_once().await.expect("relay").caught_up {}
}

#[tokio::test]
async fn the_relay_publishes_and_republishes_across_a_transaction_id_digit_boundary() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let (store, database) = postgres_store().await;
        place_next_transaction_id(&database, 99_970).await;
        // 40 cases of 3 appends each: ids from 99,97x to beyond 100,000.
        record_cases(store.as_ref(), 40, 2).await;
        let ids = store_ids(store.as_ref()).await;
        assert_eq!(ids.len(), 120);
        let page = store
            .read_all(&Checkpoint::START, 1000)
            .await
            .expect("read");
        assert!(page.events.first().expect("events").transaction_id < 100_000);
        assert!(page.events.last().expect("events").transaction_id >= 100_000);

        let relay = Relay::new(store.clone(), connect(&nats).await, fast_relay(64));
        relay_until_caught_up(&relay).await;
        assert_stream_is_the_store(&js, store.as_ref()).await;
        let checkpoints = stream_checkpoints(&js).await;
        assert_eq!(checkpoints.len(), 120, "each event once");
        assert!(
            checkpoints.windows(2).all(|w| w[0] < w[1]),
            "in numeric order"
        );

        // The stream is lost: an empty one is created and the relay republishes the whole store.
        js.delete_stream("PETITION_EVENTS")
            .await
            .expect("delete the stream");
        let js = setup(&nats).await;
        let relay = Relay::new(store.clone(), connect(&nats).await, fast_relay(64));
        relay_until_caught_up(&relay).await;
        assert_stream_is_the_store(&js, store.as_ref()).await;
        let again = stream_checkpoints(&js).await;
        assert_eq!(
            again, checkpoints,
            "republished once each, in the same order"
        );
        drop(relay);
        drop(store);
        drop_postgres(&database).await;
    })
    .await
    .expect("test finished in time");
}
