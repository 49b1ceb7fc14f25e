//! `factor_events`: every enrolment, code use, refusal, reset and policy
//! change, with who acted and from where. Never a code or a secret.

use std::net::IpAddr;

use sqlx::PgConnection;

use crate::users::UserId;

/// `factor_event_kind` (migrations 0050, 0060).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "factor_event_kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    EnrolmentStarted,
    Enrolled,
    EnrolmentRefused,
    CodeAccepted,
    RecoveryCodeUsed,
    CodeRefused,
    StepUpRefused,
    Reset,
    ResetRefused,
    RecoveryCodesRenewed,
    PolicySet,
    PolicyRefused,
    PasskeyEnrolled,
    PasskeyUsed,
    PasskeyRemoved,
    RemovalRefused,
}

/// One event: about `user`'s factor, done by `actor`.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub user: UserId,
    pub actor: UserId,
    pub kind: EventKind,
    /// Why, for a refusal: a fixed word.
    pub reason: Option<&'a str>,
    pub address: Option<IpAddr>,
}

impl<'a> Event<'a> {
    /// An event the user caused themself.
    pub fn own(user: UserId, kind: EventKind, address: Option<IpAddr>) -> Self {
        Self { user, actor: user, kind, reason: None, address }
    }

    pub fn because(self, reason: &'a str) -> Self {
        Self { reason: Some(reason), ..self }
    }
}

/// Writes the event in the caller's transaction (or on its own).
pub async fn record(conn: &mut PgConnection, event: Event<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO factor_events (user_id, actor, kind, reason, address) VALUES ($1, $2, $3, $4, $5)",
        event.user.0,
        event.actor.0,
        event.kind as EventKind,
        event.reason,
        event.address.map(|a| a.to_string()),
    )
    .execute(conn)
    .await?;
    if event.reason.is_some() {
        tracing::warn!(user = %event.user, actor = %event.actor, kind = ?event.kind, reason = event.reason, "second factor refused");
    } else {
        tracing::info!(user = %event.user, actor = %event.actor, kind = ?event.kind, "second factor event");
    }
    Ok(())
}
