//! The relay's read-ahead: the next store page is read, and its rows decoded, by a task of its own while
//! the current page is encoded and sent, so the two overlap on a multi-core runtime.

use std::sync::Arc;

use store::{Checkpoint, EventStore, Page, StoreError};

use crate::BusError;

/// A store page being read by a task of its own; dropping it (when publishing failed) cancels the read.
pub(super) struct ReadAhead(tokio::task::JoinHandle<Result<Page, StoreError>>);

impl ReadAhead {
    pub(super) fn spawn(store: Arc<dyn EventStore>, after: Checkpoint, limit: usize) -> Self {
        Self(tokio::spawn(
            async move { store.read_all(&after, limit).await },
        ))
    }

    pub(super) async fn page(mut self) -> Result<Page, BusError> {
        match (&mut self.0).await {
            Ok(page) => Ok(page?),
            Err(e) => Err(BusError::Unavailable(format!("reading the store: {e}"))),
        }
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        self.0.abort();
    }
}
