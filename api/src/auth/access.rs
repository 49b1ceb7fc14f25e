//! Asking the access contract: a request naming the caller, the action, the
//! resource and whom or what it is about goes through the gate, and the
//! audit index is woken to pick up the verdict's block.

use alloy::primitives::B256;

use super::caller::Caller;
use crate::audit::Audit;
use crate::gate::{AccessRequest, Action, Gate, GateError, Resource, Verdict};

/// Whom or what a request is about, as the contract sees it (zero words for
/// no one and no record).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct About {
    pub subject: B256,
    pub record: B256,
    /// The role a new account or a role change is to give (0 otherwise).
    pub target_role: u8,
}

/// Asks the contract; cheap to clone.
#[derive(Debug, Clone)]
pub struct AccessCheck {
    gate: Gate,
    audit: Audit,
}

impl AccessCheck {
    pub fn new(gate: Gate, audit: Audit) -> Self {
        Self { gate, audit }
    }

    /// The contract's verdict on `caller` doing `action` on `resource` about
    /// `about`, recorded on chain whichever way it went.
    pub async fn ask(
        &self,
        caller: &Caller,
        action: Action,
        resource: Resource,
        about: About,
    ) -> Result<Verdict, GateError> {
        let request = AccessRequest {
            actor: caller.system_id.into(),
            action,
            resource,
            subject: about.subject,
            record: about.record,
            target_role: about.target_role,
        };
        let verdict = self.gate.authorize(request).await?;
        // Its block is mined: let the audit index pick it up now rather than at its next poll.
        self.audit.wake();
        Ok(verdict)
    }

    /// The contract's verdicts on `caller` doing `action` on `resource`
    /// about each of `abouts`, all in one transaction (one verdict each, in
    /// order); nothing is sent for none.
    pub async fn ask_all(
        &self,
        caller: &Caller,
        action: Action,
        resource: Resource,
        abouts: &[About],
    ) -> Result<Vec<Verdict>, GateError> {
        if abouts.is_empty() {
            return Ok(Vec::new());
        }
        let requests = abouts
            .iter()
            .map(|about| AccessRequest {
                actor: caller.system_id.into(),
                action,
                resource,
                subject: about.subject,
                record: about.record,
                target_role: about.target_role,
            })
            .collect();
        let verdicts = self.gate.authorize_all(requests).await?;
        self.audit.wake();
        Ok(verdicts)
    }
}
