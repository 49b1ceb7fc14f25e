//! The kinds of health record.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(feature = "sqlx", sqlx(type_name = "record_type", rename_all = "SCREAMING_SNAKE_CASE"))]
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

    /// The name as stored, hashed and named in GraphQL: `LAB_RESULT`.
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

/// A name that is no record type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownRecordType;

impl fmt::Display for UnknownRecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown record type")
    }
}

impl std::error::Error for UnknownRecordType {}

impl FromStr for RecordType {
    type Err = UnknownRecordType;

    /// Accepts the names in any case: `LAB_RESULT`, `lab_result`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RecordType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or(UnknownRecordType)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in RecordType::ALL {
            assert_eq!(t.as_str().parse::<RecordType>(), Ok(t));
            let json = serde_json::to_value(t).expect("serialize");
            assert_eq!(json, serde_json::Value::String(t.as_str().to_owned()));
            assert_eq!(serde_json::from_value::<RecordType>(json).expect("deserialize"), t);
        }
        assert_eq!("lab_result".parse::<RecordType>(), Ok(RecordType::LabResult));
        assert_eq!("LAB RESULT".parse::<RecordType>(), Err(UnknownRecordType));
    }
}
