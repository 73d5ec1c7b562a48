//! A `nats-server` with JetStream for one test: a free port, a store directory of its own, killed on drop.
//! The binary is `NATS_SERVER` if set, else the first of the usual paths, else `nats-server` on the PATH.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::TempDir;

/// A running `nats-server`, stopped on drop.
#[derive(Debug)]
pub struct NatsServer {
    child: Child,
    pub port: u16,
    pub url: String,
    _dir: TempDir,
}

impl NatsServer {
    /// Starts the server and waits until it accepts connections.
    pub fn start() -> Self {
        let dir = TempDir::new("testkit-nats");
        let port = crate::free_port();
        let bin = std::env::var("NATS_SERVER").ok().unwrap_or_else(|| {
            [
                "/usr/sbin/nats-server",
                "/usr/bin/nats-server",
                "/usr/local/bin/nats-server",
            ]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("nats-server")
            .to_owned()
        });
        let child = Command::new(&bin)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(dir.path.join("jetstream"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{bin} must be installed (scripts/services.sh installs it): {e}")
            });
        let server = Self {
            child,
            port,
            url: format!("nats://127.0.0.1:{port}"),
            _dir: dir,
        };
        assert!(
            crate::wait_for_port(port, 200),
            "nats-server did not listen on {port}"
        );
        server
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
