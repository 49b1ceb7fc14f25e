//! Accounts: `searchUsers`, `user`, and the account mutations. Every field
//! that touches user data carries the access guard; the writes go through
//! `users::service`, which records their lifecycle events on chain.

use async_graphql::{Context, Object, SimpleObject, ID};
use secrecy::SecretString;

use super::context;
use super::error::ApiError;
use super::factor::StepUp;
use super::guard::{self, Access, Target};
use super::inputs::{self, CreateUserInput, UpdateUserInput};
use super::person_object::PersonObject;
use super::session::{AuditNote, Session};
use super::user_object::{Role, UserObject};
use crate::auth::password::{self, PasswordError};
use crate::gate::{Action, Resource};
use crate::lifecycle::LifecycleReceipt;
use crate::users::{self, NewUser, PasswordHash, SearchCursor};

/// Results per page when `first` is not given.
const DEFAULT_PAGE: i32 = 20;

/// A page of `searchUsers` or `administrators` results (Relay connection).
#[derive(SimpleObject)]
pub struct PersonConnection {
    pub edges: Vec<PersonEdge>,
    pub page_info: PageInfo,
}

#[derive(SimpleObject)]
pub struct PersonEdge {
    /// Pass as `after` to resume after this result.
    pub cursor: String,
    /// Name, role and designation; the whole account through `user(id)`.
    pub node: PersonObject,
}

/// Relay page info, shared with every other connection in the schema.
use async_graphql::connection::PageInfo;

fn page_info(has_next_page: bool, end_cursor: Option<String>) -> PageInfo {
    PageInfo { has_previous_page: false, has_next_page, start_cursor: None, end_cursor }
}

/// `first` (1 to 100, default 20) and `after` (a previous page's
/// `endCursor`), parsed.
fn page_args(
    first: Option<i32>,
    after: Option<String>,
) -> Result<(i64, Option<SearchCursor>), ApiError> {
    let first = first.unwrap_or(DEFAULT_PAGE);
    if !(1..=users::repo::search::MAX_PAGE_SIZE as i32).contains(&first) {
        return Err(ApiError::bad_input("first", "must be 1 to 100"));
    }
    let after = after
        .as_deref()
        .map(str::parse::<SearchCursor>)
        .transpose()
        .map_err(|e| ApiError::bad_input(e.field, e.reason))?;
    Ok((i64::from(first), after))
}

/// Lists the lifecycle events a write produced in `extensions.audit`.
pub(super) fn note_events(session: &Session, events: &[LifecycleReceipt]) {
    for e in events {
        session.note(AuditNote::new(e.event, &e.receipt));
    }
}

#[derive(Default)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// Finds accounts by name or username (exact, prefix, then similar),
    /// optionally of one role. Never returns ROOT or ADMIN accounts, whoever
    /// asks. `first`: 1 to 100 (default 20); `after`: a previous page's
    /// `endCursor`. A USER_RECORD SEARCH; then each patient on the page is
    /// recorded as listed (a USER_RECORD SEARCH naming them, in one
    /// transaction), so their own report shows it. Results are people
    /// (name, role, designation): the whole account is `user(id)`.
    #[graphql(guard = "Access::search(Resource::UserRecord)")]
    async fn search_users(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        role: Option<Role>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<PersonConnection, ApiError> {
        let (state, session, _) = context::caller(ctx)?;
        let (first, after) = page_args(first, after)?;
        let role = role.map(users::Role::from);
        if role.is_some_and(|r| !r.is_searchable()) {
            return Ok(PersonConnection { edges: Vec::new(), page_info: page_info(false, None) });
        }
        let page =
            users::repo::search(&state.pool, query.as_deref(), role, first, after.as_ref()).await?;
        let end_cursor = page.end_cursor().map(|c| c.to_string());
        let listed: Vec<&users::User> = page.edges.iter().map(|e| &e.user).collect();
        let shown = guard::decide_listing(state, session, &listed).await?;
        Ok(PersonConnection {
            page_info: page_info(page.has_next_page, end_cursor),
            edges: page
                .edges
                .into_iter()
                .zip(shown)
                .filter(|(_, shown)| *shown)
                .map(|(e, _)| PersonEdge { cursor: e.cursor.to_string(), node: e.user.into() })
                .collect(),
        })
    }

    /// The administrators (live ADMIN accounts), by name, for root to find
    /// and manage them: `searchUsers` never lists them. A USER_RECORD
    /// SEARCH naming ADMIN as its targetRole, which the contract approves
    /// for ROOT only in the default matrix; anyone else is refused
    /// (FORBIDDEN), and the refusal recorded. `first`: 1 to 100 (default
    /// 20); `after`: a previous page's `endCursor`. Results are people: the
    /// whole account is `user(id)`.
    #[graphql(
        guard = "Access::new(Resource::UserRecord, Action::Search, Target::AccountsOfRole(users::Role::Admin))"
    )]
    async fn administrators(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<PersonConnection, ApiError> {
        let state = context::state(ctx)?;
        let (first, after) = page_args(first, after)?;
        let page = users::repo::administrators(&state.pool, first, after.as_ref()).await?;
        let end_cursor = page.end_cursor().map(|c| c.to_string());
        Ok(PersonConnection {
            page_info: page_info(page.has_next_page, end_cursor),
            edges: page
                .edges
                .into_iter()
                .map(|e| PersonEdge { cursor: e.cursor.to_string(), node: e.user.into() })
                .collect(),
        })
    }

    /// One account by id, whole: address, username, system id (a
    /// USER_RECORD READ of that user, recorded whichever way it goes); null
    /// if there is none.
    #[graphql(guard = "Access::user(Action::Read, &id)")]
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<UserObject>, ApiError> {
        let state = context::state(ctx)?;
        let id = inputs::user_id(&id, "id")?;
        Ok(users::repo::get(&state.pool, id).await?.map(UserObject::from))
    }
}

#[derive(Default)]
pub struct UsersMutation;

#[Object]
impl UsersMutation {
    /// Creates an account (a USER_RECORD CREATE with the new role; recorded
    /// on chain as `UserAdded`). Needs a fresh second factor (step-up).
    #[graphql(guard = "StepUp")]
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> Result<UserObject, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        // The guard's decision names the new account's identifier: create it with that one.
        let system_id = guard::decide_new_user(state, session, input.role.into()).await?;
        let parsed = input.parse()?;
        let phc = password::hash(SecretString::from(input.password.clone())).await.map_err(
            |e| match e {
                PasswordError::Hashing => ApiError::internal(e),
                rule => ApiError::bad_input("password", rule.to_string()),
            },
        )?;
        let password_hash = PasswordHash::from_phc(phc.as_str().to_owned())
            .map_err(|e| ApiError::bad_input(e.field, e.reason))?;
        let new = NewUser {
            system_id: Some(system_id),
            username: parsed.username,
            password_hash,
            full_name: parsed.full_name,
            address: parsed.address,
            department: parsed.department,
            position: parsed.position,
            role: parsed.role,
        };
        let written =
            users::service::create(&state.pool, &state.outbox, caller.system_id.into(), &new)
                .await?;
        note_events(session, &written.events);
        Ok(written.value.into())
    }

    /// Changes an account's details (a USER_RECORD UPDATE of that user;
    /// `UserModified` on chain, unless nothing changed). Needs step-up.
    #[graphql(guard = "StepUp.and(Access::user(Action::Update, &id))")]
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateUserInput,
    ) -> Result<UserObject, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let id = inputs::user_id(&id, "id")?;
        let changes = input.parse()?;
        let written = users::service::update(
            &state.pool,
            &state.outbox,
            caller.system_id.into(),
            id,
            &changes,
        )
        .await?;
        note_events(session, &written.events);
        Ok(written.value.into())
    }

    /// Deletes an account (a USER_RECORD DELETE; `UserDeleted` on chain). It
    /// can no longer log in; its records and trail remain. Needs step-up.
    #[graphql(guard = "StepUp.and(Access::user(Action::Delete, &id))")]
    async fn delete_user(&self, ctx: &Context<'_>, id: ID) -> Result<bool, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let id = inputs::user_id(&id, "id")?;
        let written =
            users::service::delete(&state.pool, &state.outbox, caller.system_id.into(), id).await?;
        // Every instance hears of it from the database; this one at once.
        state.sessions.forget_user(id);
        note_events(session, &written.events);
        Ok(true)
    }

    /// Gives an account a new role (a USER_RECORD UPDATE naming the role;
    /// `RoleChanged` on chain, unless it already had it). Needs step-up.
    #[graphql(
        guard = "StepUp.and(Access::new(Resource::UserRecord, Action::Update, Target::UserWithRole { id: id.clone(), role: role.into() }))"
    )]
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        id: ID,
        role: Role,
    ) -> Result<UserObject, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let id = inputs::user_id(&id, "id")?;
        let written = users::service::set_role(
            &state.pool,
            &state.outbox,
            caller.system_id.into(),
            id,
            role.into(),
        )
        .await?;
        state.sessions.forget_user(id);
        note_events(session, &written.events);
        Ok(written.value.into())
    }

    /// Changes the signed-in user's own password: `current` must be right,
    /// `new` 12 to 128 characters. Self-service, so no USER_RECORD UPDATE is
    /// asked; recorded on chain as `UserModified` by the user themself. Every
    /// other session of the user ends: their tokens are revoked and their
    /// subscriptions closed; the token used here stays valid.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] current: String,
        #[graphql(secret)] new: String,
    ) -> Result<bool, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        if current.chars().count() > password::MAX_LEN {
            return Err(ApiError::bad_input("current", "the current password is wrong"));
        }
        let written = users::service::change_password(
            &state.pool,
            &state.outbox,
            caller.user_id,
            caller.claims.jti,
            SecretString::from(current),
            SecretString::from(new),
        )
        .await?;
        // The other sessions end here at once, on other instances at the notice.
        state.sessions.forget_user(caller.user_id);
        note_events(session, &written.events);
        Ok(true)
    }
}
