//! GraphQL inputs, and their parsing into domain values. Every field is
//! parsed into its newtype here; a refusal is BAD_USER_INPUT naming the
//! field (`extensions.field`).

use async_graphql::{InputObject, MaybeUndefined, ID};

use super::error::ApiError;
use super::guard::{parse_record_id, parse_user_id};
use super::records::RecordType;
use super::user_object::Role;
use crate::db::InvalidInput;
use crate::records::{RecordChanges, RecordContent, RecordId, RecordTitle};
use crate::users::{FullName, UserChanges, UserId, Username};

/// Longest address, designation or department accepted, in characters.
pub const MAX_TEXT_CHARS: usize = careledger_vocab::limits::FREE_TEXT_MAX_CHARS;

/// A new account.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// 3 to 64 characters of a-z 0-9 . _ - (stored lowercase).
    pub username: String,
    /// 12 to 128 characters.
    #[graphql(secret)]
    pub password: String,
    pub full_name: String,
    pub address: Option<String>,
    /// The position held, e.g. "Attending Physician".
    pub designation: Option<String>,
    /// The department, e.g. "Cardiology".
    pub department: Option<String>,
    pub role: Role,
}

/// Changes to an account: an omitted field stays as it is; `null` clears an
/// optional one. Usernames never change; roles change through `setUserRole`,
/// passwords through `changePassword`.
#[derive(InputObject)]
pub struct UpdateUserInput {
    pub full_name: Option<String>,
    pub address: MaybeUndefined<String>,
    pub designation: MaybeUndefined<String>,
    pub department: MaybeUndefined<String>,
}

/// A new health record (its version 1).
#[derive(InputObject)]
pub struct CreateRecordInput {
    /// The patient's user id.
    pub patient_id: ID,
    pub record_type: RecordType,
    /// One line, 1 to 200 characters.
    pub title: String,
    /// A JSON object (at most 256 KiB, 32 levels deep).
    pub content: async_graphql::Json<serde_json::Value>,
}

/// A new version of a record: an omitted field keeps its current value.
#[derive(InputObject)]
pub struct UpdateRecordInput {
    pub title: Option<String>,
    pub content: Option<async_graphql::Json<serde_json::Value>>,
}

fn invalid(e: InvalidInput) -> ApiError {
    ApiError::bad_input(e.field, e.reason)
}

/// Free text (address, designation, department): trimmed; blank means
/// absent; at most 300 characters; no control characters but line breaks.
pub fn free_text(field: &'static str, raw: &str) -> Result<Option<String>, ApiError> {
    let text = raw.trim();
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::bad_input(field, "must be at most 300 characters"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::bad_input(field, "must not contain control characters"));
    }
    if crate::users::name::deceptive_char(text).is_some() {
        return Err(ApiError::bad_input(field, crate::users::name::DECEPTIVE));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

fn optional_text(field: &'static str, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    Ok(match raw {
        Some(r) => free_text(field, r)?,
        None => None,
    })
}

fn maybe_text(
    field: &'static str,
    raw: &MaybeUndefined<String>,
) -> Result<Option<Option<String>>, ApiError> {
    Ok(match raw {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(free_text(field, v)?),
    })
}

/// A `CreateUserInput`, parsed (the password is checked and hashed by the caller).
pub struct ParsedNewUser {
    pub username: Username,
    pub full_name: FullName,
    pub address: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    pub role: crate::users::Role,
}

impl CreateUserInput {
    pub fn parse(&self) -> Result<ParsedNewUser, ApiError> {
        Ok(ParsedNewUser {
            username: Username::parse(&self.username).map_err(invalid)?,
            full_name: FullName::parse(&self.full_name).map_err(invalid)?,
            address: optional_text("address", self.address.as_deref())?,
            department: optional_text("department", self.department.as_deref())?,
            position: optional_text("designation", self.designation.as_deref())?,
            role: self.role.into(),
        })
    }
}

impl UpdateUserInput {
    pub fn parse(&self) -> Result<UserChanges, ApiError> {
        Ok(UserChanges {
            full_name: self
                .full_name
                .as_deref()
                .map(FullName::parse)
                .transpose()
                .map_err(invalid)?,
            address: maybe_text("address", &self.address)?,
            department: maybe_text("department", &self.department)?,
            position: maybe_text("designation", &self.designation)?,
            password_hash: None,
        })
    }
}

/// A `CreateRecordInput`, parsed (the author is the caller).
pub struct ParsedNewRecord {
    pub patient_id: UserId,
    pub record_type: crate::records::RecordType,
    pub title: RecordTitle,
    pub content: RecordContent,
}

impl CreateRecordInput {
    pub fn parse(&self) -> Result<ParsedNewRecord, ApiError> {
        Ok(ParsedNewRecord {
            patient_id: parse_user_id(&self.patient_id, "patientId")?,
            record_type: self.record_type.into(),
            title: RecordTitle::parse(&self.title).map_err(invalid)?,
            content: RecordContent::parse(self.content.0.clone()).map_err(invalid)?,
        })
    }
}

impl UpdateRecordInput {
    pub fn parse(&self) -> Result<RecordChanges, ApiError> {
        Ok(RecordChanges {
            title: self.title.as_deref().map(RecordTitle::parse).transpose().map_err(invalid)?,
            content: self
                .content
                .as_ref()
                .map(|c| RecordContent::parse(c.0.clone()))
                .transpose()
                .map_err(invalid)?,
        })
    }
}

/// `id` arguments.
pub fn record_id(id: &ID) -> Result<RecordId, ApiError> {
    parse_record_id(id, "id")
}

pub fn user_id(id: &ID, field: &'static str) -> Result<UserId, ApiError> {
    parse_user_id(id, field)
}

/// One of the caller's passkeys, by the id `mySecondFactor` lists.
pub fn passkey_id(id: &ID, field: &'static str) -> Result<i64, ApiError> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad_input(field, "must be a passkey id (a positive whole number)"))
}
