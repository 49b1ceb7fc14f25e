//! What the app calls the shared vocabulary's words on screen, and the
//! audit trail's event kinds that carry no action.

use careledger_vocab::{RecordType, Role};

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

/// What the audit screens call a kind of event that is not an access
/// decision (those read "Read · Health record"), when it needs more than its
/// code in words: the contract's role changes. `None` for the others.
pub fn audit_kind(code: &str) -> Option<&'static str> {
    Some(match code {
        "GATEWAY_ADDED" => "Gateway added",
        "GATEWAY_REMOVED" => "Gateway removed",
        "CONTRACT_ADMIN_ADDED" => "Contract admin added",
        "CONTRACT_ADMIN_REMOVED" => "Contract admin removed",
        _ => return None,
    })
}
