//! Passkeys through the real schema, answered by `webauthn-authenticator-rs`'s
//! software passkey (what a browser and an authenticator would send):
//! registration, the login's second step and step-up, and the refusals —
//! a replayed assertion, another user's or session's ceremony, an expired
//! one, a removed passkey — each recorded and counted with wrong codes.

use careledger::users::{Role, User};
use sqlx::PgPool;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

use crate::factor::{challenge, ev, factor_events, login_step, PASSWORD};
use crate::ops::*;
use crate::support::{self, Reply, TestApp, ROOT_PASSWORD};

/// The origin the test api's relying party expects (the default for its
/// bind address, 127.0.0.1:8443).
fn origin() -> Url {
    Url::parse("https://localhost:8443").expect("origin")
}

/// A software authenticator, as a browser would drive it.
struct Authenticator(WebauthnAuthenticator<SoftPasskey>);

impl Authenticator {
    fn new() -> Self {
        // `true`: it reports user verification (a PIN or a fingerprint),
        // which passkeys require.
        Self(WebauthnAuthenticator::new(SoftPasskey::new(true)))
    }

    /// The credential `navigator.credentials.create(options)` would return.
    fn register(&mut self, options: &serde_json::Value) -> serde_json::Value {
        let options: CreationChallengeResponse =
            serde_json::from_value(options.clone()).expect("creation options");
        let made = self.0.do_registration(origin(), options).expect("registration");
        serde_json::to_value(made).expect("json")
    }

    /// The assertion `navigator.credentials.get(options)` would return.
    fn assert(&mut self, options: &serde_json::Value) -> serde_json::Value {
        let options: RequestChallengeResponse =
            serde_json::from_value(options.clone()).expect("request options");
        let signed = self.0.do_authentication(origin(), options).expect("assertion");
        serde_json::to_value(signed).expect("json")
    }
}

async fn begin_enrolment(
    app: &TestApp,
    token: &str,
    name: &str,
) -> Reply<begin_passkey_enrolment::ResponseData> {
    let vars = begin_passkey_enrolment::Variables { name: name.to_owned() };
    app.run::<BeginPasskeyEnrolment>(Some(token), vars).await
}

async fn confirm(
    app: &TestApp,
    token: &str,
    challenge: &str,
    credential: serde_json::Value,
) -> Reply<confirm_passkey_enrolment::ResponseData> {
    let vars = confirm_passkey_enrolment::Variables { challenge: challenge.to_owned(), credential };
    app.run::<ConfirmPasskeyEnrolment>(Some(token), vars).await
}

/// Registers a passkey called `name` for the holder of `token` (fresh, if
/// the account has a factor); returns its id and the recovery codes given.
async fn enrol(
    app: &TestApp,
    token: &str,
    authenticator: &mut Authenticator,
    name: &str,
) -> (String, Vec<String>) {
    let begun = begin_enrolment(app, token, name).await;
    let begun = &begun.ok().begin_passkey_enrolment;
    assert_eq!(begun.options["publicKey"]["rp"]["id"], "localhost");
    let credential = authenticator.register(&begun.options);
    let confirmed = confirm(app, token, &begun.challenge, credential).await;
    // FACTOR_ENROLLED.
    assert_eq!(confirmed.events(), ["AuthenticationRecorded"]);
    let done = &confirmed.ok().confirm_passkey_enrolment;
    assert_eq!(done.passkey.name, name.trim());
    (done.passkey.id.clone(), done.recovery_codes.clone())
}

/// Begins a passkey verification: for a login step (`challenge`), or for
/// step-up (signed in with `token`); returns the challenge and options.
async fn begin_verification(
    app: &TestApp,
    token: Option<&str>,
    challenge: Option<&str>,
) -> (String, serde_json::Value) {
    let vars = begin_passkey_verification::Variables { challenge: challenge.map(str::to_owned) };
    let begun = app.run::<BeginPasskeyVerification>(token, vars).await;
    let begun = &begun.ok().begin_passkey_verification;
    (begun.challenge.clone(), begun.options.clone())
}

async fn verify(
    app: &TestApp,
    challenge: &str,
    credential: &serde_json::Value,
) -> Reply<verify_passkey::ResponseData> {
    let vars = verify_passkey::Variables {
        challenge: challenge.to_owned(),
        credential: credential.clone(),
    };
    app.run::<VerifyPasskey>(None, vars).await
}

async fn step_up(
    app: &TestApp,
    token: &str,
    challenge: &str,
    credential: &serde_json::Value,
) -> Reply<step_up_with_passkey::ResponseData> {
    let vars = step_up_with_passkey::Variables {
        challenge: challenge.to_owned(),
        credential: credential.clone(),
    };
    app.run::<StepUpWithPasskey>(Some(token), vars).await
}

/// Signs `username` in with the password and a passkey; returns the token.
async fn sign_in(app: &TestApp, username: &str, authenticator: &mut Authenticator) -> String {
    let step = challenge(app, username).await;
    assert!(step.passkey, "the step offers a passkey");
    let (same, options) = begin_verification(app, None, Some(&step.challenge)).await;
    assert_eq!(same, step.challenge);
    let signed = verify(app, &step.challenge, &authenticator.assert(&options)).await;
    signed.ok().verify_passkey.token.clone()
}

/// Lifecycle kinds on the trail about `user`, in order (6 SIGNED_IN,
/// 7 SIGN_IN_FAILED, 9 FACTOR_ENROLLED, 10 FACTOR_USED, 11 FACTOR_RESET).
async fn trail(app: &TestApp, user: &User) -> Vec<i16> {
    let sid = user.system_id.expect("sid");
    sqlx::query_scalar("SELECT kind FROM chain_outbox WHERE subject = $1 AND kind >= 6 ORDER BY id")
        .bind(sid.as_bytes().as_slice())
        .fetch_all(&app.state.pool)
        .await
        .expect("trail")
}

async fn age_step_ups(app: &TestApp) {
    sqlx::query("UPDATE factor_step_ups SET verified_at = now() - interval '6 minutes'")
        .execute(&app.state.pool)
        .await
        .expect("age the proof");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_passkey_signs_in_and_each_assertion_answers_once(pool: PgPool) {
    let app = support::app(pool).await;
    let doctor = app.add_user("dr.key", PASSWORD, Role::Doctor).await;
    let token = app.login("dr.key", PASSWORD).await;
    let mut laptop = Authenticator::new();
    let (_, recovery) = enrol(&app, &token, &mut laptop, "  Work laptop ").await;
    assert_eq!(recovery.len(), 10, "the first factor brings the recovery codes");
    let mine = app.run::<MyPasskeys>(Some(&token), my_passkeys::Variables).await;
    let mine = &mine.ok().my_second_factor;
    assert!(!mine.totp_enrolled);
    assert_eq!(mine.recovery_codes_left, 10);
    assert_eq!(mine.passkeys.len(), 1);
    assert_eq!(mine.passkeys[0].name, "Work laptop");
    assert_eq!(mine.passkeys[0].last_used_at, None);

    // The password alone gets a challenge that a passkey answers.
    let step = challenge(&app, "dr.key").await;
    assert!(step.passkey && !step.enrolment_required);
    let (_, options) = begin_verification(&app, None, Some(&step.challenge)).await;
    let assertion = laptop.assert(&options);
    let signed_in = verify(&app, &step.challenge, &assertion).await;
    // FACTOR_USED, then SIGNED_IN.
    assert_eq!(signed_in.events(), ["AuthenticationRecorded", "AuthenticationRecorded"]);
    let session = signed_in.ok().verify_passkey.token.clone();
    assert_eq!(app.run::<Me>(Some(&session), me::Variables).await.ok().me.username, "dr.key");

    // The same assertion again: the challenge is spent.
    let replayed = verify(&app, &step.challenge, &assertion).await;
    assert_eq!(replayed.code(), "UNAUTHENTICATED");
    // At a new login step its WebAuthn challenge is not this one's: refused,
    // a refused sign-in like a wrong code.
    let step = challenge(&app, "dr.key").await;
    begin_verification(&app, None, Some(&step.challenge)).await;
    let stale = verify(&app, &step.challenge, &assertion).await;
    assert_eq!(stale.code(), "BAD_USER_INPUT");
    assert_eq!(stale.extension("field"), "credential");
    assert_eq!(stale.message(), "credential: the passkey was not accepted");
    // The ceremony was answered: even a good assertion needs a new one.
    let fresh = laptop.assert(&begin_verification(&app, None, Some(&step.challenge)).await.1);
    let answered = verify(&app, &step.challenge, &fresh).await;
    assert!(answered.errors.is_empty(), "{answered:?}");
    let again = verify(&app, &step.challenge, &fresh).await;
    assert_eq!(again.code(), "UNAUTHENTICATED", "the challenge was used by the sign-in");
    let unbegun = challenge(&app, "dr.key").await;
    let without = verify(&app, &unbegun.challenge, &fresh).await;
    assert_eq!(without.code(), "CONFLICT");
    assert_eq!(without.message(), "no passkey request is in progress: start again");
    // Something that is no credential at all: BAD_USER_INPUT, nothing checked.
    let junk = verify(&app, &unbegun.challenge, &serde_json::json!({ "id": 1 })).await;
    assert_eq!(junk.code(), "BAD_USER_INPUT");
    assert_eq!(junk.extension("field"), "credential");

    assert_eq!(trail(&app, &doctor).await, [6, 9, 10, 6, 7, 10, 6, 7]);
    assert_eq!(
        factor_events(&app, &doctor).await,
        [
            ev("PASSKEY_ENROLLED", None),
            ev("PASSKEY_USED", None),
            ev("CODE_REFUSED", Some("CHALLENGE_REFUSED")),
            ev("CODE_REFUSED", Some("WRONG_PASSKEY")),
            ev("PASSKEY_USED", None),
            ev("CODE_REFUSED", Some("CHALLENGE_REFUSED")),
            ev("CODE_REFUSED", Some("NO_CEREMONY")),
        ]
    );
    let used = app.run::<MyPasskeys>(Some(&session), my_passkeys::Variables).await;
    assert!(used.ok().my_second_factor.passkeys[0].last_used_at.is_some());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_ceremony_belongs_to_one_user_and_session_and_expires(pool: PgPool) {
    let app = support::app(pool).await;
    let ann = app.add_user("nurse.ann", PASSWORD, Role::Nurse).await;
    let bob = app.add_user("nurse.bob", PASSWORD, Role::Nurse).await;
    let ann_token = app.login("nurse.ann", PASSWORD).await;
    let bob_token = app.login("nurse.bob", PASSWORD).await;
    let mut ann_key = Authenticator::new();
    let mut bob_key = Authenticator::new();
    enrol(&app, &ann_token, &mut ann_key, "Ann's key").await;
    enrol(&app, &bob_token, &mut bob_key, "Bob's key").await;

    // Bob answers Ann's step-up ceremony with his own passkey: refused, as
    // another's; her ceremony stays hers.
    let (ann_ceremony, _) = begin_verification(&app, Some(&ann_token), None).await;
    let (_, bob_options) = begin_verification(&app, Some(&bob_token), None).await;
    let bob_assertion = bob_key.assert(&bob_options);
    let theirs = step_up(&app, &bob_token, &ann_ceremony, &bob_assertion).await;
    assert_eq!(theirs.code(), "BAD_USER_INPUT");
    assert_eq!(theirs.extension("field"), "challenge");
    assert_eq!(
        theirs.message(),
        "challenge: the passkey request expired, was used, or belongs to another session: \
         start again"
    );
    // Ann's other session cannot use it either.
    let ann_other = sign_in(&app, "nurse.ann", &mut ann_key).await;
    let (ceremony, options) = begin_verification(&app, Some(&ann_token), None).await;
    let other = step_up(&app, &ann_other, &ceremony, &ann_key.assert(&options)).await;
    assert_eq!(other.code(), "BAD_USER_INPUT");
    // Bob's passkey at Ann's login step: not one of hers.
    let step = challenge(&app, "nurse.ann").await;
    let (_, ann_options) = begin_verification(&app, None, Some(&step.challenge)).await;
    let (_, bob_options) = begin_verification(&app, Some(&bob_token), None).await;
    assert_eq!(ann_options["publicKey"]["allowCredentials"].as_array().map(Vec::len), Some(1));
    let wrong_user = verify(&app, &step.challenge, &bob_key.assert(&bob_options)).await;
    assert_eq!(wrong_user.message(), "credential: the passkey was not accepted");

    // A ceremony past its five minutes is refused, even answered rightly.
    let (ceremony, options) = begin_verification(&app, Some(&ann_token), None).await;
    let assertion = ann_key.assert(&options);
    sqlx::query(
        "UPDATE factor_challenges SET expires_at = now() - interval '1 second'
          WHERE purpose = 'PASSKEY_STEP_UP' AND used_at IS NULL",
    )
    .execute(&app.state.pool)
    .await
    .expect("expire");
    let expired = step_up(&app, &ann_token, &ceremony, &assertion).await;
    assert_eq!(expired.extension("field"), "challenge");
    // A live one works, once.
    let (ceremony, options) = begin_verification(&app, Some(&ann_token), None).await;
    let assertion = ann_key.assert(&options);
    let stepped = step_up(&app, &ann_token, &ceremony, &assertion).await;
    let until =
        chrono::DateTime::parse_from_rfc3339(&stepped.ok().step_up_with_passkey.fresh_until)
            .expect("time");
    let left = until.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!((290..=300).contains(&left), "{left}");
    let replayed = step_up(&app, &ann_token, &ceremony, &assertion).await;
    assert_eq!(replayed.extension("field"), "challenge");

    assert_eq!(
        factor_events(&app, &bob).await[1..],
        [ev("CODE_REFUSED", Some("ANOTHER_SESSION_CHALLENGE"))]
    );
    let ann_events = factor_events(&app, &ann).await;
    assert_eq!(
        ann_events[2..],
        [
            ev("CODE_REFUSED", Some("ANOTHER_SESSION_CHALLENGE")),
            ev("CODE_REFUSED", Some("WRONG_PASSKEY")),
            ev("CODE_REFUSED", Some("CHALLENGE_REFUSED")),
            ev("PASSKEY_USED", None),
            ev("CODE_REFUSED", Some("CHALLENGE_REFUSED")),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_second_passkey_needs_step_up_and_a_removed_one_no_longer_answers(pool: PgPool) {
    let app = support::app(pool).await;
    let doctor = app.add_user("dr.two", PASSWORD, Role::Doctor).await;
    let token = app.login("dr.two", PASSWORD).await;
    let mut laptop = Authenticator::new();
    let mut phone = Authenticator::new();
    enrol(&app, &token, &mut laptop, "Laptop").await;
    // With a factor, adding another needs it proved lately (this token
    // never did): refused before anything starts.
    let unproved = begin_enrolment(&app, &token, "Phone").await;
    assert_eq!(unproved.code(), "FACTOR_REQUIRED");
    let session = sign_in(&app, "dr.two", &mut laptop).await;
    let (phone_id, recovery) = enrol(&app, &session, &mut phone, "Phone").await;
    assert!(recovery.is_empty(), "the account keeps the codes of its first factor");
    // The same name twice is refused.
    let twice = begin_enrolment(&app, &session, "Phone").await;
    assert_eq!(twice.code(), "BAD_USER_INPUT");
    assert_eq!(twice.message(), "name: you already have a passkey of that name");

    // A login step begun while the phone was registered; the phone is
    // removed before it answers: refused.
    let step = challenge(&app, "dr.two").await;
    let (_, options) = begin_verification(&app, None, Some(&step.challenge)).await;
    let removed = app
        .run::<RemovePasskey>(Some(&session), remove_passkey::Variables { id: phone_id.clone() })
        .await;
    assert!(removed.ok().remove_passkey);
    // FACTOR_RESET, by the doctor.
    assert_eq!(removed.events(), ["AuthenticationRecorded"]);
    let refused = verify(&app, &step.challenge, &phone.assert(&options)).await;
    assert_eq!(refused.message(), "credential: the passkey was not accepted");
    // Removing again: no such passkey. Removing needs a fresh factor.
    let gone =
        app.run::<RemovePasskey>(Some(&session), remove_passkey::Variables { id: phone_id }).await;
    assert_eq!(gone.code(), "NOT_FOUND");
    age_step_ups(&app).await;
    let mine = app.run::<MyPasskeys>(Some(&session), my_passkeys::Variables).await;
    let laptop_id = mine.ok().my_second_factor.passkeys[0].id.clone();
    let stale = app
        .run::<RemovePasskey>(Some(&session), remove_passkey::Variables { id: laptop_id.clone() })
        .await;
    assert_eq!(stale.code(), "FACTOR_REQUIRED");
    // Removing the last factor (no policy) removes the recovery codes too.
    let (ceremony, options) = begin_verification(&app, Some(&session), None).await;
    assert!(step_up(&app, &session, &ceremony, &laptop.assert(&options)).await.errors.is_empty());
    let last =
        app.run::<RemovePasskey>(Some(&session), remove_passkey::Variables { id: laptop_id }).await;
    assert!(last.ok().remove_passkey);
    let mine = app.run::<MyPasskeys>(Some(&session), my_passkeys::Variables).await;
    assert_eq!(mine.ok().my_second_factor.recovery_codes_left, 0);
    assert!(login_step(&app, "dr.two", PASSWORD).await.ok().login.token.is_some());

    assert_eq!(trail(&app, &doctor).await, [6, 9, 10, 6, 9, 11, 7, 10, 11, 6]);
    let events = factor_events(&app, &doctor).await;
    assert_eq!(
        events[1..],
        [
            ev("STEP_UP_REFUSED", Some("NOT_FRESH")),
            ev("PASSKEY_USED", None),
            ev("PASSKEY_ENROLLED", None),
            ev("PASSKEY_REMOVED", None),
            ev("CODE_REFUSED", Some("UNKNOWN_PASSKEY")),
            ev("REMOVAL_REFUSED", Some("NO_SUCH_PASSKEY")),
            ev("STEP_UP_REFUSED", Some("NOT_FRESH")),
            ev("PASSKEY_USED", None),
            ev("PASSKEY_REMOVED", None),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn passkeys_count_for_the_policy_and_a_reset_removes_them(pool: PgPool) {
    let app = support::app(pool).await;
    let root = app.login("root", ROOT_PASSWORD).await;
    let doctor = app.add_user("dr.policy", PASSWORD, Role::Doctor).await;
    let token = app.login("dr.policy", PASSWORD).await;
    let mut key = Authenticator::new();
    let (id, recovery) = enrol(&app, &token, &mut key, "Key").await;
    let set = app
        .run::<SetFactorPolicy>(Some(&root), set_factor_policy::Variables { staff_required: true })
        .await;
    assert!(set.ok().set_factor_policy.staff_required);

    // The passkey is the doctor's factor: a challenge to answer, not to enrol.
    let step = challenge(&app, "dr.policy").await;
    assert!(step.passkey && !step.enrolment_required);
    // A passkey-only account signs in with a recovery code too.
    let vars =
        verify_factor::Variables { challenge: step.challenge.clone(), code: recovery[0].clone() };
    let session = app.run::<VerifyFactor>(None, vars).await.ok().verify_factor.token.clone();
    // Under the policy the last factor stays.
    let last = app.run::<RemovePasskey>(Some(&session), remove_passkey::Variables { id }).await;
    assert_eq!(last.code(), "CONFLICT");
    assert_eq!(
        last.message(),
        "the policy requires a second factor for your role: add another before removing your last"
    );
    assert!(last.events().is_empty());
    // A lost passkey: root's reset removes it (root has no factor to step
    // up with, so the policy is off meanwhile).
    set_policy(&app, false).await;
    let reset = app
        .run::<ResetSecondFactor>(
            Some(&root),
            reset_second_factor::Variables { id: doctor.id.0.to_string() },
        )
        .await;
    assert!(reset.ok().reset_second_factor);
    set_policy(&app, true).await;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM passkeys WHERE user_id = $1")
        .bind(doctor.id.0)
        .fetch_one(&app.state.pool)
        .await
        .expect("count");
    assert_eq!(left, 0);
    // Under the policy the doctor enrols again at the next sign-in.
    assert!(challenge(&app, "dr.policy").await.enrolment_required);
    let events = factor_events(&app, &doctor).await;
    assert_eq!(
        events[1..],
        [
            ev("RECOVERY_CODE_USED", None),
            ev("REMOVAL_REFUSED", Some("LAST_FACTOR")),
            ev("RESET", None),
        ]
    );
}

async fn set_policy(app: &TestApp, staff_required: bool) {
    sqlx::query("UPDATE factor_policy SET staff_required = $1")
        .bind(staff_required)
        .execute(&app.state.pool)
        .await
        .expect("policy");
}

#[sqlx::test(migrations = "../migrations")]
async fn refused_assertions_count_with_wrong_codes(pool: PgPool) {
    let app = support::app(pool).await;
    let patient = app.add_user("pat.key", PASSWORD, Role::Patient).await;
    let token = app.login("pat.key", PASSWORD).await;
    let mut key = Authenticator::new();
    enrol(&app, &token, &mut key, "Key").await;
    let (ceremony, options) = begin_verification(&app, Some(&token), None).await;
    let spent = key.assert(&options);
    assert!(step_up(&app, &token, &ceremony, &spent).await.errors.is_empty());
    // Ten old assertions, each at a new ceremony: refused, counted.
    for attempt in 1..=10 {
        let (ceremony, _) = begin_verification(&app, Some(&token), None).await;
        let refused = step_up(&app, &token, &ceremony, &spent).await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "attempt {attempt}");
    }
    // The eleventh, even right, is refused unchecked until the window passes.
    let (ceremony, options) = begin_verification(&app, Some(&token), None).await;
    let held = step_up(&app, &token, &ceremony, &key.assert(&options)).await;
    assert_eq!(held.code(), "TOO_MANY_ATTEMPTS");
    // …and so is a code at the login step.
    let step = challenge(&app, "pat.key").await;
    let vars = verify_factor::Variables { challenge: step.challenge, code: "123456".into() };
    assert_eq!(app.run::<VerifyFactor>(None, vars).await.code(), "TOO_MANY_ATTEMPTS");
    let events = factor_events(&app, &patient).await;
    assert_eq!(
        events.iter().filter(|e| **e == ev("CODE_REFUSED", Some("WRONG_PASSKEY"))).count(),
        10
    );
    assert_eq!(events.last(), Some(&ev("CODE_REFUSED", Some("TOO_MANY_ATTEMPTS"))));
}
