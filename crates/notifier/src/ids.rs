//! Deterministic ids: a delivery is the same row, the same Message-ID and the same audit event however many
//! times its event is delivered or its process restarts.

use uuid::Uuid;

/// The notifier's UUID v5 namespace (fixed forever: changing it would re-send every message).
const NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2b1e_5a7d_4e0b_9a55_0c3e_7d1f_9b42);

pub fn v5(name: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

/// The delivery id of (event, recipient, channel).
pub fn delivery(event_id: Uuid, recipient: &str, channel: &str) -> String {
    v5(&format!("{event_id}/{recipient}/{channel}")).to_string()
}
