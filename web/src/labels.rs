//! What the app calls the shared vocabulary's words on screen, and the
//! audit trail's event kinds that carry no action.

use careledger_vocab::{RecordType, Role};

use crate::api::ops::{AccessAction, AccessResource};
use crate::api::{ActorKind, GlassReason, Scope};

/// A word for people to read: "Administrator", "Lab result".
pub trait Label {
    fn label(self) -> &'static str;
}

impl Label for Role {
    fn label(self) -> &'static str {
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
}

impl Label for RecordType {
    fn label(self) -> &'static str {
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
}

impl Label for GlassReason {
    fn label(self) -> &'static str {
        match self {
            GlassReason::EmergencyTreatment => "Emergency treatment",
            GlassReason::ContinuityOfCare => "Continuity of care",
            GlassReason::PatientRequest => "The patient's request",
            GlassReason::Other => "Other",
        }
    }
}

impl Label for Scope {
    fn label(self) -> &'static str {
        match self {
            Scope::None => "No",
            Scope::Own => "Own only",
            Scope::Patients => "Any patient",
            Scope::Any => "Anyone",
            Scope::Care => "In their care",
        }
    }
}

impl Label for AccessResource {
    fn label(self) -> &'static str {
        match self {
            AccessResource::UserRecord => "Accounts",
            AccessResource::HealthRecord => "Health records",
            AccessResource::AuditTrail => "Audit trail",
            AccessResource::CareTeam => "Care teams",
            AccessResource::EmergencyAccess => "Break-the-glass",
            AccessResource::Restriction => "Restrictions",
        }
    }
}

impl Label for AccessAction {
    fn label(self) -> &'static str {
        match self {
            AccessAction::Create => "Create",
            AccessAction::Read => "Read",
            AccessAction::Update => "Update",
            AccessAction::Delete => "Delete",
            AccessAction::Search => "Search",
        }
    }
}

/// What the audit screens call a kind of event that is not an access
/// decision (those read "Read · Health record"), when it needs more than its
/// code in words: the contract's role changes, sign-ins, second factors and
/// care changes.
/// `None` for the others.
pub fn audit_kind(code: &str) -> Option<&'static str> {
    Some(match code {
        "GATEWAY_ADDED" => "Gateway added",
        "GATEWAY_REMOVED" => "Gateway removed",
        "CONTRACT_ADMIN_ADDED" => "Contract admin added",
        "CONTRACT_ADMIN_REMOVED" => "Contract admin removed",
        "SIGNED_IN" => "Signed in",
        "SIGN_IN_FAILED" => "Sign-in refused",
        "SIGNED_OUT" => "Signed out",
        "FACTOR_ENROLLED" => "Second factor enrolled",
        "FACTOR_USED" => "Second factor used",
        "FACTOR_RESET" => "Second factor reset",
        "CARE_ADDED" => "Added to the care team",
        "CARE_ENDED" => "Care relationship ended",
        "PATIENT_ADMITTED" => "Admitted",
        "PATIENT_DISCHARGED" => "Discharged",
        "DEPARTMENT_ASSIGNED" => "Department assigned",
        "GLASS_BROKEN" => "Broke the glass",
        "GLASS_REVIEWED" => "Break-the-glass reviewed",
        "ACCESS_RESTRICTED" => "Access restricted",
        "RESTRICTION_LIFTED" => "Restriction lifted",
        "EMERGENCY_ACCESS" => "Emergency access",
        "BREAK_GLASS_DURATION_CHANGED" => "Break-the-glass duration changed",
        _ => return None,
    })
}

/// What a patient's report calls whoever acted when that is not a person
/// it names: never an identifier.
pub fn unnamed_actor(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::Withheld => "Another account (not named)",
        ActorKind::System => "CareLedger (the system)",
        ActorKind::ChainAccount => "A chain account",
        ActorKind::Nobody => "Someone not signed in",
        ActorKind::Person | ActorKind::Unknown => "An unknown account",
    }
}

/// The zero word: who acted in a refused sign-in (nobody proved who they were).
pub fn is_nobody(system_id: &str) -> bool {
    let hex = system_id.trim_start_matches("0x");
    !hex.is_empty() && hex.bytes().all(|b| b == b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_kinds_read_as_words_and_the_zero_word_is_nobody() {
        assert_eq!(audit_kind("SIGN_IN_FAILED"), Some("Sign-in refused"));
        assert_eq!(audit_kind("FACTOR_RESET"), Some("Second factor reset"));
        assert_eq!(audit_kind("USER_ADDED"), None);
        assert!(is_nobody(&format!("0x{}", "0".repeat(64))));
        assert!(!is_nobody(&format!("0x{}1", "0".repeat(63))));
        assert!(!is_nobody(""));
    }

    #[test]
    fn an_unnamed_actor_reads_as_words() {
        assert_eq!(unnamed_actor(ActorKind::System), "CareLedger (the system)");
        assert_eq!(unnamed_actor(ActorKind::Nobody), "Someone not signed in");
        assert_eq!(unnamed_actor(ActorKind::Withheld), "Another account (not named)");
    }
}
