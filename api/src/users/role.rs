//! Roles: the shared vocabulary's [`Role`] (names, contract codes, and with
//! the `sqlx` feature the PostgreSQL `user_role` enum), refused here as input.

pub use careledger_vocab::{Role, UnknownRole};

use crate::db::InvalidInput;

/// A name that is no role is bad input in the `role` field.
impl From<UnknownRole> for InvalidInput {
    fn from(_: UnknownRole) -> Self {
        InvalidInput::new("role", "unknown role")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_name_is_bad_input_in_the_role_field() {
        let e = InvalidInput::from("NONE".parse::<Role>().expect_err("NONE is no role"));
        assert_eq!((e.field, e.reason), ("role", "unknown role"));
    }
}
