//! The relay under failure: killed mid-window, NATS down while commands keep coming, two relays at once,
//! and PostgreSQL with concurrent writers. Each ends with the stream equal to the store, in order, once, and
//! with a clean `compare_stream` report (`assert_stream_is_the_store`).

use std::sync::Arc;
use std::time::Duration;

use bus::Relay;
use tokio::sync::watch;

use crate::harness::*;

const LIMIT: Duration = Duration::from_secs(60);

fn spawn_relay(relay: Arc<Relay>) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, shutdown) = watch::channel(false);
    let task = tokio::spawn(async move {
        relay.run(shutdown).await.expect("relay stops cleanly");
    });
    (stop, task)
}

#[tokio::test]
async fn a_relay_killed_mid_window_is_resumed_by_another_without_gap_or_duplicate() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 200, 4).await; // 1000 events
        let first = Arc::new(Relay::new(
            store.clone(),
            connect(&nats).await,
            fast_relay(256),
        ));
        let (_stop, task) = spawn_relay(first);
        // Kill it as soon as part of the backlog is in: some acks are still in flight.
        wait_for_stream(&js, 1, LIMIT).await;
        task.abort();
        let _ = task.await;
        let partial = stream_len(&js).await;
        assert!(
            partial < 1000,
            "the relay finished before it could be killed ({partial})"
        );
        let report = assert_no_divergence(&js, store.as_ref()).await;
        // A prefix: what the dead relay got in is identical, the rest is only behind.
        assert_eq!(report.identical + report.behind, 1000, "{report}");
        record_cases(store.as_ref(), 10, 4).await;
        // The dead relay still holds the lease: the new one takes over once it expires.
        let second = Arc::new(Relay::new(
            store.clone(),
            connect(&nats).await,
            fast_relay(256),
        ));
        let (stop, task) = spawn_relay(second);
        wait_for_stream(&js, 1050, LIMIT).await;
        stop.send(true).expect("stop");
        task.await.expect("join");
        assert_stream_is_the_store(&js, store.as_ref()).await;
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn commands_appended_while_nats_is_down_are_published_when_it_returns() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let mut nats = NatsServer::start();
        let js = setup(&nats).await;
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 10, 2).await;
        let relay = Arc::new(Relay::new(
            store.clone(),
            connect(&nats).await,
            fast_relay(256),
        ));
        let (stop, task) = spawn_relay(relay);
        wait_for_stream(&js, 30, LIMIT).await;
        nats.stop();
        // The store does not depend on NATS: appends succeed while it is down.
        record_cases(store.as_ref(), 20, 2).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        nats.resume();
        let js = connect(&nats).await;
        assert_no_divergence(&js, store.as_ref()).await;
        wait_for_stream(&js, 90, LIMIT).await;
        stop.send(true).expect("stop");
        task.await.expect("join");
        assert_stream_is_the_store(&js, store.as_ref()).await;
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn two_relays_started_at_once_publish_each_event_once_in_order() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 100, 4).await;
        let a = Arc::new(Relay::new(
            store.clone(),
            connect(&nats).await,
            fast_relay(64),
        ));
        let b = Arc::new(Relay::new(
            store.clone(),
            connect(&nats).await,
            fast_relay(64),
        ));
        let (stop_a, task_a) = spawn_relay(a);
        let (stop_b, task_b) = spawn_relay(b);
        record_cases(store.as_ref(), 40, 4).await;
        wait_for_stream(&js, 700, LIMIT).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        for stop in [stop_a, stop_b] {
            stop.send(true).expect("stop");
        }
        task_a.await.expect("join");
        task_b.await.expect("join");
        assert_stream_is_the_store(&js, store.as_ref()).await;
    })
    .await
    .expect("test finished in time");
}

/// The lease only saves work; this proves the safety net holds without it.
#[tokio::test]
async fn two_relays_racing_without_the_lease_never_duplicate_or_reorder() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 60, 4).await;
        let race = |relay: Arc<Relay>| {
            tokio::spawn(async move {
                let mut conflicts = 0;
                loop {
                    match relay.run_once().await {
                        Ok(o) if o.caught_up => return conflicts,
                        Ok(_) => {}
                        Err(_) => conflicts += 1,
                    }
                }
            })
        };
        let a = race(Arc::new(Relay::new(
            store.clone(),
            connect(&nats).await,
            fast_relay(16),
        )));
        let b = race(Arc::new(Relay::new(
            store.clone(),
            connect(&nats).await,
            fast_relay(16),
        )));
        let (ca, cb) = (a.await.expect("join"), b.await.expect("join"));
        tracing::info!(ca, cb, "conflicts seen by each relay");
        assert_stream_is_the_store(&js, store.as_ref()).await;
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn the_relay_follows_postgres_under_concurrent_writers() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let (store, database) = postgres_store().await;
        let relay = Arc::new(Relay::new(
            store.clone(),
            connect(&nats).await,
            fast_relay(256),
        ));
        let (stop, task) = spawn_relay(relay);
        let writers: Vec<_> = (0..4)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { record_cases(store.as_ref(), 25, 3).await })
            })
            .collect();
        for writer in writers {
            writer.await.expect("writer");
        }
        wait_for_stream(&js, 400, LIMIT).await;
        stop.send(true).expect("stop");
        task.await.expect("join");
        assert_stream_is_the_store(&js, store.as_ref()).await;
        drop(store);
        drop_postgres(&database).await;
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn a_relay_refuses_a_stream_that_holds_another_stores_events() {
    tokio::time::timeout(LIMIT, async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let first = sqlite_store().await;
        record_cases(first.as_ref(), 3, 2).await;
        let relay = Relay::new(first.clone(), connect(&nats).await, fast_relay(16));
        while !relay
            .run_once()
            .await
            .expect("publish the first store")
            .caught_up
        {}
        assert_stream_is_the_store(&js, first.as_ref()).await;

        // A second, unrelated store pointed at the same stream must not resume after the first one's
        // checkpoint (it would skip its own first events) nor append to it.
        let second = sqlite_store().await;
        record_cases(second.as_ref(), 5, 2).await;
        let intruder = Relay::new(second.clone(), connect(&nats).await, fast_relay(16));
        let refused = intruder.run_once().await;
        assert!(
            matches!(&refused, Err(bus::BusError::Config(m)) if m.contains("another store")),
            "refused with a clear reason: {refused:?}"
        );
        let (stop, shutdown) = watch::channel(false);
        let ended = intruder.run(shutdown).await;
        drop(stop);
        assert!(
            matches!(ended, Err(bus::BusError::Config(_))),
            "the loop stops instead of retrying: {ended:?}"
        );
        assert_stream_is_the_store(&js, first.as_ref()).await;
    })
    .await
    .expect("test finished in time");
}
