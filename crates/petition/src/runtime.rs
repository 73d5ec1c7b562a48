//! The process runtime: a named task set, consumers run from a source, supervision (the first task to stop
//! stops them all) and a bounded graceful shutdown. It knows nothing of settings or resources; the
//! [`app`](crate::app) module opens those and the subcommands run them through here.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use feed::{EventHandler, EventSource};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long in-flight requests and workers get to finish once shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// The task set a process supervises: every task reports its name and how it ended.
pub type Tasks = JoinSet<(&'static str, anyhow::Result<()>)>;

/// The stop flag every task watches: `stopping` flips to `true` once, when shutdown begins.
#[derive(Debug)]
pub struct Stop {
    sender: watch::Sender<bool>,
    /// A receiver to clone into each task.
    pub stopping: watch::Receiver<bool>,
}

impl Stop {
    pub fn new() -> Self {
        let (sender, stopping) = watch::channel(false);
        Self { sender, stopping }
    }

    /// A future resolving once shutdown has begun (for `serve_with`-style shutdown arguments).
    pub fn signalled(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.stopping.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }
}

impl Default for Stop {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `handler` from `source` until shutdown.
pub fn spawn_consumer(
    tasks: &mut Tasks,
    name: &'static str,
    source: Arc<dyn EventSource>,
    handler: Arc<dyn EventHandler>,
    stop: watch::Receiver<bool>,
) {
    tasks.spawn(async move {
        (
            name,
            source.run(handler, stop).await.map_err(anyhow::Error::from),
        )
    });
}

/// Runs until `shutdown` resolves or until any task stops, then stops every task, waits at most
/// [`SHUTDOWN_GRACE`] for them to finish, and reports which one ended the process.
pub async fn supervise(
    mut tasks: Tasks,
    stop: Stop,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut failure = None;
    tokio::select! {
        () = shutdown => {}
        Some(joined) = tasks.join_next() => {
            let (name, result) = joined.unwrap_or(("task", Err(anyhow::anyhow!("a task panicked"))));
            tracing::error!(task = name, "stopped unexpectedly; shutting everything down");
            failure = Some(result.err().unwrap_or_else(|| anyhow::anyhow!("{name} stopped unexpectedly")));
        }
    }
    let _ = stop.sender.send(true);
    let drain = async {
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((name, Ok(()))) => tracing::info!(task = name, "stopped"),
                Ok((name, Err(e))) => {
                    tracing::error!(task = name, error = %e, "stopped with an error")
                }
                Err(e) => tracing::error!(error = %e, "a task panicked"),
            }
        }
    };
    // Every task is safe to abort (the store is the truth; consumers resume from their checkpoints), so a
    // task stuck on an unreachable peer must not hold the process hostage.
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        tracing::warn!(grace = ?SHUTDOWN_GRACE, "tasks did not stop in time; aborting them");
        tasks.shutdown().await;
    }
    match failure {
        Some(e) => Err(e),
        None => {
            tracing::info!("shut down cleanly");
            Ok(())
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received: shutting down"),
        () = terminate => tracing::info!("SIGTERM received: shutting down"),
    }
}
