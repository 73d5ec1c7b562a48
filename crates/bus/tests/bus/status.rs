//! `bus_status` against a real stream: relay lag, stream head and a consumer's lag.

use std::time::Duration;

use bus::{ConsumerConfig, JetStreamSource, Relay, StreamSettings};

use crate::harness::*;

#[tokio::test]
async fn bus_status_reports_the_relay_lag_and_each_consumers_lag() {
    tokio::time::timeout(Duration::from_secs(60), async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 4, 1).await;
        let settings = StreamSettings::default();
        let before = bus::bus_status(store.as_ref(), &js, &settings, &["nobody"])
            .await
            .expect("status");
        assert_eq!(before.relay_lag, 8);
        assert!(!before.consumers[0].exists);
        let relay = Relay::new(store.clone(), connect(&nats).await, fast_relay(16));
        while !relay.run_once().await.expect("relay").caught_up {}
        let source = JetStreamSource::new(js.clone(), settings.clone(), ConsumerConfig::default());
        source.ensure_consumer("reader").await.expect("consumer");
        let after = bus::bus_status(store.as_ref(), &js, &settings, &["reader"])
            .await
            .expect("status");
        assert_eq!(after.relay_lag, 0);
        assert_eq!(after.stream.last_sequence, 8);
        assert_eq!(
            after.stream.checkpoint,
            Some(store.head().await.expect("head"))
        );
        assert_eq!(
            (after.consumers[0].exists, after.consumers[0].lag),
            (true, 8)
        );
        let table = after.to_string();
        assert!(
            table.contains("PETITION_EVENTS") && table.contains("consumer reader"),
            "{table}"
        );
    })
    .await
    .expect("test finished in time");
}
