//! The consumer each read model is fed by: it hands what its source delivers at once (a page of the store
//! tail) to the batch step (`batch.rs`) as one transaction, keeping the cases it folded in memory for the
//! next page (validated against the stored snapshots' versions first, see `batch.rs`).

use std::sync::Arc;

use async_trait::async_trait;
use feed::{BatchError, Delivery, EventHandler, HandlerError};
use store::{Checkpoint, RecordedEvent};
use tokio::sync::Mutex;

use crate::batch::{FoldCache, LIVE_CACHE, Target};
use crate::model::Model;
use crate::{ProjectionError, Projections};

impl Projections {
    /// The consumers to run, one per read model.
    pub fn handlers(&self) -> Vec<Arc<dyn EventHandler>> {
        self.partition_handlers(feed::Partition::WHOLE)
    }

    /// The consumers of one partition of the cases, one per read model: each applies only its
    /// partition's cases and keeps its own checkpoint (`case_list-p0of2`). Every partition of the same
    /// count must run for the read models to be complete; [`feed::Partition::WHOLE`] is [`Self::handlers`].
    pub fn partition_handlers(&self, partition: feed::Partition) -> Vec<Arc<dyn EventHandler>> {
        Model::ALL
            .into_iter()
            .map(|model| {
                let projector = Arc::new(Projector {
                    projections: self.clone(),
                    model,
                    checkpoint_name: partition.name(model.name()),
                    cache: Mutex::new(FoldCache::new(LIVE_CACHE)),
                });
                if partition == feed::Partition::WHOLE {
                    projector as Arc<dyn EventHandler>
                } else {
                    Arc::new(feed::PartitionedHandler::new(
                        projector,
                        model.name(),
                        partition,
                    ))
                }
            })
            .collect()
    }

    /// Applies a slice of events to every live read model, in batches (tests, tools and benchmarks).
    pub async fn apply_all(&self, events: &[RecordedEvent]) -> Result<usize, ProjectionError> {
        let mut applied = 0;
        for model in Model::ALL {
            let mut cache = FoldCache::new(LIVE_CACHE);
            let events: Vec<&RecordedEvent> = events.iter().collect();
            for chunk in events.chunks(1000) {
                applied += self
                    .apply_batch(&[model], model.name(), chunk, Target::Live, &mut cache)
                    .await?;
            }
        }
        Ok(applied)
    }

    /// The checkpoint a read model has reached.
    pub async fn checkpoint(&self, model: Model) -> Result<Option<Checkpoint>, ProjectionError> {
        self.checkpoint_named(model.name()).await
    }

    /// The checkpoint stored under `name` (a read model's, or one partition's: `case_list-p0of2`).
    pub async fn checkpoint_named(
        &self,
        name: &str,
    ) -> Result<Option<Checkpoint>, ProjectionError> {
        Ok(self
            .db
            .checkpoint(name)
            .await?
            .map(|r| r.checkpoint)
            .filter(|c| *c != Checkpoint::START))
    }
}

/// The consumer of one read model.
#[derive(Debug)]
pub struct Projector {
    projections: Projections,
    model: Model,
    /// The model's name, or its partition's when partitioned by case.
    checkpoint_name: String,
    /// The cases folded by earlier batches, as committed; one batch at a time holds it.
    cache: Mutex<FoldCache>,
}

#[async_trait]
impl EventHandler for Projector {
    fn name(&self) -> &str {
        self.model.name()
    }

    async fn checkpoint(&self) -> Result<Option<Checkpoint>, HandlerError> {
        self.projections
            .checkpoint_named(&self.checkpoint_name)
            .await
            .map_err(HandlerError::from)
    }

    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        self.apply(std::slice::from_ref(&delivery.event))
            .await
            .map_err(HandlerError::from)
    }

    /// The whole slice in one transaction (one checkpoint write, each touched case loaded and rewritten
    /// once). If it fails permanently (a gap, an undecodable event), the slice is applied again one
    /// event at a time, so the events before the bad one are committed and the error names the right one,
    /// exactly as with single deliveries. A transient failure commits nothing: the source hands the whole
    /// slice again.
    async fn handle_batch(&self, deliveries: &[Delivery]) -> Result<(), BatchError> {
        let events: Vec<&RecordedEvent> = deliveries.iter().map(|d| &d.event).collect();
        let error = match self.apply_refs(&events).await {
            Ok(()) => return Ok(()),
            Err(e) => HandlerError::from(e),
        };
        if deliveries.len() == 1 || matches!(error, HandlerError::Transient(_)) {
            return Err(BatchError { applied: 0, error });
        }
        for (applied, event) in events.iter().enumerate() {
            self.apply_refs(std::slice::from_ref(event))
                .await
                .map_err(|e| BatchError {
                    applied,
                    error: HandlerError::from(e),
                })?;
        }
        Ok(())
    }
}

impl Projector {
    async fn apply(&self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        let events: Vec<&RecordedEvent> = events.iter().collect();
        self.apply_refs(&events).await
    }

    /// Folds cached by earlier batches are used only where the stored snapshot is still at their version
    /// (another instance of this consumer may have moved the read model since).
    async fn apply_refs(&self, events: &[&RecordedEvent]) -> Result<(), ProjectionError> {
        let mut cache = self.cache.lock().await;
        self.projections
            .apply_batch(
                &[self.model],
                &self.checkpoint_name,
                events,
                Target::Live,
                &mut cache,
            )
            .await
            .map(|_| ())
    }
}
