//! The kinds of health record: the shared vocabulary's [`RecordType`] (with
//! the `sqlx` feature, the PostgreSQL `record_type` enum), refused here as input.

pub use careledger_vocab::{RecordType, UnknownRecordType};

use crate::db::InvalidInput;

/// A name that is no record type is bad input in the `recordType` field.
impl From<UnknownRecordType> for InvalidInput {
    fn from(_: UnknownRecordType) -> Self {
        InvalidInput::new("recordType", "unknown record type")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_name_is_bad_input_in_the_record_type_field() {
        let e = InvalidInput::from("NOTE".parse::<RecordType>().expect_err("NOTE is no type"));
        assert_eq!((e.field, e.reason), ("recordType", "unknown record type"));
    }
}
