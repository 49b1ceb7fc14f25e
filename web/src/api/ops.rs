//! Every GraphQL operation of the app, typed at build time from the root
//! `schema.graphql` by `graphql_client` (documents in `web/graphql/`).

use graphql_client::GraphQLQuery;
use serde::{Deserialize, Serialize};

/// Roles and record types are the shared vocabulary's (`extern_enums` below).
pub use careledger_vocab::{RecordType, Role};

/// `DateTime` scalar: RFC 3339 text, shown as the server sent it.
pub type DateTime = String;
/// `JSON` scalar: a record's structured content.
#[allow(clippy::upper_case_acronyms)]
pub type JSON = serde_json::Value;

/// One version's integrity verdict from `verifyRecord`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IntegrityStatus {
    Verified,
    Mismatch,
    MissingOnChain,
    MissingInDatabase,
}

/// What an access asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccessAction {
    Create,
    Read,
    Update,
    Delete,
    Search,
}

/// What an access was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccessResource {
    UserRecord,
    HealthRecord,
    AuditTrail,
    CareTeam,
    EmergencyAccess,
    Restriction,
}

impl AccessResource {
    pub const ALL: [AccessResource; 6] = [
        Self::UserRecord,
        Self::HealthRecord,
        Self::AuditTrail,
        Self::CareTeam,
        Self::EmergencyAccess,
        Self::Restriction,
    ];
}

impl AccessAction {
    pub const ALL: [AccessAction; 5] =
        [Self::Create, Self::Read, Self::Update, Self::Delete, Self::Search];
}

/// Why a clinician broke the glass (the contract's `GlassReason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GlassReason {
    EmergencyTreatment,
    ContinuityOfCare,
    PatientRequest,
    Other,
}

impl GlassReason {
    pub const ALL: [GlassReason; 4] =
        [Self::EmergencyTreatment, Self::ContinuityOfCare, Self::PatientRequest, Self::Other];
}

/// How far a cell of the permission matrix reaches (the contract's `Scope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Scope {
    None,
    Own,
    Patients,
    Any,
    Care,
}

impl Scope {
    pub const ALL: [Scope; 5] = [Self::None, Self::Own, Self::Patients, Self::Any, Self::Care];
}

/// Which contract event an audit event is (`ACCESS_REQUESTED`, `USER_ADDED`, …),
/// kept as its code so new kinds still display.
pub type AuditEventKind = String;

macro_rules! operation {
    ($(#[$doc:meta])* $name:ident, $file:literal) => {
        $(#[$doc])*
        #[derive(GraphQLQuery)]
        #[graphql(
            schema_path = "../schema.graphql",
            query_path = $file,
            response_derives = "Debug, Clone, PartialEq, Serialize",
            variables_derives = "Debug, Clone, PartialEq",
            extern_enums("Role", "RecordType", "IntegrityStatus", "AccessAction", "AccessResource", "AuditEventKind", "GlassReason", "Scope")
        )]
        pub struct $name;
    };
}

operation!(Login, "graphql/auth.graphql");
operation!(Logout, "graphql/auth.graphql");
operation!(Me, "graphql/auth.graphql");
operation!(RenewSession, "graphql/auth.graphql");
operation!(SystemStatusQuery, "graphql/auth.graphql");
operation!(VerifyFactor, "graphql/factor.graphql");
operation!(BeginTotpEnrolment, "graphql/factor.graphql");
operation!(ConfirmTotpEnrolment, "graphql/factor.graphql");
operation!(StepUp, "graphql/factor.graphql");
operation!(RenewRecoveryCodes, "graphql/factor.graphql");
operation!(ResetSecondFactor, "graphql/factor.graphql");
operation!(SetFactorPolicy, "graphql/factor.graphql");
operation!(SecurityStatus, "graphql/factor.graphql");
operation!(BeginPasskeyEnrolment, "graphql/factor.graphql");
operation!(ConfirmPasskeyEnrolment, "graphql/factor.graphql");
operation!(BeginPasskeyVerification, "graphql/factor.graphql");
operation!(VerifyPasskey, "graphql/factor.graphql");
operation!(StepUpWithPasskey, "graphql/factor.graphql");
operation!(RemovePasskey, "graphql/factor.graphql");
operation!(ChangePassword, "graphql/users.graphql");
operation!(SearchUsers, "graphql/users.graphql");
operation!(Administrators, "graphql/users.graphql");
operation!(UserById, "graphql/users.graphql");
operation!(CreateUser, "graphql/users.graphql");
operation!(UpdateUser, "graphql/users.graphql");
operation!(DeleteUser, "graphql/users.graphql");
operation!(SetUserRole, "graphql/users.graphql");
operation!(PatientRecords, "graphql/records.graphql");
operation!(RecordPage, "graphql/records.graphql");

operation!(CreateRecord, "graphql/records.graphql");
operation!(UpdateRecord, "graphql/records.graphql");
operation!(DeleteRecord, "graphql/records.graphql");
operation!(VerifyRecord, "graphql/audit.graphql");
operation!(AuditTrail, "graphql/audit.graphql");
operation!(AuditFeed, "graphql/audit.graphql");
operation!(AuditCheck, "graphql/audit.graphql");
operation!(CareTeam, "graphql/care.graphql");
operation!(Departments, "graphql/care.graphql");
operation!(AddCareTeamMember, "graphql/care.graphql");
operation!(EndCareRelationship, "graphql/care.graphql");
operation!(AdmitPatient, "graphql/care.graphql");
operation!(DischargePatient, "graphql/care.graphql");
operation!(BreakGlass, "graphql/care.graphql");
operation!(BreakGlassReviews, "graphql/care.graphql");
operation!(OpenReviewCount, "graphql/care.graphql");
operation!(ReviewBreakGlass, "graphql/care.graphql");
operation!(MyRestrictions, "graphql/care.graphql");
operation!(RestrictAccess, "graphql/care.graphql");
operation!(LiftRestriction, "graphql/care.graphql");
operation!(Permissions, "graphql/care.graphql");
operation!(SetPermission, "graphql/care.graphql");
operation!(SetBreakGlassDuration, "graphql/care.graphql");
