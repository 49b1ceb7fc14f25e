//! The access vocabulary shared with the contract: actions, resources,
//! requests and lifecycle entries, and their ABI forms.

use alloy::primitives::B256;

use crate::chain::bindings::ICareLedgerAccess;

/// What the actor wants to do. Codes match the contract's `Action` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    Create = 0,
    Read = 1,
    Update = 2,
    Delete = 3,
    Search = 4,
}

/// What the action touches. Codes match the contract's `Resource` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Resource {
    UserRecord = 0,
    HealthRecord = 1,
    AuditTrail = 2,
    /// A patient's care relationships: CREATE adds a member, DELETE ends one,
    /// UPDATE admits or discharges, READ lists the team.
    CareTeam = 3,
    /// Break-the-glass: CREATE breaks it, READ / SEARCH list the reviews,
    /// UPDATE closes a review.
    EmergencyAccess = 4,
    /// A patient's restrictions: CREATE, DELETE (lift), READ.
    Restriction = 5,
}

impl Action {
    pub const ALL: [Action; 5] =
        [Self::Create, Self::Read, Self::Update, Self::Delete, Self::Search];
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|a| *a as u8 == code)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Read => "READ",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
            Self::Search => "SEARCH",
        }
    }
}

impl Resource {
    pub const ALL: [Resource; 6] = [
        Self::UserRecord,
        Self::HealthRecord,
        Self::AuditTrail,
        Self::CareTeam,
        Self::EmergencyAccess,
        Self::Restriction,
    ];
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|r| *r as u8 == code)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserRecord => "USER_RECORD",
            Self::HealthRecord => "HEALTH_RECORD",
            Self::AuditTrail => "AUDIT_TRAIL",
            Self::CareTeam => "CARE_TEAM",
            Self::EmergencyAccess => "EMERGENCY_ACCESS",
            Self::Restriction => "RESTRICTION",
        }
    }
}

/// One access request: who wants to do what to whom. Identifiers only —
/// nothing that identifies a patient by itself ever goes on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessRequest {
    pub actor: B256,
    pub action: Action,
    pub resource: Resource,
    /// The affected user's system-wide identifier; zero for a search, and
    /// the listed patient for the record of a search's results.
    pub subject: B256,
    /// The health record concerned, if any; zero otherwise.
    pub record: B256,
    /// For user creation or role change, the contract code of the role asked for; 0 otherwise.
    pub target_role: u8,
}

impl AccessRequest {
    pub(crate) fn to_abi(self, request_id: B256) -> ICareLedgerAccess::AccessRequest {
        ICareLedgerAccess::AccessRequest {
            requestId: request_id,
            actor: self.actor,
            action: self.action as u8,
            resource: self.resource as u8,
            subject: self.subject,
            recordId: self.record,
            targetRole: self.target_role,
        }
    }
}

/// Which committed change a lifecycle entry records. Codes match the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LifecycleKind {
    UserAdded = 0,
    UserModified = 1,
    UserDeleted = 2,
    RoleChanged = 3,
    RecordVersionCreated = 4,
    RecordDeleted = 5,
    /// The authentication kinds (`AuthenticationRecorded` on chain; they
    /// change nothing there). A successful sign-in: actor = subject = the user.
    SignedIn = 6,
    /// A refused sign-in: no actor (zero); the account tried, or zero when
    /// there is no such account.
    SignInFailed = 7,
    /// A sign-out: actor = subject = the user.
    SignedOut = 8,
    /// A second factor enrolled: actor = subject = the user.
    FactorEnrolled = 9,
    /// A second factor used: actor = subject = the user.
    FactorUsed = 10,
    /// A user's second factor reset: actor = the administrator, subject = the user.
    FactorReset = 11,
    /// The care kinds: subject = the patient (the staff member for
    /// DEPARTMENT_ASSIGNED), numbered by the subject's care sequence.
    /// A clinician joins the care team: counterpart = the clinician.
    CareAdded = 12,
    /// A clinician leaves the care team: counterpart = the clinician.
    CareEnded = 13,
    /// Admitted to `department`.
    Admitted = 14,
    /// Discharged.
    Discharged = 15,
    /// A staff member's department set (`department`, 0 none).
    DepartmentAssigned = 16,
    /// Break-the-glass: actor = the clinician, `detail` the reason,
    /// content hash the salted justification hash.
    GlassBroken = 17,
    /// A review closed: actor = the auditor, counterpart = the clinician,
    /// record = the grant's entry id, `detail` 1 justified, content hash the
    /// salted note hash.
    GlassReviewed = 18,
    /// The patient (actor = subject) restricts counterpart, or `department`.
    Restricted = 19,
    /// The patient lifts that restriction.
    RestrictionLifted = 20,
}

impl LifecycleKind {
    pub const ALL: [LifecycleKind; 21] = [
        Self::UserAdded,
        Self::UserModified,
        Self::UserDeleted,
        Self::RoleChanged,
        Self::RecordVersionCreated,
        Self::RecordDeleted,
        Self::SignedIn,
        Self::SignInFailed,
        Self::SignedOut,
        Self::FactorEnrolled,
        Self::FactorUsed,
        Self::FactorReset,
        Self::CareAdded,
        Self::CareEnded,
        Self::Admitted,
        Self::Discharged,
        Self::DepartmentAssigned,
        Self::GlassBroken,
        Self::GlassReviewed,
        Self::Restricted,
        Self::RestrictionLifted,
    ];
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| *k as u8 == code)
    }
    /// Sign-ins, refused sign-ins, sign-outs and second-factor events.
    pub fn is_authentication(self) -> bool {
        (Self::SignedIn as u8..=Self::FactorReset as u8).contains(&(self as u8))
    }
    /// Care relationships, admissions, departments, break-the-glass and
    /// restrictions.
    pub fn is_care(self) -> bool {
        (self as u8) >= (Self::CareAdded as u8)
    }
    /// The contract event that records an entry of this kind when applied.
    pub fn event_name(self) -> &'static str {
        match self {
            Self::UserAdded => "UserAdded",
            Self::UserModified => "UserModified",
            Self::UserDeleted => "UserDeleted",
            Self::RoleChanged => "RoleChanged",
            Self::RecordVersionCreated => "RecordVersionCreated",
            Self::RecordDeleted => "RecordDeleted",
            Self::CareAdded => "CareRelationshipAdded",
            Self::CareEnded => "CareRelationshipEnded",
            Self::Admitted => "PatientAdmitted",
            Self::Discharged => "PatientDischarged",
            Self::DepartmentAssigned => "DepartmentAssigned",
            Self::GlassBroken => "GlassBroken",
            Self::GlassReviewed => "GlassReviewed",
            Self::Restricted => "AccessRestricted",
            Self::RestrictionLifted => "RestrictionLifted",
            _ => "AuthenticationRecorded",
        }
    }
}

/// A change already committed in the database, to be recorded on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifecycleEntry {
    /// Unique per change (the outbox row's id), so the trail can be de-duplicated.
    pub entry_id: B256,
    pub kind: LifecycleKind,
    pub actor: B256,
    pub subject: B256,
    pub record: B256,
    pub version: u64,
    /// Salted hash of the stored version (the salt stays in the database).
    pub content_hash: B256,
    /// Contract code of the role set by USER_ADDED / ROLE_CHANGED; 0 otherwise.
    pub role: u8,
    /// USER_ADDED, ROLE_CHANGED, USER_DELETED: the subject's role sequence
    /// (counted by the database, migration 0041); the contract applies only
    /// a sequence newer than the last it applied. The care kinds: the
    /// subject's care sequence (migration 0052). 0 otherwise.
    pub sequence: u64,
    /// The care kinds' other party: the clinician, the restricted staff
    /// member, the reviewed grant's clinician; zero otherwise.
    pub counterpart: B256,
    /// ADMITTED, DEPARTMENT_ASSIGNED, a department's restriction: its opaque id; 0 otherwise.
    pub department: u32,
    /// CARE_ADDED: when the membership ends (Unix seconds, 0 open-ended).
    pub until: u64,
    /// GLASS_BROKEN: the reason code; GLASS_REVIEWED: 1 justified, 0 not.
    pub detail: u8,
}

/// An empty USER_MODIFIED entry, for filling in the fields a kind uses.
impl Default for LifecycleEntry {
    fn default() -> Self {
        Self {
            entry_id: B256::ZERO,
            kind: LifecycleKind::UserModified,
            actor: B256::ZERO,
            subject: B256::ZERO,
            record: B256::ZERO,
            version: 0,
            content_hash: B256::ZERO,
            role: 0,
            sequence: 0,
            counterpart: B256::ZERO,
            department: 0,
            until: 0,
            detail: 0,
        }
    }
}

impl LifecycleEntry {
    pub(crate) fn to_abi(self) -> ICareLedgerAccess::LifecycleEntry {
        ICareLedgerAccess::LifecycleEntry {
            entryId: self.entry_id,
            kind: self.kind as u8,
            actor: self.actor,
            subject: self.subject,
            recordId: self.record,
            version: self.version,
            contentHash: self.content_hash,
            role: self.role,
            sequence: self.sequence,
            counterpart: self.counterpart,
            department: self.department,
            until: self.until,
            detail: self.detail,
        }
    }
}
