//! Authentication on the audit trail: sign-ins, refused sign-ins, sign-outs
//! and second-factor events are lifecycle entries (contract kinds 6–11,
//! `AuthenticationRecorded` on chain), written to the outbox in a database
//! transaction and delivered like any change (`lifecycle::deliver`).
//!
//! Only system ids go on chain: never a username, an address or a password.
//! A refused sign-in names no actor (nobody proved who they are) and names
//! the account tried only when it exists, so the account holder finds the
//! attempt in their own report ("who accessed my records").
//!
//! Refusals that cost nothing to send and touch no account — an address
//! still slowed by the throttle, a username longer than any account's — are
//! counted in `/metrics` (`careledger_login_attempts_total`) and logged, not
//! put on chain one by one: otherwise anyone could write to the trail (and
//! make the api pay gas) as fast as they can send requests.

use std::sync::atomic::{AtomicU64, Ordering};

use alloy::primitives::B256;
use sqlx::{PgConnection, PgPool};

use crate::gate::outbox::{self, Change, Outbox, OutboxError};
use crate::gate::{LifecycleEntry, LifecycleKind};
use crate::lifecycle::{deliver, LifecycleReceipt, ServiceError};
use crate::users::SystemId;

/// One authentication event: its kind and whom it is about, so that no
/// kind can be recorded with the wrong people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthEvent {
    /// The user signed in (password, and second factor when required).
    SignedIn(SystemId),
    /// A sign-in was refused: a wrong password (or second factor) at
    /// `account`, or no such account (`None`).
    SignInFailed { account: Option<SystemId> },
    /// The user ended their session.
    SignedOut(SystemId),
    /// The user enrolled a second factor.
    FactorEnrolled(SystemId),
    /// The user proved their second factor.
    FactorUsed(SystemId),
    /// Administrator `by` reset the second factor of user `of`.
    FactorReset { by: SystemId, of: SystemId },
}

impl AuthEvent {
    pub fn kind(&self) -> LifecycleKind {
        match self {
            Self::SignedIn(_) => LifecycleKind::SignedIn,
            Self::SignInFailed { .. } => LifecycleKind::SignInFailed,
            Self::SignedOut(_) => LifecycleKind::SignedOut,
            Self::FactorEnrolled(_) => LifecycleKind::FactorEnrolled,
            Self::FactorUsed(_) => LifecycleKind::FactorUsed,
            Self::FactorReset { .. } => LifecycleKind::FactorReset,
        }
    }

    /// Who acted and whom it concerns, as chain words (zero for nobody).
    pub fn actor_and_subject(&self) -> (B256, B256) {
        match *self {
            Self::SignedIn(user)
            | Self::SignedOut(user)
            | Self::FactorEnrolled(user)
            | Self::FactorUsed(user) => (user.into(), user.into()),
            Self::SignInFailed { account } => (B256::ZERO, account.map_or(B256::ZERO, B256::from)),
            Self::FactorReset { by, of } => (by.into(), of.into()),
        }
    }

    fn change(&self) -> Change {
        let (actor, subject) = self.actor_and_subject();
        Change::user(self.kind(), actor, subject, 0)
    }
}

/// Writes `event` into the outbox inside the caller's transaction; deliver
/// the entry with [`crate::lifecycle::deliver`] after the commit.
pub async fn enqueue(
    conn: &mut PgConnection,
    event: AuthEvent,
) -> Result<(LifecycleEntry, &'static str), OutboxError> {
    let entry = outbox::enqueue(conn, event.change()).await?;
    Ok((entry, event.kind().event_name()))
}

/// Records `event` on the trail: commits its outbox row, then delivers it.
/// Returns its receipt (none when delivery is left to the outbox sweep, for
/// example while the chain is unreachable: the entry is committed and is
/// sent later). For the second-factor code: call this when a factor is
/// enrolled, used or reset, and with [`AuthEvent::SignInFailed`] for a
/// wrong factor code.
#[tracing::instrument(skip(pool, outbox))]
pub async fn record(
    pool: &PgPool,
    outbox: &Outbox,
    event: AuthEvent,
) -> Result<Vec<LifecycleReceipt>, ServiceError> {
    let refused = matches!(event, AuthEvent::SignInFailed { .. });
    let mut tx = pool.begin().await?;
    let entry = enqueue(&mut tx, event).await?;
    tx.commit().await?;
    let mut receipts = deliver(outbox, &[entry]).await;
    // The chain's receipt says the entry was recorded; a refused sign-in's
    // receipt says refused, as its index row does.
    for r in &mut receipts {
        r.receipt.approved &= !refused;
    }
    Ok(receipts)
}

/// How sign-in attempts and sign-outs ended, for `/metrics`.
#[derive(Debug, Default)]
pub struct LoginCounts {
    pub signed_in: AtomicU64,
    /// Wrong password or no such account: each one on chain.
    pub failed: AtomicU64,
    /// Refused while the address was slowed: logged and counted only.
    pub throttled: AtomicU64,
    /// A username or password longer than any account's: counted only.
    pub malformed: AtomicU64,
    pub signed_out: AtomicU64,
}

impl LoginCounts {
    /// `(outcome label, count)` for each outcome.
    pub fn outcomes(&self) -> [(&'static str, u64); 5] {
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        [
            ("signed_in", n(&self.signed_in)),
            ("failed", n(&self.failed)),
            ("throttled", n(&self.throttled)),
            ("malformed", n(&self.malformed)),
            ("signed_out", n(&self.signed_out)),
        ]
    }

    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(byte: u8) -> SystemId {
        SystemId::from_bytes([byte; 32])
    }

    #[test]
    fn each_event_names_exactly_who_it_should() {
        let (user, admin) = (id(0x11), id(0x22));
        let w = |s: SystemId| B256::from(s);
        let cases = [
            (AuthEvent::SignedIn(user), LifecycleKind::SignedIn, w(user), w(user)),
            (
                AuthEvent::SignInFailed { account: Some(user) },
                LifecycleKind::SignInFailed,
                B256::ZERO,
                w(user),
            ),
            (
                AuthEvent::SignInFailed { account: None },
                LifecycleKind::SignInFailed,
                B256::ZERO,
                B256::ZERO,
            ),
            (AuthEvent::SignedOut(user), LifecycleKind::SignedOut, w(user), w(user)),
            (AuthEvent::FactorEnrolled(user), LifecycleKind::FactorEnrolled, w(user), w(user)),
            (AuthEvent::FactorUsed(user), LifecycleKind::FactorUsed, w(user), w(user)),
            (
                AuthEvent::FactorReset { by: admin, of: user },
                LifecycleKind::FactorReset,
                w(admin),
                w(user),
            ),
        ];
        for (event, kind, actor, subject) in cases {
            let change = event.change();
            assert_eq!(change.kind, kind, "{event:?}");
            assert_eq!((change.actor, change.subject), (actor, subject), "{event:?}");
            assert_eq!(
                (change.record, change.version, change.content_hash, change.role),
                (B256::ZERO, 0, B256::ZERO, 0),
                "{event:?}: nothing but the two ids"
            );
            assert_eq!(change.check().ok(), Some(()), "{event:?} passes the outbox's check");
            assert_eq!(kind.event_name(), "AuthenticationRecorded");
        }
    }

    #[test]
    fn the_outbox_refuses_a_nameless_entry_of_any_other_authentication_kind() {
        for kind in LifecycleKind::ALL.into_iter().filter(|k| k.is_authentication()) {
            let nobody = Change::user(kind, B256::ZERO, B256::ZERO, 0);
            let no_subject = Change::user(kind, B256::repeat_byte(1), B256::ZERO, 0);
            if kind == LifecycleKind::SignInFailed {
                assert!(nobody.check().is_ok() && no_subject.check().is_ok());
            } else {
                assert!(matches!(nobody.check(), Err(OutboxError::Invalid("actor"))), "{kind:?}");
                assert!(
                    matches!(no_subject.check(), Err(OutboxError::Invalid("subject"))),
                    "{kind:?}"
                );
            }
        }
        assert_eq!(
            LifecycleKind::ALL.iter().filter(|k| k.is_authentication()).count(),
            6,
            "codes 6..11"
        );
        assert_eq!(LifecycleKind::from_code(11), Some(LifecycleKind::FactorReset));
        assert_eq!(LifecycleKind::from_code(12), Some(LifecycleKind::CareAdded));
        assert!(!LifecycleKind::CareAdded.is_authentication());
        assert_eq!(LifecycleKind::from_code(21), None);
    }
}
