//! The kinds of health record.

use std::fmt;
use std::str::FromStr;

use crate::db::InvalidInput;

/// What a record is: the `record_type` enum in PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "record_type", rename_all = "SCREAMING_SNAKE_CASE")]
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

    /// The name as stored and hashed: `LAB_RESULT`.
    pub const fn as_str(self) -> &'static str {
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
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordType {
    type Err = InvalidInput;

    /// Accepts the names in any case: `LAB_RESULT`, `lab_result`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RecordType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or(InvalidInput::new("recordType", "unknown record type"))
    }
}
