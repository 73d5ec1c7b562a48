//! `petition audit compare-stream`: does the JetStream stream still hold exactly the store's events?
//!
//! The store is the truth, but the stream is an independent copy of it, written once by the relay and never
//! changed: every message carries the store checkpoint it came from, the event id and the store's hash chain
//! (`crate::cloudevents`). Comparing the two sides detects a store that was rewritten or truncated behind
//! the application's back (the stream still holds the original events and hashes), and a stream that lost,
//! gained, repeated or reordered messages.
//!
//! [`compare_stream`] walks both sides once, side by side, in the global order: the store through
//! `read_all` pages, the stream through an ephemeral ordered consumer, up to the stream's last sequence and
//! the store's head as they were when the comparison started. Both sides are streamed: memory holds one
//! store page, the messages in flight and the divergences not yet classified (bounded by
//! [`CompareOptions::max_pending`]), never the whole history.
//!
//! The two sides are merged on the checkpoint, the order key they share. A message whose checkpoint is the
//! next store event's is compared field by field with what the relay would publish for that event today
//! (subject, every CloudEvents header, the body). A message whose checkpoint the store does not hold is
//! looked up by event id, so an event the store moved is told apart from one it lost. Store events the
//! stream skipped are held as "missing" until the end, so one that shows up later is reported once, as out
//! of order. Store events after the last message the stream holds are not a divergence: the relay has not
//! published them yet ([`CompareReport::behind`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer::pull::OrderedConfig};
use futures::StreamExt;
use serde::{Serialize, Serializer};
use store::{Checkpoint, EventStore, RecordedEvent};
use uuid::Uuid;

use crate::cloudevents::{self, header};
use crate::route::Router;
use crate::{BusError, StreamSettings};

/// How a comparison runs. `Default` suits the command line.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Divergences kept in the report with their details (the first ones in the global order); all are
    /// counted whatever this is.
    pub examples: usize,
    /// Events read from the store per `read_all` page.
    pub page_size: usize,
    /// Store events the stream skipped, held until the end in case they appear later (out of order).
    /// Beyond this many, the oldest is reported as missing at once and the report is marked
    /// [`CompareReport::approximate`]: counts stay exact, only missing vs. out of order vs. duplicate may
    /// be misclassified.
    pub max_pending: usize,
    /// Longest wait for the next stream message before giving up (an operational error).
    pub message_timeout: Duration,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            examples: 20,
            page_size: 1000,
            max_pending: 100_000,
            message_timeout: Duration::from_secs(30),
        }
    }
}

/// What kind of difference between the store and the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DivergenceKind {
    /// A store event that the stream does not hold, although the stream holds later events.
    MissingFromStream,
    /// A message carrying an event the store does not hold (deleted from the store, or forged).
    MissingFromStore,
    /// A second message of an event the stream already holds.
    DuplicateInStream,
    /// An event the stream holds at another place than the store's global order puts it.
    OutOfOrder,
    /// At one checkpoint the store and the stream hold different events (different event ids).
    Replaced,
    /// Same event, different hash chain (`ce-hash` or `ce-prevhash`).
    HashDiffers,
    /// Same event and hash, but the payload, subject or another header differs.
    ContentDiffers,
    /// A message the relay did not write (no or unreadable checkpoint or event headers).
    MalformedMessage,
    /// Stream sequences with no message: messages deleted from the stream (counted per sequence).
    SequenceGap,
}

impl DivergenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingFromStream => "missing_from_stream",
            Self::MissingFromStore => "missing_from_store",
            Self::DuplicateInStream => "duplicate_in_stream",
            Self::OutOfOrder => "out_of_order",
            Self::Replaced => "replaced",
            Self::HashDiffers => "hash_differs",
            Self::ContentDiffers => "content_differs",
            Self::MalformedMessage => "malformed_message",
            Self::SequenceGap => "sequence_gap",
        }
    }
}

impl fmt::Display for DivergenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference, located on both sides as far as it can be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Divergence {
    pub kind: DivergenceKind,
    /// The stream message (for a [`DivergenceKind::SequenceGap`], the first missing sequence).
    pub stream_sequence: Option<u64>,
    /// The checkpoint in question: the store event's, or the one the message's header carries.
    #[serde(serialize_with = "optional_checkpoint")]
    pub checkpoint: Option<Checkpoint>,
    /// Where the store holds the event, when that differs from `checkpoint`.
    #[serde(serialize_with = "optional_checkpoint")]
    pub store_checkpoint: Option<Checkpoint>,
    /// 1-based rank of the store event in the global order (the stream sequence it should have).
    pub store_index: Option<u64>,
    pub event_id: Option<Uuid>,
    /// The event's stream (case) id.
    pub stream_id: Option<String>,
    /// Differing fields (`payload`, `subject`, header names) for hash and content differences.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    pub detail: String,
}

/// The outcome of a comparison, as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The stream holds exactly the store's events, each once, in order, unchanged.
    Identical,
    /// No divergence, but the relay has not published the store's latest events yet.
    Behind,
    /// At least one divergence.
    Divergent,
}

/// Everything a comparison found. `Display` is the human summary; `Serialize` is `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompareReport {
    pub verdict: Verdict,
    pub stream: String,
    pub store_backend: &'static str,
    /// The store's head when the comparison started; later events are not compared.
    #[serde(serialize_with = "checkpoint_string")]
    pub store_head: Checkpoint,
    /// The stream's last sequence when the comparison started; later messages are not compared.
    pub stream_last_sequence: u64,
    /// Store events up to `store_head`.
    pub store_events: u64,
    /// Stream messages read (up to `stream_last_sequence`).
    pub stream_messages: u64,
    /// Messages identical to their store event, at their place.
    pub identical: u64,
    /// Store events after the last one the stream holds: not yet published by the relay. Not a divergence.
    pub behind: u64,
    /// Every divergence, counted by kind (sequence gaps count one per missing sequence).
    pub counts: BTreeMap<DivergenceKind, u64>,
    /// The first [`CompareOptions::examples`] divergences, in the global order.
    pub divergences: Vec<Divergence>,
    /// True when more divergences were pending than [`CompareOptions::max_pending`] (see there).
    pub approximate: bool,
}

impl CompareReport {
    /// All divergences, of every kind.
    pub fn total_divergences(&self) -> u64 {
        self.counts.values().sum()
    }

    /// The process exit code: 0 identical (or only behind, unless `strict`), 1 divergent.
    pub fn exit_code(&self, strict: bool) -> i32 {
        match self.verdict {
            Verdict::Identical => 0,
            Verdict::Behind if !strict => 0,
            Verdict::Behind | Verdict::Divergent => 1,
        }
    }
}

fn checkpoint_string<S: Serializer>(c: &Checkpoint, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(c)
}

fn optional_checkpoint<S: Serializer>(c: &Option<Checkpoint>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.collect_str(c),
        None => s.serialize_none(),
    }
}

/// Compares the store with its JetStream copy; see the module documentation. Fails only on operational
/// errors (the store or the broker unreachable, no such stream); divergences are in the report.
pub async fn compare_stream(
    store: &dyn EventStore,
    js: &jetstream::Context,
    settings: &StreamSettings,
    options: &CompareOptions,
) -> Result<CompareReport, BusError> {
    let unavailable =
        |what: String, e: &dyn fmt::Display| BusError::Unavailable(format!("{what}: {e}"));
    let name = &settings.stream;
    let stream = js
        .get_stream_no_info(name)
        .await
        .map_err(|e| unavailable(format!("stream {name}"), &e))?;
    let info = stream
        .get_info()
        .await
        .map_err(|e| unavailable(format!("stream {name} info"), &e))?;
    // The stream first, then the store: everything the stream holds up to here is at or before the head.
    let last_sequence = info.state.last_sequence;
    let head = store.head().await?;
    let mut walk = Walk {
        store: StoreCursor::new(store, options.page_size),
        options,
        prefix: &settings.subject_prefix,
        router: Router::default(),
        report: CompareReport {
            verdict: Verdict::Identical,
            stream: name.clone(),
            store_backend: store.backend(),
            store_head: head,
            stream_last_sequence: last_sequence,
            store_events: 0,
            stream_messages: 0,
            identical: 0,
            behind: 0,
            counts: BTreeMap::new(),
            divergences: Vec::new(),
            approximate: false,
        },
        examples: BTreeMap::new(),
        serial: 0,
        pending: BTreeMap::new(),
        accounted: BTreeSet::new(),
        last_stream: None,
        next_sequence: 1,
    };
    if info.state.messages > 0 && last_sequence > 0 {
        let consumer = stream
            .create_consumer(OrderedConfig {
                description: Some("petition audit compare-stream".into()),
                ..Default::default()
            })
            .await
            .map_err(|e| unavailable(format!("ordered consumer on {name}"), &e))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| unavailable(format!("reading {name}"), &e))?;
        loop {
            let next = tokio::time::timeout(options.message_timeout, messages.next())
                .await
                .map_err(|_| {
                    BusError::Unavailable(format!(
                        "no message from {name} within {:?} (after sequence {})",
                        options.message_timeout,
                        walk.next_sequence - 1
                    ))
                })?;
            let message = match next {
                Some(Ok(message)) => message,
                Some(Err(e)) => return Err(unavailable(format!("reading {name}"), &e)),
                None => break,
            };
            let (sequence, pending) = {
                let info = message
                    .info()
                    .map_err(|e| unavailable(format!("message of {name}"), &e))?;
                (info.stream_sequence, info.pending)
            };
            if sequence > last_sequence {
                break;
            }
            walk.message(sequence, &message.message).await?;
            // `pending == 0`: nothing after this message (the tail up to `last_sequence` was deleted).
            if sequence == last_sequence || pending == 0 {
                break;
            }
        }
    }
    walk.finish().await
}

/// The store side: `read_all` pages, one event at a time, with the 1-based rank of each event.
struct StoreCursor<'a> {
    store: &'a dyn EventStore,
    page_size: usize,
    after: Checkpoint,
    buffer: VecDeque<RecordedEvent>,
    exhausted: bool,
    /// Events taken so far (the rank of the last one taken).
    taken: u64,
    /// The checkpoint of the last event taken.
    position: Option<Checkpoint>,
}

impl<'a> StoreCursor<'a> {
    fn new(store: &'a dyn EventStore, page_size: usize) -> Self {
        Self {
            store,
            page_size: page_size.max(1),
            after: Checkpoint::START,
            buffer: VecDeque::new(),
            exhausted: false,
            taken: 0,
            position: None,
        }
    }

    async fn peek(&mut self) -> Result<Option<&RecordedEvent>, BusError> {
        if self.buffer.is_empty() && !self.exhausted {
            let page = self.store.read_all(&self.after, self.page_size).await?;
            self.exhausted = page.events.is_empty();
            self.after = page.next;
            self.buffer.extend(page.events.into_iter().map(|mut e| {
                e.personal = None; // never compared (never published), never kept
                e
            }));
        }
        Ok(self.buffer.front())
    }

    async fn peek_checkpoint(&mut self) -> Result<Option<Checkpoint>, BusError> {
        Ok(self.peek().await?.map(RecordedEvent::checkpoint))
    }

    /// Takes the event `peek` returned.
    fn take(&mut self) -> Option<(u64, RecordedEvent)> {
        let event = self.buffer.pop_front()?;
        self.taken += 1;
        self.position = Some(event.checkpoint());
        Some((self.taken, event))
    }

    /// True when the walk has already passed `checkpoint`.
    fn passed(&self, checkpoint: Checkpoint) -> bool {
        self.position.is_some_and(|p| checkpoint <= p)
    }

    /// The store event at exactly `checkpoint`, if any (one `read_all` of one event).
    async fn at(&self, checkpoint: Checkpoint) -> Result<Option<RecordedEvent>, BusError> {
        let before = Checkpoint {
            transaction_id: checkpoint.transaction_id,
            global_position: checkpoint.global_position.saturating_sub(1),
        };
        let page = self.store.read_all(&before, 1).await?;
        Ok(page
            .events
            .into_iter()
            .find(|e| e.checkpoint() == checkpoint))
    }
}

/// The merge of both sides and what it found so far.
struct Walk<'a> {
    store: StoreCursor<'a>,
    options: &'a CompareOptions,
    prefix: &'a str,
    router: Router,
    report: CompareReport,
    /// The first divergences in the global order, keyed by (checkpoint, sequence, serial).
    examples: BTreeMap<(Checkpoint, u64, u64), Divergence>,
    serial: u64,
    /// Store events the stream skipped so far, by checkpoint, with their rank.
    pending: BTreeMap<Checkpoint, (u64, RecordedEvent)>,
    /// Store events ahead of the walk already reported (the stream holds them too early).
    accounted: BTreeSet<Checkpoint>,
    /// The highest checkpoint any message carried so far.
    last_stream: Option<Checkpoint>,
    /// The sequence the next message should have.
    next_sequence: u64,
}

impl Walk<'_> {
    async fn message(
        &mut self,
        sequence: u64,
        message: &async_nats::Message,
    ) -> Result<(), BusError> {
        self.report.stream_messages += 1;
        if sequence > self.next_sequence {
            self.gap(self.next_sequence, sequence - 1);
        }
        self.next_sequence = sequence + 1;
        let empty = HeaderMap::new();
        let headers = message.headers.as_ref().unwrap_or(&empty);
        let event = match cloudevents::decode(headers, &message.payload) {
            Ok(event) => event,
            Err(e) => {
                let at = self.last_stream.unwrap_or(Checkpoint::START);
                self.record_at(
                    at,
                    Divergence {
                        kind: DivergenceKind::MalformedMessage,
                        stream_sequence: Some(sequence),
                        checkpoint: cloudevents::checkpoint(headers).ok(),
                        store_checkpoint: None,
                        store_index: None,
                        event_id: cloudevents::get(headers, header::ID)
                            .and_then(|id| id.parse().ok()),
                        stream_id: cloudevents::get(headers, header::STREAM_ID).map(str::to_owned),
                        fields: Vec::new(),
                        detail: format!("not a relay-written event message: {}", e.0),
                    },
                    1,
                );
                return Ok(());
            }
        };
        let checkpoint = event.checkpoint();
        let forward = self.last_stream.is_none_or(|last| checkpoint > last);
        if forward {
            self.last_stream = Some(checkpoint);
            self.forward(sequence, message, event).await
        } else {
            self.backward(sequence, message, event).await
        }
    }

    /// A message after every earlier one in checkpoint order: the normal case.
    async fn forward(
        &mut self,
        sequence: u64,
        message: &async_nats::Message,
        event: RecordedEvent,
    ) -> Result<(), BusError> {
        let checkpoint = event.checkpoint();
        let Some(next) = self.store.peek_checkpoint().await? else {
            return self.not_in_store(sequence, event).await;
        };
        if next > checkpoint {
            return self.not_in_store(sequence, event).await;
        }
        if next < checkpoint && self.store.at(checkpoint).await?.is_none() {
            // A checkpoint the store never had: do not skip the store's events for it.
            return self.not_in_store(sequence, event).await;
        }
        // The store holds an event at `checkpoint`: every store event before it was skipped by the stream.
        while self.store.peek_checkpoint().await? < Some(checkpoint) {
            let Some((rank, skipped)) = self.store.take() else {
                break;
            };
            self.skipped(rank, skipped);
        }
        let Some((rank, stored)) = self.store.take() else {
            return self.not_in_store(sequence, event).await;
        };
        self.compare(sequence, message, rank, &stored, None).await
    }

    /// A message whose checkpoint is not after every earlier message's: late, repeated or forged.
    async fn backward(
        &mut self,
        sequence: u64,
        message: &async_nats::Message,
        event: RecordedEvent,
    ) -> Result<(), BusError> {
        let checkpoint = event.checkpoint();
        if let Some((rank, stored)) = self.pending.remove(&checkpoint) {
            if stored.event_id == event.event_id {
                let late = format!(
                    "comes after events that follow it in the store (expected at sequence {rank})"
                );
                return self
                    .compare(sequence, message, rank, &stored, Some(late))
                    .await;
            }
            self.pending.insert(checkpoint, (rank, stored));
        }
        match self.store.at(checkpoint).await? {
            Some(stored) if stored.event_id == event.event_id => {
                self.record(Divergence {
                    kind: DivergenceKind::DuplicateInStream,
                    stream_sequence: Some(sequence),
                    checkpoint: Some(checkpoint),
                    store_checkpoint: None,
                    store_index: None,
                    event_id: Some(event.event_id),
                    stream_id: Some(event.stream_id.to_string()),
                    fields: Vec::new(),
                    detail: "the stream already holds this event at an earlier sequence".into(),
                });
                Ok(())
            }
            _ => self.not_in_store(sequence, event).await,
        }
    }

    /// A message whose checkpoint the store does not hold (for this event): moved, repeated or lost?
    async fn not_in_store(&mut self, sequence: u64, event: RecordedEvent) -> Result<(), BusError> {
        let checkpoint = event.checkpoint();
        let elsewhere = self
            .store
            .store
            .read_stream(&event.stream_id)
            .await?
            .into_iter()
            .find(|e| e.event_id == event.event_id)
            .map(|e| e.checkpoint());
        let mut divergence = Divergence {
            kind: DivergenceKind::MissingFromStore,
            stream_sequence: Some(sequence),
            checkpoint: Some(checkpoint),
            store_checkpoint: elsewhere,
            store_index: None,
            event_id: Some(event.event_id),
            stream_id: Some(event.stream_id.to_string()),
            fields: Vec::new(),
            detail: format!(
                "the store does not hold this event ({} v{} {}): deleted from the store, or forged",
                event.stream_id, event.version, event.event_type
            ),
        };
        if let Some(found) = elsewhere {
            if self.store.passed(found) {
                if let Some((rank, _)) = self.pending.remove(&found) {
                    divergence.kind = DivergenceKind::OutOfOrder;
                    divergence.store_index = Some(rank);
                    divergence.detail = format!(
                        "the store holds this event at checkpoint {found} (sequence {rank}), the message says {checkpoint}"
                    );
                } else {
                    divergence.kind = DivergenceKind::DuplicateInStream;
                    divergence.detail = format!(
                        "the stream already holds this event (store checkpoint {found}); this copy says {checkpoint}"
                    );
                }
            } else {
                divergence.kind = DivergenceKind::OutOfOrder;
                divergence.detail = format!(
                    "the store holds this event later, at checkpoint {found}; the message says {checkpoint}"
                );
                self.account(found);
            }
        }
        self.record(divergence);
        Ok(())
    }

    /// Compares a message with the store event at its place.
    async fn compare(
        &mut self,
        sequence: u64,
        message: &async_nats::Message,
        rank: u64,
        stored: &RecordedEvent,
        late: Option<String>,
    ) -> Result<(), BusError> {
        let route = self.router.route(self.store.store, stored).await?;
        let expected = cloudevents::encode(self.prefix, stored, &route)
            .map_err(|e| BusError::Config(e.to_string()))?;
        let fields = differences(&expected, message, stored);
        let located = |kind, fields: Vec<String>, detail: String| Divergence {
            kind,
            stream_sequence: Some(sequence),
            checkpoint: Some(stored.checkpoint()),
            store_checkpoint: None,
            store_index: Some(rank),
            event_id: Some(stored.event_id),
            stream_id: Some(stored.stream_id.to_string()),
            fields,
            detail,
        };
        if let Some(late) = late {
            self.record(located(DivergenceKind::OutOfOrder, Vec::new(), late));
        } else if fields.is_empty() {
            self.report.identical += 1;
        }
        if fields.is_empty() {
            return Ok(());
        }
        let has = |name: &str| fields.iter().any(|f| f == name);
        let (kind, detail) = if has(header::ID) {
            let theirs = cloudevents::get(
                message.headers.as_ref().unwrap_or(&HeaderMap::new()),
                header::ID,
            )
            .unwrap_or_default()
            .to_owned();
            (
                DivergenceKind::Replaced,
                format!(
                    "the store holds event {} here, the stream {theirs}",
                    stored.event_id
                ),
            )
        } else if has(header::HASH) || has(header::PREV_HASH) {
            (
                DivergenceKind::HashDiffers,
                format!("hash chain differs ({})", fields.join(", ")),
            )
        } else {
            (
                DivergenceKind::ContentDiffers,
                format!("differs in {}", fields.join(", ")),
            )
        };
        self.record(located(kind, fields, detail));
        Ok(())
    }

    /// A store event the stream passed over; missing unless it shows up later.
    fn skipped(&mut self, rank: u64, event: RecordedEvent) {
        let checkpoint = event.checkpoint();
        if self.accounted.remove(&checkpoint) {
            return; // the stream held it earlier, already reported as out of order
        }
        self.pending.insert(checkpoint, (rank, event));
        if self.pending.len() > self.options.max_pending.max(1) {
            self.report.approximate = true;
            if let Some((_, (rank, event))) = self.pending.pop_first() {
                self.missing(rank, &event);
            }
        }
    }

    fn account(&mut self, checkpoint: Checkpoint) {
        self.accounted.insert(checkpoint);
        if self.accounted.len() > self.options.max_pending.max(1) {
            self.report.approximate = true;
            self.accounted.pop_first();
        }
    }

    fn missing(&mut self, rank: u64, event: &RecordedEvent) {
        self.record(Divergence {
            kind: DivergenceKind::MissingFromStream,
            stream_sequence: None,
            checkpoint: Some(event.checkpoint()),
            store_checkpoint: None,
            store_index: Some(rank),
            event_id: Some(event.event_id),
            stream_id: Some(event.stream_id.to_string()),
            fields: Vec::new(),
            detail: format!(
                "store event {rank} ({} v{} {}) is not in the stream",
                event.stream_id, event.version, event.event_type
            ),
        });
    }

    fn gap(&mut self, first: u64, last: u64) {
        let at = self.last_stream.unwrap_or(Checkpoint::START);
        let detail = if first == last {
            format!("no message at sequence {first} (deleted from the stream)")
        } else {
            format!("no messages at sequences {first}..={last} (deleted from the stream)")
        };
        self.record_at(
            at,
            Divergence {
                kind: DivergenceKind::SequenceGap,
                stream_sequence: Some(first),
                checkpoint: None,
                store_checkpoint: None,
                store_index: None,
                event_id: None,
                stream_id: None,
                fields: Vec::new(),
                detail,
            },
            last - first + 1,
        );
    }

    fn record(&mut self, divergence: Divergence) {
        let at = divergence
            .checkpoint
            .or(self.last_stream)
            .unwrap_or(Checkpoint::START);
        self.record_at(at, divergence, 1);
    }

    /// Counts a divergence and keeps it if it is among the first `examples` in the global order.
    fn record_at(&mut self, at: Checkpoint, divergence: Divergence, count: u64) {
        *self.report.counts.entry(divergence.kind).or_default() += count;
        if self.options.examples == 0 {
            return;
        }
        self.serial += 1;
        let key = (
            at,
            divergence.stream_sequence.unwrap_or(u64::MAX),
            self.serial,
        );
        self.examples.insert(key, divergence);
        if self.examples.len() > self.options.examples {
            self.examples.pop_last();
        }
    }

    async fn finish(mut self) -> Result<CompareReport, BusError> {
        let last = self.report.stream_last_sequence;
        if self.next_sequence <= last {
            self.gap(self.next_sequence, last);
        }
        for (_, (rank, event)) in std::mem::take(&mut self.pending) {
            self.missing(rank, &event);
        }
        let head = self.report.store_head;
        while let Some(next) = self.store.peek_checkpoint().await? {
            if next > head {
                break;
            }
            self.store.take();
            if !self.accounted.remove(&next) {
                self.report.behind += 1;
            }
        }
        let mut report = self.report;
        report.store_events = self.store.taken;
        report.divergences = self.examples.into_values().collect();
        report.verdict = if report.total_divergences() > 0 {
            Verdict::Divergent
        } else if report.behind > 0 {
            Verdict::Behind
        } else {
            Verdict::Identical
        };
        Ok(report)
    }
}

/// The fields in which `message` differs from what the relay publishes for the store event today.
fn differences(
    expected: &cloudevents::Outgoing,
    message: &async_nats::Message,
    stored: &RecordedEvent,
) -> Vec<String> {
    let empty = HeaderMap::new();
    let actual = message.headers.as_ref().unwrap_or(&empty);
    let mut fields = Vec::new();
    // The identity and the hash chain first, so they lead the list.
    let mut names: Vec<&str> = vec![header::ID, header::HASH, header::PREV_HASH];
    let mut rest: Vec<&str> = expected
        .headers
        .iter()
        .map(|(name, _)| name.as_ref())
        .filter(|name| !names.contains(name))
        .collect();
    rest.sort_unstable();
    names.extend(rest);
    for name in names {
        if cloudevents::get(&expected.headers, name) != cloudevents::get(actual, name) {
            fields.push(name.to_owned());
        }
    }
    let mut extra: Vec<String> = actual
        .iter()
        .map(|(name, _)| name.to_string())
        .filter(|name| {
            !name.to_ascii_lowercase().starts_with("nats-")
                && cloudevents::get(&expected.headers, name).is_none()
        })
        .collect();
    extra.sort_unstable();
    fields.extend(extra);
    if message.subject.as_str() != expected.subject {
        fields.push("subject".into());
    }
    let body: Option<serde_json::Value> = serde_json::from_slice(&message.payload).ok();
    if body.as_ref() != Some(&stored.payload) {
        fields.push("payload".into());
    }
    fields
}

impl fmt::Display for CompareReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.verdict {
            Verdict::Identical => {
                "IDENTICAL: the stream holds every store event once, in order, unchanged".to_owned()
            }
            Verdict::Behind => format!(
                "BEHIND: no divergence; the stream is behind the store by {} event(s) (the relay has not caught up)",
                self.behind
            ),
            Verdict::Divergent => format!(
                "DIVERGENT: {} divergence(s) between the store and the stream",
                self.total_divergences()
            ),
        };
        writeln!(f, "{verdict}")?;
        writeln!(
            f,
            "store ({}) head {}: {} events · stream {} last sequence {}: {} messages read · {} identical · behind {}",
            self.store_backend,
            self.store_head,
            self.store_events,
            self.stream,
            self.stream_last_sequence,
            self.stream_messages,
            self.identical,
            self.behind
        )?;
        if self.counts.is_empty() {
            return Ok(());
        }
        writeln!(f, "divergences by kind:")?;
        for (kind, count) in &self.counts {
            writeln!(f, "  {:<22} {count:>10}", kind.as_str())?;
        }
        if self.approximate {
            writeln!(
                f,
                "  (too many pending differences: missing / out of order / duplicate may be misclassified)"
            )?;
        }
        writeln!(
            f,
            "first {} divergence(s), in the global order:",
            self.divergences.len()
        )?;
        writeln!(
            f,
            "  {:<20} {:>10} {:>22} {:>8} {:<36} DETAIL",
            "KIND", "SEQUENCE", "CHECKPOINT", "INDEX", "EVENT"
        )?;
        let dash = || "-".to_owned();
        for d in &self.divergences {
            writeln!(
                f,
                "  {:<20} {:>10} {:>22} {:>8} {:<36} {}",
                d.kind.as_str(),
                d.stream_sequence.map_or_else(dash, |s| s.to_string()),
                d.checkpoint.map_or_else(dash, |c| c.to_string()),
                d.store_index.map_or_else(dash, |i| i.to_string()),
                d.event_id.map_or_else(dash, |e| e.to_string()),
                d.detail
            )?;
        }
        Ok(())
    }
}
