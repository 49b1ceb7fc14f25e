//! The two reads clinicians make most — a patient's records and one record by
//! id — answered in batches ([`crate::db::batch`]): requests that arrive
//! while others are being answered share one query. Each request has already
//! passed the access guard; batching changes only how the rows are fetched.

use std::collections::HashMap;

use sqlx::PgPool;

use super::{repo, HealthRecord, RecordId};
use crate::db::batch::{BatchStats, Batcher, Limits};
use crate::db::StoreError;
use crate::users::UserId;

/// Batch queries of each kind running at once; more requests wait and join
/// the next batch. One would batch more (8,219 reads/s against 7,899 with
/// two, docs/PERFORMANCE.md), but a slow query (a patient with thousands of
/// records) would then hold up every other read of its kind.
const IN_FLIGHT: usize = 2;
/// Most keys (records or patients) one query carries.
const MAX_KEYS: usize = 256;

/// The batched reads; cheap to clone.
#[derive(Clone, Debug)]
pub struct Reads {
    by_id: Batcher<RecordId, HealthRecord>,
    by_patient: Batcher<UserId, Vec<HealthRecord>>,
}

impl Reads {
    /// Starts the batchers' tasks on `pool`.
    pub fn start(pool: PgPool) -> Self {
        let limits = Limits { in_flight: IN_FLIGHT, max_keys: MAX_KEYS };
        let by_id = {
            let pool = pool.clone();
            Batcher::start(limits, move |ids: Vec<RecordId>| {
                let pool = pool.clone();
                async move {
                    let found = repo::get_many(&pool, &ids).await?;
                    Ok(found.into_iter().map(|r| (r.id, r)).collect())
                }
            })
        };
        let by_patient = Batcher::start(limits, move |patients: Vec<UserId>| {
            let pool = pool.clone();
            async move {
                let mut by_patient: HashMap<UserId, Vec<HealthRecord>> = HashMap::new();
                for record in repo::for_patients(&pool, &patients).await? {
                    by_patient.entry(record.patient_id).or_default().push(record);
                }
                Ok(by_patient)
            }
        });
        Self { by_id, by_patient }
    }

    /// The current version of a live record, as [`repo::get`].
    pub async fn get(&self, id: RecordId) -> Result<Option<HealthRecord>, StoreError> {
        self.by_id.load(id).await
    }

    /// Every live record of a patient, most recently changed first, as
    /// [`repo::for_patient`].
    pub async fn for_patient(&self, patient: UserId) -> Result<Vec<HealthRecord>, StoreError> {
        Ok(self.by_patient.load(patient).await?.unwrap_or_default())
    }

    /// (requests answered, queries made) of each kind: by id, by patient.
    pub fn stats(&self) -> [&BatchStats; 2] {
        [self.by_id.stats(), self.by_patient.stats()]
    }
}
