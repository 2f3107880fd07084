//! A small SMTP server for the tests: it speaks enough of RFC 5321 for lettre (EHLO, MAIL,
//! RCPT, DATA, RSET, NOOP, QUIT), keeps what it receives, and refuses for good (550) any
//! recipient whose address starts with `refused`. It can also be down (`421` to every
//! connection) while it keeps its port: a port let go during an outage could be taken by
//! another test's server, which would then receive this test's mail.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

/// A mail as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    fn is_verification(&self) -> bool {
        matches!(
            self.parsed().subject(),
            Some("Confirm your address for Klub" | "Confirmez votre adresse pour Klub")
        )
    }

    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(self.data.as_bytes())
            .expect("a parsable mail")
    }
}

#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    store: Arc<Store>,
    up: Arc<AtomicBool>,
}

/// What the server keeps of the mail it accepts.
struct Store {
    /// Every mail, or none when only counting (the benchmark's outbox sends hundreds of
    /// thousands, which need not stay in memory).
    received: Option<Mutex<Vec<Received>>>,
    count: AtomicUsize,
}

impl Store {
    fn accept(&self, mail: Received) {
        if let Some(received) = &self.received {
            received.lock().expect("not poisoned").push(mail);
        }
        self.count.fetch_add(1, Ordering::SeqCst);
    }
}

impl SmtpServer {
    pub async fn start() -> Self {
        let server = Self::start_down().await;
        server.come_up();
        server
    }

    /// Starts on a free port, up, and only counts what arrives: [`Self::received`] stays empty.
    pub async fn start_counting() -> Self {
        let server = Self::listen(false).await;
        server.come_up();
        server
    }

    /// Starts on a free port, down: every connection is told `421` until [`Self::come_up`].
    pub async fn start_down() -> Self {
        Self::listen(true).await
    }

    async fn listen(keeping: bool) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("SMTP port");
        let port = listener.local_addr().expect("address").port();
        let store = Arc::new(Store {
            received: keeping.then(|| Mutex::new(Vec::new())),
            count: AtomicUsize::new(0),
        });
        let up = Arc::new(AtomicBool::new(false));
        let (accepted, serving) = (store.clone(), up.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                if serving.load(Ordering::SeqCst) {
                    tokio::spawn(session(stream, accepted.clone()));
                } else {
                    tokio::spawn(unavailable(stream));
                }
            }
        });
        Self { port, store, up }
    }

    /// Ends the outage: connections from now on are served.
    pub fn come_up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// What arrived, but for the address verification mails that every sign-up sends: tests
    /// count the mails they are about.
    pub fn received(&self) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|mail| !mail.is_verification())
            .collect()
    }

    /// How many mails arrived, every kind counted.
    pub fn count(&self) -> usize {
        self.store.count.load(Ordering::SeqCst)
    }

    fn all(&self) -> Vec<Received> {
        self.store
            .received
            .as_ref()
            .map(|received| received.lock().expect("not poisoned").clone())
            .unwrap_or_default()
    }

    /// Waits until `count` mails have arrived (10 s at most) and returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..200 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {count} mails, got {}", self.received().len())
    }
}

/// A server that is down says so and hangs up (a transient failure: the mail waits).
async fn unavailable(mut stream: TcpStream) {
    let _ = stream
        .write_all(b"421 4.3.2 klub-test is down, try again later\r\n")
        .await;
}

async fn session(stream: TcpStream, store: Arc<Store>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 klub-test ESMTP\r\n").await.is_err() {
        return;
    }
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let answer: &str = if command.starts_with("EHLO") || command.starts_with("HELO") {
            "250-klub-test\r\n250 8BITMIME\r\n"
        } else if command.starts_with("MAIL FROM") {
            to.clear();
            "250 OK\r\n"
        } else if command.starts_with("RCPT TO") {
            let address = line.trim_end()[8..]
                .trim()
                .trim_matches(['<', '>'])
                .to_owned();
            if address.starts_with("refused") {
                "550 5.1.1 No such user here\r\n"
            } else {
                to.push(address);
                "250 OK\r\n"
            }
        } else if command == "DATA" {
            if write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .is_err()
            {
                return;
            }
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
            }
            store.accept(Received {
                to: std::mem::take(&mut to),
                data,
            });
            "250 OK: queued\r\n"
        } else if command == "QUIT" {
            let _ = write.write_all(b"221 Bye\r\n").await;
            return;
        } else if command.starts_with("RSET") || command.starts_with("NOOP") {
            "250 OK\r\n"
        } else {
            "502 Command not implemented\r\n"
        };
        if write.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}
