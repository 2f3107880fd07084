//! How an instance hears that rows changed, so that what it keeps in memory — the accounts
//! behind sessions ([`ViewerCache`]) and the answers to queries ([`ResponseCache`]) — never
//! outlives them, on this instance or another.
//!
//! - PostgreSQL: triggers send `NOTIFY klub_changes` at commit, whoever writes (migrations
//!   `notify_user_changes` and `notify_data_changes`): a changed account's id, and `data` for
//!   a row of any table. Every instance listens and trusts its memory only while it listens;
//!   before its listener is up, or after a lost connection until it listens again, everything
//!   is read from the database. A mutation's answer waits until this instance's listener has
//!   heard every change committed before it, and every other instance that may answer from
//!   memory has said so too ([`Memory::settle`]): notifications arrive in commit order, so the
//!   caller's next request, on whichever instance the load balancer sends it, meets nothing
//!   older than its own change.
//! - SQLite: the process that holds the file hears each of its own writes through SQLite's
//!   update hook, before commit ([`Memory::written`]); the caches read what they keep so that
//!   no uncommitted change slips in (see each). Memory belongs to the file: servers of one
//!   process on one file share it. Several processes on one file are not supported (several
//!   instances need PostgreSQL).

use std::{
    collections::HashMap,
    sync::{
        Arc, OnceLock, Weak,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use migration::m20261125_000020_notify_data_changes::UNANSWERED_TABLES;
use parking_lot::Mutex;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::{
    auth::ViewerCache,
    config::SecretString,
    db,
    graphql::answers::ResponseCache,
    memory::{LEASE, MemoryTrust},
};

/// The PostgreSQL channel of changes (see migration `notify_data_changes`).
pub const CHANNEL: &str = "klub_changes";
/// How long a mutation's answer waits for its listener before it stops trusting memory.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct Memory {
    pub viewers: ViewerCache,
    pub answers: ResponseCache,
    /// Whether both may be trusted (PostgreSQL: the listener's heartbeats).
    trust: Arc<MemoryTrust>,
    /// This instance's name in the notifications it sends (PostgreSQL).
    instance: u64,
    fences_sent: AtomicU64,
    fences_heard: tokio::sync::watch::Sender<u64>,
    /// How many of its own heartbeats this instance has heard back.
    heartbeats_heard: tokio::sync::watch::Sender<u64>,
    /// The other instances heard beating, and when last: each may answer from memory.
    peers: Mutex<HashMap<u64, Instant>>,
    /// For each other instance, the last of this instance's fences it has heard.
    acknowledged: tokio::sync::watch::Sender<HashMap<u64, u64>>,
}

/// What an instance says on [`CHANNEL`] besides the triggers' `data` and account ids.
#[derive(Debug, PartialEq, Eq)]
enum Notice {
    /// `beat:<instance>:<sent ms>`: a heartbeat (see [`MemoryTrust`]).
    Beat { instance: u64, sent_ms: u64 },
    /// `fence:<instance>:<number>`: sent by a writer after its change; whoever hears it has
    /// heard the change.
    Fence { instance: u64, number: u64 },
    /// `ack:<writer>:<number>:<instance>`: `instance` heard the writer's fence `number`.
    Ack {
        writer: u64,
        number: u64,
        instance: u64,
    },
    /// A row of any table changed (triggers).
    Data,
    /// The account with this id changed (triggers).
    Account(i64),
    /// Something unknown: whatever memory holds is forgotten.
    Unknown,
}

impl Notice {
    fn parse(payload: &str) -> Self {
        let mut parts = payload.split(':');
        let kind = parts.next().unwrap_or_default();
        let numbers: Option<Vec<u64>> = parts.map(|part| part.parse().ok()).collect();
        match (kind, numbers.as_deref()) {
            ("beat", Some(&[instance, sent_ms])) => Self::Beat { instance, sent_ms },
            ("fence", Some(&[instance, number])) => Self::Fence { instance, number },
            ("ack", Some(&[writer, number, instance])) => Self::Ack {
                writer,
                number,
                instance,
            },
            ("data", Some([])) => Self::Data,
            _ => payload.parse().map_or(Self::Unknown, Self::Account),
        }
    }
}

impl Memory {
    fn new(trusted: bool) -> Self {
        let trust = Arc::new(MemoryTrust::new(trusted));
        Self {
            viewers: ViewerCache::new(trust.clone()),
            answers: ResponseCache::new(trust.clone()),
            trust,
            instance: rand::random(),
            fences_sent: AtomicU64::new(0),
            fences_heard: tokio::sync::watch::Sender::new(0),
            heartbeats_heard: tokio::sync::watch::Sender::new(0),
            peers: Mutex::default(),
            acknowledged: tokio::sync::watch::Sender::new(HashMap::new()),
        }
    }

    /// The memory of the database at `url`: on PostgreSQL this instance's own, trusted once
    /// [`spawn_listener`] listens; on SQLite the file's, shared by the servers of this process.
    pub fn for_database(url: &str) -> Arc<Self> {
        if !crate::config::is_sqlite(url) {
            return Arc::new(Self::new(false));
        }
        static FILES: OnceLock<Mutex<HashMap<String, Weak<Memory>>>> = OnceLock::new();
        let mut files = FILES.get_or_init(Mutex::default).lock();
        files.retain(|_, memory| memory.strong_count() > 0);
        if let Some(memory) = files.get(url).and_then(Weak::upgrade) {
            return memory;
        }
        let memory = Arc::new(Self::new(true));
        files.insert(url.to_owned(), Arc::downgrade(&memory));
        memory
    }

    /// What SQLite's update hook reports: a row of `table` written by this process.
    pub fn written(&self, table: &str, id: i64) {
        // The account before the answers, as on PostgreSQL (see `hear`).
        if table == "users" {
            self.viewers.forget(id);
        }
        // As PostgreSQL's triggers: rows no kept answer reads empty no memory.
        if !UNANSWERED_TABLES.contains(&table) {
            self.answers.forget_all();
        }
    }

    /// Waits until every instance that may answer from memory has heard every change
    /// committed so far (PostgreSQL; nothing to wait for on SQLite, whose hook runs before the
    /// writer's commit). Called after each mutation, before its answer leaves.
    ///
    /// This instance notifies a fence and waits to hear it: when it cannot, its memory is
    /// emptied. Then it waits for each other instance heard beating to acknowledge the fence,
    /// or for [`LEASE`] to pass: an instance that has not heard the change by then has heard
    /// no heartbeat sent after it, so it no longer trusts its memory. An instance that started
    /// listening since is known too: it trusts its memory only from its first heartbeat heard,
    /// which this instance heard before its own fence unless it came after the change.
    pub async fn settle(&self, db: &DatabaseConnection) {
        if db.get_database_backend() != DbBackend::Postgres || !self.trust.is_listening() {
            return;
        }
        let fenced = Instant::now();
        let fence = self.fences_sent.fetch_add(1, Ordering::Relaxed) + 1;
        let mut heard = self.fences_heard.subscribe();
        let mut acknowledged = self.acknowledged.subscribe();
        let sent = db
            .execute_raw(notify(format!("fence:{}:{fence}", self.instance)))
            .await;
        let heard = match sent {
            Ok(_) => tokio::time::timeout(SETTLE_TIMEOUT, heard.wait_for(|last| *last >= fence))
                .await
                .is_ok_and(|heard| heard.is_ok()),
            Err(_) => false,
        };
        let deadline = tokio::time::Instant::from_std(fenced + LEASE);
        if !heard {
            tracing::warn!("the change listener is late; forgetting what memory holds");
            self.viewers.forget_all();
            self.answers.forget_all();
            // Which other instances heard the change is unknown: by the end of the lease those
            // that have not no longer trust their memory.
            tokio::time::sleep_until(deadline).await;
            return;
        }
        let peers = self.live_peers();
        let all_heard = |acks: &HashMap<u64, u64>| {
            peers
                .iter()
                .all(|peer| acks.get(peer).is_some_and(|&number| number >= fence))
        };
        if tokio::time::timeout_at(deadline, acknowledged.wait_for(all_heard))
            .await
            .is_err()
        {
            tracing::warn!("another instance is late to hear a change; its lease has run out");
        }
    }

    /// The other instances whose memory may still be trusted: heard beating within a lease.
    fn live_peers(&self) -> Vec<u64> {
        let mut peers = self.peers.lock();
        peers.retain(|_, heard| heard.elapsed() < LEASE);
        peers.keys().copied().collect()
    }

    /// Whether memory may be trusted, from what the listener says (PostgreSQL).
    fn trust(&self, listening: bool) {
        self.trust.listening(listening);
        // Whatever changed before LISTEN is read from the database, not from memory.
        self.viewers.forget_all();
        self.answers.forget_all();
    }

    /// What the listener heard on [`CHANNEL`]; returns the acknowledgement to send, if any.
    fn hear(&self, payload: &str) -> Option<String> {
        match Notice::parse(payload) {
            Notice::Beat { instance, sent_ms } if instance == self.instance => {
                self.trust.heard_heartbeat(sent_ms);
                self.heartbeats_heard.send_modify(|heard| *heard += 1);
            }
            Notice::Beat { instance, .. } => {
                self.peers.lock().insert(instance, Instant::now());
            }
            Notice::Fence { instance, number } if instance == self.instance => {
                self.fences_heard
                    .send_if_modified(|last| raise(last, number));
            }
            Notice::Fence { instance, number } => {
                return Some(format!("ack:{instance}:{number}:{}", self.instance));
            }
            Notice::Ack {
                writer,
                number,
                instance,
            } if writer == self.instance => {
                self.acknowledged
                    .send_if_modified(|acks| raise(acks.entry(instance).or_default(), number));
            }
            Notice::Ack { .. } => {}
            Notice::Data => self.answers.forget_all(),
            // The answers too, and after the account: a transaction's notices are heard one
            // by one, its `data` possibly first, and a request that noted the answers'
            // generation between the two would read the account as it was, then rows as they
            // are, and keep what the old rights computed ([`ResponseCache::since`]).
            Notice::Account(id) => {
                self.viewers.forget(id);
                self.answers.forget_all();
            }
            Notice::Unknown => {
                self.viewers.forget_all();
                self.answers.forget_all();
            }
        }
        None
    }
}

/// The statement that says `payload` on [`CHANNEL`].
fn notify(payload: String) -> Statement {
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    )
}

/// Raises `last` to `number` if it is higher; whether it did.
fn raise(last: &mut u64, number: u64) -> bool {
    let higher = number > *last;
    if higher {
        *last = number;
    }
    higher
}

/// On PostgreSQL: listens for changes, trusting memory only while listening. Returns once the
/// first heartbeat is heard back (or [`SETTLE_TIMEOUT`] has passed), so that a server serves
/// from memory from its first request.
pub async fn spawn_listener(changes: Arc<Memory>, db: &DatabaseConnection, url: SecretString) {
    if db.get_database_backend() == DbBackend::Postgres {
        let mut heartbeats_heard = changes.heartbeats_heard.subscribe();
        let listener = ChangeListener {
            changes,
            db: db.clone(),
        };
        db::listen(url, CHANNEL, listener).await;
        let first = heartbeats_heard.wait_for(|heard| *heard > 0);
        if tokio::time::timeout(SETTLE_TIMEOUT, first).await.is_err() {
            tracing::warn!("no heartbeat heard yet; answering from the database meanwhile");
        }
    }
}

struct ChangeListener {
    changes: Arc<Memory>,
    /// Where acknowledgements go out, each on its own so that none holds up hearing.
    db: DatabaseConnection,
}

impl db::Listener for ChangeListener {
    fn listening(&self, now: bool) {
        self.changes.trust(now);
    }

    async fn heard(&self, payload: &str) {
        if let Some(ack) = self.changes.hear(payload) {
            let db = self.db.clone();
            tokio::spawn(async move {
                let sent = db.execute_raw(notify(ack)).await;
                if let Err(error) = sent {
                    tracing::warn!(%error, "could not acknowledge a change");
                }
            });
        }
    }

    fn heartbeat(&self) -> Option<String> {
        Some(format!(
            "beat:{}:{}",
            self.changes.instance,
            self.changes.trust.elapsed_ms()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::Notice;

    #[test]
    fn notices_are_read_back_as_written() {
        assert_eq!(
            Notice::parse("beat:7:1500"),
            Notice::Beat {
                instance: 7,
                sent_ms: 1500
            }
        );
        assert_eq!(
            Notice::parse("fence:7:3"),
            Notice::Fence {
                instance: 7,
                number: 3
            }
        );
        assert_eq!(
            Notice::parse("ack:7:3:9"),
            Notice::Ack {
                writer: 7,
                number: 3,
                instance: 9
            }
        );
        assert_eq!(Notice::parse("data"), Notice::Data);
        assert_eq!(Notice::parse("42"), Notice::Account(42));
        for unknown in ["", "beat:7", "fence:x:1", "ack:1:2", "users"] {
            assert_eq!(Notice::parse(unknown), Notice::Unknown, "{unknown}");
        }
    }
}
