//! What the app calls the shared vocabulary's words on screen.

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
