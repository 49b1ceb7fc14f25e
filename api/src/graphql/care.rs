//! Care relationships in the schema: a patient's care team and admission,
//! break-the-glass and its reviews, a patient's restrictions, and the
//! contract's permission matrix. Every field that touches a patient's care
//! state carries the access guard (resources CARE_TEAM, EMERGENCY_ACCESS,
//! RESTRICTION), so the contract decides and records each one.

use alloy::primitives::{B256, U256};
use alloy::sol_types::SolCall;
use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::audit_types::{AccessAction, AccessResource};
use super::context;
use super::error::ApiError;
use super::guard::{self, parse_user_id, Access, Target};
use super::loaders;
use super::person_object::PersonObject;
use super::session::{AuditNote, Session};
use super::user_object::Role;
use super::users::note_events;
use crate::app::AppState;
use crate::auth::access::About;
use crate::auth::caller::Caller;
use crate::care::{self, CareError, GlassReason, GlassRequest, Party, Restricted};
use crate::chain::bindings::CareLedgerAccess;
use crate::gate::{Action, Resource};
use crate::users::{self, User};

impl From<CareError> for ApiError {
    fn from(e: CareError) -> Self {
        match e {
            CareError::Store(e) => e.into(),
            CareError::Outbox(e) => crate::lifecycle::ServiceError::from(e).into(),
            CareError::BadInput { field, message } => ApiError::bad_input(field, message),
            CareError::NotFound(what) => ApiError::NotFound(what),
            CareError::Conflict(message) => {
                ApiError::Conflict { message, field: None, current_version: None }
            }
            CareError::WrongPassword => ApiError::bad_input("password", "the password is wrong"),
        }
    }
}

/// An account by id for a care change (deleted ones too: records outlive
/// accounts); an id naming no account is bad input in `field`.
async fn account(state: &AppState, id: &ID, field: &'static str) -> Result<User, ApiError> {
    let id = parse_user_id(id, field)?;
    users::repo::get(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::bad_input(field, "no such user"))
}

/// The patient named by `patientId`: an account that is, or was, a patient.
async fn patient(state: &AppState, id: &ID) -> Result<Party, ApiError> {
    let user = account(state, id, "patientId").await?;
    if user.role != users::Role::Patient {
        return Err(ApiError::bad_input("patientId", "is not a patient"));
    }
    Ok(Party::of(&user, "patientId")?)
}

fn me(caller: &Caller) -> Party {
    Party { user: caller.user_id, system_id: caller.system_id.into() }
}

/// One member of a patient's care team.
pub struct CareTeamMemberObject(care::CareMember);

#[Object(name = "CareTeamMember")]
impl CareTeamMemberObject {
    /// The clinician.
    async fn person(&self, ctx: &Context<'_>) -> Result<PersonObject, ApiError> {
        Ok(loaders::user(ctx, self.0.clinician).await?.into())
    }
    /// When the relationship began.
    async fn since(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    /// When it ends by itself; none: until someone ends it.
    async fn until(&self) -> Option<DateTime<Utc>> {
        self.0.until
    }
    /// Who added the clinician.
    async fn added_by(&self, ctx: &Context<'_>) -> Result<PersonObject, ApiError> {
        Ok(loaders::user(ctx, self.0.added_by).await?.into())
    }
}

/// Where a patient is admitted.
pub struct AdmissionObject(care::Admission);

#[Object(name = "Admission")]
impl AdmissionObject {
    async fn department(&self) -> &str {
        &self.0.department.name
    }
    async fn since(&self) -> DateTime<Utc> {
        self.0.admitted_at
    }
    async fn admitted_by(&self, ctx: &Context<'_>) -> Result<PersonObject, ApiError> {
        Ok(loaders::user(ctx, self.0.admitted_by).await?.into())
    }
}

/// A patient's care team: the clinicians treating them, and the department
/// they are admitted to (whose clinicians may treat them too).
#[derive(SimpleObject)]
#[graphql(name = "CareTeam")]
pub struct CareTeamObject {
    members: Vec<CareTeamMemberObject>,
    admission: Option<AdmissionObject>,
}

/// An auditor's review of a break-the-glass.
pub struct ReviewObject(care::Review);

#[Object(name = "BreakGlassReviewVerdict")]
impl ReviewObject {
    async fn reviewed_at(&self) -> DateTime<Utc> {
        self.0.reviewed_at
    }
    async fn reviewer(&self, ctx: &Context<'_>) -> Result<PersonObject, ApiError> {
        Ok(loaders::user(ctx, self.0.reviewed_by).await?.into())
    }
    async fn justified(&self) -> bool {
        self.0.justified
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

/// A break-the-glass: who, on whom, why, until when, and its review.
pub struct BreakGlassObject(care::Grant);

#[Object(name = "BreakGlass")]
impl BreakGlassObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The entry id the chain knows it by (its GLASS_BROKEN event), hex.
    async fn entry_id(&self) -> String {
        self.0.entry_id.to_string()
    }
    async fn clinician(&self, ctx: &Context<'_>) -> Result<PersonObject, ApiError> {
        Ok(loaders::user(ctx, self.0.clinician).await?.into())
    }
    async fn patient(&self, ctx: &Context<'_>) -> Result<PersonObject, ApiError> {
        Ok(loaders::user(ctx, self.0.patient).await?.into())
    }
    async fn reason(&self) -> GlassReason {
        self.0.reason
    }
    async fn justification(&self) -> &str {
        &self.0.justification
    }
    async fn broken_at(&self) -> DateTime<Utc> {
        self.0.broken_at
    }
    /// When the grant ends (the contract's time).
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    /// Whether the grant is in force now.
    async fn active(&self) -> bool {
        self.0.expires_at > Utc::now()
    }
    /// The auditor's review; none while it is open.
    async fn review(&self) -> Option<ReviewObject> {
        self.0.review.clone().map(ReviewObject)
    }
}

/// One of a patient's restrictions: a staff member or a department.
pub struct RestrictionObject(care::Restriction);

#[Object(name = "Restriction")]
impl RestrictionObject {
    /// The staff member restricted (none for a department).
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<PersonObject>, ApiError> {
        match self.0.staff {
            Some(id) => Ok(Some(loaders::user(ctx, id).await?.into())),
            None => Ok(None),
        }
    }
    /// The department restricted (none for a staff member).
    async fn department(&self) -> Option<&str> {
        self.0.department.as_ref().map(|d| d.name.as_str())
    }
    async fn since(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// How far a permission reaches (the contract's `Scope`).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Never.
    None,
    /// Only the actor's own.
    Own,
    /// Any patient.
    Patients,
    /// Anyone.
    Any,
    /// The patients the actor cares for: a care-team membership, an
    /// admission to their department, or break-the-glass; never one who
    /// restricted them (unless by break-the-glass).
    Care,
}

impl Scope {
    const ALL: [Scope; 5] = [Self::None, Self::Own, Self::Patients, Self::Any, Self::Care];
    fn code(self) -> u8 {
        self as u8
    }
    fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// One cell of the permission matrix.
#[derive(SimpleObject, Clone, Copy)]
#[graphql(name = "Permission")]
pub struct PermissionObject {
    role: Role,
    resource: AccessResource,
    action: AccessAction,
    scope: Scope,
}

/// The contract's permission matrix, read from the chain now.
#[derive(SimpleObject)]
#[graphql(name = "PermissionMatrix")]
pub struct PermissionMatrixObject {
    /// Every cell: 7 roles × 6 resources × 5 actions.
    cells: Vec<PermissionObject>,
    /// How long a break-the-glass grant lasts, in minutes.
    break_glass_minutes: i32,
}

const ROLES: [users::Role; 7] = [
    users::Role::Root,
    users::Role::Admin,
    users::Role::Doctor,
    users::Role::Nurse,
    users::Role::Receptionist,
    users::Role::Auditor,
    users::Role::Patient,
];

/// The matrix as the contract holds it: four words of 4-bit cells, cell i
/// = ((role − 1)·6 + resource)·5 + action (contracts/README.md).
fn cells(words: &[U256; 4]) -> Vec<PermissionObject> {
    let mut cells = Vec::new();
    for role in ROLES {
        for resource in Resource::ALL {
            for action in Action::ALL {
                let i = ((usize::from(role.contract_code()) - 1) * Resource::ALL.len()
                    + resource as usize)
                    * Action::ALL.len()
                    + action as usize;
                // Mask before narrowing: the cells above this one are still in the word.
                let code = ((words[i / 64] >> ((i % 64) * 4)) & U256::from(15)).to::<u64>();
                let scope =
                    Scope::from_code(u8::try_from(code).unwrap_or(0)).unwrap_or(Scope::None);
                cells.push(PermissionObject {
                    role: role.into(),
                    resource: resource.into(),
                    action: action.into(),
                    scope,
                });
            }
        }
    }
    cells
}

async fn read_matrix(state: &AppState) -> Result<PermissionMatrixObject, ApiError> {
    let contract = CareLedgerAccess::new(state.deployment.address, state.chain.provider());
    let unavailable = |e: alloy::contract::Error| {
        tracing::warn!(error = %e, "reading the permission matrix failed");
        ApiError::Unavailable("the chain could not be reached; try again".into())
    };
    let words = contract.permissionMatrix().call().await.map_err(unavailable)?;
    let seconds = contract.breakGlassDuration().call().await.map_err(unavailable)?;
    Ok(PermissionMatrixObject {
        cells: cells(&words),
        break_glass_minutes: i32::try_from(seconds / 60).unwrap_or(i32::MAX),
    })
}

/// Notes a settings transaction's events and says whether the contract applied it.
fn settled(session: &Session, receipt: &alloy::rpc::types::TransactionReceipt) -> bool {
    let mut applied = false;
    for log in receipt.inner.logs() {
        let (name, ok) = if log.log_decode::<CareLedgerAccess::PermissionChanged>().is_ok() {
            ("PermissionChanged", true)
        } else if log.log_decode::<CareLedgerAccess::PermissionChangeDenied>().is_ok() {
            ("PermissionChangeDenied", false)
        } else if log.log_decode::<CareLedgerAccess::BreakGlassDurationChanged>().is_ok() {
            ("BreakGlassDurationChanged", true)
        } else if log.log_decode::<CareLedgerAccess::BreakGlassDurationChangeDenied>().is_ok() {
            ("BreakGlassDurationChangeDenied", false)
        } else {
            continue;
        };
        applied |= ok;
        let receipt = crate::gate::AuditReceipt {
            id: B256::ZERO,
            transaction_hash: receipt.transaction_hash,
            block_number: receipt.block_number.unwrap_or_default(),
            log_index: log.log_index.unwrap_or_default(),
            approved: ok,
        };
        session.note(AuditNote::new(name, &receipt));
    }
    applied
}

#[derive(Default)]
pub struct CareQuery;

#[Object]
impl CareQuery {
    /// A patient's care team and admission (a CARE_TEAM READ whose subject is the patient).
    #[graphql(
        guard = "Access::new(Resource::CareTeam, Action::Read, Target::User { id: patient_id.clone(), field: \"patientId\" })"
    )]
    async fn care_team(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
    ) -> Result<CareTeamObject, ApiError> {
        let state = context::state(ctx)?;
        let id = parse_user_id(&patient_id, "patientId")?;
        let members = care::care_team(&state.pool, id).await?;
        let admission = care::admission(&state.pool, id).await?;
        Ok(CareTeamObject {
            members: members.into_iter().map(CareTeamMemberObject).collect(),
            admission: admission.map(AdmissionObject),
        })
    }

    /// Every department, by name (for admitting a patient). Names only:
    /// signing in is enough.
    async fn departments(&self, ctx: &Context<'_>) -> Result<Vec<String>, ApiError> {
        let (state, _, _) = context::caller(ctx)?;
        Ok(care::departments(&state.pool).await?.into_iter().map(|d| d.name).collect())
    }

    /// Break-the-glass accesses for review, newest first: `open` true the
    /// ones not reviewed yet, false the reviewed ones, none all; at most
    /// `first` (1 to 200, default 50). An EMERGENCY_ACCESS SEARCH; each
    /// patient listed is recorded too (an EMERGENCY_ACCESS READ naming
    /// them, in one transaction), and one the contract refuses is left out.
    #[graphql(guard = "Access::search(Resource::EmergencyAccess)")]
    async fn break_glass_reviews(
        &self,
        ctx: &Context<'_>,
        open: Option<bool>,
        first: Option<i32>,
    ) -> Result<Vec<BreakGlassObject>, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let first = first.unwrap_or(50);
        if !(1..=200).contains(&first) {
            return Err(ApiError::bad_input("first", "must be 1 to 200"));
        }
        let grants = care::break_glass_reviews(&state.pool, open, i64::from(first)).await?;
        let mut abouts = Vec::with_capacity(grants.len());
        for g in &grants {
            let subject = state.subjects.of_user(&state.pool, g.patient).await?;
            abouts.push(About {
                subject: subject.map_or(B256::ZERO, B256::from),
                ..About::default()
            });
        }
        let (action, resource) = (Action::Read, Resource::EmergencyAccess);
        let verdicts = state.access.ask_all(caller, action, resource, &abouts).await?;
        for v in &verdicts {
            session.note(AuditNote {
                action: Some(action.as_str()),
                resource: Some(resource.as_str()),
                ..AuditNote::new("AccessRequested", &v.receipt)
            });
        }
        Ok(grants
            .into_iter()
            .zip(verdicts)
            .filter(|(_, v)| v.approved)
            .map(|(g, _)| BreakGlassObject(g))
            .collect())
    }

    /// How many break-the-glass accesses are open for review (`open` true),
    /// reviewed (false), or in all. An EMERGENCY_ACCESS SEARCH.
    #[graphql(guard = "Access::search(Resource::EmergencyAccess)")]
    async fn break_glass_review_count(
        &self,
        ctx: &Context<'_>,
        open: Option<bool>,
    ) -> Result<i32, ApiError> {
        let state = context::state(ctx)?;
        let n = care::count_reviews(&state.pool, open).await?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }

    /// The caller's restrictions in force (a patient's; a RESTRICTION READ of their own).
    #[graphql(guard = "Access::new(Resource::Restriction, Action::Read, Target::Caller)")]
    async fn my_restrictions(&self, ctx: &Context<'_>) -> Result<Vec<RestrictionObject>, ApiError> {
        let (state, _, caller) = context::caller(ctx)?;
        let found = care::restrictions(&state.pool, caller.user_id).await?;
        Ok(found.into_iter().map(RestrictionObject).collect())
    }

    /// The contract's permission matrix and break-the-glass duration, read
    /// from the chain now. The hospital's rules, not anyone's data: signing
    /// in is enough.
    async fn permission_matrix(
        &self,
        ctx: &Context<'_>,
    ) -> Result<PermissionMatrixObject, ApiError> {
        let (state, _, _) = context::caller(ctx)?;
        read_matrix(state).await
    }
}

#[derive(Default)]
pub struct CareMutation;

#[Object]
impl CareMutation {
    /// Puts a doctor or nurse on a patient's care team, until `until` (none:
    /// until ended); a member already on it gets the new end. A CARE_TEAM
    /// CREATE whose subject is the patient (by default: administrators, and
    /// doctors on the patient's team); `CareRelationshipAdded` on chain.
    #[graphql(
        guard = "Access::new(Resource::CareTeam, Action::Create, Target::User { id: patient_id.clone(), field: \"patientId\" })"
    )]
    async fn add_care_team_member(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
        user_id: ID,
        until: Option<DateTime<Utc>>,
    ) -> Result<CareTeamMemberObject, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let patient = patient(state, &patient_id).await?;
        let clinician = account(state, &user_id, "userId").await?;
        let written =
            care::add_member(&state.pool, &state.outbox, me(caller), patient, &clinician, until)
                .await?;
        note_events(session, &written.events);
        Ok(CareTeamMemberObject(written.value))
    }

    /// Ends a clinician's care relationship with a patient now (a CARE_TEAM
    /// DELETE); `CareRelationshipEnded` on chain.
    #[graphql(
        guard = "Access::new(Resource::CareTeam, Action::Delete, Target::User { id: patient_id.clone(), field: \"patientId\" })"
    )]
    async fn end_care_relationship(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
        user_id: ID,
    ) -> Result<bool, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let patient = patient(state, &patient_id).await?;
        let clinician = account(state, &user_id, "userId").await?;
        let written =
            care::end_member(&state.pool, &state.outbox, me(caller), patient, &clinician).await?;
        note_events(session, &written.events);
        Ok(true)
    }

    /// Admits a patient to a department (created when new); its clinicians
    /// may then treat them until discharge. A patient admitted elsewhere
    /// moves. A CARE_TEAM UPDATE (by default: the front desk, administrators,
    /// doctors on the team); `PatientAdmitted` on chain.
    #[graphql(
        guard = "Access::new(Resource::CareTeam, Action::Update, Target::User { id: patient_id.clone(), field: \"patientId\" })"
    )]
    async fn admit_patient(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
        department: String,
    ) -> Result<AdmissionObject, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let patient = patient(state, &patient_id).await?;
        let written =
            care::admit(&state.pool, &state.outbox, me(caller), patient, &department).await?;
        note_events(session, &written.events);
        Ok(AdmissionObject(written.value))
    }

    /// Discharges a patient from their department (a CARE_TEAM UPDATE);
    /// `PatientDischarged` on chain.
    #[graphql(
        guard = "Access::new(Resource::CareTeam, Action::Update, Target::User { id: patient_id.clone(), field: \"patientId\" })"
    )]
    async fn discharge_patient(&self, ctx: &Context<'_>, patient_id: ID) -> Result<bool, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let patient = patient(state, &patient_id).await?;
        let written = care::discharge(&state.pool, &state.outbox, me(caller), patient).await?;
        note_events(session, &written.events);
        Ok(true)
    }

    /// Break-the-glass: access to a patient the caller does not care for, for
    /// the time the contract grants (4 hours unless root changed it). Needs
    /// a reason, a justification (10 to 2,000 characters; it stays in the
    /// database, its salted hash goes on chain), the caller's password
    /// again, and a fresh second factor when the account has one. An
    /// EMERGENCY_ACCESS CREATE; `GlassBroken` on chain. Every access under it
    /// is marked an emergency access in its event, the patient sees it, and
    /// an auditor must review it.
    #[graphql(
        guard = "Access::new(Resource::EmergencyAccess, Action::Create, Target::User { id: patient_id.clone(), field: \"patientId\" })"
    )]
    async fn break_glass(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
        reason: GlassReason,
        justification: String,
        #[graphql(secret)] password: String,
    ) -> Result<BreakGlassObject, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let patient = patient(state, &patient_id).await?;
        let request = GlassRequest::parse(reason, &justification)?;
        confirm_password(state, session, caller, password).await?;
        crate::auth::factor::step_up::require(&state.pool, caller, session.address)
            .await
            .map_err(ApiError::from)?;
        let seconds = care::glass_seconds(&state.chain, state.deployment.address).await?;
        let written =
            care::break_glass(&state.pool, &state.outbox, me(caller), patient, &request, seconds)
                .await?;
        note_events(session, &written.events);
        // The grant's end is the mined block's time plus the duration: take it from the chain.
        let contract = CareLedgerAccess::new(state.deployment.address, state.chain.provider());
        if let Ok(r) =
            contract.relationship(patient.system_id, caller.system_id.into()).call().await
        {
            let end = i64::try_from(r.glassUntil).ok().and_then(|s| DateTime::from_timestamp(s, 0));
            if let Some(end) = end.filter(|_| !written.events.is_empty()) {
                care::settle_grant(&state.pool, written.value, end).await?;
            }
        }
        let grant = care::break_glass_grant(&state.pool, written.value).await?;
        Ok(BreakGlassObject(grant.ok_or(ApiError::NotFound("break-the-glass"))?))
    }

    /// Closes the review of a break-the-glass: justified or not, with a note
    /// (its salted hash goes on chain). An EMERGENCY_ACCESS UPDATE whose
    /// subject is the grant's patient (by default: auditors); `GlassReviewed`
    /// on chain.
    async fn review_break_glass(
        &self,
        ctx: &Context<'_>,
        id: ID,
        justified: bool,
        note: Option<String>,
    ) -> Result<BreakGlassObject, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let grant_id = id
            .parse::<uuid::Uuid>()
            .map_err(|_| ApiError::bad_input("id", "must be a break-the-glass id (a UUID)"))?;
        let grant = care::break_glass_grant(&state.pool, grant_id).await?;
        let target = match &grant {
            Some(g) => Target::User { id: ID(g.patient.0.to_string()), field: "id" },
            // No such grant: decided about nobody, so that only those who may
            // close reviews learn that it does not exist.
            None => Target::Nobody,
        };
        guard::decide(state, session, Resource::EmergencyAccess, Action::Update, &target).await?;
        let grant = grant.ok_or(ApiError::NotFound("break-the-glass"))?;
        let clinician = state.subjects.of_user(&state.pool, grant.clinician).await?;
        let patient = state.subjects.of_user(&state.pool, grant.patient).await?;
        let (Some(clinician), Some(patient)) = (clinician, patient) else {
            return Err(ApiError::NotFound("break-the-glass"));
        };
        let written = care::review(
            &state.pool,
            &state.outbox,
            me(caller),
            &grant,
            (clinician.into(), patient.into()),
            justified,
            note.as_deref(),
        )
        .await?;
        note_events(session, &written.events);
        let grant = care::break_glass_grant(&state.pool, grant_id).await?;
        Ok(BreakGlassObject(grant.ok_or(ApiError::NotFound("break-the-glass"))?))
    }

    /// A patient restricts a staff member (`userId`) or a department
    /// (`department`; give exactly one) from their records: even on the care
    /// team they are then denied, and only break-the-glass overrides it
    /// (shown to the patient). Restricting again changes nothing (false). A
    /// RESTRICTION CREATE of the caller's own; `AccessRestricted` on chain.
    #[graphql(guard = "Access::new(Resource::Restriction, Action::Create, Target::Caller)")]
    async fn restrict_access(
        &self,
        ctx: &Context<'_>,
        user_id: Option<ID>,
        department: Option<String>,
    ) -> Result<bool, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let (whom, staff) = restricted(state, user_id, department).await?;
        let written =
            care::restrict(&state.pool, &state.outbox, me(caller), &whom, staff.as_ref()).await?;
        note_events(session, &written.events);
        Ok(written.value)
    }

    /// A patient lifts a restriction (the same arguments as
    /// `restrictAccess`). A RESTRICTION DELETE; `RestrictionLifted` on chain.
    #[graphql(guard = "Access::new(Resource::Restriction, Action::Delete, Target::Caller)")]
    async fn lift_restriction(
        &self,
        ctx: &Context<'_>,
        user_id: Option<ID>,
        department: Option<String>,
    ) -> Result<bool, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let (whom, staff) = restricted(state, user_id, department).await?;
        let written =
            care::lift(&state.pool, &state.outbox, me(caller), &whom, staff.as_ref()).await?;
        note_events(session, &written.events);
        Ok(true)
    }

    /// Root changes one cell of the contract's permission matrix. Needs a
    /// fresh second factor. The contract applies it only for ROOT
    /// (`PermissionChanged`); anyone else's attempt is recorded
    /// (`PermissionChangeDenied`) and answered FORBIDDEN. Returns the matrix.
    async fn set_permission(
        &self,
        ctx: &Context<'_>,
        role: Role,
        resource: AccessResource,
        action: AccessAction,
        scope: Scope,
    ) -> Result<PermissionMatrixObject, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let (resource, action): (Resource, Action) = (resource.into(), action.into());
        let call = CareLedgerAccess::setPermissionCall {
            actor: caller.system_id.into(),
            role: users::Role::from(role).contract_code(),
            resource: resource as u8,
            action: action as u8,
            scope: scope.code(),
        };
        apply_setting(state, session, caller, call.abi_encode()).await
    }

    /// Root changes how long a break-the-glass grant lasts (1 minute to 7
    /// days). Needs a fresh second factor; decided and recorded by the
    /// contract like `setPermission`. Returns the matrix.
    async fn set_break_glass_duration(
        &self,
        ctx: &Context<'_>,
        minutes: i32,
    ) -> Result<PermissionMatrixObject, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        if !(1..=7 * 24 * 60).contains(&minutes) {
            return Err(ApiError::bad_input("minutes", "must be 1 to 10080 (seven days)"));
        }
        let call = CareLedgerAccess::setBreakGlassDurationCall {
            actor: caller.system_id.into(),
            seconds_: u64::try_from(minutes).unwrap_or_default() * 60,
        };
        apply_setting(state, session, caller, call.abi_encode()).await
    }
}

/// A settings call of root's (`setPermission`, `setBreakGlassDuration`):
/// a fresh second factor first, then the contract decides and records it;
/// a refusal (`…Denied` on chain) is FORBIDDEN. Returns the matrix as it is now.
async fn apply_setting(
    state: &AppState,
    session: &Session,
    caller: &Caller,
    input: Vec<u8>,
) -> Result<PermissionMatrixObject, ApiError> {
    crate::auth::factor::step_up::require(&state.pool, caller, session.address)
        .await
        .map_err(ApiError::from)?;
    let receipt = state.gate.call(input.into()).await?;
    state.audit.wake();
    if !settled(session, &receipt) {
        return Err(ApiError::Forbidden { action: "UPDATE", resource: "PERMISSION_MATRIX" });
    }
    read_matrix(state).await
}

/// `restrictAccess` / `liftRestriction`'s target: exactly one of a staff
/// member and a department.
async fn restricted(
    state: &AppState,
    user_id: Option<ID>,
    department: Option<String>,
) -> Result<(Restricted, Option<User>), ApiError> {
    match (user_id, department) {
        (Some(id), None) => {
            let user = account(state, &id, "userId").await?;
            Ok((Restricted::Staff(user.id), Some(user)))
        }
        (None, Some(name)) if !name.trim().is_empty() => Ok((Restricted::Department(name), None)),
        _ => Err(ApiError::bad_input("userId", "give exactly one of userId and department")),
    }
}

/// The caller's password again, for break-the-glass, counted with sign-in
/// guesses for the account from this address (`auth::throttle`): a stolen
/// session cannot guess its way through. A wrong one is refused and recorded
/// on the trail as a refused sign-in at the account; one longer than any
/// password is refused without hashing.
async fn confirm_password(
    state: &AppState,
    session: &Session,
    caller: &Caller,
    password: String,
) -> Result<(), ApiError> {
    use crate::auth::{password as pw, throttle};
    let user =
        users::repo::get(&state.pool, caller.user_id).await?.ok_or(ApiError::NotFound("user"))?;
    let attempt =
        match throttle::attempt(&state.pool, user.username.as_str(), session.address).await? {
            Ok(attempt) => attempt,
            Err(wait) => {
                return Err(ApiError::TooManyAttempts {
                    message: "too many wrong passwords from here: wait before trying again".into(),
                    retry_after_seconds: wait.as_secs().max(1),
                })
            }
        };
    let stored = pw::PasswordHashString::from_stored(user.password_hash.as_str().to_owned());
    let within_limit = password.chars().count() <= pw::MAX_LEN;
    if within_limit && pw::verify(secrecy::SecretString::from(password), stored).await {
        attempt.succeeded(&state.pool).await?;
        return Ok(());
    }
    let event = crate::auth::trail::AuthEvent::SignInFailed { account: Some(caller.system_id) };
    let receipts = crate::auth::trail::record(&state.pool, &state.outbox, event).await?;
    note_events(session, &receipts);
    tracing::info!(user = %caller.user_id, "break-the-glass refused: wrong password");
    Err(CareError::WrongPassword.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_the_contracts_layout() {
        let mut words = [U256::ZERO; 4];
        // DOCTOR (code 3) · HEALTH_RECORD (1) · READ (1): i = ((3-1)·6 + 1)·5 + 1 = 66 → word 1, nibble 2.
        words[1] = U256::from(4u8) << 8;
        let cells = cells(&words);
        assert_eq!(cells.len(), 7 * 6 * 5);
        let set: Vec<_> = cells.iter().filter(|c| c.scope != Scope::None).collect();
        assert_eq!(set.len(), 1);
        assert_eq!(
            (set[0].role, set[0].resource, set[0].action, set[0].scope),
            (Role::Doctor, AccessResource::HealthRecord, AccessAction::Read, Scope::Care)
        );
    }

    #[test]
    fn each_cell_is_read_alone_whatever_its_neighbours_hold() {
        // Every cell ANY (3): a cell low in a word has 63 cells above it.
        let any = (0..64).fold(U256::ZERO, |w, n| w | (U256::from(3u8) << (4 * n)));
        let cells = cells(&[any; 4]);
        assert_eq!(cells.len(), 7 * 6 * 5);
        assert!(cells.iter().all(|c| c.scope == Scope::Any));
    }
}
