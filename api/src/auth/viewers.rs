//! The accounts behind sessions, kept in memory: reading the caller costs no statement, yet a
//! role change, a revoked session or a deleted account is seen by the very next request, on
//! this instance or another.
//!
//! An entry goes the moment its `users` row changes, whoever changes it; how each instance
//! hears of it, and when memory may be trusted, is `changes.rs`'s concern. On SQLite a miss
//! reads the row under the write lock: the update hook runs before a writer's commit, and no
//! writer is between the two while the lock is held, so no uncommitted change slips into
//! memory. A generation counter refuses to keep a row read before an invalidation that came
//! after it.

use std::{collections::HashMap, sync::Arc};

use entity::user;
use parking_lot::Mutex;
use sea_orm::{DatabaseConnection, DbBackend, EntityTrait};

use crate::{db::begin_write, error::ApiResult, memory::MemoryTrust};

/// Past this many entries the cache starts again empty rather than grow without bound.
const MAX_ENTRIES: usize = 50_000;

pub struct ViewerCache {
    entries: Mutex<Entries>,
    trust: Arc<MemoryTrust>,
}

#[derive(Default)]
struct Entries {
    rows: HashMap<i64, Arc<user::Model>>,
    generation: u64,
}

impl ViewerCache {
    pub fn new(trust: Arc<MemoryTrust>) -> Self {
        Self {
            entries: Mutex::default(),
            trust,
        }
    }

    /// The account `id` as it is now, from memory when memory can be trusted.
    pub async fn user(
        &self,
        db: &DatabaseConnection,
        id: i64,
    ) -> ApiResult<Option<Arc<user::Model>>> {
        let generation = {
            let entries = self.entries.lock();
            if self.is_trusted()
                && let Some(row) = entries.rows.get(&id)
            {
                return Ok(Some(row.clone()));
            }
            entries.generation
        };
        let row = match db.get_database_backend() {
            // Under the write lock no writer is between its update hook and its commit.
            DbBackend::Sqlite => {
                let tx = begin_write(db).await?;
                let row = user::Entity::find_by_id(id).one(&tx).await?;
                tx.commit().await?;
                row
            }
            _ => user::Entity::find_by_id(id).one(db).await?,
        };
        let Some(row) = row.map(Arc::new) else {
            return Ok(None);
        };
        let mut entries = self.entries.lock();
        if self.is_trusted() && entries.generation == generation {
            if entries.rows.len() >= MAX_ENTRIES {
                entries.rows.clear();
            }
            entries.rows.insert(id, row.clone());
        }
        Ok(Some(row))
    }

    /// Forgets account `id`, and any row of it being read at this moment.
    pub fn forget(&self, id: i64) {
        let mut entries = self.entries.lock();
        entries.generation += 1;
        entries.rows.remove(&id);
    }

    pub fn forget_all(&self) {
        let mut entries = self.entries.lock();
        entries.generation += 1;
        entries.rows.clear();
    }

    fn is_trusted(&self) -> bool {
        self.trust.is_trusted()
    }
}
