//! The one client for every call the app makes: GraphQL over `fetch`
//! (`/graphql`) and the live feed over a WebSocket (`/graphql/ws`). The
//! session token is passed in by the caller and lives only in memory.

pub mod ops;
pub mod ws;

use careledger_vocab::ErrorCode;
use graphql_client::GraphQLQuery;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use ops::{GlassReason, IntegrityStatus, RecordType, Role, Scope};

/// One on-chain receipt of an access the request made (`extensions.audit`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub event: String,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub resource: Option<String>,
    pub transaction_hash: String,
    pub block_number: u64,
    pub log_index: u64,
    pub approved: bool,
}

/// A refusal or failure, with the server's `extensions.code` (a code this
/// app does not know reads as INTERNAL).
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub retry_after_seconds: Option<u64>,
    pub current_version: Option<i64>,
    pub field: Option<String>,
    /// `extensions.careRelationship`: false when a clinician was refused a
    /// patient's health records for want of a care relationship (the app
    /// then offers break-the-glass).
    pub care_relationship: Option<bool>,
}

impl ApiError {
    /// An error the app itself concludes.
    pub fn local(code: ErrorCode, message: &str) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_seconds: None,
            current_version: None,
            field: None,
            care_relationship: None,
        }
    }
    /// The server could not be reached at all.
    pub fn unreachable() -> Self {
        Self::local(
            ErrorCode::Unreachable,
            "The CareLedger server cannot be reached. Check your connection and try again.",
        )
    }
    /// A clinician refused a patient's records for want of a care relationship.
    pub fn not_on_care_team(&self) -> bool {
        self.code == ErrorCode::Forbidden && self.care_relationship == Some(false)
    }
    /// What a person should read.
    pub fn explain(&self) -> String {
        match self.code {
            ErrorCode::Unauthenticated => {
                format!("Not signed in: {}.", self.message.trim_end_matches('.'))
            }
            ErrorCode::Forbidden if self.not_on_care_team() => {
                "You are not on this patient's care team. The refusal was recorded on chain.".into()
            }
            ErrorCode::Forbidden => {
                "Your role does not allow this. The refusal was recorded on chain.".into()
            }
            ErrorCode::NotFound => "Nothing was found with that identifier.".into(),
            ErrorCode::Conflict => "Someone else saved this first.".into(),
            ErrorCode::BadUserInput => match &self.field {
                // The server's message starts with the field's name already.
                Some(f) => {
                    let m =
                        self.message.strip_prefix(f.as_str()).and_then(|m| m.strip_prefix(": "));
                    format!("Please check “{f}”: {}", m.unwrap_or(&self.message))
                }
                None => self.message.clone(),
            },
            ErrorCode::TooManyAttempts => match self.retry_after_seconds {
                Some(s) => format!("Too many attempts. Try again in {}.", wait_text(s)),
                None => "Too many attempts. Try again later.".into(),
            },
            ErrorCode::FactorRequired => {
                format!("Second factor needed: {}.", self.message.trim_end_matches('.'))
            }
            ErrorCode::Unavailable => {
                "The service is temporarily unavailable. Please try again shortly.".into()
            }
            ErrorCode::Overloaded => {
                "The service is busy right now and did nothing. Please try again in a moment."
                    .into()
            }
            ErrorCode::Unreachable => self.message.clone(),
            _ => "Something went wrong on the server. Please try again.".into(),
        }
    }
}

/// "14 minutes" / "40 seconds".
pub fn wait_text(seconds: u64) -> String {
    if seconds >= 90 {
        let m = seconds.div_ceil(60);
        format!("{m} minutes")
    } else if seconds == 1 {
        "1 second".into()
    } else {
        format!("{seconds} seconds")
    }
}

/// What one call produced: its result and the receipts of its accesses
/// (refusals have receipts too).
#[derive(Debug)]
pub struct Outcome<T> {
    pub result: Result<T, ApiError>,
    pub receipts: Vec<Receipt>,
}

#[derive(Deserialize)]
struct RawResponse<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<RawError>,
    #[serde(default)]
    extensions: Option<RawExtensions>,
}

#[derive(Deserialize)]
struct RawExtensions {
    #[serde(default)]
    audit: Vec<Receipt>,
}

#[derive(Deserialize)]
struct RawError {
    message: String,
    #[serde(default)]
    extensions: Option<RawErrorExtensions>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawErrorExtensions {
    code: Option<String>,
    retry_after_seconds: Option<u64>,
    current_version: Option<i64>,
    field: Option<String>,
    care_relationship: Option<bool>,
}

/// Runs one operation, as the holder of `token` (or anonymously).
pub async fn run<Q: GraphQLQuery>(
    token: Option<&str>,
    variables: Q::Variables,
) -> Outcome<Q::ResponseData> {
    let body = Q::build_query(variables);
    let mut request =
        gloo_net::http::Request::post("/graphql").header("Content-Type", "application/json");
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let sent = match request.json(&body) {
        Ok(r) => r.send().await,
        Err(_) => {
            return Outcome {
                result: Err(ApiError::local(ErrorCode::Internal, "request could not be built")),
                receipts: vec![],
            }
        }
    };
    let response = match sent {
        Ok(r) => r,
        Err(_) => return Outcome { result: Err(ApiError::unreachable()), receipts: vec![] },
    };
    let status = response.status();
    let raw: RawResponse<Q::ResponseData> = match response.json().await {
        Ok(raw) => raw,
        Err(_) if status == 413 => {
            return Outcome {
                result: Err(ApiError::local(ErrorCode::BadUserInput, "That is too large to send.")),
                receipts: vec![],
            }
        }
        Err(_) => {
            return Outcome {
                result: Err(ApiError::local(ErrorCode::Unavailable, "unexpected answer")),
                receipts: vec![],
            }
        }
    };
    let receipts = raw.extensions.map(|e| e.audit).unwrap_or_default();
    let result = match (raw.errors.into_iter().next(), raw.data) {
        (Some(e), _) => {
            let ext = e.extensions.unwrap_or_default();
            Err(ApiError {
                code: ext.code.and_then(|c| c.parse().ok()).unwrap_or(ErrorCode::Internal),
                message: e.message,
                retry_after_seconds: ext.retry_after_seconds,
                current_version: ext.current_version,
                field: ext.field,
                care_relationship: ext.care_relationship,
            })
        }
        (None, Some(data)) => Ok(data),
        (None, None) => Err(ApiError::local(ErrorCode::Internal, "empty answer")),
    };
    Outcome { result, receipts }
}

/// Re-reads a generated (per-operation) type as the app's shared type; both
/// come from the same fragment, so the fields match by construction.
pub fn convert<A: Serialize, B: DeserializeOwned>(a: A) -> Option<B> {
    serde_json::to_value(a).ok().and_then(|v| serde_json::from_value(v).ok())
}

/// The schema's name of an enum value (`EMERGENCY_TREATMENT`), for a form's `<option>`.
pub fn enum_code<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The enum value the schema names `code`, if any.
pub fn enum_of<T: DeserializeOwned>(code: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
}

/// A whole account (the `Account` fragment): one's own (`me`), or another's
/// through `user(id)`, a USER_RECORD READ of them.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: String,
    pub system_id: Option<String>,
    pub username: String,
    pub full_name: String,
    pub address: Option<String>,
    pub designation: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    pub role: Role,
}

/// A person named by a record, an event or a search result: the schema's
/// `Person`, a professional identity (no address, username or system id).
/// Fragments select what they show; the rest is absent.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub id: String,
    pub full_name: String,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub designation: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub position: Option<String>,
}

/// A health record (current version) — the `Record` fragment.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub id: String,
    pub record_type: RecordType,
    pub title: String,
    pub content: serde_json::Value,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub content_hash: String,
    pub patient: Option<Person>,
    pub author: Option<Person>,
}

/// One version of a record — the `Version` fragment.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub id: String,
    pub record_type: RecordType,
    pub title: String,
    pub content: serde_json::Value,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub content_hash: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub author: Option<Person>,
}

/// Who acted in an audit event (the schema's `AuditActorKind`); a kind
/// this app does not know reads as `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActorKind {
    /// Named in `actor`.
    Person,
    /// An account the caller is not shown (to a patient, another patient).
    Withheld,
    /// CareLedger itself.
    System,
    /// A chain account (`sender`).
    ChainAccount,
    /// No one proved who they were: a refused sign-in.
    Nobody,
    #[default]
    #[serde(other)]
    Unknown,
}

/// One audit event — the `Event` fragment.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub timestamp: String,
    pub kind: String,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub record_id: Option<String>,
    pub version: Option<i64>,
    pub approved: bool,
    pub actor_system_id: Option<String>,
    /// Who acted, in a word: a person (`actor`), or what else.
    pub actor_kind: ActorKind,
    pub actor: Option<Person>,
    pub subject_system_id: Option<String>,
    pub subject: Option<Person>,
    /// The contract's role changes: the chain account that gained or lost the role.
    pub account: Option<String>,
    /// The contract's role changes: the chain account that made the change.
    pub sender: Option<String>,
    pub transaction_hash: String,
    pub block_number: String,
    pub log_index: i64,
    /// A re-recorded event: when it really happened, before the chain lost it.
    pub original_at: Option<String>,
    /// An event of a block the chain lost (shown only when asked for).
    pub lost_at: Option<String>,
    /// An access decided under the actor's break-the-glass grant.
    #[serde(default)]
    pub emergency: bool,
    /// Care events: the clinician added, ended or reviewed; the staff member restricted.
    #[serde(default)]
    pub counterpart: Option<Person>,
    /// Care events: the department admitted to, discharged from or restricted.
    #[serde(default)]
    pub department: Option<String>,
    /// A care membership's end; a break-the-glass grant's end.
    #[serde(default)]
    pub until: Option<String>,
    /// GLASS_BROKEN: why.
    #[serde(default)]
    pub glass_reason: Option<GlassReason>,
    /// GLASS_REVIEWED: the auditor's verdict.
    #[serde(default)]
    pub justified: Option<bool>,
}
