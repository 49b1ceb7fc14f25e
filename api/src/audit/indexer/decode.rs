//! Turning the contract's logs into index rows, with the alloy bindings.

use alloy::primitives::B256;
use alloy::rpc::types::Log;
use alloy::sol_types::SolEventInterface;
use chrono::{DateTime, Utc};

use crate::audit::event::{nonzero, AuditEvent, AuditKind, Original};
use crate::chain::bindings::CareLedgerAccess::CareLedgerAccessEvents as Ev;
use crate::chain::gateways::{gateway_role, ADMIN_ROLE};
use crate::gate::{Action, LifecycleKind, Resource};
use serde_json::json;

/// A restriction's target: a staff member, or a department.
fn restriction(staff: B256, department: u32) -> serde_json::Value {
    if staff.is_zero() {
        json!({ "department": department })
    } else {
        json!({ "counterpart": staff.to_string() })
    }
}

/// The rows for a range's logs, in chain order. A re-recorded event carries
/// where and when it first was, from the `ReRecorded` mark that follows it in
/// its transaction (the mark stays a row of its own).
pub fn decode_all(mut logs: Vec<Log>) -> Vec<AuditEvent> {
    logs.sort_by_key(|l| (l.block_number, l.log_index));
    let mut events: Vec<AuditEvent> = logs.iter().filter_map(decode).collect();
    for i in 1..events.len() {
        let (before, rest) = events.split_at_mut(i);
        let (mark, event) = (&rest[0], &mut before[i - 1]);
        let same =
            event.transaction_hash == mark.transaction_hash && event.entry_id == mark.entry_id;
        if mark.kind == AuditKind::ReRecorded && same {
            event.original = mark.original;
        }
        if mark.kind == AuditKind::EmergencyAccess
            && same
            && event.kind == AuditKind::AccessRequested
        {
            let until = mark.details.as_ref().and_then(|d| d.get("until")).cloned();
            event.details = until.map(|u| serde_json::json!({ "emergencyUntil": u }));
        }
    }
    events
}

/// The row for `log`, or `None` for events the trail does not hold (a role
/// the contract does not use, `RoleAdminChanged`) or a log without its
/// position. AccessControl's role events carry no time of their own: theirs is
/// the log's block timestamp, which `Chain::logs` fills in (`None` without it).
pub fn decode(log: &Log) -> Option<AuditEvent> {
    let block_number = log.block_number?;
    let block_hash = log.block_hash?;
    let transaction_hash = log.transaction_hash?;
    let log_index = log.log_index?;
    let event = Ev::decode_log(&log.inner).ok()?.data;
    let mut row = AuditEvent {
        block_number,
        block_hash,
        transaction_hash,
        log_index,
        timestamp: DateTime::<Utc>::UNIX_EPOCH,
        kind: AuditKind::AccessRequested,
        actor: B256::ZERO,
        subject: None,
        record: None,
        action: None,
        resource: None,
        role: None,
        approved: true,
        entry_id: None,
        version: None,
        content_hash: None,
        duplicate: false,
        refusal: None,
        original: None,
        lost_at: None,
        details: None,
    };
    let care = |row: &mut AuditEvent, kind, actor, subject, entry: B256, details| {
        row.kind = kind;
        row.actor = actor;
        row.subject = nonzero(subject);
        row.entry_id = Some(entry);
        row.details = Some(details);
    };
    let hex = |w: B256| w.to_string();
    let timestamp = match event {
        Ev::AccessRequested(e) => {
            row.actor = e.actor;
            row.subject = nonzero(e.subject);
            row.record = nonzero(e.recordId);
            row.entry_id = Some(e.requestId);
            row.action = Action::from_code(e.action);
            row.resource = Resource::from_code(e.resource);
            row.role = (e.targetRole != 0).then_some(e.targetRole);
            row.approved = e.approved;
            e.timestamp
        }
        Ev::UserAdded(e) => {
            row.kind = AuditKind::UserAdded;
            row.actor = e.actor;
            row.subject = nonzero(e.subject);
            row.entry_id = Some(e.entryId);
            row.role = Some(e.role);
            row.content_hash = nonzero(e.contentHash);
            e.timestamp
        }
        Ev::UserModified(e) => {
            row.kind = AuditKind::UserModified;
            row.actor = e.actor;
            row.subject = nonzero(e.subject);
            row.entry_id = Some(e.entryId);
            row.content_hash = nonzero(e.contentHash);
            e.timestamp
        }
        Ev::UserDeleted(e) => {
            row.kind = AuditKind::UserDeleted;
            row.actor = e.actor;
            row.subject = nonzero(e.subject);
            row.entry_id = Some(e.entryId);
            e.timestamp
        }
        Ev::RoleChanged(e) => {
            row.kind = AuditKind::RoleChanged;
            row.actor = e.actor;
            row.subject = nonzero(e.subject);
            row.entry_id = Some(e.entryId);
            row.role = Some(e.newRole);
            e.timestamp
        }
        Ev::RecordVersionCreated(e) => {
            row.kind = AuditKind::RecordVersionCreated;
            row.actor = e.actor;
            row.subject = nonzero(e.subject);
            row.record = nonzero(e.recordId);
            row.entry_id = Some(e.entryId);
            row.version = Some(e.version);
            row.content_hash = Some(e.contentHash);
            e.timestamp
        }
        Ev::RecordDeleted(e) => {
            row.kind = AuditKind::RecordDeleted;
            row.actor = e.actor;
            row.subject = nonzero(e.subject);
            row.record = nonzero(e.recordId);
            row.entry_id = Some(e.entryId);
            row.version = Some(e.version);
            e.timestamp
        }
        Ev::PermissionChanged(e) => {
            row.kind = AuditKind::PermissionChanged;
            row.actor = e.actor;
            row.role = Some(e.role);
            row.resource = Resource::from_code(e.resource);
            row.action = Action::from_code(e.action);
            e.timestamp
        }
        Ev::PermissionChangeDenied(e) => {
            row.kind = AuditKind::PermissionChangeDenied;
            row.actor = e.actor;
            row.role = Some(e.role);
            row.resource = Resource::from_code(e.resource);
            row.action = Action::from_code(e.action);
            row.approved = false;
            e.timestamp
        }
        Ev::LifecycleRefused(e) => {
            row.kind = AuditKind::LifecycleRefused;
            row.actor = e.actor;
            row.subject = nonzero(e.subject);
            row.entry_id = Some(e.entryId);
            row.version = Some(e.sequence);
            row.refusal = Some(e.reason);
            row.approved = false;
            e.timestamp
        }
        Ev::ReRecorded(e) => {
            row.kind = AuditKind::ReRecorded;
            row.entry_id = Some(e.id);
            row.original = Some(Original {
                transaction_hash: e.originalTransaction,
                block_number: e.originalBlock,
                timestamp: DateTime::from_timestamp(i64::try_from(e.originalTimestamp).ok()?, 0)?,
            });
            e.timestamp
        }
        Ev::ReRecordRefused(e) => {
            row.kind = AuditKind::ReRecordRefused;
            row.entry_id = Some(e.requestId);
            row.refusal = Some(e.reason);
            row.approved = false;
            e.timestamp
        }
        Ev::AuthenticationRecorded(e) => {
            row.kind = AuditKind::of_authentication(LifecycleKind::from_code(e.kind)?)?;
            row.actor = e.actor;
            row.subject = nonzero(e.subject);
            row.entry_id = Some(e.entryId);
            // A refused sign-in is a refusal, found with `approved: false`.
            row.approved = row.kind != AuditKind::SignInFailed;
            e.timestamp
        }
        Ev::CareRelationshipAdded(e) => {
            let details = json!({ "counterpart": hex(e.clinician), "until": e.until });
            care(&mut row, AuditKind::CareAdded, e.actor, e.patient, e.entryId, details);
            e.timestamp
        }
        Ev::CareRelationshipEnded(e) => {
            let details = json!({ "counterpart": hex(e.clinician) });
            care(&mut row, AuditKind::CareEnded, e.actor, e.patient, e.entryId, details);
            e.timestamp
        }
        Ev::PatientAdmitted(e) => {
            let details = json!({ "department": e.department });
            care(&mut row, AuditKind::PatientAdmitted, e.actor, e.patient, e.entryId, details);
            e.timestamp
        }
        Ev::PatientDischarged(e) => {
            let details = json!({ "department": e.department });
            care(&mut row, AuditKind::PatientDischarged, e.actor, e.patient, e.entryId, details);
            e.timestamp
        }
        Ev::DepartmentAssigned(e) => {
            let details = json!({ "department": e.department });
            care(&mut row, AuditKind::DepartmentAssigned, e.actor, e.staff, e.entryId, details);
            e.timestamp
        }
        Ev::GlassBroken(e) => {
            let details = json!({ "reason": e.reason, "until": e.until });
            care(&mut row, AuditKind::GlassBroken, e.actor, e.patient, e.entryId, details);
            row.content_hash = nonzero(e.justificationHash);
            e.timestamp
        }
        Ev::GlassReviewed(e) => {
            let details = json!({ "counterpart": hex(e.clinician), "justified": e.justified });
            care(&mut row, AuditKind::GlassReviewed, e.actor, e.patient, e.entryId, details);
            row.record = nonzero(e.grantEntryId);
            row.content_hash = nonzero(e.noteHash);
            e.timestamp
        }
        Ev::AccessRestricted(e) => {
            let details = restriction(e.staff, e.department);
            care(&mut row, AuditKind::AccessRestricted, e.patient, e.patient, e.entryId, details);
            e.timestamp
        }
        Ev::RestrictionLifted(e) => {
            let details = restriction(e.staff, e.department);
            care(&mut row, AuditKind::RestrictionLifted, e.patient, e.patient, e.entryId, details);
            e.timestamp
        }
        Ev::EmergencyAccess(e) => {
            let details = json!({ "until": e.grantedUntil });
            care(&mut row, AuditKind::EmergencyAccess, e.actor, e.subject, e.requestId, details);
            e.timestamp
        }
        Ev::BreakGlassDurationChanged(e) => {
            row.kind = AuditKind::BreakGlassDurationChanged;
            row.actor = e.actor;
            row.details = Some(json!({ "seconds": e.newSeconds, "previous": e.previousSeconds }));
            e.timestamp
        }
        Ev::BreakGlassDurationChangeDenied(e) => {
            row.kind = AuditKind::BreakGlassDurationChangeDenied;
            row.actor = e.actor;
            row.approved = false;
            row.details = Some(json!({ "seconds": e.requestedSeconds }));
            e.timestamp
        }
        Ev::RoleGranted(e) => {
            row.kind = match e.role {
                r if r == gateway_role() => AuditKind::GatewayAdded,
                r if r == ADMIN_ROLE => AuditKind::ContractAdminAdded,
                _ => return None,
            };
            row.actor = e.sender.into_word();
            row.subject = Some(e.account.into_word());
            log.block_timestamp?
        }
        Ev::RoleRevoked(e) => {
            row.kind = match e.role {
                r if r == gateway_role() => AuditKind::GatewayRemoved,
                r if r == ADMIN_ROLE => AuditKind::ContractAdminRemoved,
                _ => return None,
            };
            row.actor = e.sender.into_word();
            row.subject = Some(e.account.into_word());
            log.block_timestamp?
        }
        _ => return None,
    };
    row.timestamp = DateTime::from_timestamp(i64::try_from(timestamp).ok()?, 0)?;
    Some(row)
}
