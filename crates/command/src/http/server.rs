//! The HTTP/1.1 server under the router: hyper's connection builder with a header-read timeout, and a
//! connection cap kept below the process's file-descriptor limit.
//!
//! `axum::serve` exposes neither, so connections are accepted here and each is served by hyper directly.
//! hyper starts its header-read timer whenever a connection waits for a request head, so the same timer
//! cuts off slow headers and closes idle keep-alive connections (and connections that never send a byte).
//!
//! At the cap, the oldest connection with no request in progress (idle, or still sending its headers) is
//! closed to make room for the new one; only when every connection has a request in progress is the new
//! one refused (closed at once). A flood of idle sockets therefore cannot keep `/health` from answering,
//! and the process never runs out of descriptors for its database and log files.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc, watch};
use tower::ServiceExt;

use super::HttpConfig;

/// Descriptors kept free for everything but client connections: database pool, files, NATS, SMTP.
pub const RESERVED_FDS: usize = 128;

/// The connection cap actually applied: the configured one, lowered below the soft `RLIMIT_NOFILE`.
pub fn effective_max_connections(configured: usize) -> usize {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    match soft.and_then(|s| usize::try_from(s).ok()) {
        Some(limit) if configured + RESERVED_FDS > limit => {
            let lowered = limit.saturating_sub(RESERVED_FDS).max(16);
            tracing::warn!(
                configured,
                lowered,
                fd_limit = limit,
                "the connection cap exceeds the file-descriptor limit; lowered (raise LimitNOFILE)"
            );
            lowered
        }
        _ => configured,
    }
}

/// One open connection, as the cap sees it.
#[derive(Debug, Default)]
struct Slot {
    /// Requests of this connection being answered right now.
    in_flight: AtomicUsize,
    /// Notified when the connection is closed to make room for a newer one.
    evict: Notify,
}

/// Open connections by age (the id grows with every accept).
#[derive(Debug, Default)]
struct Connections {
    next_id: u64,
    open: BTreeMap<u64, Arc<Slot>>,
}

impl Connections {
    /// Makes room for one more connection under `max`; `None` refuses it.
    fn admit(&mut self, max: usize) -> Option<(u64, Arc<Slot>)> {
        if self.open.len() >= max {
            let idle = self
                .open
                .iter()
                .find(|(_, slot)| slot.in_flight.load(Ordering::Acquire) == 0)
                .map(|(id, _)| *id)?;
            if let Some(slot) = self.open.remove(&idle) {
                slot.evict.notify_one();
            }
        }
        self.next_id += 1;
        let slot = Arc::new(Slot::default());
        self.open.insert(self.next_id, slot.clone());
        Some((self.next_id, slot))
    }
}

/// Counts a request of a connection as in progress until dropped.
struct InFlight(Arc<Slot>);

impl InFlight {
    fn new(slot: Arc<Slot>) -> Self {
        slot.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(slot)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `app` on `listener` with the limits of `config` until `shutdown` completes, then lets every
/// connection finish its request in progress and closes it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    config: &HttpConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max = effective_max_connections(config.max_connections);
    let header_timeout = config.header_read_timeout;
    let connections = Arc::new(Mutex::new(Connections::default()));
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection task holds a sender; when all are gone the drain is complete.
    let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
        };
        let admitted = connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .admit(max);
        let Some((id, slot)) = admitted else {
            tracing::warn!(
                max,
                "connection refused: every connection has a request in progress"
            );
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let connections = connections.clone();
        let stop = stop_rx.clone();
        let alive = alive_tx.clone();
        tokio::spawn(async move {
            serve_connection(stream, peer, app, slot, header_timeout, stop).await;
            connections
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .open
                .remove(&id);
            drop(alive);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(alive_tx);
    let _ = alive_rx.recv().await;
    Ok(())
}

async fn serve_connection(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    app: Router,
    slot: Arc<Slot>,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let counted = slot.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        // The client's address, for the per-client limit of the public routes.
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let in_flight = InFlight::new(counted.clone());
        let app = app.clone();
        async move {
            // The request stays in progress until its answer's body is sent (or dropped), so a
            // connection streaming a long answer is never taken for idle.
            let response = app.oneshot(request).await;
            response.map(|r| {
                r.map(|body| {
                    axum::body::Body::new(body.map_frame(move |frame| {
                        let _held = &in_flight;
                        frame
                    }))
                })
            })
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, timeout = e.is_timeout(), "connection ended with an error");
                }
                return;
            }
            () = slot.evict.notified() => {
                tracing::debug!("idle connection closed to make room under the connection cap");
                return;
            }
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Accept errors are about one connection (reset before accept) or about the process (out of
/// descriptors); the latter gets a pause so the loop does not spin.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed; pausing");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_oldest_idle_connection_makes_room() {
        let mut c = Connections::default();
        let (_, first) = c.admit(2).expect("first");
        first.in_flight.store(1, Ordering::Release);
        let (_, second) = c.admit(2).expect("second");
        let (_, _third) = c.admit(2).expect("third evicts the idle second");
        assert_eq!(c.open.len(), 2);
        assert_eq!(first.in_flight.load(Ordering::Acquire), 1);
        assert!(!c.open.values().any(|s| Arc::ptr_eq(s, &second)));
    }

    #[test]
    fn at_the_cap_with_every_connection_busy_the_new_one_is_refused() {
        let mut c = Connections::default();
        for _ in 0..2 {
            let (_, slot) = c.admit(2).expect("admitted");
            slot.in_flight.store(1, Ordering::Release);
        }
        assert!(c.admit(2).is_none());
    }

    #[test]
    fn the_cap_stays_below_the_descriptor_limit() {
        let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .current
            .and_then(|s| usize::try_from(s).ok())
            .unwrap_or(usize::MAX / 2);
        let applied = effective_max_connections(soft);
        assert!(applied + RESERVED_FDS <= soft.max(RESERVED_FDS + 16));
    }
}
