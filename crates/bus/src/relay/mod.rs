//! The outbox relay: publishes every committed event to JetStream, in the store's global order, once.
//!
//! The relay keeps no state of its own. Each message carries the store checkpoint it came from, so on start
//! (and after any publish error) the relay reads the stream's last message and continues after it: a
//! crash loses nothing and duplicates nothing. Commands never wait for it: when NATS is down the store keeps
//! accepting events and the relay catches up when NATS returns. `run_once` publishes up to `batch` events
//! through a window of acknowledgements in flight (what tests call); `run` adds the lease, idling, backoff
//! and shutdown. Design: `docs/adr/0006-relay-and-subjects.md`.

mod lease;
mod publish;
mod read_ahead;
mod window;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use store::{Checkpoint, EventStore, RecordedEvent};
use tokio::sync::{Mutex, watch};

pub use lease::LeaseConfig;
pub use window::MAX_WINDOW;

use crate::route::Router;
use crate::{BusError, StreamSettings, cloudevents};
use lease::Lease;
use publish::{Cursor, resync};
use read_ahead::ReadAhead;
use window::{Ready, Window};

/// How the relay publishes. `Default` is right for production; tests shorten the lease and idle times.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub stream: StreamSettings,
    /// Unacknowledged publishes in flight (default 1024, at most [`MAX_WINDOW`]). The window stays full
    /// across store pages; a larger one keeps the broker busier while acknowledgements travel back.
    pub window: usize,
    /// Events per store read (default 1000); the next page is read while this one is published.
    pub page_size: usize,
    /// Most events one `run_once` publishes (default 20,000) before it waits for the last
    /// acknowledgement and returns; `run` checks the lease and shutdown between runs. A run also reads
    /// no further page once a quarter of the lease TTL has passed, so the lease is renewed in time.
    pub batch: usize,
    /// Sleep when caught up (default 100 ms): the upper bound this adds to end-to-end latency.
    pub idle: Duration,
    /// Longest sleep between retries while NATS or the store fails (default 10 s).
    pub max_backoff: Duration,
    pub lease: LeaseConfig,
    /// Written into the lease so operators see who publishes; defaults to a random id.
    pub instance_id: String,
    /// Wakes the caught-up relay as soon as an append commits in this process (see
    /// [`feed::SignallingStore`]), so `idle` is no longer a floor under end-to-end latency.
    pub wake: Option<watch::Receiver<u64>>,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            stream: StreamSettings::default(),
            window: 1024,
            page_size: 1000,
            batch: 20_000,
            idle: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            lease: LeaseConfig::default(),
            instance_id: format!("relay-{}", uuid::Uuid::new_v4()),
            wake: None,
        }
    }
}

/// What one `run_once` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayOutcome {
    /// Events newly acknowledged by JetStream in this run.
    pub published: usize,
    /// The stream's last sequence, as far as this relay knows.
    pub stream_sequence: u64,
    /// The store checkpoint of the stream's last message.
    pub checkpoint: Checkpoint,
    /// True when the store had nothing more to publish at the time of reading.
    pub caught_up: bool,
}

/// The relay. Cheap to share (`Arc`); `run_once` calls are serialised internally.
#[derive(Debug)]
pub struct Relay {
    store: Arc<dyn EventStore>,
    js: jetstream::Context,
    config: RelayConfig,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// `None` until synced with the stream, and again after any publish error.
    cursor: Option<Cursor>,
    router: Router,
}

impl Relay {
    pub fn new(store: Arc<dyn EventStore>, js: jetstream::Context, config: RelayConfig) -> Self {
        Self {
            store,
            js,
            config,
            state: Mutex::new(State::default()),
        }
    }

    /// Publishes what the store holds after the stream's last event, up to `batch` events, without the
    /// lease. Call [`crate::ensure_stream`] first. Pages of `page_size` events are read from the store
    /// while the previous page is being published, and the window of acknowledgements stays full across
    /// pages; the run ends once every publish is acknowledged, so the outcome's checkpoint is the last
    /// event JetStream stored. After an error the next call re-syncs from the stream head.
    pub async fn run_once(&self) -> Result<RelayOutcome, BusError> {
        let mut state = self.state.lock().await;
        let state = &mut *state;
        let cursor = match state.cursor.take() {
            Some(cursor) => cursor,
            None => resync(&self.js, self.store.as_ref(), &self.config.stream.stream).await?,
        };
        let mut window = Window::new(&self.js, cursor, self.config.window);
        let sent = self.publish_run(&mut state.router, &mut window).await;
        let result = match sent {
            Ok(caught_up) => window.drain().await.map(|()| caught_up),
            Err(e) => Err(e),
        };
        if let Ok(head) = self.store.head().await {
            crate::metrics::lag(head.global_position, window.cursor.after.global_position);
        }
        // The cursor is kept only when everything sent was acknowledged; otherwise re-sync next time.
        let caught_up = result?;
        state.cursor = Some(window.cursor);
        Ok(RelayOutcome {
            published: window.published,
            stream_sequence: window.cursor.last_sequence,
            checkpoint: window.cursor.after,
            caught_up,
        })
    }

    /// Reads and sends up to `batch` events after the window's cursor; true when the store had nothing
    /// more at the time of the last read. Each page is read (and its rows decoded) by a task of its own
    /// while the page before it is encoded and sent, so on a multi-core runtime the two overlap.
    async fn publish_run(
        &self,
        router: &mut Router,
        window: &mut Window<'_>,
    ) -> Result<bool, BusError> {
        let (page_size, batch) = (self.config.page_size.max(1), self.config.batch.max(1));
        // However fast or slow publishing is, `run` gets back in time to renew the lease.
        let deadline = Instant::now() + self.config.lease.ttl / 4;
        let mut limit = page_size.min(batch);
        let mut page = self.store.read_all(&window.cursor.after, limit).await?;
        let mut read = page.events.len();
        loop {
            let full = page.events.len() >= limit;
            let next = match page.events.last() {
                Some(last) if full && read < batch && Instant::now() < deadline => {
                    limit = page_size.min(batch - read);
                    Some(ReadAhead::spawn(
                        self.store.clone(),
                        last.checkpoint(),
                        limit,
                    ))
                }
                _ => None,
            };
            self.send_page(router, window, page.events).await?;
            let Some(next) = next else {
                return Ok(!full);
            };
            page = next.page().await?;
            read += page.events.len();
        }
    }

    /// Routes, encodes and sends one page, in order, a burst at a time.
    async fn send_page(
        &self,
        router: &mut Router,
        window: &mut Window<'_>,
        events: Vec<RecordedEvent>,
    ) -> Result<(), BusError> {
        let prefix = &self.config.stream.subject_prefix;
        let burst = window.burst();
        let mut ready = Vec::with_capacity(burst);
        for event in events {
            let route = router.route(self.store.as_ref(), &event).await?;
            let out = cloudevents::encode(prefix, &event, &route)
                .map_err(|e| BusError::Config(e.to_string()))?;
            ready.push(Ready {
                event_id: event.event_id,
                checkpoint: event.checkpoint(),
                out,
            });
            if ready.len() >= burst {
                window.send(&mut ready).await?;
            }
        }
        window.send(&mut ready).await
    }

    /// Runs until `shutdown` turns true: holds the lease (or stands by until it can take it over),
    /// publishes, sleeps when caught up and backs off on errors. Returns only on shutdown.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) -> Result<(), BusError> {
        let config = &self.config;
        let mut config_wake = config.wake.clone();
        let mut backoff = config.idle;
        // Creating the streams here too lets `petition serve` start while NATS is down: the relay
        // keeps retrying in the background and sets everything up once NATS is reachable.
        let mut lease = loop {
            let opened = async {
                crate::ensure_stream(&self.js, &config.stream).await?;
                Lease::open(
                    &self.js,
                    config.lease.clone(),
                    config.stream.replicas,
                    config.instance_id.clone(),
                )
                .await
            };
            // Requests to an unreachable server can wait long; shutdown must not.
            let opened = tokio::select! {
                result = opened => result,
                _ = shutdown.wait_for(|stop| *stop) => return Ok(()),
            };
            match opened {
                Ok(lease) => break lease,
                Err(e) => {
                    tracing::warn!(error = %e, "relay cannot reach NATS yet; retrying");
                    backoff = (backoff * 2).min(config.max_backoff);
                    if pause(&mut shutdown, backoff).await {
                        return Ok(());
                    }
                }
            }
        };
        let standby_poll = config.lease.ttl / 3;
        loop {
            if *shutdown.borrow() {
                lease.release().await;
                return Ok(());
            }
            if (!lease.held() || lease.renewal_due())
                && let Err(e) = lease.acquire_or_renew().await
            {
                tracing::warn!(error = %e, "relay lease unavailable");
            }
            if !lease.held() {
                metrics::gauge!(crate::metrics::RELAY_LEADER).set(0.0);
                // Another relay may publish meanwhile: forget our cursor so we re-sync on takeover.
                self.state.lock().await.cursor = None;
                if pause(&mut shutdown, standby_poll.max(config.idle)).await {
                    return Ok(());
                }
                continue;
            }
            metrics::gauge!(crate::metrics::RELAY_LEADER).set(1.0);
            let wait = match self.run_once().await {
                Ok(outcome) if !outcome.caught_up => {
                    backoff = config.idle;
                    Duration::ZERO
                }
                Ok(_) => {
                    backoff = config.idle;
                    config.idle
                }
                // A stream that belongs to another store will not heal by waiting: stop loudly.
                Err(e @ BusError::Config(_)) => {
                    tracing::error!(error = %e, "relay refuses to publish");
                    lease.release().await;
                    return Err(e);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "relay publish failed; re-syncing after a pause");
                    backoff = (backoff * 2).min(config.max_backoff);
                    backoff
                }
            };
            // Only a caught-up relay is woken early; error backoff keeps its full pause.
            let wake = if wait == config.idle {
                config_wake.as_mut()
            } else {
                None
            };
            if !wait.is_zero() && pause_or_wake(&mut shutdown, wake, wait).await {
                lease.release().await;
                return Ok(());
            }
        }
    }
}

/// Like [`pause`], but also returns early when an append is signalled.
async fn pause_or_wake(
    shutdown: &mut watch::Receiver<bool>,
    wake: Option<&mut watch::Receiver<u64>>,
    wait: Duration,
) -> bool {
    if wake.is_none() {
        return pause(shutdown, wait).await;
    }
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = feed::next_signal(wake) => {}
        changed = shutdown.changed() => {
            if changed.is_err() {
                return true;
            }
        }
    }
    *shutdown.borrow()
}

/// Sleeps for `wait` or until shutdown; true when shutting down.
async fn pause(shutdown: &mut watch::Receiver<bool>, wait: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        changed = shutdown.changed() => {
            if changed.is_err() {
                return true;
            }
        }
    }
    *shutdown.borrow()
}
