//! Session checks, remembered. Checking a token costs a signature
//! verification and a database round trip (is the account still active, is
//! the token revoked?), on every request. A check that passed is remembered
//! for the token, for at most [`MAX_AGE`] and never past the token's expiry.
//!
//! What could make a remembered check wrong is a change in the database: a
//! token revoked, an account deleted, a role or identifier changed. Triggers
//! (migration 0030) send a notice on [`CHANNEL`] in the transaction that
//! makes such a change, and every api instance listening forgets that user's
//! sessions the moment the change commits. While an instance is not
//! listening (starting, or its listening connection was lost) it remembers
//! nothing and checks every request against the database; on listening again
//! it starts from empty, so no notice missed in between can matter.
//!
//! A check that was running while a notice arrived is not remembered (a
//! generation counter, bumped by every forgetting, tells), so a request that
//! read the database just before a logout committed cannot bring the old
//! answer back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::broadcast;

use super::{Bounded, Counts};
use crate::auth::caller::Caller;
use crate::users::UserId;

/// The notification channel the triggers of migration 0030 send on; the
/// payload is the user's internal id.
pub const CHANNEL: &str = "careledger_sessions";
/// Longest a passed check is remembered.
pub const MAX_AGE: Duration = Duration::from_secs(60);
/// Tokens remembered at most (a token and its caller: about 1 KB).
const CAPACITY: usize = 20_000;

#[derive(Debug)]
struct Entry {
    caller: Caller,
    /// Unix seconds: forgotten from then on.
    until: i64,
}

#[derive(Debug)]
struct Remembered {
    tokens: Bounded<String, Entry>,
    /// Bumped by every forgetting.
    generation: u64,
}

#[derive(Debug)]
pub struct Sessions {
    remembered: Mutex<Remembered>,
    listening: AtomicBool,
    /// Every forgetting, told to whoever holds a session open (a WebSocket
    /// connection): `Some(user)` for one user, `None` for everyone.
    changes: broadcast::Sender<Option<UserId>>,
    pub counts: Counts,
}

impl Default for Sessions {
    fn default() -> Self {
        Self {
            remembered: Mutex::new(Remembered { tokens: Bounded::new(CAPACITY), generation: 0 }),
            listening: AtomicBool::new(false),
            changes: broadcast::channel(1024).0,
            counts: Counts::default(),
        }
    }
}

impl Sessions {
    /// The remembered caller for this token, if its check passed recently
    /// and nothing about its holder changed since.
    pub fn get(&self, token: &str, now: i64) -> Option<Caller> {
        let found = if self.listening.load(Ordering::Acquire) {
            self.remembered.lock().ok().and_then(|mut r| match r.tokens.get(token) {
                Some(entry) if now < entry.until => Some(entry.caller.clone()),
                Some(_) => {
                    r.tokens.remove(token);
                    None
                }
                None => None,
            })
        } else {
            None
        };
        self.counts.count(found.is_some());
        found
    }

    /// The caller for this token: remembered, or found by `check` (not yet
    /// started: it runs after the generation is taken) and remembered.
    pub async fn caller<E>(
        &self,
        token: &str,
        check: impl std::future::Future<Output = Result<Caller, E>>,
    ) -> Result<Caller, E> {
        let now = chrono::Utc::now().timestamp();
        if let Some(caller) = self.get(token, now) {
            return Ok(caller);
        }
        let generation = self.generation();
        let caller = check.await?;
        self.remember(generation, token, &caller, now);
        Ok(caller)
    }

    /// Take this before checking a token; pass it to [`Sessions::remember`].
    pub fn generation(&self) -> u64 {
        self.remembered.lock().map(|r| r.generation).unwrap_or(u64::MAX)
    }

    /// Remembers a check that passed, unless something was forgotten since
    /// `generation` was taken or the instance is not listening.
    pub fn remember(&self, generation: u64, token: &str, caller: &Caller, now: i64) {
        if !self.listening.load(Ordering::Acquire) {
            return;
        }
        let until = caller.claims.exp.min(now + MAX_AGE.as_secs() as i64);
        if let Ok(mut r) = self.remembered.lock() {
            if r.generation == generation && now < until {
                r.tokens.insert(token.to_owned(), Entry { caller: caller.clone(), until });
            }
        }
    }

    /// Forgets every session of this user.
    pub fn forget_user(&self, user: UserId) {
        if let Ok(mut r) = self.remembered.lock() {
            r.generation += 1;
            r.tokens.retain(|_, e| e.caller.user_id != user);
        }
        let _ = self.changes.send(Some(user));
    }

    /// Forgets everything.
    pub fn forget_all(&self) {
        if let Ok(mut r) = self.remembered.lock() {
            r.generation += 1;
            r.tokens.clear();
        }
        let _ = self.changes.send(None);
    }

    /// Tells of every later forgetting: a session held open must check its
    /// token again when its user (`Some`) or everyone (`None`) is named.
    pub fn changes(&self) -> broadcast::Receiver<Option<UserId>> {
        self.changes.subscribe()
    }

    /// Tokens remembered now.
    pub fn entries(&self) -> usize {
        self.remembered.lock().map(|r| r.tokens.len()).unwrap_or_default()
    }

    /// Whether checks are being remembered (the instance is listening).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// Listens for changes until the process ends, reconnecting after a
    /// lost connection; remembers nothing while not listening.
    pub async fn listen(self: std::sync::Arc<Self>, pool: PgPool) {
        let mut failures = 0u32;
        loop {
            match self.listen_once(&pool).await {
                Ok(()) => failures = 0,
                Err(error) => {
                    failures = failures.saturating_add(1);
                    if failures == 1 || failures % 60 == 0 {
                        tracing::warn!(%error, "sessions: cannot listen for changes; checking every request");
                    }
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn listen_once(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        self.forget_all();
        self.listening.store(true, Ordering::Release);
        let outcome = loop {
            match listener.try_recv().await {
                Ok(Some(notice)) => match notice.payload().parse::<i64>() {
                    Ok(id) => self.forget_user(UserId(id)),
                    Err(_) => self.forget_all(),
                },
                // The connection was lost: notices may have been missed.
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.listening.store(false, Ordering::Release);
        self.forget_all();
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token::Claims;
    use crate::users::{Role, SystemId};

    const NOW: i64 = 1_800_000_000;

    fn caller(user: i64, exp: i64) -> Caller {
        let claims = Claims {
            sub: user.to_string(),
            sid: "ab".into(),
            role: "DOCTOR".into(),
            jti: uuid::Uuid::new_v4(),
            iat: NOW - 10,
            exp,
            iss: "careledger".into(),
            ses: uuid::Uuid::nil(),
            auth_time: 0,
        };
        Caller { user_id: UserId(user), system_id: SystemId::random(), role: Role::Doctor, claims }
    }

    fn listening() -> Sessions {
        let sessions = Sessions::default();
        sessions.listening.store(true, Ordering::Release);
        sessions
    }

    #[test]
    fn a_passed_check_is_remembered_until_max_age_or_expiry() {
        let sessions = listening();
        sessions.remember(sessions.generation(), "long", &caller(1, NOW + 900), NOW);
        sessions.remember(sessions.generation(), "short", &caller(1, NOW + 5), NOW);
        assert_eq!(sessions.get("long", NOW + 59).map(|c| c.user_id), Some(UserId(1)));
        assert!(sessions.get("long", NOW + 60).is_none(), "max age");
        assert_eq!(sessions.get("short", NOW + 4).map(|c| c.user_id), Some(UserId(1)));
        assert!(sessions.get("short", NOW + 5).is_none(), "token expiry");
        assert_eq!(sessions.entries(), 0, "expired entries are dropped");
    }

    #[test]
    fn a_check_overtaken_by_a_change_is_not_remembered() {
        let sessions = listening();
        let before = sessions.generation();
        sessions.forget_user(UserId(99));
        sessions.remember(before, "token", &caller(1, NOW + 900), NOW);
        assert!(sessions.get("token", NOW).is_none());
    }

    #[test]
    fn forgetting_a_user_keeps_other_users_sessions() {
        let sessions = listening();
        sessions.remember(sessions.generation(), "a", &caller(1, NOW + 900), NOW);
        sessions.remember(sessions.generation(), "b", &caller(2, NOW + 900), NOW);
        sessions.forget_user(UserId(1));
        assert!(sessions.get("a", NOW).is_none());
        assert_eq!(sessions.get("b", NOW).map(|c| c.user_id), Some(UserId(2)));
    }

    #[test]
    fn nothing_is_remembered_or_answered_while_not_listening() {
        let sessions = listening();
        sessions.remember(sessions.generation(), "a", &caller(1, NOW + 900), NOW);
        sessions.listening.store(false, Ordering::Release);
        assert!(sessions.get("a", NOW).is_none());
        sessions.remember(sessions.generation(), "b", &caller(2, NOW + 900), NOW);
        sessions.listening.store(true, Ordering::Release);
        assert!(sessions.get("b", NOW).is_none());
        assert_eq!(
            (
                sessions.counts.hits.load(Ordering::Relaxed),
                sessions.counts.misses.load(Ordering::Relaxed)
            ),
            (0, 2)
        );
    }
}
