//! Unit tests of the case partitioning: the mapping is stable, balanced and consistent, and a partitioned
//! handler applies exactly its own cases' events, in order, and reports failures at the right index.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;

use chrono::Utc;
use store::{EventMetadata, StreamId};
use uuid::Uuid;

use super::*;

fn event(stream: &str, version: u64, position: i64) -> RecordedEvent {
    RecordedEvent {
        event_id: Uuid::new_v4(),
        stream_id: StreamId::parse(stream).unwrap(),
        version,
        global_position: position,
        transaction_id: 0,
        recorded_at: Utc::now(),
        event_type: "petition.received".into(),
        schema_version: 1,
        payload: serde_json::json!({}),
        personal: None,
        metadata: EventMetadata {
            command_id: Uuid::new_v4(),
            actor: "test".into(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
            rulebook_version: None,
        },
        prev_hash: String::new(),
        hash: String::new(),
    }
}

#[test]
fn settings_parse_and_bad_ones_are_refused() {
    assert_eq!(
        "1/2".parse::<Partition>().unwrap(),
        Partition::new(1, 2).unwrap()
    );
    assert_eq!(" 0 / 3 ".parse::<Partition>().unwrap().to_string(), "0/3");
    for bad in ["", "2/2", "0/0", "1", "a/2", "-1/2", "0/5000", "1/2/3"] {
        assert!(bad.parse::<Partition>().is_err(), "{bad} accepted");
    }
    assert_eq!(Partition::WHOLE.name("case_list"), "case_list");
    assert_eq!(
        Partition::new(1, 2).unwrap().name("case_list"),
        "case_list-p1of2"
    );
}

#[test]
fn the_mapping_is_pinned_so_every_process_and_build_agrees() {
    // Values of FNV-1a + jump hash; a change here would move cases between running partitions.
    assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    // Published vectors of the jump hash (dgryski/go-jump, from the paper's reference code).
    assert_eq!(jump_hash(1, 1), 0);
    assert_eq!(jump_hash(42, 57), 43);
    assert_eq!(jump_hash(0xDEAD_10CC, 666), 361);
    assert_eq!(jump_hash(256, 1024), 520);
    let id = "0190a0b1-0000-7000-8000-000000000001";
    let pinned: Vec<u32> = (1..=5).map(|n| Partition::of_case(id, n)).collect();
    assert_eq!(pinned, PINNED);
    assert_eq!(Partition::of_case(id, 1), 0);
}

const PINNED: [u32; 5] = [0, 1, 2, 2, 2];

#[test]
fn cases_spread_evenly_and_growing_moves_few() {
    let ids: Vec<String> = (0..20_000).map(|_| Uuid::now_v7().to_string()).collect();
    let mut counts = [0usize; 4];
    for id in &ids {
        counts[Partition::of_case(id, 4) as usize] += 1;
    }
    for c in counts {
        assert!((4_500..=5_500).contains(&c), "unbalanced: {counts:?}");
    }
    let moved = ids
        .iter()
        .filter(|id| Partition::of_case(id, 4) != Partition::of_case(id, 5))
        .count();
    // Consistent: about 1/5 of the cases move from 4 to 5 partitions (a modulo would move 4/5).
    assert!((3_400..=4_600).contains(&moved), "moved {moved}");
}

#[derive(Debug, Default)]
struct Recorder {
    seen: Mutex<Vec<(String, u64)>>,
    fail_on: Option<(String, u64)>,
}

#[async_trait]
impl EventHandler for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    async fn checkpoint(&self) -> Result<Option<Checkpoint>, HandlerError> {
        Ok(None)
    }
    async fn handle(&self, d: &Delivery) -> Result<(), HandlerError> {
        let key = (d.event.stream_id.as_str().to_owned(), d.event.version);
        if self.fail_on.as_ref() == Some(&key) {
            return Err(HandlerError::Transient("down".into()));
        }
        self.seen.lock().unwrap().push(key);
        Ok(())
    }
}

fn deliveries(cases: &[String], per_case: u64) -> Vec<Delivery> {
    let mut out = Vec::new();
    let mut position = 0;
    for version in 1..=per_case {
        for case in cases {
            position += 1;
            out.push(Delivery {
                event: event(&format!("case-{case}"), version, position),
                attempt: 1,
            });
        }
    }
    out.push(Delivery {
        event: event("system-clock", 1, position + 1),
        attempt: 1,
    });
    out
}

#[tokio::test]
async fn two_partitions_apply_every_event_once_in_per_case_order() {
    let cases: Vec<String> = (0..50).map(|_| Uuid::now_v7().to_string()).collect();
    let all = deliveries(&cases, 3);
    let mut union: Vec<(String, u64)> = Vec::new();
    for index in 0..2 {
        let recorder = Arc::new(Recorder::default());
        let handler = PartitionedHandler::new(
            recorder.clone(),
            "case_list",
            Partition::new(index, 2).unwrap(),
        );
        assert_eq!(handler.name(), format!("case_list-p{index}of2"));
        handler.handle_batch(&all[..40]).await.unwrap();
        for d in &all[40..] {
            handler.handle(d).await.unwrap();
        }
        let seen = recorder.seen.lock().unwrap().clone();
        assert!(!seen.is_empty(), "partition {index} got nothing");
        for (stream, _) in &seen {
            let owner = stream
                .strip_prefix("case-")
                .map_or(0, |c| Partition::of_case(c, 2));
            assert_eq!(owner, index, "{stream} applied by the wrong partition");
        }
        for case in &cases {
            let versions: Vec<u64> = seen
                .iter()
                .filter(|(s, _)| s == &format!("case-{case}"))
                .map(|(_, v)| *v)
                .collect();
            assert!(
                versions.is_empty() || versions == [1, 2, 3],
                "{case}: {versions:?}"
            );
        }
        union.extend(seen);
    }
    union.sort();
    let before = union.len();
    union.dedup();
    assert_eq!(before, union.len(), "an event was applied twice");
    assert_eq!(union.len(), all.len(), "an event was applied by nobody");
}

#[tokio::test]
async fn a_failure_is_reported_at_its_index_in_the_whole_batch() {
    let cases: Vec<String> = (0..20).map(|_| Uuid::now_v7().to_string()).collect();
    let all = deliveries(&cases, 2);
    let partition = Partition::new(1, 2).unwrap();
    let target = all
        .iter()
        .rposition(|d| partition.owns(&d.event))
        .expect("partition 1 owns some event");
    let failing = &all[target].event;
    let recorder = Arc::new(Recorder {
        fail_on: Some((failing.stream_id.as_str().to_owned(), failing.version)),
        ..Recorder::default()
    });
    let handler = PartitionedHandler::new(recorder.clone(), "statistics", partition);
    let error = handler.handle_batch(&all).await.unwrap_err();
    assert_eq!(error.applied, target);
    let owned_before = all[..target]
        .iter()
        .filter(|d| partition.owns(&d.event))
        .count();
    assert_eq!(recorder.seen.lock().unwrap().len(), owned_before);
}
