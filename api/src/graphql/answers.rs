//! Answers to queries kept in memory until any row changes. Browsing is most of the traffic
//! and the programme changes a few times a day: the same caller asking the same query gets
//! the same answer until then, so it is served again without parsing, validating or running
//! the query.
//!
//! What is kept: the answer of a single query (never a mutation, a subscription or a batch),
//! without errors, whose resolvers did not read the clock ([`crate::clock::watch`]: an answer
//! that depends on the moment, an invitation's expiry say, is not the same a second later).
//! It is kept for one caller (its account, or its absence), one document text, operation name
//! and set of variables.
//!
//! When it goes: every answer, as soon as any row of any table changes, whoever changes it. How
//! each instance hears of changes, and when it may trust its memory, is `changes.rs`'s concern;
//! this cache is told through [`ResponseCache::forget_all`] and trusts memory as
//! [`MemoryTrust`] says. A generation counter refuses an answer computed across a change:
//! [`ResponseCache::since`] notes the generation before the request's caller is read, and
//! [`ResponseCache::keep`] stores the answer only if nothing changed since.

use std::{collections::HashMap, sync::Arc};

use actix_web::web::Bytes;
use parking_lot::Mutex;
use sea_orm::{DatabaseConnection, DbBackend};

use crate::{db::begin_write, memory::MemoryTrust};

/// Past this many bytes (answers and keys) the cache starts again empty rather than grow.
const MAX_BYTES: usize = 64 * 1024 * 1024;
/// A larger answer is not worth a place: it would push out many small ones.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Who asked: answers are never shared between callers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Caller {
    Anonymous,
    InvalidToken,
    Account(i64),
}

/// What an answer is kept under.
#[derive(PartialEq, Eq, Hash)]
pub struct AnswerKey {
    caller: Caller,
    query: String,
    operation_name: Option<String>,
    variables: String,
}

impl AnswerKey {
    /// The key of `request` from `caller`; none for a request carrying files or extensions,
    /// whose answer may depend on more than its text and variables.
    pub fn of(request: &async_graphql::Request, caller: Caller) -> Option<Self> {
        if !request.uploads.is_empty() || !request.extensions.is_empty() {
            return None;
        }
        Some(Self {
            caller,
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
        })
    }

    fn bytes(&self) -> usize {
        self.query.len()
            + self.variables.len()
            + self.operation_name.as_ref().map_or(0, String::len)
    }
}

/// The generation noted before a request is even identified ([`ResponseCache::since`]): an
/// answer is kept only if no row changed since, its caller's account included.
#[derive(Clone, Copy)]
pub struct Since(u64);

pub struct ResponseCache {
    entries: Mutex<Entries>,
    trust: Arc<MemoryTrust>,
}

#[derive(Default)]
struct Entries {
    answers: HashMap<AnswerKey, Bytes>,
    bytes: usize,
    generation: u64,
    /// SQLite: a generation read under the write lock, when no writer was between its update
    /// hook and its commit. While the generation stays there no writer has reached its hook
    /// since, so there is still none, and noting it needs no lock.
    quiet: Option<u64>,
}

impl ResponseCache {
    pub fn new(trust: Arc<MemoryTrust>) -> Self {
        Self {
            entries: Mutex::default(),
            trust,
        }
    }

    /// The answer kept under `key`, the JSON body as it was sent.
    pub fn get(&self, key: &AnswerKey) -> Option<Bytes> {
        if !self.is_trusted() {
            return None;
        }
        self.entries.lock().answers.get(key).cloned()
    }

    /// Notes the generation before a request is identified and run, so that its answer is
    /// kept only if no row changed meanwhile: not the rows it read, nor its caller's account,
    /// whose rights it was computed with (a role change heard between reading the caller and
    /// noting the generation would otherwise keep a staff answer for a demoted caller). For
    /// that, whoever hears an account change forgets the account first and the answers after
    /// (`changes.rs`): a request that notes the generation after that reads the account anew. On
    /// SQLite the update hook runs before a writer's commit: a writer between the two would
    /// let the request read rows older than the generation it is kept under, so the
    /// generation is read under the write lock, once per generation ([`Entries::quiet`]).
    /// None when memory cannot be trusted or the lock cannot be had.
    pub async fn since(&self, db: &DatabaseConnection) -> Option<Since> {
        if !self.is_trusted() {
            return None;
        }
        {
            let entries = self.entries.lock();
            if db.get_database_backend() != DbBackend::Sqlite
                || entries.quiet == Some(entries.generation)
            {
                return Some(Since(entries.generation));
            }
        }
        let tx = begin_write(db).await.ok()?;
        let generation = {
            let mut entries = self.entries.lock();
            entries.quiet = Some(entries.generation);
            entries.generation
        };
        tx.commit().await.ok()?;
        Some(Since(generation))
    }

    /// Keeps `answer` under `key` unless a row changed since `since`.
    pub fn keep(&self, since: Since, key: AnswerKey, answer: Bytes) {
        if answer.len() > MAX_ANSWER_BYTES {
            return;
        }
        let mut entries = self.entries.lock();
        if !self.is_trusted() || entries.generation != since.0 {
            return;
        }
        let key_bytes = key.bytes();
        if entries.bytes + key_bytes + answer.len() > MAX_BYTES {
            entries.answers.clear();
            entries.bytes = 0;
        }
        entries.bytes += key_bytes + answer.len();
        if let Some(replaced) = entries.answers.insert(key, answer) {
            entries.bytes -= key_bytes + replaced.len();
        }
    }

    /// Forgets every answer, and any being computed at this moment.
    pub fn forget_all(&self) {
        let mut entries = self.entries.lock();
        entries.generation += 1;
        entries.answers.clear();
        entries.bytes = 0;
    }

    fn is_trusted(&self) -> bool {
        self.trust.is_trusted()
    }
}
