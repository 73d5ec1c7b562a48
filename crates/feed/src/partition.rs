//! Sharing one consumer's work between processes, **partitioned by case**: partition `i` of `n` handles the
//! events of the cases that hash to `i` and acknowledges the others untouched, so every case is applied by
//! exactly one process, in its own order, while the processes run side by side.
//!
//! The subjects carry agency, kind and event type but no case id, so JetStream filter subjects cannot split
//! by case; each partition is instead its own durable consumer (`<name>-p<i>of<n>`) reading the whole
//! stream, and the case id is mapped to a partition by Lamping and Veach's jump consistent hash over the
//! FNV-1a hash of the id (stable across processes, builds and platforms; growing `n` to `n + 1` moves only
//! about `1 / (n + 1)` of the cases). Events of other streams (not `case-…`) belong to partition 0.
//!
//! A partitioned handler keeps its own checkpoint (under its own name), because a checkpoint shared with
//! the other partitions would make each skip the others' events as "already applied". See ADR
//! `docs/adr/0019-cluster-read-model-partitions.md`.

use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use store::{Checkpoint, RecordedEvent};

use crate::{BatchError, Delivery, EventHandler, HandlerError};

/// Partition `index` of `count` (`0 <= index < count`), written `index/count` in settings (`0/2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partition {
    index: u32,
    count: u32,
}

/// Why a partition setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a partition is `index/count` with 0 <= index < count <= 1024 (e.g. `0/2`), not `{0}`")]
pub struct PartitionError(String);

impl Partition {
    /// The one partition of an unpartitioned deployment.
    pub const WHOLE: Partition = Partition { index: 0, count: 1 };

    pub fn new(index: u32, count: u32) -> Result<Self, PartitionError> {
        if count == 0 || count > 1024 || index >= count {
            return Err(PartitionError(format!("{index}/{count}")));
        }
        Ok(Self { index, count })
    }

    pub fn index(self) -> u32 {
        self.index
    }

    pub fn count(self) -> u32 {
        self.count
    }

    /// The durable consumer (and checkpoint) name of this partition of `base`: `base` itself when whole.
    pub fn name(self, base: &str) -> String {
        if self.count == 1 {
            base.to_owned()
        } else {
            format!("{base}-p{}of{}", self.index, self.count)
        }
    }

    /// The partition a case id belongs to.
    pub fn of_case(case_id: &str, count: u32) -> u32 {
        jump_hash(fnv1a(case_id.as_bytes()), count)
    }

    /// Whether this partition handles the case.
    pub fn owns_case(self, case_id: &str) -> bool {
        Self::of_case(case_id, self.count) == self.index
    }

    /// Whether this partition handles the event: its case's partition, or partition 0 for other streams.
    pub fn owns(self, event: &RecordedEvent) -> bool {
        match event.stream_id.as_str().strip_prefix("case-") {
            Some(case_id) => self.owns_case(case_id),
            None => self.index == 0,
        }
    }
}

impl FromStr for Partition {
    type Err = PartitionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let refused = || PartitionError(s.to_owned());
        let (index, count) = s.trim().split_once('/').ok_or_else(refused)?;
        let index = index.trim().parse().map_err(|_| refused())?;
        let count = count.trim().parse().map_err(|_| refused())?;
        Self::new(index, count).map_err(|_| refused())
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// 64-bit FNV-1a.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Jump consistent hash (Lamping, Veach 2014): a bucket in `0..buckets`.
fn jump_hash(mut key: u64, buckets: u32) -> u32 {
    let (mut b, mut j): (i64, i64) = (-1, 0);
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        let shifted = ((key >> 33) + 1) as f64;
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / shifted)) as i64;
    }
    u32::try_from(b).unwrap_or(0)
}

/// Wraps a handler so that it applies only its partition's events; the others are acknowledged unapplied.
/// `inner` must keep its checkpoint under the partition's name (see the module documentation).
#[derive(Debug)]
pub struct PartitionedHandler {
    inner: Arc<dyn EventHandler>,
    partition: Partition,
    name: String,
}

impl PartitionedHandler {
    /// `base` is the handler's unpartitioned name; the durable consumer is [`Partition::name`] of it.
    pub fn new(inner: Arc<dyn EventHandler>, base: &str, partition: Partition) -> Self {
        Self {
            inner,
            partition,
            name: partition.name(base),
        }
    }
}

#[async_trait]
impl EventHandler for PartitionedHandler {
    fn name(&self) -> &str {
        &self.name
    }

    async fn checkpoint(&self) -> Result<Option<Checkpoint>, HandlerError> {
        self.inner.checkpoint().await
    }

    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        if self.partition.owns(&delivery.event) {
            self.inner.handle(delivery).await
        } else {
            Ok(())
        }
    }

    async fn handle_batch(&self, deliveries: &[Delivery]) -> Result<(), BatchError> {
        let owned: Vec<usize> = (0..deliveries.len())
            .filter(|i| self.partition.owns(&deliveries[*i].event))
            .collect();
        let mine: Vec<Delivery> = owned.iter().map(|i| deliveries[*i].clone()).collect();
        if mine.is_empty() {
            return Ok(());
        }
        self.inner
            .handle_batch(&mine)
            .await
            .map_err(|e| BatchError {
                // Deliveries before the failed owned one were applied or were not ours to apply.
                applied: owned.get(e.applied).copied().unwrap_or(deliveries.len()),
                error: e.error,
            })
    }
}

#[cfg(test)]
#[path = "partition_tests.rs"]
mod tests;
