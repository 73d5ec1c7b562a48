//! A real SMTP server process for end-to-end tests: Debian's `aiosmtpd` (package `python3-aiosmtpd`,
//! installed by scripts/test.sh) on a free port, storing every accepted message in a maildir. Unlike the
//! in-process [`SmtpSink`](crate::smtp_sink::SmtpSink), nothing of ours is on the receiving side.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::TempDir;

/// A running `aiosmtpd`, stopped on drop.
#[derive(Debug)]
pub struct Smtpd {
    child: Child,
    pub port: u16,
    dir: TempDir,
}

impl Smtpd {
    /// Starts the server (`AIOSMTPD` names the binary, default `/usr/bin/aiosmtpd`) and waits until it listens.
    pub fn start() -> Self {
        let dir = TempDir::new("testkit-smtpd");
        let port = crate::free_port();
        let bin = std::env::var("AIOSMTPD").unwrap_or_else(|_| "/usr/bin/aiosmtpd".to_owned());
        let child = Command::new(&bin)
            .args(["-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path.join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{bin} must be installed (Debian package python3-aiosmtpd; scripts/test.sh installs it): {e}")
            });
        let server = Self { child, port, dir };
        assert!(
            crate::wait_for_port(port, 200),
            "aiosmtpd did not listen on {port}"
        );
        server
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.dir.path.join("maildir").join(sub)).ok())
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        files
    }

    /// Every message received so far, as the server stored it (headers it added: `X-MailFrom`, `X-RcptTo`).
    pub fn messages(&self) -> Vec<String> {
        self.files()
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .collect()
    }

    /// Waits until at least `n` messages arrived or `timeout` passed; returns what arrived.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<String> {
        let until = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || Instant::now() >= until {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
