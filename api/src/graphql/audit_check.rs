//! The check of the audit index against the chain, for auditors:
//! `auditCheck` says how far the index was compared with the chain's own
//! logs and lists every repair made from it.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::context;
use super::error::ApiError;
use super::guard::{decide, Target};
use crate::audit::check;
use crate::gate::{Action, Resource};

const MAX_REPAIRS: i32 = 500;

/// What a repair set right.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::audit::check::Finding", name = "AuditRepairFinding")]
pub enum RepairFinding {
    /// The chain had an event the index had no row for; the row was restored.
    Missing,
    /// The row differed from the chain's event; it was rewritten from it.
    Altered,
    /// The index had a row where the chain has no event; it was removed
    /// (its copy is in `before`).
    Extra,
    /// The row's duplicate flag was wrong; it was set as the chain's order says.
    DuplicateFlag,
}

/// One repair of the audit index from the chain.
#[derive(SimpleObject)]
pub struct AuditRepair {
    pub id: String,
    pub found_at: DateTime<Utc>,
    pub finding: RepairFinding,
    pub block_number: String,
    pub log_index: i32,
    pub transaction_hash: String,
    /// The event kind at that position (the chain's, or the row's for EXTRA).
    pub kind: String,
    /// The index row as found (JSON), null when it was missing.
    pub before: Option<String>,
    /// The index row as repaired (JSON), null when it was removed.
    pub after: Option<String>,
}

impl From<check::Repair> for AuditRepair {
    fn from(r: check::Repair) -> Self {
        Self {
            id: r.id.to_string(),
            found_at: r.found_at,
            finding: r.finding.into(),
            block_number: r.block_number.to_string(),
            log_index: i32::try_from(r.log_index).unwrap_or(i32::MAX),
            transaction_hash: r.transaction_hash.to_string(),
            kind: r.kind,
            before: r.before.map(|v| v.to_string()),
            after: r.after.map(|v| v.to_string()),
        }
    }
}

/// How far the audit index has been checked against the chain.
pub struct AuditCheck(Option<check::Status>);

#[Object]
impl AuditCheck {
    /// The newest block compared with the chain's logs (null before the first check).
    async fn checked_to_block(&self) -> Option<String> {
        self.0.map(|s| s.checked_to.to_string())
    }
    /// When the last pass over every block finished.
    async fn full_pass_at(&self) -> Option<DateTime<Utc>> {
        self.0.and_then(|s| s.full_pass_at)
    }
    /// The block the last full pass reached.
    async fn full_pass_to_block(&self) -> Option<String> {
        self.0.and_then(|s| s.full_pass_to).map(|b| b.to_string())
    }
    /// Repairs ever made.
    async fn repair_count(&self) -> i32 {
        self.0.map_or(0, |s| i32::try_from(s.repairs).unwrap_or(i32::MAX))
    }
    /// The repairs, newest first; `before` is a repair id from this list.
    async fn repairs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
        before: Option<String>,
    ) -> Result<Vec<AuditRepair>, ApiError> {
        if !(0..=MAX_REPAIRS).contains(&first) {
            return Err(ApiError::bad_input(
                "first",
                format!("must be between 0 and {MAX_REPAIRS}"),
            ));
        }
        let before = before
            .map(|b| b.parse::<i64>().map_err(|_| ApiError::bad_input("before", "not a repair id")))
            .transpose()?;
        let state = context::state(ctx)?;
        let repairs = check::repairs(&state.pool, i64::from(first), before).await?;
        Ok(repairs.into_iter().map(AuditRepair::from).collect())
    }
}

#[derive(Default)]
pub struct AuditCheckQuery;

#[Object]
impl AuditCheckQuery {
    /// How far the audit index was checked against the chain, and what was
    /// repaired. Needs AUDIT_TRAIL SEARCH.
    async fn audit_check(&self, ctx: &Context<'_>) -> Result<AuditCheck, ApiError> {
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        decide(state, session, Resource::AuditTrail, Action::Search, &Target::Nobody).await?;
        Ok(AuditCheck(check::status(&state.pool).await?))
    }
}
