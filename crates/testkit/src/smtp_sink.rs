//! An in-process SMTP server for tests and benchmarks (moved here from the notifier's tests): speaks enough of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA
//! with dot-unstuffing, RSET, NOOP, QUIT) for lettre, keeps every accepted message, and can be switched
//! "down", answering `421` to new sessions and to every command, to simulate an outage, or "refusing",
//! answering `554` to the end of DATA and keeping nothing, like a server that rejects the message.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, Notify};

/// One message as accepted by the sink.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub rcpt: Vec<String>,
    pub data: Vec<u8>,
    pub accepted_at: Instant,
}

#[derive(Debug, Default)]
struct Shared {
    mails: Mutex<Vec<Received>>,
    down: AtomicBool,
    refusing: AtomicBool,
    arrived: Notify,
}

/// A running sink on 127.0.0.1.
#[derive(Debug, Clone)]
pub struct SmtpSink {
    pub port: u16,
    shared: Arc<Shared>,
}

#[allow(dead_code)]
impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Shared::default());
        let accept = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = accept.clone();
                tokio::spawn(async move {
                    let _ = session(stream, shared).await;
                });
            }
        });
        SmtpSink { port, shared }
    }

    /// Refuse everything with 421 (true) or accept again (false).
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    /// Refuse every message with `554` after its data (true) or accept again (false).
    pub fn set_refusing(&self, refusing: bool) {
        self.shared.refusing.store(refusing, Ordering::SeqCst);
    }

    pub async fn mails(&self) -> Vec<Received> {
        self.shared.mails.lock().await.clone()
    }

    pub async fn count(&self) -> usize {
        self.shared.mails.lock().await.len()
    }

    /// Waits until at least `n` messages arrived (or the timeout passed); returns them all.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.shared.arrived.notified();
            let mails = self.mails().await;
            if mails.len() >= n || Instant::now() >= deadline {
                return mails;
            }
            let _ = tokio::time::timeout(deadline - Instant::now(), notified).await;
        }
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if shared.down.load(Ordering::SeqCst) {
        write
            .write_all(b"421 sink.test Service not available\r\n")
            .await?;
        return Ok(());
    }
    write
        .write_all(b"220 sink.test ESMTP test sink\r\n")
        .await?;
    let (mut from, mut rcpt) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        if shared.down.load(Ordering::SeqCst) && verb != "QUIT" {
            write
                .write_all(b"421 sink.test Service not available, closing\r\n")
                .await?;
            return Ok(());
        }
        match verb.as_str() {
            "EHLO" => {
                write
                    .write_all(
                        b"250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 PIPELINING\r\n",
                    )
                    .await?
            }
            "HELO" => write.write_all(b"250 sink.test\r\n").await?,
            "MAIL" => {
                from = command.get(10..).unwrap_or("").to_owned();
                rcpt.clear();
                write.write_all(b"250 OK\r\n").await?;
            }
            "RCPT" => {
                rcpt.push(
                    command
                        .get(8..)
                        .unwrap_or("")
                        .trim_matches(['<', '>', ' '])
                        .to_owned(),
                );
                write.write_all(b"250 OK\r\n").await?;
            }
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    data.extend_from_slice(unstuffed.as_bytes());
                }
                if shared.refusing.load(Ordering::SeqCst) {
                    write
                        .write_all(b"554 5.7.1 Message refused by the test sink\r\n")
                        .await?;
                    continue;
                }
                shared.mails.lock().await.push(Received {
                    from: from.clone(),
                    rcpt: rcpt.clone(),
                    data,
                    accepted_at: Instant::now(),
                });
                write.write_all(b"250 OK queued\r\n").await?;
                shared.arrived.notify_waiters();
            }
            "RSET" | "NOOP" => write.write_all(b"250 OK\r\n").await?,
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => write.write_all(b"502 Command not implemented\r\n").await?,
        }
    }
}
