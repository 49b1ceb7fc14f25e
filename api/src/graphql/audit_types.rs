//! The audit trail's GraphQL types: `AuditEvent`, its filter and enums, the
//! per-request user loader, and the integrity report.

use std::collections::HashMap;
use std::sync::Arc;

use alloy::primitives::B256;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::error::ApiError;
use super::guard::parse_record_id;
use super::person_object::PersonObject;
use crate::audit::{self, AuditKind};
use crate::bootstrap::SYSTEM_ACTOR;
use crate::db::StoreError;
use crate::gate::{Action, Resource};
use crate::users::{Person, Role, SystemId, User};

/// Which contract event an audit event is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "AuditEventKind")]
pub enum Kind {
    AccessRequested,
    UserAdded,
    UserModified,
    UserDeleted,
    RoleChanged,
    RecordVersionCreated,
    RecordDeleted,
    PermissionChanged,
    PermissionChangeDenied,
    /// A role-bearing lifecycle entry the contract did not apply: already
    /// applied (REPLAYED) or older than the subject's last role change (STALE).
    LifecycleRefused,
    /// The event before it (same transaction) records again what the chain
    /// lost; `originalTransaction` and `originalAt` say where and when it was.
    ReRecorded,
    /// A second re-recording of one request, refused.
    ReRecordRefused,
    /// A gateway added: `account` (an api server's key) may now record
    /// access decisions and changes; `sender` added it (the contract's admin).
    GatewayAdded,
    /// A gateway removed: `account` may no longer record anything.
    GatewayRemoved,
    /// A contract admin added: `account` may now add and remove gateways.
    ContractAdminAdded,
    /// A contract admin removed (or renounced its role).
    ContractAdminRemoved,
    /// The user (actor and subject) signed in.
    SignedIn,
    /// A refused sign-in (wrong password, or no such account): no actor
    /// (`actorSystemId` is zero); the subject is the account tried when it
    /// exists. `approved` is false. Never the username or the password.
    SignInFailed,
    /// The user signed out.
    SignedOut,
    /// The user enrolled a second factor.
    FactorEnrolled,
    /// The user signed in with their second factor.
    FactorUsed,
    /// An administrator (actor) reset the subject's second factor.
    FactorReset,
    /// The actor added a clinician (`counterpartSystemId`) to the subject's
    /// care team, until `until` (none: until ended).
    CareAdded,
    /// The actor ended a clinician's (`counterpartSystemId`) care relationship.
    CareEnded,
    /// The actor admitted the subject to department `department`.
    PatientAdmitted,
    /// The actor discharged the subject from department `department`.
    PatientDischarged,
    /// The subject (a staff member) now works in department `department` (0: none).
    DepartmentAssigned,
    /// The actor broke the glass on the subject (`glassReason`), access
    /// granted until `until`; `contentHash` is the justification's salted hash.
    GlassBroken,
    /// The actor (an auditor) closed the review of a break-the-glass
    /// (`recordId` holds its entry id; `justified`).
    GlassReviewed,
    /// The subject (a patient) restricted a staff member
    /// (`counterpartSystemId`) or a department (`department`).
    AccessRestricted,
    /// The subject lifted that restriction.
    RestrictionLifted,
    /// The access request `entryId` was decided under the actor's
    /// break-the-glass grant on the subject.
    EmergencyAccess,
    /// ROOT changed how long a break-the-glass grant lasts.
    BreakGlassDurationChanged,
    /// Someone not ROOT tried to; nothing changed.
    BreakGlassDurationChangeDenied,
}

impl From<AuditKind> for Kind {
    fn from(k: AuditKind) -> Self {
        match k {
            AuditKind::AccessRequested => Self::AccessRequested,
            AuditKind::UserAdded => Self::UserAdded,
            AuditKind::UserModified => Self::UserModified,
            AuditKind::UserDeleted => Self::UserDeleted,
            AuditKind::RoleChanged => Self::RoleChanged,
            AuditKind::RecordVersionCreated => Self::RecordVersionCreated,
            AuditKind::RecordDeleted => Self::RecordDeleted,
            AuditKind::PermissionChanged => Self::PermissionChanged,
            AuditKind::PermissionChangeDenied => Self::PermissionChangeDenied,
            AuditKind::LifecycleRefused => Self::LifecycleRefused,
            AuditKind::ReRecorded => Self::ReRecorded,
            AuditKind::ReRecordRefused => Self::ReRecordRefused,
            AuditKind::GatewayAdded => Self::GatewayAdded,
            AuditKind::GatewayRemoved => Self::GatewayRemoved,
            AuditKind::ContractAdminAdded => Self::ContractAdminAdded,
            AuditKind::ContractAdminRemoved => Self::ContractAdminRemoved,
            AuditKind::SignedIn => Self::SignedIn,
            AuditKind::SignInFailed => Self::SignInFailed,
            AuditKind::SignedOut => Self::SignedOut,
            AuditKind::FactorEnrolled => Self::FactorEnrolled,
            AuditKind::FactorUsed => Self::FactorUsed,
            AuditKind::FactorReset => Self::FactorReset,
            AuditKind::CareAdded => Self::CareAdded,
            AuditKind::CareEnded => Self::CareEnded,
            AuditKind::PatientAdmitted => Self::PatientAdmitted,
            AuditKind::PatientDischarged => Self::PatientDischarged,
            AuditKind::DepartmentAssigned => Self::DepartmentAssigned,
            AuditKind::GlassBroken => Self::GlassBroken,
            AuditKind::GlassReviewed => Self::GlassReviewed,
            AuditKind::AccessRestricted => Self::AccessRestricted,
            AuditKind::RestrictionLifted => Self::RestrictionLifted,
            AuditKind::EmergencyAccess => Self::EmergencyAccess,
            AuditKind::BreakGlassDurationChanged => Self::BreakGlassDurationChanged,
            AuditKind::BreakGlassDurationChangeDenied => Self::BreakGlassDurationChangeDenied,
        }
    }
}

impl From<Kind> for AuditKind {
    fn from(k: Kind) -> Self {
        AuditKind::ALL
            .into_iter()
            .find(|a| Kind::from(*a) == k)
            .unwrap_or(AuditKind::AccessRequested)
    }
}

/// Who acted in an event, in one word, so that a client can say so in words
/// rather than show an identifier.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "AuditActorKind")]
pub enum ActorKind {
    /// A user of the hospital, named in `actor` (the caller themself too).
    Person,
    /// An account the caller is not shown: to a patient, another patient.
    Withheld,
    /// CareLedger itself: the root account made at first start, an
    /// identifier assigned at first login, an access recorded again after
    /// the chain lost it.
    System,
    /// A chain account (GATEWAY_* and CONTRACT_ADMIN_*): `sender`.
    ChainAccount,
    /// No one proved who they were: a refused sign-in.
    Nobody,
    /// An identifier no account here holds.
    Unknown,
}

/// An action, as the access contract knows it.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::gate::Action")]
pub enum AccessAction {
    Create,
    Read,
    Update,
    Delete,
    Search,
}

/// A resource, as the access contract knows it.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::gate::Resource")]
pub enum AccessResource {
    UserRecord,
    HealthRecord,
    AuditTrail,
    /// A patient's care team and admission.
    CareTeam,
    /// Break-the-glass and its reviews.
    EmergencyAccess,
    /// A patient's restrictions.
    Restriction,
}

/// What to look for in the audit trail; every field narrows.
#[derive(InputObject, Default, Debug)]
pub struct AuditFilter {
    /// The actor's system id (hex).
    pub actor: Option<String>,
    /// The subject's system id (hex).
    pub subject: Option<String>,
    pub record_id: Option<ID>,
    pub action: Option<AccessAction>,
    pub resource: Option<AccessResource>,
    /// The verdict: true approved, false denied.
    pub approved: Option<bool>,
    pub kind: Option<Kind>,
    /// From this instant (inclusive).
    pub since: Option<DateTime<Utc>>,
    /// Until this instant (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// Also list the repeated deliveries of lifecycle entries (default false).
    pub include_duplicates: Option<bool>,
    /// Also list the events of blocks the chain lost (default false); each
    /// was re-recorded, and the re-recorded event names it.
    pub include_lost: Option<bool>,
}

fn system_id(value: &str, field: &str) -> Result<SystemId, ApiError> {
    value
        .parse::<SystemId>()
        .map_err(|_| ApiError::bad_input(field, "must be a system id (64 hex digits)"))
}

impl AuditFilter {
    pub fn parse(self) -> Result<audit::Filter, ApiError> {
        Ok(audit::Filter {
            actor: self
                .actor
                .as_deref()
                .map(|a| system_id(a, "filter.actor"))
                .transpose()?
                .map(B256::from),
            subject: self
                .subject
                .as_deref()
                .map(|s| system_id(s, "filter.subject"))
                .transpose()?
                .map(B256::from),
            record: self
                .record_id
                .as_ref()
                .map(|id| parse_record_id(id, "filter.recordId"))
                .transpose()?
                .map(B256::from),
            action: self.action.map(Action::from),
            resource: self.resource.map(Resource::from),
            approved: self.approved,
            kind: self.kind.map(AuditKind::from),
            since: self.since,
            until: self.until,
            include_duplicates: self.include_duplicates.unwrap_or(false),
            include_lost: self.include_lost.unwrap_or(false),
        })
    }
}

/// Users by system id, loaded per request (never shared between callers).
pub struct UsersBySystemId(pub PgPool);

impl Loader<SystemId> for UsersBySystemId {
    type Value = User;
    type Error = Arc<StoreError>;

    /// One query for every person a page (or a burst of the feed) names.
    async fn load(&self, keys: &[SystemId]) -> Result<HashMap<SystemId, User>, Self::Error> {
        let users =
            crate::users::repo::get_many_by_system_id(&self.0, keys).await.map_err(Arc::new)?;
        Ok(users.into_iter().filter_map(|u| Some((u.system_id?, u))).collect())
    }
}

pub type UserLoader = Arc<DataLoader<UsersBySystemId>>;

pub fn user_loader(pool: &PgPool) -> UserLoader {
    Arc::new(DataLoader::new(UsersBySystemId(pool.clone()), tokio::spawn))
}

/// Whom the caller may see named in audit events, as a [`PersonObject`]
/// (a professional identity; the whole account only through `user(id)`).
#[derive(Clone, Copy, Debug)]
pub enum Reveal {
    /// Staff with AUDIT_TRAIL SEARCH: everyone.
    Everyone,
    /// A patient reading their own report: themself, and the staff who
    /// acted; never another patient (a patient refused their records would
    /// otherwise be named to them, and so be known to be a patient here).
    Patient(SystemId),
}

impl Reveal {
    fn allows(&self, id: &SystemId, person: &Person) -> bool {
        match self {
            Self::Everyone => true,
            Self::Patient(me) => me == id || person.role != Role::Patient,
        }
    }
}

/// One event of the audit trail, as recorded on chain.
pub struct AuditEventObject {
    pub event: Arc<audit::AuditEvent>,
    pub users: UserLoader,
    pub reveal: Reveal,
}

impl AuditEventObject {
    /// The account holding `word`, through the request's loader, and
    /// whether the caller may see it named.
    async fn holder(&self, word: B256) -> Result<Option<(Person, bool)>, ApiError> {
        let id = SystemId::from_bytes(word.0);
        let user = self.users.load_one(id).await.map_err(ApiError::internal)?;
        Ok(user.map(Person::from).map(|p| {
            let shown = self.reveal.allows(&id, &p);
            (p, shown)
        }))
    }

    async fn person(&self, word: Option<B256>) -> Result<Option<PersonObject>, ApiError> {
        let Some(word) = word else { return Ok(None) };
        Ok(self.holder(word).await?.filter(|(_, shown)| *shown).map(|(p, _)| PersonObject(p)))
    }
}

#[Object(name = "AuditEvent")]
impl AuditEventObject {
    /// When the block was mined.
    async fn timestamp(&self) -> DateTime<Utc> {
        self.event.timestamp
    }
    async fn kind(&self) -> Kind {
        self.event.kind.into()
    }
    /// The system id of who acted (hex).
    async fn actor_system_id(&self) -> String {
        self.event.actor.to_string()
    }
    /// Who acted, by name and role (a patient is not shown another patient;
    /// none for a refused sign-in at an account that does not exist).
    async fn actor(&self) -> Result<Option<PersonObject>, ApiError> {
        self.person(audit::event::nonzero(self.event.actor)).await
    }
    /// Who acted, in one word: a PERSON is named in `actor`; the others
    /// are not users (SYSTEM, CHAIN_ACCOUNT, NOBODY), or an account the
    /// caller is not shown (WITHHELD) or none here holds (UNKNOWN).
    async fn actor_kind(&self) -> Result<ActorKind, ApiError> {
        let (kind, actor) = (self.event.kind, self.event.actor);
        if kind.names_accounts() {
            return Ok(ActorKind::ChainAccount);
        }
        if actor == SYSTEM_ACTOR
            || matches!(kind, AuditKind::ReRecorded | AuditKind::ReRecordRefused)
        {
            return Ok(ActorKind::System);
        }
        if actor.is_zero() {
            return Ok(ActorKind::Nobody);
        }
        Ok(match self.holder(actor).await? {
            Some((_, true)) => ActorKind::Person,
            Some((_, false)) => ActorKind::Withheld,
            None => ActorKind::Unknown,
        })
    }
    /// The system id of the affected user (hex), if any.
    async fn subject_system_id(&self) -> Option<String> {
        self.event.subject.map(|s| s.to_string())
    }
    /// Whom the event is about, by name and role. A USER_RECORD SEARCH
    /// naming a subject records that a search listed that patient.
    async fn subject(&self) -> Result<Option<PersonObject>, ApiError> {
        self.person(self.event.subject).await
    }
    /// GATEWAY_* and CONTRACT_ADMIN_*: the chain account (address) that
    /// gained or lost the role. (`subjectSystemId` holds it as a left-padded word.)
    async fn account(&self) -> Option<String> {
        self.event.account().map(|a| a.to_string())
    }
    /// GATEWAY_* and CONTRACT_ADMIN_*: the chain account (address) that made
    /// the change: the contract's admin, or the deployer in the deployment's block.
    async fn sender(&self) -> Option<String> {
        self.event.sender().map(|a| a.to_string())
    }
    async fn action(&self) -> Option<AccessAction> {
        self.event.action.map(Into::into)
    }
    async fn resource(&self) -> Option<AccessResource> {
        self.event.resource.map(Into::into)
    }
    /// The health record's id (a UUID), or the raw word when it is not one.
    async fn record_id(&self) -> Option<ID> {
        let word = self.event.record?;
        Some(ID(self.event.record_uuid().map_or_else(|| word.to_string(), |id| id.to_string())))
    }
    /// The record version, for record events.
    async fn version(&self) -> Option<i64> {
        self.event.version.and_then(|v| i64::try_from(v).ok())
    }
    /// The contract's verdict (lifecycle events are approved; a refused
    /// sign-in is not).
    async fn approved(&self) -> bool {
        self.event.approved
    }
    async fn transaction_hash(&self) -> String {
        self.event.transaction_hash.to_string()
    }
    async fn block_number(&self) -> String {
        self.event.block_number.to_string()
    }
    async fn log_index(&self) -> i32 {
        i32::try_from(self.event.log_index).unwrap_or(i32::MAX)
    }
    /// A repeated delivery of a lifecycle entry already on chain (listed
    /// only with `includeDuplicates`).
    async fn duplicate(&self) -> bool {
        self.event.duplicate
    }
    /// LIFECYCLE_REFUSED and RE_RECORD_REFUSED: `REPLAYED` or `STALE`.
    async fn refusal(&self) -> Option<&'static str> {
        self.event.refusal.map(|r| if r == 0 { "REPLAYED" } else { "STALE" })
    }
    /// A re-recorded event and its RE_RECORDED mark: the transaction that
    /// first carried the event the chain lost.
    async fn original_transaction(&self) -> Option<String> {
        self.event.original.map(|o| o.transaction_hash.to_string())
    }
    /// A re-recorded event and its RE_RECORDED mark: when the access or
    /// change really happened.
    async fn original_at(&self) -> Option<DateTime<Utc>> {
        self.event.original.map(|o| o.timestamp)
    }
    /// An event of a block the chain no longer holds (listed only with
    /// `includeLost`): when the index found it gone.
    async fn lost_at(&self) -> Option<DateTime<Utc>> {
        self.event.lost_at
    }
    /// ACCESS_REQUESTED: decided while the actor's break-the-glass grant on
    /// the subject was in force (an emergency access).
    async fn emergency(&self) -> bool {
        self.event.emergency_until().is_some()
    }
    /// CARE_ADDED, CARE_ENDED, GLASS_REVIEWED: the clinician; ACCESS_RESTRICTED,
    /// RESTRICTION_LIFTED: the staff member restricted (none for a department).
    async fn counterpart(&self) -> Result<Option<PersonObject>, ApiError> {
        self.person(self.event.counterpart()).await
    }
    /// The counterpart's system id (hex).
    async fn counterpart_system_id(&self) -> Option<String> {
        self.event.counterpart().map(|w| w.to_string())
    }
    /// PATIENT_ADMITTED, PATIENT_DISCHARGED, DEPARTMENT_ASSIGNED, a
    /// department's restriction: the department's name.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<String>, ApiError> {
        let Some(id) = self.detail("department").and_then(|d| d.as_i64()) else {
            return Ok(None);
        };
        let state = super::context::state(ctx)?;
        let id = i32::try_from(id).unwrap_or_default();
        Ok(sqlx::query_scalar!("SELECT name FROM departments WHERE id = $1", id)
            .fetch_optional(&state.pool)
            .await?)
    }
    /// CARE_ADDED: when the membership ends (none: until ended); GLASS_BROKEN
    /// and EMERGENCY_ACCESS: when the grant ends; ACCESS_REQUESTED under a
    /// grant: the grant's end.
    async fn until(&self) -> Option<DateTime<Utc>> {
        let seconds = self.event.emergency_until().or_else(|| self.detail("until")?.as_u64())?;
        (seconds > 0).then(|| DateTime::from_timestamp(i64::try_from(seconds).ok()?, 0)).flatten()
    }
    /// GLASS_BROKEN: why the clinician broke the glass.
    async fn glass_reason(&self) -> Option<crate::care::GlassReason> {
        let code = self.detail("reason")?.as_u64()?;
        crate::care::GlassReason::ALL.into_iter().find(|r| *r as u64 == code)
    }
    /// GLASS_REVIEWED: the auditor's verdict.
    async fn justified(&self) -> Option<bool> {
        self.detail("justified")?.as_bool()
    }
}

impl AuditEventObject {
    fn detail(&self, key: &str) -> Option<&serde_json::Value> {
        self.event.details.as_ref()?.get(key)
    }
}

/// How one stored version compares with the chain.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::audit::verify::Status")]
pub enum IntegrityStatus {
    Verified,
    Mismatch,
    MissingOnChain,
    MissingInDatabase,
}

#[derive(SimpleObject)]
pub struct VersionIntegrity {
    pub version: i32,
    pub status: IntegrityStatus,
    /// The hash recomputed from the stored row (null when the row is gone).
    pub stored_hash: Option<String>,
    /// The hash anchored on chain (null when none was).
    pub anchored_hash: Option<String>,
    /// The transaction that anchored it.
    pub transaction_hash: Option<String>,
}

#[derive(SimpleObject)]
pub struct IntegrityReport {
    pub record_id: ID,
    pub versions: Vec<VersionIntegrity>,
    /// True when every version is VERIFIED.
    pub verified: bool,
}

impl From<audit::verify::IntegrityReport> for IntegrityReport {
    fn from(r: audit::verify::IntegrityReport) -> Self {
        Self {
            record_id: ID(r.record_id.to_string()),
            verified: r.verified(),
            versions: r
                .versions
                .into_iter()
                .map(|v| VersionIntegrity {
                    version: i32::try_from(v.version).unwrap_or(i32::MAX),
                    status: v.status.into(),
                    stored_hash: v.stored_hash.map(|h| h.to_string()),
                    anchored_hash: v.anchored_hash.map(|h| h.to_string()),
                    transaction_hash: v.transaction_hash.map(|h| h.to_string()),
                })
                .collect(),
        }
    }
}
