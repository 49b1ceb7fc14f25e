//! Whom a request is about, remembered: a user's system-wide identifier and
//! the identifier of a record's patient. Neither changes once set (the
//! database refuses it: migrations 0003 and 0030), so a remembered answer is
//! always the database's answer. Only found identifiers are kept: an unknown
//! id, or an imported account that gets its identifier at first login, is
//! looked up again next time.

use std::sync::Mutex;

use sqlx::PgPool;

use super::{Bounded, Counts};
use crate::db::StoreError;
use crate::records::RecordId;
use crate::users::{SystemId, UserId};

/// Entries per map; about 100 bytes each.
const CAPACITY: usize = 100_000;

#[derive(Debug)]
pub struct Subjects {
    users: Mutex<Bounded<UserId, SystemId>>,
    records: Mutex<Bounded<RecordId, SystemId>>,
    pub counts: Counts,
}

impl Default for Subjects {
    fn default() -> Self {
        Self {
            users: Mutex::new(Bounded::new(CAPACITY)),
            records: Mutex::new(Bounded::new(CAPACITY)),
            counts: Counts::default(),
        }
    }
}

impl Subjects {
    /// The user's system-wide identifier (deleted users too).
    pub async fn of_user(&self, pool: &PgPool, id: UserId) -> Result<Option<SystemId>, StoreError> {
        remembered(&self.users, &self.counts, id, crate::users::repo::system_id_of(pool, id)).await
    }

    /// The system-wide identifier of the record's patient (deleted records too).
    pub async fn of_record(
        &self,
        pool: &PgPool,
        id: RecordId,
    ) -> Result<Option<SystemId>, StoreError> {
        remembered(&self.records, &self.counts, id, crate::records::repo::subject_of(pool, id))
            .await
    }
}

async fn remembered<K: Copy + Eq + std::hash::Hash>(
    map: &Mutex<Bounded<K, SystemId>>,
    counts: &Counts,
    key: K,
    lookup: impl std::future::Future<Output = Result<Option<SystemId>, StoreError>>,
) -> Result<Option<SystemId>, StoreError> {
    let known = map.lock().ok().and_then(|m| m.get(&key).copied());
    counts.count(known.is_some());
    if known.is_some() {
        return Ok(known);
    }
    let found = lookup.await?;
    if let (Some(id), Ok(mut m)) = (found, map.lock()) {
        m.insert(key, id);
    }
    Ok(found)
}
