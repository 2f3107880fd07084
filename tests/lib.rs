//! What Klub's end-to-end tests and its load generator share: the server run as a child
//! process, and a small SMTP server. The tests themselves live in `api/`.
#![allow(clippy::expect_used)]

pub mod smtp;

use std::{
    process::{Child, Command},
    time::Duration,
};

/// A server running as a child process, its listeners on free loopback ports; killed and
/// reaped when dropped, however the test or the bench ends.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:<port>` of the API.
    pub address: String,
    /// `http://127.0.0.1:<port>` of `/metrics` (`KLUB_METRICS_LISTEN`).
    pub metrics_address: String,
}

impl ServerProcess {
    /// Runs `command` with `KLUB_LISTEN` and `KLUB_METRICS_LISTEN` set to free ports and waits
    /// (30 s at most) until its `/healthz` answers.
    pub async fn start(mut command: Command) -> Self {
        let (port, metrics_port) = (free_port(), free_port());
        command
            .env("KLUB_LISTEN", format!("127.0.0.1:{port}"))
            .env("KLUB_METRICS_LISTEN", format!("127.0.0.1:{metrics_port}"));
        // Owned by `Self` at once, so that it is killed even if it never answers.
        let server = Self {
            child: command.spawn().expect("the server process starts"),
            address: format!("http://127.0.0.1:{port}"),
            metrics_address: format!("http://127.0.0.1:{metrics_port}"),
        };
        for _ in 0..600 {
            if reqwest::get(format!("{}/healthz", server.address))
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server process never answered on {}", server.address)
    }

    /// Stops it at once, as a crash would: SIGKILL, no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Its peak resident memory so far, in MiB (Linux).
    pub fn peak_mib(&self) -> Option<f64> {
        self.memory_mib("VmHWM:")
    }

    /// Starts counting its peak afresh from its resident memory now (Linux's `clear_refs`),
    /// so that the next [`ServerProcess::peak_mib`] is the peak of what follows only.
    pub fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }

    /// Its resident memory now, in MiB (Linux).
    pub fn resident_mib(&self) -> Option<f64> {
        self.memory_mib("VmRSS:")
    }

    fn memory_mib(&self, field: &str) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|line| line.starts_with(field))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}
