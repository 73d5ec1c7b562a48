//! The shared test kit, a dev-dependency only: fresh PostgreSQL and SQLite databases dropped with their
//! guard ([`db`]), a `nats-server` of the test's own on a free port ([`nats`]), quiet tracing unless
//! `TEST_LOG` is set ([`init_tracing`]), an in-process SMTP sink ([`smtp_sink`]) and a real SMTP server
//! process ([`smtpd`]), and commands recorded through the real command service ([`service`]).
//!
//! Its variables do not share the `PETITION_` prefix of the binary's settings: `TEST_DATABASE_URL` (an
//! admin URL of the PostgreSQL server), `TEST_LOG` (a tracing filter), `NATS_SERVER` (the binary).

pub mod db;
pub mod nats;
pub mod service;
pub mod smtp_sink;
pub mod smtpd;

/// Installs a tracing subscriber writing to the test output when `TEST_LOG` is set (a filter such as
/// `debug` or `petition=debug,sqlx=warn`); tests stay quiet otherwise. Safe to call from every test.
pub fn init_tracing() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

/// A free TCP port on 127.0.0.1 (bound and released; good enough for a test's own server).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// Waits until something accepts TCP connections on `port` (at most `tries` × 50 ms); true if it did.
pub fn wait_for_port(port: u16, tries: u32) -> bool {
    for _ in 0..tries {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

/// A fresh temporary directory, removed when the guard drops.
#[derive(Debug)]
pub struct TempDir {
    pub path: std::path::PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{label}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        Self { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
