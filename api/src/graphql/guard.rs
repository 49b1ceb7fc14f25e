//! The access guard: every field that touches user records, health records
//! or the audit trail names its resource and action here. Before the
//! resolver runs, the guard resolves whom the request is about and asks the
//! contract (through [`crate::auth::access`] and the gate) about the caller's
//! system-wide identifier, the action, the resource, the affected user and
//! the record, and waits for the verdict. Approved or denied, the event's
//! receipt is added to the response's `extensions.audit`; denied becomes
//! FORBIDDEN and the resolver never runs.

use alloy::primitives::B256;
use async_graphql::{Context, Guard, ID};

use super::error::ApiError;
use super::session::{AuditNote, Session};
use crate::app::AppState;
use crate::auth::access::About;
use crate::gate::{Action, Resource};
use crate::records::RecordId;
use crate::users::{Role, SystemId, User, UserId};

/// Whom or what the request is about.
#[derive(Debug, Clone)]
pub enum Target {
    /// No particular user: a search.
    Nobody,
    /// The caller themself (`me`, their own audit report).
    Caller,
    /// A user by id (argument name given for errors).
    User { id: ID, field: &'static str },
    /// A health record by id: the subject is its patient.
    Record { id: ID, field: &'static str },
    /// A user whose role is to become `role`.
    UserWithRole { id: ID, role: Role },
    /// No particular user: a search of the accounts holding `role` (the
    /// request's targetRole, which the contract weighs).
    AccountsOfRole(Role),
}

/// `#[graphql(guard = "Access::new(Resource::HealthRecord, Action::Read, Target::Record { .. })")]`
#[derive(Debug, Clone)]
pub struct Access {
    resource: Resource,
    action: Action,
    target: Target,
}

impl Access {
    pub fn new(resource: Resource, action: Action, target: Target) -> Self {
        Self { resource, action, target }
    }
    pub fn search(resource: Resource) -> Self {
        Self::new(resource, Action::Search, Target::Nobody)
    }
    pub fn user(action: Action, id: &ID) -> Self {
        Self::new(Resource::UserRecord, action, Target::User { id: id.clone(), field: "id" })
    }
    pub fn record(action: Action, id: &ID) -> Self {
        Self::new(Resource::HealthRecord, action, Target::Record { id: id.clone(), field: "id" })
    }
}

pub fn parse_user_id(id: &ID, field: &str) -> Result<UserId, ApiError> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(UserId)
        .ok_or_else(|| ApiError::bad_input(field, "must be a user id (a positive whole number)"))
}

pub fn parse_record_id(id: &ID, field: &str) -> Result<RecordId, ApiError> {
    id.parse::<uuid::Uuid>()
        .map(RecordId)
        .map_err(|_| ApiError::bad_input(field, "must be a record id (a UUID)"))
}

impl Guard for Access {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let state = ctx.data::<AppState>()?;
        let session = ctx.data::<std::sync::Arc<Session>>()?;
        decide(state, session, self.resource, self.action, &self.target).await.map_err(Into::into)
    }
}

/// Resolves the target, asks the gate, notes the receipt, and refuses when
/// the contract said no. Also used directly where a field decides several
/// things at once.
pub async fn decide(
    state: &AppState,
    session: &Session,
    resource: Resource,
    action: Action,
    target: &Target,
) -> Result<(), ApiError> {
    let about = resolve(state, session.caller()?.system_id, target).await?;
    ask(state, session, resource, action, about).await
}

/// `createUser`'s access check: picks the new account's identifier, asks for
/// USER_RECORD CREATE naming it and the role, and returns the identifier
/// once approved, for the account to be created with.
pub async fn decide_new_user(
    state: &AppState,
    session: &Session,
    role: Role,
) -> Result<SystemId, ApiError> {
    let id = SystemId::random();
    let about = About { subject: id.into(), record: B256::ZERO, target_role: role.contract_code() };
    ask(state, session, Resource::UserRecord, Action::Create, about).await?;
    Ok(id)
}

/// A search's results, recorded before they are shown: one USER_RECORD
/// SEARCH per listed patient, its subject that patient, all in one
/// transaction, so that each patient's own report ("who accessed my
/// records") shows the search that listed them. The search itself was
/// decided by the field's guard. Returns, for each of `listed`, whether it
/// may be shown: a patient only when the contract approved their listing.
/// Staff are not recorded one by one (a search shows only their
/// professional identity), nor is a patient with no system-wide identifier
/// yet (an imported account before its first login: no report names them).
pub async fn decide_listing(
    state: &AppState,
    session: &Session,
    listed: &[&User],
) -> Result<Vec<bool>, ApiError> {
    // Whom each result names on chain: its patient's identifier, or no one.
    let subjects: Vec<Option<SystemId>> =
        listed.iter().map(|u| if u.role == Role::Patient { u.system_id } else { None }).collect();
    let abouts: Vec<About> = subjects
        .iter()
        .flatten()
        .map(|id| About { subject: (*id).into(), ..About::default() })
        .collect();
    let caller = session.caller()?;
    let (action, resource) = (Action::Search, Resource::UserRecord);
    let verdicts = state.access.ask_all(caller, action, resource, &abouts).await?;
    for verdict in &verdicts {
        session.note(AuditNote {
            action: Some(action.as_str()),
            resource: Some(resource.as_str()),
            ..AuditNote::new("AccessRequested", &verdict.receipt)
        });
    }
    let mut verdicts = verdicts.into_iter();
    Ok(subjects
        .iter()
        .map(|s| s.is_none() || verdicts.next().is_some_and(|v| v.approved))
        .collect())
}

/// Asks the contract, notes the receipt, and refuses when it said no.
async fn ask(
    state: &AppState,
    session: &Session,
    resource: Resource,
    action: Action,
    about: About,
) -> Result<(), ApiError> {
    let caller = session.caller()?;
    let verdict = state.access.ask(caller, action, resource, about).await?;
    session.note(AuditNote {
        action: Some(action.as_str()),
        resource: Some(resource.as_str()),
        ..AuditNote::new("AccessRequested", &verdict.receipt)
    });
    if verdict.approved {
        Ok(())
    } else {
        tracing::info!(user = %caller.user_id, action = action.as_str(), resource = resource.as_str(), "access denied by the contract");
        let clinician = matches!(caller.role, Role::Doctor | Role::Nurse);
        if clinician
            && resource == Resource::HealthRecord
            && !about.subject.is_zero()
            && care_scoped(state, caller.role, resource, action).await
        {
            return Err(ApiError::NoCareRelationship { action: action.as_str() });
        }
        Err(ApiError::Forbidden { action: action.as_str(), resource: resource.as_str() })
    }
}

/// Whether the contract grants `role` this action only on the patients they
/// care for (scope CARE): then a refusal means no care relationship (or a
/// restriction, which looks the same), and break-the-glass could help; under
/// any other scope the role may never do it. A chain that does not answer
/// reads as no: the plain refusal.
async fn care_scoped(state: &AppState, role: Role, resource: Resource, action: Action) -> bool {
    let contract = crate::chain::bindings::CareLedgerAccess::new(
        state.deployment.address,
        state.chain.provider(),
    );
    let cell = contract.permission(role.contract_code(), resource as u8, action as u8);
    cell.call().await.is_ok_and(|scope| scope == super::care::Scope::Care.code())
}

async fn resolve(state: &AppState, caller: SystemId, target: &Target) -> Result<About, ApiError> {
    let zero = B256::ZERO;
    Ok(match target {
        Target::Nobody => About::default(),
        Target::Caller => About { subject: caller.into(), ..About::default() },
        Target::User { id, field } => About {
            subject: user_subject(state, parse_user_id(id, field)?).await?,
            record: zero,
            target_role: 0,
        },
        Target::Record { id, field } => {
            let record = parse_record_id(id, field)?;
            let subject = state.subjects.of_record(&state.pool, record).await?;
            About {
                subject: subject.map_or(zero, B256::from),
                record: record.into(),
                target_role: 0,
            }
        }
        Target::UserWithRole { id, role } => About {
            subject: user_subject(state, parse_user_id(id, "id")?).await?,
            record: zero,
            target_role: role.contract_code(),
        },
        Target::AccountsOfRole(role) => {
            About { target_role: role.contract_code(), ..About::default() }
        }
    })
}

/// The user's system-wide identifier, or zero when there is no such user
/// (the contract then decides on an unknown subject, and the request is still
/// recorded).
async fn user_subject(state: &AppState, id: UserId) -> Result<B256, ApiError> {
    Ok(state.subjects.of_user(&state.pool, id).await?.map_or(B256::ZERO, B256::from))
}
