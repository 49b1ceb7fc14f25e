//! Every GraphQL operation of the app, typed at build time from the root
//! `schema.graphql` by `graphql_client` (documents in `web/graphql/`).

use graphql_client::GraphQLQuery;
use serde::{Deserialize, Serialize};

/// `DateTime` scalar: RFC 3339 text, shown as the server sent it.
pub type DateTime = String;
/// `JSON` scalar: a record's structured content.
#[allow(clippy::upper_case_acronyms)]
pub type JSON = serde_json::Value;

/// A role, as the access contract knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Root,
    Admin,
    Doctor,
    Nurse,
    Receptionist,
    Auditor,
    Patient,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Root,
        Role::Admin,
        Role::Doctor,
        Role::Nurse,
        Role::Receptionist,
        Role::Auditor,
        Role::Patient,
    ];
    /// The roles people search may show (never ROOT or ADMIN).
    pub const SEARCHABLE: [Role; 5] =
        [Role::Doctor, Role::Nurse, Role::Receptionist, Role::Auditor, Role::Patient];

    pub fn label(self) -> &'static str {
        match self {
            Role::Root => "Root",
            Role::Admin => "Administrator",
            Role::Doctor => "Doctor",
            Role::Nurse => "Nurse",
            Role::Receptionist => "Receptionist",
            Role::Auditor => "Auditor",
            Role::Patient => "Patient",
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Role::Root => "ROOT",
            Role::Admin => "ADMIN",
            Role::Doctor => "DOCTOR",
            Role::Nurse => "NURSE",
            Role::Receptionist => "RECEPTIONIST",
            Role::Auditor => "AUDITOR",
            Role::Patient => "PATIENT",
        }
    }
    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// The kind of a health record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordType {
    Diagnosis,
    Prescription,
    LabResult,
    VitalSigns,
    Allergy,
    Procedure,
    ClinicalNote,
}

impl RecordType {
    pub const ALL: [RecordType; 7] = [
        RecordType::Diagnosis,
        RecordType::Prescription,
        RecordType::LabResult,
        RecordType::VitalSigns,
        RecordType::Allergy,
        RecordType::Procedure,
        RecordType::ClinicalNote,
    ];
    pub fn label(self) -> &'static str {
        match self {
            RecordType::Diagnosis => "Diagnosis",
            RecordType::Prescription => "Prescription",
            RecordType::LabResult => "Lab result",
            RecordType::VitalSigns => "Vital signs",
            RecordType::Allergy => "Allergy",
            RecordType::Procedure => "Procedure",
            RecordType::ClinicalNote => "Clinical note",
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            RecordType::Diagnosis => "DIAGNOSIS",
            RecordType::Prescription => "PRESCRIPTION",
            RecordType::LabResult => "LAB_RESULT",
            RecordType::VitalSigns => "VITAL_SIGNS",
            RecordType::Allergy => "ALLERGY",
            RecordType::Procedure => "PROCEDURE",
            RecordType::ClinicalNote => "CLINICAL_NOTE",
        }
    }
    pub fn parse(code: &str) -> Option<RecordType> {
        RecordType::ALL.into_iter().find(|r| r.code() == code)
    }
}

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
            variables_derives = "Debug, Clone",
            extern_enums("Role", "RecordType", "IntegrityStatus", "AccessAction", "AccessResource", "AuditEventKind")
        )]
        pub struct $name;
    };
}

operation!(Login, "graphql/auth.graphql");
operation!(Logout, "graphql/auth.graphql");
operation!(Me, "graphql/auth.graphql");
operation!(SystemStatusQuery, "graphql/auth.graphql");
operation!(ChangePassword, "graphql/users.graphql");
operation!(SearchUsers, "graphql/users.graphql");
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
