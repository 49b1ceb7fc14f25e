//! One indexed event: where it sits on chain and what it says.

use alloy::primitives::{Address, B256};
use chrono::{DateTime, Utc};

use crate::gate::{Action, LifecycleKind, Resource};
use crate::records::RecordId;

/// Which contract event a row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    AccessRequested,
    UserAdded,
    UserModified,
    UserDeleted,
    RoleChanged,
    RecordVersionCreated,
    RecordDeleted,
    PermissionChanged,
    PermissionChangeDenied,
    /// A lifecycle entry the contract did not apply (replayed or stale).
    LifecycleRefused,
    /// The event before it is a re-recording of what the chain lost.
    ReRecorded,
    /// A request re-recorded a second time, refused.
    ReRecordRefused,
    /// An account may now record on chain (an api server's key): `RoleGranted`
    /// of `GATEWAY_ROLE`. Actor and subject are chain accounts (see
    /// [`AuditKind::names_accounts`]).
    GatewayAdded,
    /// A gateway removed: `RoleRevoked` of `GATEWAY_ROLE`.
    GatewayRemoved,
    /// An account may now add and remove gateways: `RoleGranted` of
    /// `DEFAULT_ADMIN_ROLE`.
    ContractAdminAdded,
    /// An admin removed or renounced: `RoleRevoked` of `DEFAULT_ADMIN_ROLE`.
    ContractAdminRemoved,
    /// `AuthenticationRecorded` SIGNED_IN: the user (actor = subject) signed in.
    SignedIn,
    /// `AuthenticationRecorded` SIGN_IN_FAILED: a refused sign-in; no actor
    /// (the zero word), the account tried as subject when it exists.
    /// `approved` is false.
    SignInFailed,
    /// `AuthenticationRecorded` SIGNED_OUT.
    SignedOut,
    /// `AuthenticationRecorded` FACTOR_ENROLLED.
    FactorEnrolled,
    /// `AuthenticationRecorded` FACTOR_USED.
    FactorUsed,
    /// `AuthenticationRecorded` FACTOR_RESET: actor the administrator.
    FactorReset,
    /// `CareRelationshipAdded`: actor added `details.counterpart` (the
    /// clinician) to subject's care team until `details.until` (0 open-ended).
    CareAdded,
    /// `CareRelationshipEnded`.
    CareEnded,
    /// `PatientAdmitted` to `details.department`.
    PatientAdmitted,
    /// `PatientDischarged` from `details.department`.
    PatientDischarged,
    /// `DepartmentAssigned`: subject (a staff member) now works in `details.department` (0 none).
    DepartmentAssigned,
    /// `GlassBroken`: actor broke the glass on subject; `details.reason`,
    /// `details.until`; content hash = the salted justification hash.
    GlassBroken,
    /// `GlassReviewed`: actor (an auditor) closed the review of grant
    /// `record` (its entry id); `details.counterpart` the clinician,
    /// `details.justified`; content hash = the salted note hash.
    GlassReviewed,
    /// `AccessRestricted`: subject (the patient) restricted `details.counterpart`
    /// or `details.department`.
    AccessRestricted,
    /// `RestrictionLifted`.
    RestrictionLifted,
    /// `EmergencyAccess`: request `entry_id` was decided under actor's
    /// break-the-glass grant on subject (until `details.until`).
    EmergencyAccess,
    /// `BreakGlassDurationChanged`: `details.seconds`.
    BreakGlassDurationChanged,
    /// `BreakGlassDurationChangeDenied`: `details.seconds` asked for.
    BreakGlassDurationChangeDenied,
}

impl AuditKind {
    pub const ALL: [AuditKind; 34] = [
        Self::AccessRequested,
        Self::UserAdded,
        Self::UserModified,
        Self::UserDeleted,
        Self::RoleChanged,
        Self::RecordVersionCreated,
        Self::RecordDeleted,
        Self::PermissionChanged,
        Self::PermissionChangeDenied,
        Self::LifecycleRefused,
        Self::ReRecorded,
        Self::ReRecordRefused,
        Self::GatewayAdded,
        Self::GatewayRemoved,
        Self::ContractAdminAdded,
        Self::ContractAdminRemoved,
        Self::SignedIn,
        Self::SignInFailed,
        Self::SignedOut,
        Self::FactorEnrolled,
        Self::FactorUsed,
        Self::FactorReset,
        Self::CareAdded,
        Self::CareEnded,
        Self::PatientAdmitted,
        Self::PatientDischarged,
        Self::DepartmentAssigned,
        Self::GlassBroken,
        Self::GlassReviewed,
        Self::AccessRestricted,
        Self::RestrictionLifted,
        Self::EmergencyAccess,
        Self::BreakGlassDurationChanged,
        Self::BreakGlassDurationChangeDenied,
    ];

    /// The name stored in `audit_events.kind` (and used in GraphQL).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessRequested => "ACCESS_REQUESTED",
            Self::UserAdded => "USER_ADDED",
            Self::UserModified => "USER_MODIFIED",
            Self::UserDeleted => "USER_DELETED",
            Self::RoleChanged => "ROLE_CHANGED",
            Self::RecordVersionCreated => "RECORD_VERSION_CREATED",
            Self::RecordDeleted => "RECORD_DELETED",
            Self::PermissionChanged => "PERMISSION_CHANGED",
            Self::PermissionChangeDenied => "PERMISSION_CHANGE_DENIED",
            Self::LifecycleRefused => "LIFECYCLE_REFUSED",
            Self::ReRecorded => "RE_RECORDED",
            Self::ReRecordRefused => "RE_RECORD_REFUSED",
            Self::GatewayAdded => "GATEWAY_ADDED",
            Self::GatewayRemoved => "GATEWAY_REMOVED",
            Self::ContractAdminAdded => "CONTRACT_ADMIN_ADDED",
            Self::ContractAdminRemoved => "CONTRACT_ADMIN_REMOVED",
            Self::SignedIn => "SIGNED_IN",
            Self::SignInFailed => "SIGN_IN_FAILED",
            Self::SignedOut => "SIGNED_OUT",
            Self::FactorEnrolled => "FACTOR_ENROLLED",
            Self::FactorUsed => "FACTOR_USED",
            Self::FactorReset => "FACTOR_RESET",
            Self::CareAdded => "CARE_ADDED",
            Self::CareEnded => "CARE_ENDED",
            Self::PatientAdmitted => "PATIENT_ADMITTED",
            Self::PatientDischarged => "PATIENT_DISCHARGED",
            Self::DepartmentAssigned => "DEPARTMENT_ASSIGNED",
            Self::GlassBroken => "GLASS_BROKEN",
            Self::GlassReviewed => "GLASS_REVIEWED",
            Self::AccessRestricted => "ACCESS_RESTRICTED",
            Self::RestrictionLifted => "RESTRICTION_LIFTED",
            Self::EmergencyAccess => "EMERGENCY_ACCESS",
            Self::BreakGlassDurationChanged => "BREAK_GLASS_DURATION_CHANGED",
            Self::BreakGlassDurationChangeDenied => "BREAK_GLASS_DURATION_CHANGE_DENIED",
        }
    }

    /// The contract's role changes name chain accounts, not users: `actor`
    /// is the account that sent the change and `subject` the account that
    /// gained or lost the role, each a left-padded address word
    /// (migrations/0045_gateway_events.sql).
    pub fn names_accounts(self) -> bool {
        matches!(
            self,
            Self::GatewayAdded
                | Self::GatewayRemoved
                | Self::ContractAdminAdded
                | Self::ContractAdminRemoved
        )
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Lifecycle entries carry an entry id that may be delivered twice (the
    /// contract refuses a copy only of a role-bearing entry). Refusals and
    /// re-recording marks are never duplicates: each is its own evidence.
    pub fn is_lifecycle(self) -> bool {
        matches!(
            self,
            Self::UserAdded
                | Self::UserModified
                | Self::UserDeleted
                | Self::RoleChanged
                | Self::RecordVersionCreated
                | Self::RecordDeleted
        ) || self.is_authentication()
            || self.is_care()
    }

    /// Care relationships, admissions, departments, break-the-glass and
    /// its reviews, restrictions: the care lifecycle entries.
    pub fn is_care(self) -> bool {
        matches!(
            self,
            Self::CareAdded
                | Self::CareEnded
                | Self::PatientAdmitted
                | Self::PatientDischarged
                | Self::DepartmentAssigned
                | Self::GlassBroken
                | Self::GlassReviewed
                | Self::AccessRestricted
                | Self::RestrictionLifted
        )
    }

    /// Sign-ins, refused sign-ins, sign-outs and second-factor events.
    pub fn is_authentication(self) -> bool {
        matches!(
            self,
            Self::SignedIn
                | Self::SignInFailed
                | Self::SignedOut
                | Self::FactorEnrolled
                | Self::FactorUsed
                | Self::FactorReset
        )
    }

    /// The row kind of an `AuthenticationRecorded` event's `kind` (a
    /// contract `Lifecycle` code); `None` for a data-change code.
    pub fn of_authentication(kind: LifecycleKind) -> Option<Self> {
        Some(match kind {
            LifecycleKind::SignedIn => Self::SignedIn,
            LifecycleKind::SignInFailed => Self::SignInFailed,
            LifecycleKind::SignedOut => Self::SignedOut,
            LifecycleKind::FactorEnrolled => Self::FactorEnrolled,
            LifecycleKind::FactorUsed => Self::FactorUsed,
            LifecycleKind::FactorReset => Self::FactorReset,
            _ => return None,
        })
    }
}

/// One row of the audit index. Zero words on chain are `None` here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub block_number: u64,
    pub block_hash: B256,
    pub transaction_hash: B256,
    pub log_index: u64,
    pub timestamp: DateTime<Utc>,
    pub kind: AuditKind,
    pub actor: B256,
    pub subject: Option<B256>,
    pub record: Option<B256>,
    pub action: Option<Action>,
    pub resource: Option<Resource>,
    /// Target role, new role, or the matrix cell's role (contract code).
    pub role: Option<u8>,
    /// The verdict; lifecycle events and applied permission changes are `true`.
    pub approved: bool,
    /// Request id or lifecycle entry id.
    pub entry_id: Option<B256>,
    pub version: Option<u64>,
    pub content_hash: Option<B256>,
    /// A second (or later) delivery of a lifecycle entry already on chain.
    pub duplicate: bool,
    /// LIFECYCLE_REFUSED: why (0 REPLAYED, 1 STALE).
    pub refusal: Option<u8>,
    /// A re-recorded event and its RE_RECORDED mark: where and when the
    /// event first was, before the chain lost it.
    pub original: Option<Original>,
    /// A row of `audit_lost_events`: when the indexer found its block gone.
    pub lost_at: Option<DateTime<Utc>>,
    /// What the kind says beyond the columns (the care kinds; an access
    /// decided under break-the-glass: `emergencyUntil`), as JSON.
    pub details: Option<serde_json::Value>,
}

/// Where a re-recorded event was first mined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Original {
    pub transaction_hash: B256,
    pub block_number: u64,
    pub timestamp: DateTime<Utc>,
}

impl AuditEvent {
    /// The access was decided under a break-the-glass grant: the grant's end
    /// (Unix seconds).
    pub fn emergency_until(&self) -> Option<u64> {
        self.details.as_ref()?.get("emergencyUntil")?.as_u64()
    }

    /// The care kinds' other party (`details.counterpart`): the clinician,
    /// the restricted staff member.
    pub fn counterpart(&self) -> Option<B256> {
        self.details.as_ref()?.get("counterpart")?.as_str()?.parse().ok()
    }

    /// The record id when the word is a left-padded UUID (see
    /// `From<RecordId> for B256`).
    pub fn record_uuid(&self) -> Option<RecordId> {
        self.record.and_then(|w| RecordId::from_word(&w))
    }

    /// A role change's account that gained or lost the role.
    pub fn account(&self) -> Option<Address> {
        self.kind.names_accounts().then_some(self.subject).flatten().map(address_of)
    }

    /// A role change's sender: the account that made it.
    pub fn sender(&self) -> Option<Address> {
        self.kind.names_accounts().then(|| address_of(self.actor))
    }
}

/// The address in a left-padded address word (its last 20 bytes).
fn address_of(word: B256) -> Address {
    Address::from_word(word)
}

/// `None` for the zero word.
pub fn nonzero(word: B256) -> Option<B256> {
    (!word.is_zero()).then_some(word)
}
