//! The audit trail through GraphQL: `auditEvents` (search, and a patient's
//! "who accessed my records"), the live `auditEvents` subscription, and
//! `verifyRecord`, the integrity proof.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::connection::{Connection, Edge};
use async_graphql::futures_util::stream::{self, Stream};
use async_graphql::{Context, Object, Subscription, ID};
use tokio::sync::broadcast::error::RecvError;

use super::audit_types::{user_loader, AuditEventObject, AuditFilter, IntegrityReport, Reveal};
use super::context;
use super::error::ApiError;
use super::guard::{decide, parse_record_id, Target};
use super::session::Session;
use crate::app::AppState;
use crate::audit::search::{self, Cursor};
use crate::audit::{self as trail};
use crate::gate::{Action, Resource};
use crate::users::Role;

const DEFAULT_PAGE: i32 = 50;
const MAX_PAGE: i32 = 500;
/// How long a query waits for the index to reach the block it needs.
const CATCH_UP: Duration = Duration::from_secs(5);

/// Asks the contract whether the caller may see the trail: staff search it
/// (AUDIT_TRAIL SEARCH), a patient reads their own (AUDIT_TRAIL READ on
/// themself), and then sees only events whose subject is themself.
async fn authorize(
    state: &AppState,
    session: &Session,
    filter: &mut trail::Filter,
) -> Result<Reveal, ApiError> {
    let caller = session.caller()?;
    if caller.role == Role::Patient {
        decide(state, session, Resource::AuditTrail, Action::Read, &Target::Caller).await?;
        filter.subject = Some(caller.system_id.into());
        Ok(Reveal::Patient(caller.system_id))
    } else {
        decide(state, session, Resource::AuditTrail, Action::Search, &Target::Nobody).await?;
        Ok(Reveal::Everyone)
    }
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit trail, newest first. Needs AUDIT_TRAIL SEARCH; a patient
    /// gets exactly the events about themself, whatever the filter.
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, AuditEventObject>, ApiError> {
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        let mut filter = filter.unwrap_or_default().parse()?;
        let first = first.unwrap_or(DEFAULT_PAGE);
        if !(0..=MAX_PAGE).contains(&first) {
            return Err(ApiError::bad_input("first", format!("must be between 0 and {MAX_PAGE}")));
        }
        let after = after
            .map(|a| {
                Cursor::decode(&a)
                    .ok_or_else(|| ApiError::bad_input("after", "not a cursor from this list"))
            })
            .transpose()?;
        let reveal = authorize(state, session, &mut filter).await?;
        // The list includes this very access: wait for its block to be indexed.
        if let Some(own) = session.audit().last() {
            if !state.audit.wait_for(own.block_number, CATCH_UP).await {
                return Err(ApiError::Unavailable(
                    "the audit index is behind the chain; try again shortly".into(),
                ));
            }
        }
        let page = search::search(&state.pool, &filter, first.unsigned_abs(), after).await?;
        let users = user_loader(&state.pool);
        let mut connection = Connection::new(after.is_some(), page.has_next);
        connection.edges.extend(page.events.into_iter().map(|event| {
            let cursor = Cursor::of(&event).encode();
            Edge::new(
                cursor,
                AuditEventObject { event: Arc::new(event), users: users.clone(), reveal },
            )
        }));
        Ok(connection)
    }

    /// Recomputes the hash of every stored version of the record and
    /// compares it with the hash anchored on chain. Needs HEALTH_RECORD READ
    /// on the record.
    async fn verify_record(&self, ctx: &Context<'_>, id: ID) -> Result<IntegrityReport, ApiError> {
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        let record = parse_record_id(&id, "id")?;
        decide(
            state,
            session,
            Resource::HealthRecord,
            Action::Read,
            &Target::Record { id, field: "id" },
        )
        .await?;
        let report =
            trail::verify::record(&state.pool, &state.chain, &state.deployment, record).await?;
        Ok(report.into())
    }
}

#[derive(Default)]
pub struct AuditSubscription;

#[Subscription]
impl AuditSubscription {
    /// Every new event of the audit trail the caller may see, as soon as its
    /// block is indexed. Starting it is one access request (AUDIT_TRAIL
    /// SEARCH, or READ on themself for a patient), itself the first event a
    /// matching feed shows. When the caller's session ends (logout, expiry,
    /// password or role change, account deleted) the feed sends one
    /// UNAUTHENTICATED error and completes.
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditFilter>,
    ) -> Result<impl Stream<Item = Result<AuditEventObject, async_graphql::Error>>, ApiError> {
        let state = context::state(ctx)?.clone();
        let session = context::session(ctx)?.clone();
        let mut filter = filter.unwrap_or_default().parse()?;
        // Subscribe before asking, so nothing indexed after the verdict is missed.
        let feed = state.audit.subscribe();
        let reveal = authorize(&state, &session, &mut filter).await?;
        let users = user_loader(&state.pool);
        let ended = Box::pin(session.ended());
        Ok(stream::unfold(Some((feed, filter, ended)), move |open| {
            let users = users.clone();
            async move {
                let (mut feed, filter, mut ended) = open?;
                loop {
                    tokio::select! {
                        () = &mut ended => return Some((Err(Session::ended_error().into()), None)),
                        received = feed.recv() => match received {
                            Ok(event) if filter.matches(&event) => {
                                let item = AuditEventObject { event, users, reveal };
                                return Some((Ok(item), Some((feed, filter, ended))));
                            }
                            Ok(_) => {}
                            Err(RecvError::Lagged(skipped)) => {
                                tracing::warn!(skipped, "audit feed: a slow subscriber skipped events");
                            }
                            Err(RecvError::Closed) => return None,
                        },
                    }
                }
            }
        }))
    }
}
