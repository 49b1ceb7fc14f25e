//! The integrity proof: every stored version of a record, rehashed, against
//! the content hash its `RecordVersionCreated` event anchored on chain, read
//! from the chain's logs ([`super::anchors`]), never from the audit index.
//!
//! - VERIFIED: the row rehashes to its stored hash, and that is the anchored hash.
//! - MISMATCH: the row no longer hashes to what was anchored (content edited
//!   behind the api, or the stored hash swapped).
//! - MISSING_ON_CHAIN: a stored version with no anchor on chain.
//! - MISSING_IN_DATABASE: an anchored version whose row is gone.
//!
//! Only the first anchor of each version counts (a repeated delivery carries
//! the same hash).

use std::collections::{BTreeMap, HashMap};

use alloy::primitives::B256;
use sqlx::PgPool;

use super::anchors::{self, Anchor};
use crate::chain::deployment::Deployment;
use crate::chain::{Chain, ChainError};
use crate::db::StoreError;
use crate::records::{ContentHash, RecordId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Verified,
    Mismatch,
    MissingOnChain,
    MissingInDatabase,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "VERIFIED",
            Self::Mismatch => "MISMATCH",
            Self::MissingOnChain => "MISSING_ON_CHAIN",
            Self::MissingInDatabase => "MISSING_IN_DATABASE",
        }
    }
}

/// One version's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionReport {
    pub version: i64,
    pub status: Status,
    /// The hash recomputed from the stored row (none when the row is gone).
    pub stored_hash: Option<ContentHash>,
    /// The hash anchored on chain (none when nothing was anchored).
    pub anchored_hash: Option<B256>,
    /// The transaction that anchored it.
    pub transaction_hash: Option<B256>,
}

/// A record's verdicts, oldest version first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityReport {
    pub record_id: RecordId,
    pub versions: Vec<VersionReport>,
}

impl IntegrityReport {
    pub fn verified(&self) -> bool {
        self.versions.iter().all(|v| v.status == Status::Verified)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Chain(#[from] ChainError),
}

/// Checks every version of `id` against its anchors on chain.
#[tracing::instrument(skip(pool, chain, deployment))]
pub async fn record(
    pool: &PgPool,
    chain: &Chain,
    deployment: &Deployment,
    id: RecordId,
) -> Result<IntegrityReport, VerifyError> {
    let anchored = anchors::anchors(chain, deployment, Some(id)).await?;
    compare(pool, id, &anchored).await
}

/// The report for `id` from its anchors (chain order).
async fn compare(
    pool: &PgPool,
    id: RecordId,
    anchored: &[Anchor],
) -> Result<IntegrityReport, VerifyError> {
    let checks = crate::records::repo::verify(pool, id).await?;
    let mut versions: BTreeMap<i64, VersionReport> = BTreeMap::new();
    for a in anchored.iter().filter(|a| a.record == id) {
        let version = i64::try_from(a.version).unwrap_or(i64::MAX);
        // The first anchor of a version counts; later ones are repeats.
        versions.entry(version).or_insert(VersionReport {
            version,
            status: Status::MissingInDatabase,
            stored_hash: None,
            anchored_hash: Some(a.content_hash),
            transaction_hash: Some(a.transaction_hash),
        });
    }
    for check in checks {
        let version = i64::from(check.version);
        let entry = versions.entry(version).or_insert(VersionReport {
            version,
            status: Status::MissingOnChain,
            stored_hash: None,
            anchored_hash: None,
            transaction_hash: None,
        });
        entry.stored_hash = Some(check.recomputed);
        if let Some(anchored) = entry.anchored_hash {
            let intact = check.is_intact() && check.stored.as_bytes() == &anchored.0;
            entry.status = if intact { Status::Verified } else { Status::Mismatch };
        }
    }
    Ok(IntegrityReport { record_id: id, versions: versions.into_values().collect() })
}

/// Totals over many records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub records: u64,
    pub verified: u64,
    pub mismatch: u64,
    pub missing_on_chain: u64,
    pub missing_in_database: u64,
}

impl Summary {
    pub fn add(&mut self, report: &IntegrityReport) {
        self.records += 1;
        for v in &report.versions {
            match v.status {
                Status::Verified => self.verified += 1,
                Status::Mismatch => self.mismatch += 1,
                Status::MissingOnChain => self.missing_on_chain += 1,
                Status::MissingInDatabase => self.missing_in_database += 1,
            }
        }
    }
    pub fn clean(&self) -> bool {
        self.mismatch == 0 && self.missing_on_chain == 0 && self.missing_in_database == 0
    }
}

/// Verifies every record stored or anchored (the chain's anchors read once);
/// `progress(done, total)` after each; returns the summary and the reports
/// that are not clean.
pub async fn all(
    pool: &PgPool,
    chain: &Chain,
    deployment: &Deployment,
    mut progress: impl FnMut(u64, u64),
) -> Result<(Summary, Vec<IntegrityReport>), VerifyError> {
    let anchored = anchors::anchors(chain, deployment, None).await?;
    let mut by_record: HashMap<RecordId, Vec<Anchor>> = HashMap::new();
    for a in anchored {
        by_record.entry(a.record).or_default().push(a);
    }
    let stored = sqlx::query_scalar!(r#"SELECT DISTINCT id AS "id!" FROM health_record_versions"#)
        .fetch_all(pool)
        .await?;
    let mut ids: Vec<RecordId> = stored.into_iter().map(RecordId).collect();
    ids.extend(by_record.keys().copied());
    ids.sort_by_key(|id| id.0);
    ids.dedup();

    let total = ids.len() as u64;
    let mut summary = Summary::default();
    let mut problems = Vec::new();
    for (n, id) in ids.into_iter().enumerate() {
        let report = compare(pool, id, by_record.get(&id).map_or(&[], Vec::as_slice)).await?;
        summary.add(&report);
        if !report.verified() {
            problems.push(report);
        }
        progress(n as u64 + 1, total);
    }
    Ok((summary, problems))
}
