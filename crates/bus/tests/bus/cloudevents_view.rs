//! Reads the published messages back with a generic CloudEvents view — header map only, no petition
//! types — and checks every required attribute is present and valid (CloudEvents 1.0, NATS binding).

use std::collections::HashMap;
use std::time::Duration;

use bus::Relay;

use crate::harness::*;

/// What any CloudEvents consumer would see: attribute name → value, without the `ce-` prefix.
fn view(headers: &async_nats::HeaderMap) -> HashMap<String, String> {
    headers
        .iter()
        .map(|(name, values)| {
            let name = name.to_string().to_ascii_lowercase();
            let value = values
                .first()
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default();
            (
                name.strip_prefix("ce-").map(str::to_owned).unwrap_or(name),
                value,
            )
        })
        .collect()
}

/// `^vn\.gov\.petition\.[a-z_]+\.v[0-9]+$`, without a regex dependency.
fn is_petition_type(t: &str) -> bool {
    let Some(rest) = t.strip_prefix("vn.gov.petition.") else {
        return false;
    };
    let Some((name, version)) = rest.rsplit_once(".v") else {
        return false;
    };
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        && !version.is_empty()
        && version.chars().all(|c| c.is_ascii_digit())
}

/// A URI-reference with a scheme (`urn:…`, `https://…`) or a path.
fn is_uri_reference(s: &str) -> bool {
    !s.is_empty()
        && !s.chars().any(char::is_whitespace)
        && (s.starts_with('/')
            || s.split_once(':').is_some_and(|(scheme, _)| {
                scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            }))
}

#[tokio::test]
async fn every_published_message_is_a_valid_binary_mode_cloudevent() {
    tokio::time::timeout(Duration::from_secs(60), async {
        init_log();
        let nats = NatsServer::start();
        let js = setup(&nats).await;
        let store = sqlite_store().await;
        record_cases(store.as_ref(), 3, 4).await;
        let relay = Relay::new(store.clone(), connect(&nats).await, fast_relay(8));
        while !relay.run_once().await.expect("relay").caught_up {}
        let messages = stream_messages(&js).await;
        assert_eq!(messages.len(), 15);
        for message in messages {
            let ce = view(&message.headers);
            let id: uuid::Uuid = ce["id"].parse().expect("ce-id is the event id");
            let stream_id = store::StreamId::parse(ce["streamid"].clone()).expect("stream id");
            let event = store
                .read_stream(&stream_id)
                .await
                .expect("read")
                .into_iter()
                .find(|e| e.event_id == id)
                .expect("ce-id names a stored event");
            assert_eq!(ce["specversion"], "1.0");
            assert!(is_uri_reference(&ce["source"]), "source {}", ce["source"]);
            assert!(ce["source"].ends_with("UBND-HN"));
            assert!(is_petition_type(&ce["type"]), "type {}", ce["type"]);
            let time = chrono::DateTime::parse_from_rfc3339(&ce["time"]).expect("time is RFC 3339");
            assert_eq!(time, event.recorded_at);
            assert_eq!(
                ce["subject"],
                stream_id.as_str().trim_start_matches("case-")
            );
            assert_eq!(ce["content-type"], "application/json");
            assert_eq!(ce["caseversion"], event.version.to_string());
            assert_eq!(ce["globalposition"], event.global_position.to_string());
            assert_eq!(
                ce["correlationid"],
                event.metadata.correlation_id.to_string()
            );
            assert!(ce.contains_key("causationid"));
            let body: serde_json::Value =
                serde_json::from_slice(&message.payload).expect("body is JSON");
            assert_eq!(body, event.payload);
            let raw = String::from_utf8_lossy(&message.payload);
            assert!(
                !raw.contains("Trần Thị B"),
                "personal data must not leave the store"
            );
            assert!(
                message
                    .subject
                    .starts_with("petition.events.UBND-HN.complaint.")
            );
        }
    })
    .await
    .expect("test finished in time");
}
