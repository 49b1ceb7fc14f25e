//! Every GraphQL operation the tests send, typed at build time from the root
//! `schema.graphql` by `graphql_client` (documents in `tests/queries/`), as
//! the web app types its own (`web/src/api/ops.rs`).

use graphql_client::GraphQLQuery;
use serde::{Deserialize, Serialize};

/// `DateTime` scalar: RFC 3339 text, as the server sent it.
pub type DateTime = String;
/// `JSON` scalar: a record's structured content.
#[allow(clippy::upper_case_acronyms)]
pub type JSON = serde_json::Value;
/// Which contract event an audit event is, kept as its code.
pub type AuditEventKind = String;

/// Roles and record types as the schema spells them: the shared vocabulary
/// (the api's own types, as in the web app).
pub use careledger_vocab::{RecordType, Role};

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

/// Why a clinician broke the glass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GlassReason {
    EmergencyTreatment,
    ContinuityOfCare,
    PatientRequest,
    Other,
}

/// How far a permission reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Scope {
    None,
    Own,
    Patients,
    Any,
    Care,
}

macro_rules! operation {
    ($name:ident, $file:literal) => {
        #[derive(GraphQLQuery)]
        #[graphql(
                    schema_path = "../schema.graphql",
                    query_path = $file,
                    response_derives = "Debug, Clone, PartialEq",
                    variables_derives = "Debug, Clone",
                    // An omitted input field is absent, not null (`UpdateUserInput`
                    // tells the two apart; `ClearUserAddress` sends the null).
                    skip_serializing_none,
                    extern_enums(
                        "Role", "RecordType", "IntegrityStatus", "AccessAction", "AccessResource",
                        "AuditEventKind", "GlassReason", "Scope"
                    )
                )]
        pub struct $name;
    };
}

operation!(Login, "tests/queries/auth.graphql");
operation!(Logout, "tests/queries/auth.graphql");
operation!(Me, "tests/queries/auth.graphql");
operation!(RenewSession, "tests/queries/auth.graphql");
operation!(LoginStep, "tests/queries/factor.graphql");
operation!(VerifyFactor, "tests/queries/factor.graphql");
operation!(BeginTotpEnrolment, "tests/queries/factor.graphql");
operation!(ConfirmTotpEnrolment, "tests/queries/factor.graphql");
operation!(StepUp, "tests/queries/factor.graphql");
operation!(ResetSecondFactor, "tests/queries/factor.graphql");
operation!(SetFactorPolicy, "tests/queries/factor.graphql");
operation!(RenewRecoveryCodes, "tests/queries/factor.graphql");
operation!(MySecondFactor, "tests/queries/factor.graphql");
operation!(BeginPasskeyEnrolment, "tests/queries/passkey.graphql");
operation!(ConfirmPasskeyEnrolment, "tests/queries/passkey.graphql");
operation!(BeginPasskeyVerification, "tests/queries/passkey.graphql");
operation!(VerifyPasskey, "tests/queries/passkey.graphql");
operation!(StepUpWithPasskey, "tests/queries/passkey.graphql");
operation!(RemovePasskey, "tests/queries/passkey.graphql");
operation!(MyPasskeys, "tests/queries/passkey.graphql");
operation!(SearchUsers, "tests/queries/users.graphql");
operation!(Administrators, "tests/queries/users.graphql");
operation!(UserById, "tests/queries/users.graphql");
operation!(CreateUser, "tests/queries/users.graphql");
operation!(UpdateUser, "tests/queries/users.graphql");
operation!(ClearUserAddress, "tests/queries/users.graphql");
operation!(SetUserRole, "tests/queries/users.graphql");
operation!(DeleteUser, "tests/queries/users.graphql");
operation!(ChangePassword, "tests/queries/users.graphql");
operation!(CreateRecord, "tests/queries/records.graphql");
operation!(UpdateRecord, "tests/queries/records.graphql");
operation!(DeleteRecord, "tests/queries/records.graphql");
operation!(RecordById, "tests/queries/records.graphql");
operation!(PatientRecords, "tests/queries/records.graphql");
operation!(RecordHistory, "tests/queries/records.graphql");
operation!(RecordVersion, "tests/queries/records.graphql");
operation!(RecordAsOf, "tests/queries/records.graphql");
operation!(RecordPeople, "tests/queries/records.graphql");
operation!(AuditTrail, "tests/queries/audit.graphql");
operation!(AuditFeed, "tests/queries/audit.graphql");
operation!(VerifyRecord, "tests/queries/audit.graphql");
operation!(AuditCheck, "tests/queries/audit.graphql");
operation!(ChainRoleChanges, "tests/queries/audit.graphql");
operation!(Report, "tests/queries/audit.graphql");
operation!(AccessReport, "tests/queries/audit.graphql");
operation!(CareTeam, "tests/queries/care.graphql");
operation!(AddCareTeamMember, "tests/queries/care.graphql");
operation!(EndCareRelationship, "tests/queries/care.graphql");
operation!(AdmitPatient, "tests/queries/care.graphql");
operation!(DischargePatient, "tests/queries/care.graphql");
operation!(Departments, "tests/queries/care.graphql");
operation!(BreakGlass, "tests/queries/care.graphql");
operation!(BreakGlassReviews, "tests/queries/care.graphql");
operation!(BreakGlassReviewCount, "tests/queries/care.graphql");
operation!(ReviewBreakGlass, "tests/queries/care.graphql");
operation!(RestrictAccess, "tests/queries/care.graphql");
operation!(LiftRestriction, "tests/queries/care.graphql");
operation!(MyRestrictions, "tests/queries/care.graphql");
operation!(PermissionMatrix, "tests/queries/care.graphql");
operation!(SetPermission, "tests/queries/care.graphql");
operation!(SetBreakGlassDuration, "tests/queries/care.graphql");
operation!(CareTrail, "tests/queries/care.graphql");
