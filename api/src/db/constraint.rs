//! The schema's named constraints (and the constraint names its triggers
//! raise), each mapped to the typed error a caller can act on. A name not
//! listed here is a bug, reported as internal.

use super::error::{Conflict, InvalidInput, StoreError};

pub(super) fn to_error(constraint: &str) -> Option<StoreError> {
    let invalid = |field, reason| Some(InvalidInput::new(field, reason).into());
    match constraint {
        "users_username_key" => Some(Conflict::DuplicateUsername.into()),
        "users_system_id_key" => Some(Conflict::DuplicateSystemId.into()),
        "users_username_check" => invalid("username", "must be 3 to 64 of a-z 0-9 . _ -"),
        "users_password_hash_check" => invalid("passwordHash", "must be a PHC string"),
        "users_full_name_check" => invalid("fullName", "must be 1 to 200 characters"),
        "users_address_check" => invalid("address", "must be at most 500 characters"),
        "users_department_check" => invalid("department", "must be 1 to 100 characters"),
        "users_position_check" => invalid("position", "must be 1 to 100 characters"),
        "health_records_patient_role" => invalid("patientId", "must be an active patient"),
        "health_records_patient_id_fkey" => invalid("patientId", "no such user"),
        "health_records_author_id_fkey" => invalid("authorId", "no such user"),
        "health_records_history_closed_by_fkey" => invalid("actorId", "no such user"),
        "health_records_title_check" => invalid("title", "must be 1 to 200 characters"),
        "health_records_content_check" => invalid("content", "must be a JSON object"),
        "passkeys_user_name_key" => {
            invalid("name", crate::auth::factor::passkey::store::NAME_TAKEN)
        }
        "passkeys_credential_id_key" => invalid("credential", "this passkey is registered already"),
        "passkeys_name_check" => invalid("name", "must be 1 to 64 characters"),
        _ => None,
    }
}
