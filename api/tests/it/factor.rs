//! The second factor through the real schema: TOTP enrolment, the login's
//! second step, replay, recovery codes, the policy, an administrator's
//! reset and step-up. Codes are computed here with `totp-rs`, as an
//! authenticator app would.

use std::time::{SystemTime, UNIX_EPOCH};

use careledger::users::{Role, User};
use sqlx::PgPool;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::ops::*;
use crate::support::{self, Reply, TestApp, ROOT_PASSWORD};

pub const PASSWORD: &str = "a sound password";

/// An authenticator app holding the secret `beginTotpEnrolment` showed.
pub struct App(TOTP);

impl App {
    fn new(base32: &str) -> Self {
        let secret = Secret::Encoded(base32.to_owned()).to_bytes().expect("base32 secret");
        Self(TOTP::new(Algorithm::SHA1, 6, 0, 30, secret, None, String::new()).expect("totp"))
    }

    /// The code for `steps` steps from now (-1, 0, +1 are accepted).
    pub fn code(&self, steps: i64) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("time").as_secs() as i64;
        self.0.generate((now + 30 * steps) as u64)
    }

    /// Six digits that are none of the accepted codes now.
    fn wrong_code(&self) -> String {
        let valid = [self.code(-1), self.code(0), self.code(1)];
        (0..10).map(|d| d.to_string().repeat(6)).find(|c| !valid.contains(c)).expect("a wrong code")
    }
}

pub async fn login_step(
    app: &TestApp,
    username: &str,
    password: &str,
) -> Reply<login_step::ResponseData> {
    let vars =
        login_step::Variables { username: username.to_owned(), password: password.to_owned() };
    app.run::<LoginStep>(None, vars).await
}

/// The challenge a correct password got (panics if it got a token).
pub async fn challenge(app: &TestApp, username: &str) -> login_step::LoginStepLoginFactorChallenge {
    let out = login_step(app, username, PASSWORD).await;
    let login = &out.ok().login;
    assert_eq!(login.token, None, "no token before the second step");
    login.factor_challenge.clone().expect("a challenge")
}

async fn verify(app: &TestApp, challenge: &str, code: &str) -> Reply<verify_factor::ResponseData> {
    let vars = verify_factor::Variables { challenge: challenge.to_owned(), code: code.to_owned() };
    app.run::<VerifyFactor>(None, vars).await
}

/// Enrols an authenticator for the holder of `token` with the code of the
/// step before now; returns the app and the recovery codes.
pub async fn enrol(app: &TestApp, token: &str) -> (App, Vec<String>) {
    let begun = app
        .run::<BeginTotpEnrolment>(Some(token), begin_totp_enrolment::Variables { challenge: None })
        .await;
    let authenticator = App::new(&begun.ok().begin_totp_enrolment.secret);
    let vars = confirm_totp_enrolment::Variables { code: authenticator.code(-1), challenge: None };
    let confirmed = app.run::<ConfirmTotpEnrolment>(Some(token), vars).await;
    // FACTOR_ENROLLED.
    assert_eq!(confirmed.events(), ["AuthenticationRecorded"]);
    let done = &confirmed.ok().confirm_totp_enrolment;
    assert_eq!(done.session, None);
    (authenticator, done.recovery_codes.clone())
}

/// `(kind, reason)` of every factor event about `user`, oldest first.
pub async fn factor_events(app: &TestApp, user: &User) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT kind::text, reason FROM factor_events WHERE user_id = $1 ORDER BY id")
        .bind(user.id.0)
        .fetch_all(&app.state.pool)
        .await
        .expect("factor events")
}

pub fn ev(kind: &str, reason: Option<&str>) -> (String, Option<String>) {
    (kind.to_owned(), reason.map(str::to_owned))
}

pub async fn step_up(app: &TestApp, token: &str, code: &str) -> Reply<step_up::ResponseData> {
    app.run::<StepUp>(Some(token), step_up::Variables { code: code.to_owned() }).await
}

pub async fn role_of(app: &TestApp, user: &User) -> String {
    sqlx::query_scalar("SELECT role::text FROM users WHERE id = $1")
        .bind(user.id.0)
        .fetch_one(&app.state.pool)
        .await
        .expect("role")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_totp_login_takes_two_steps_and_each_code_works_once(pool: PgPool) {
    let app = support::app(pool).await;
    let doctor = app.add_user("dr.grey", PASSWORD, Role::Doctor).await;
    let token = app.login("dr.grey", PASSWORD).await;
    let (authenticator, recovery) = enrol(&app, &token).await;
    assert_eq!(recovery.len(), 10);
    assert!(
        recovery.iter().all(|c| c.len() == 19 && c.chars().filter(|&ch| ch == '-').count() == 3),
        "{recovery:?}"
    );
    assert_eq!(recovery.iter().collect::<std::collections::BTreeSet<_>>().len(), 10);

    // The password alone gets a challenge, no token.
    let step = challenge(&app, "dr.grey").await;
    assert!(!step.enrolment_required);
    // A wrong code is refused with the reason, and recorded.
    let wrong = verify(&app, &step.challenge, &authenticator.wrong_code()).await;
    assert_eq!(wrong.code(), "BAD_USER_INPUT");
    assert_eq!(wrong.extension("field"), "code");
    assert_eq!(wrong.message(), "code: the code is wrong (or its 30 seconds have passed)");
    assert_eq!(wrong.data, None);
    // Input that is no code at all: BAD_USER_INPUT, nothing checked.
    let malformed = verify(&app, &step.challenge, "12ab").await;
    assert_eq!(malformed.code(), "BAD_USER_INPUT");
    assert_eq!(
        malformed.message(),
        "code: must be the 6 digits your authenticator app shows, or one of your recovery codes"
    );
    // The right code gets the token.
    let code = authenticator.code(0);
    let signed_in = verify(&app, &step.challenge, &code).await;
    // FACTOR_USED, then SIGNED_IN.
    assert_eq!(signed_in.events(), ["AuthenticationRecorded", "AuthenticationRecorded"]);
    let session = &signed_in.ok().verify_factor;
    assert_eq!(session.user.username, "dr.grey");
    // On the trail, in order, about the doctor: signed in (with the
    // password, before enrolling), factor enrolled, the wrong code as a
    // refused sign-in, factor used, signed in. (Lifecycle codes: 6 SIGNED_IN,
    // 7 SIGN_IN_FAILED, 9 FACTOR_ENROLLED, 10 FACTOR_USED.)
    let sid = doctor.system_id.expect("sid");
    let kinds: Vec<i16> = sqlx::query_scalar(
        "SELECT kind FROM chain_outbox WHERE subject = $1 AND kind >= 6 ORDER BY id",
    )
    .bind(sid.as_bytes().as_slice())
    .fetch_all(&app.state.pool)
    .await
    .expect("trail");
    assert_eq!(kinds, [6, 9, 7, 10, 6]);
    let me = app.run::<Me>(Some(&session.token), me::Variables).await;
    assert_eq!(me.ok().me.username, "dr.grey");
    // The challenge is spent.
    let again = verify(&app, &step.challenge, &authenticator.code(1)).await;
    assert_eq!(again.code(), "UNAUTHENTICATED");
    assert_eq!(
        again.message(),
        "the sign-in step expired, was used, or had too many wrong codes: sign in again"
    );
    // The same code, within its window, at a new login: refused as reused.
    let step = challenge(&app, "dr.grey").await;
    let reused = verify(&app, &step.challenge, &code).await;
    assert_eq!(reused.code(), "BAD_USER_INPUT");
    assert_eq!(reused.message(), "code: this code has been used already: wait for the next one");
    assert_eq!(
        factor_events(&app, &doctor).await,
        [
            ev("ENROLMENT_STARTED", None),
            ev("ENROLLED", None),
            ev("CODE_REFUSED", Some("WRONG_CODE")),
            ev("CODE_ACCEPTED", None),
            ev("CODE_REFUSED", Some("CHALLENGE_REFUSED")),
            ev("CODE_REFUSED", Some("REUSED_CODE")),
        ]
    );
    // The secret is never in the database in clear, nor shown again.
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT secret_sealed FROM totp_factors WHERE user_id = $1")
            .bind(doctor.id.0)
            .fetch_one(&app.state.pool)
            .await
            .expect("sealed");
    assert!(!stored.windows(20).any(|w| w == authenticator.0.secret.as_slice()));
    let begun = app
        .run::<BeginTotpEnrolment>(
            Some(&token),
            begin_totp_enrolment::Variables { challenge: None },
        )
        .await;
    assert_eq!(begun.code(), "CONFLICT");
    assert_eq!(begun.message(), "a second factor is already enrolled");
}

#[sqlx::test(migrations = "../migrations")]
async fn five_wrong_codes_spend_a_challenge_and_ten_hold_the_account(pool: PgPool) {
    let app = support::app(pool).await;
    let nurse = app.add_user("nurse.joy", PASSWORD, Role::Nurse).await;
    let token = app.login("nurse.joy", PASSWORD).await;
    let (authenticator, _) = enrol(&app, &token).await;
    let wrong = authenticator.wrong_code();
    let first = challenge(&app, "nurse.joy").await;
    for attempt in 1..=5 {
        assert_eq!(
            verify(&app, &first.challenge, &wrong).await.code(),
            "BAD_USER_INPUT",
            "attempt {attempt}"
        );
    }
    let spent = verify(&app, &first.challenge, &authenticator.code(0)).await;
    assert_eq!(spent.code(), "UNAUTHENTICATED");
    let second = challenge(&app, "nurse.joy").await;
    for attempt in 6..=10 {
        assert_eq!(
            verify(&app, &second.challenge, &wrong).await.code(),
            "BAD_USER_INPUT",
            "attempt {attempt}"
        );
    }
    // The eleventh, even right, is refused unchecked until the window passes.
    let third = challenge(&app, "nurse.joy").await;
    let held = verify(&app, &third.challenge, &authenticator.code(0)).await;
    assert_eq!(held.code(), "TOO_MANY_ATTEMPTS");
    let wait = held.extension("retryAfterSeconds").as_i64().expect("wait");
    assert!((890..=900).contains(&wait), "wait {wait}");
    let events = factor_events(&app, &nurse).await;
    assert_eq!(events.iter().filter(|e| **e == ev("CODE_REFUSED", Some("WRONG_CODE"))).count(), 10);
    assert_eq!(
        events.iter().filter(|e| **e == ev("CODE_REFUSED", Some("CHALLENGE_REFUSED"))).count(),
        1
    );
    assert_eq!(events.last(), Some(&ev("CODE_REFUSED", Some("TOO_MANY_ATTEMPTS"))));
    assert!(!events.contains(&ev("CODE_ACCEPTED", None)));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_recovery_code_signs_in_once(pool: PgPool) {
    let app = support::app(pool).await;
    let patient = app.add_user("pat.one", PASSWORD, Role::Patient).await;
    let token = app.login("pat.one", PASSWORD).await;
    let (_, recovery) = enrol(&app, &token).await;
    let step = challenge(&app, "pat.one").await;
    // Case, spaces and hyphens do not matter.
    let typed = recovery[3].to_lowercase().replace('-', " ");
    let signed_in = verify(&app, &step.challenge, &typed).await;
    let fresh = &signed_in.ok().verify_factor.token;
    let status = app.run::<MySecondFactor>(Some(fresh), my_second_factor::Variables).await;
    let status = &status.ok().my_second_factor;
    assert!(status.totp_enrolled);
    assert_eq!(status.recovery_codes_left, 9);
    assert!(!status.required, "patients may opt in; never required");
    let step = challenge(&app, "pat.one").await;
    let spent = verify(&app, &step.challenge, &recovery[3]).await;
    assert_eq!(spent.code(), "BAD_USER_INPUT");
    assert_eq!(spent.message(), "code: this recovery code has been used already");
    // Renewed codes replace the old ones (the login just now is fresh).
    let renewed = app.run::<RenewRecoveryCodes>(Some(fresh), renew_recovery_codes::Variables).await;
    let renewed = renewed.ok().renew_recovery_codes.clone();
    assert_eq!(renewed.len(), 10);
    assert!(!renewed.contains(&recovery[0]));
    let step = challenge(&app, "pat.one").await;
    assert_eq!(
        verify(&app, &step.challenge, &recovery[0]).await.message(),
        "code: the code is wrong (or its 30 seconds have passed)"
    );
    assert!(verify(&app, &step.challenge, &renewed[0]).await.errors.is_empty());
    assert_eq!(
        factor_events(&app, &patient).await[2..],
        [
            ev("RECOVERY_CODE_USED", None),
            ev("CODE_REFUSED", Some("USED_RECOVERY_CODE")),
            ev("RECOVERY_CODES_RENEWED", None),
            ev("CODE_REFUSED", Some("WRONG_CODE")),
            ev("RECOVERY_CODE_USED", None),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn under_the_policy_staff_enrol_at_their_next_login(pool: PgPool) {
    let app = support::app(pool).await;
    let root = app.login("root", ROOT_PASSWORD).await;
    let doctor = app.add_user("dr.who", PASSWORD, Role::Doctor).await;
    let patient = app.add_user("pat.two", PASSWORD, Role::Patient).await;
    // Not root: refused and recorded (a patient, who needs no factor).
    let patient_token = app.login("pat.two", PASSWORD).await;
    let refused = app
        .run::<SetFactorPolicy>(
            Some(&patient_token),
            set_factor_policy::Variables { staff_required: true },
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    assert_eq!(factor_events(&app, &patient).await, [ev("POLICY_REFUSED", Some("NOT_ROOT"))]);
    let set = app
        .run::<SetFactorPolicy>(Some(&root), set_factor_policy::Variables { staff_required: true })
        .await;
    assert!(set.ok().set_factor_policy.staff_required);

    // A patient still signs in with the password alone.
    assert!(login_step(&app, "pat.two", PASSWORD).await.ok().login.token.is_some());
    // The doctor gets only a challenge to enrol.
    let step = challenge(&app, "dr.who").await;
    assert!(step.enrolment_required);
    // It is no login challenge: a code does not sign in with it.
    let not_verify = verify(&app, &step.challenge, "123456").await;
    assert_eq!(not_verify.code(), "UNAUTHENTICATED");
    let begun = app
        .run::<BeginTotpEnrolment>(
            None,
            begin_totp_enrolment::Variables { challenge: Some(step.challenge.clone()) },
        )
        .await;
    let begun = &begun.ok().begin_totp_enrolment;
    assert!(begun.uri.starts_with("otpauth://totp/CareLedger:dr.who?secret="), "{}", begun.uri);
    assert!(begun.qr_svg.starts_with("<?xml"), "an SVG document");
    let authenticator = App::new(&begun.secret);
    let vars = confirm_totp_enrolment::Variables {
        code: authenticator.code(0),
        challenge: Some(step.challenge.clone()),
    };
    let confirmed = app.run::<ConfirmTotpEnrolment>(None, vars).await;
    // FACTOR_ENROLLED, then SIGNED_IN.
    assert_eq!(confirmed.events(), ["AuthenticationRecorded", "AuthenticationRecorded"]);
    let done = &confirmed.ok().confirm_totp_enrolment;
    assert_eq!(done.recovery_codes.len(), 10);
    let token = &done.session.as_ref().expect("signed in").token;
    assert_eq!(app.run::<Me>(Some(token), me::Variables).await.ok().me.username, "dr.who");
    assert_eq!(
        factor_events(&app, &doctor).await,
        [
            ev("CODE_REFUSED", Some("CHALLENGE_REFUSED")),
            ev("ENROLMENT_STARTED", None),
            ev("ENROLLED", None)
        ]
    );
    // From now on the doctor is asked for a code.
    assert!(!challenge(&app, "dr.who").await.enrolment_required);
    // Root has no factor, and the policy now requires one: changes wait.
    let unenrolled = app
        .run::<SetFactorPolicy>(Some(&root), set_factor_policy::Variables { staff_required: false })
        .await;
    assert_eq!(unenrolled.code(), "FACTOR_REQUIRED");
    assert_eq!(
        unenrolled.message(),
        "the policy requires a second factor for your role: enrol one first"
    );
    let policy: bool = sqlx::query_scalar("SELECT staff_required FROM factor_policy")
        .fetch_one(&app.state.pool)
        .await
        .expect("policy");
    assert!(policy, "unchanged");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_administrator_resets_a_lost_factor(pool: PgPool) {
    let app = support::app(pool).await;
    let root = app.login("root", ROOT_PASSWORD).await;
    let doctor = app.add_user("dr.lost", PASSWORD, Role::Doctor).await;
    let token = app.login("dr.lost", PASSWORD).await;
    enrol(&app, &token).await;
    let id = doctor.id.0.to_string();
    let reset = app
        .run::<ResetSecondFactor>(Some(&root), reset_second_factor::Variables { id: id.clone() })
        .await;
    assert!(reset.ok().reset_second_factor);
    // The decision, then FACTOR_RESET.
    assert_eq!(reset.events(), ["AccessRequested", "AuthenticationRecorded"]);
    assert_eq!(reset.audit[0].action, Some(AccessAction::Update));
    assert_eq!(reset.audit[0].resource, Some(AccessResource::UserRecord));
    assert!(reset.audit.iter().all(|n| n.approved));
    // The doctor's sessions ended; the password alone signs in again.
    assert_eq!(app.run::<Me>(Some(&token), me::Variables).await.code(), "UNAUTHENTICATED");
    assert!(login_step(&app, "dr.lost", PASSWORD).await.ok().login.token.is_some());
    // Nothing left to reset: refused and recorded.
    let again =
        app.run::<ResetSecondFactor>(Some(&root), reset_second_factor::Variables { id }).await;
    assert_eq!(again.code(), "NOT_FOUND");
    assert_eq!(again.message(), "second factor not found");
    let root_user = careledger::users::repo::get_by_username(
        &app.state.pool,
        &careledger::users::Username::parse("root").expect("name"),
    )
    .await
    .expect("root")
    .expect("root exists");
    let rows: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT actor, kind::text, reason FROM factor_events WHERE user_id = $1 AND actor <> user_id ORDER BY id")
            .bind(doctor.id.0)
            .fetch_all(&app.state.pool)
            .await
            .expect("events");
    assert_eq!(
        rows,
        [
            (root_user.id.0, "RESET".to_owned(), None),
            (root_user.id.0, "RESET_REFUSED".to_owned(), Some("NO_FACTOR".to_owned()))
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn account_changes_need_a_fresh_factor(pool: PgPool) {
    let app = support::app(pool).await;
    let admin = app.add_user("admin.ada", PASSWORD, Role::Admin).await;
    let nurse = app.add_user("nurse.ned", PASSWORD, Role::Nurse).await;
    // Without a factor there is nothing to step up with.
    let plain = app.login("admin.ada", PASSWORD).await;
    let none = step_up(&app, &plain, "123456").await;
    assert_eq!(none.code(), "FACTOR_REQUIRED");
    assert_eq!(none.message(), "you have no second factor: enrol one first");
    let (authenticator, _) = enrol(&app, &plain).await;
    // A login with the factor is fresh for five minutes.
    let step = challenge(&app, "admin.ada").await;
    let token = verify(&app, &step.challenge, &authenticator.code(0))
        .await
        .ok()
        .verify_factor
        .token
        .clone();
    let vars = |role| set_user_role::Variables { id: nurse.id.0.to_string(), role };
    let changed = app.run::<SetUserRole>(Some(&token), vars(Role::Doctor)).await;
    assert_eq!(changed.ok().set_user_role.role, Role::Doctor);
    // Six minutes later it is not: refused before the contract is asked.
    sqlx::query("UPDATE factor_step_ups SET verified_at = now() - interval '6 minutes'")
        .execute(&app.state.pool)
        .await
        .expect("age the proof");
    let stale = app.run::<SetUserRole>(Some(&token), vars(Role::Nurse)).await;
    assert_eq!(stale.code(), "FACTOR_REQUIRED");
    assert_eq!(
        stale.message(),
        "this change needs a second factor proved in the last 5 minutes: confirm a code and try again"
    );
    assert_eq!(stale.events(), Vec::<&str>::new(), "nothing asked of the contract");
    assert_eq!(role_of(&app, &nurse).await, "DOCTOR");
    // A wrong code does not step up; the right one does.
    assert_eq!(step_up(&app, &token, &authenticator.wrong_code()).await.code(), "BAD_USER_INPUT");
    let stepped = step_up(&app, &token, &authenticator.code(1)).await;
    let until =
        chrono::DateTime::parse_from_rfc3339(&stepped.ok().step_up.fresh_until).expect("time");
    let left = until.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!((290..=300).contains(&left), "{left}");
    let changed = app.run::<SetUserRole>(Some(&token), vars(Role::Nurse)).await;
    assert_eq!(changed.ok().set_user_role.role, Role::Nurse);
    let events = factor_events(&app, &admin).await;
    assert_eq!(
        events[4..],
        [
            ev("STEP_UP_REFUSED", Some("NOT_FRESH")),
            ev("CODE_REFUSED", Some("WRONG_CODE")),
            ev("CODE_ACCEPTED", None),
        ]
    );
    assert_eq!(events[0], ev("CODE_REFUSED", Some("NO_FACTOR")));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_purge_removes_only_expired_challenges_and_step_ups(pool: PgPool) {
    let app = support::app(pool).await;
    let doctor = app.add_user("dr.purge", PASSWORD, Role::Doctor).await;
    let token = app.login("dr.purge", PASSWORD).await;
    let (authenticator, _) = enrol(&app, &token).await;
    let live = challenge(&app, "dr.purge").await;
    challenge(&app, "dr.purge").await;
    let session = verify(&app, &live.challenge, &authenticator.code(0)).await;
    assert!(session.errors.is_empty());
    // One more challenge and the login's step-up expire.
    sqlx::query(
        "UPDATE factor_challenges SET expires_at = now() - interval '1 second'
          WHERE used_at IS NULL",
    )
    .execute(&app.state.pool)
    .await
    .expect("expire a challenge");
    sqlx::query("UPDATE factor_step_ups SET expires_at = now() - interval '1 second'")
        .execute(&app.state.pool)
        .await
        .expect("expire the step-up");
    let purged = careledger::auth::factor::purge::purge(&app.state.pool).await.expect("purge");
    assert_eq!(purged, careledger::auth::factor::purge::Purged { challenges: 1, step_ups: 1 });
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM factor_challenges WHERE user_id = $1")
        .bind(doctor.id.0)
        .fetch_one(&app.state.pool)
        .await
        .expect("count");
    assert_eq!(left, 1, "the used, unexpired challenge stays until it expires");
}
