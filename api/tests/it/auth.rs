//! Login, tokens and the guard, through the real schema on a real Anvil.

use alloy::primitives::B256;
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use base64::Engine as _;
use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::Role;
use sqlx::PgPool;

use crate::ops::{self, login, logout, me, renew_session, Login, Logout, Me, RenewSession};
use crate::support::{self, Reply, TestApp, ROOT_PASSWORD};

const PASSWORD: &str = "a sound password";

async fn log_in(app: &TestApp, username: &str, password: &str) -> Reply<login::ResponseData> {
    let vars = login::Variables { username: username.to_owned(), password: password.to_owned() };
    app.run::<Login>(None, vars).await
}

async fn me(app: &TestApp, token: &str) -> Reply<me::ResponseData> {
    app.run::<Me>(Some(token), me::Variables).await
}

/// Who `token` signs in as.
async fn username(app: &TestApp, token: &str) -> String {
    me(app, token).await.ok().me.username.clone()
}

#[sqlx::test(migrations = "../migrations")]
async fn wrong_password_and_unknown_user_get_the_same_answer(pool: PgPool) {
    let app = support::app(pool).await;
    app.add_user("dr.grey", PASSWORD, Role::Doctor).await;
    let wrong = log_in(&app, "dr.grey", "not the password").await;
    let unknown = log_in(&app, "nobody.here", "not the password").await;
    assert_eq!(wrong.code(), "UNAUTHENTICATED");
    assert_eq!(wrong.message(), unknown.message());
    assert_eq!(wrong.errors[0].extensions, unknown.errors[0].extensions);
    assert_eq!(wrong.data, None);
}

async fn renew(app: &TestApp, token: &str) -> Reply<renew_session::ResponseData> {
    app.run::<RenewSession>(Some(token), renew_session::Variables).await
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_is_renewed_within_its_twelve_hours_and_a_logout_ends_every_renewal(
    pool: PgPool,
) {
    let app = support::app(pool).await;
    app.add_user("dr.kildare", PASSWORD, Role::Doctor).await;
    let first = app.login("dr.kildare", PASSWORD).await;
    let keys = &app.state.token_keys;
    let claims = |t: &str| careledger::auth::token::verify(keys, t).expect("claims");
    let login = claims(&first);

    let out = renew(&app, &first).await;
    let renewed = &out.ok().renew_session;
    let second = renewed.token.clone();
    let next = claims(&second);
    assert_eq!((next.ses, next.auth_time, next.exp - next.iat), (login.jti, login.iat, 900));
    assert_ne!(next.jti, login.jti);
    let text = |secs: i64| chrono::DateTime::from_timestamp(secs, 0).expect("time").to_rfc3339();
    assert_eq!(renewed.expires_at, text(next.exp));
    assert_eq!(renewed.session_ends_at, text(login.iat + 12 * 3600));
    // The older token still works until its own expiry: requests already
    // sent with it are not failed by the renewal.
    assert_eq!(username(&app, &first).await, "dr.kildare");
    assert_eq!(username(&app, &second).await, "dr.kildare");
    let third = renew(&app, &second).await.ok().renew_session.token.clone();
    assert_eq!(claims(&third).ses, login.jti);

    // Logging out with the newest token ends the whole session.
    assert!(app.run::<Logout>(Some(&third), logout::Variables).await.ok().logout);
    for token in [&first, &second, &third] {
        assert_eq!(me(&app, token).await.code(), "UNAUTHENTICATED");
        assert_eq!(renew(&app, token).await.code(), "UNAUTHENTICATED");
    }

    // Five seconds before the session's end, a renewal runs to the end and
    // no further.
    let other = app.login("dr.kildare", PASSWORD).await;
    let now = chrono::Utc::now().timestamp();
    let late = careledger::auth::token::Claims { auth_time: now - 12 * 3600 + 5, ..claims(&other) };
    let (late_token, _) = careledger::auth::token::renew(keys, &late, "DOCTOR").expect("renew");
    let last = renew(&app, &late_token).await;
    let last = &last.ok().renew_session;
    assert_eq!(last.expires_at, last.session_ends_at);
    assert_eq!(last.session_ends_at, text(now + 5));
    // The other login is a session of its own, untouched by the logout.
    assert_eq!(username(&app, &other).await, "dr.kildare");
}

#[sqlx::test(migrations = "../migrations")]
async fn me_is_one_approved_access_event_with_every_field(pool: PgPool) {
    let app = support::app(pool).await;
    let user = app.add_user("dr.house", PASSWORD, Role::Doctor).await;
    let token = app.login("dr.house", PASSWORD).await;
    let out = me(&app, &token).await;
    let data = &out.ok().me;
    assert_eq!(data.username, "dr.house");
    assert_eq!(data.role, ops::Role::Doctor);
    let sid = user.system_id.expect("sid");
    assert_eq!(data.system_id, Some(sid.to_string()));
    let audit = &out.audit;
    assert_eq!(audit.len(), 1, "exactly one event: {audit:?}");
    assert_eq!((audit[0].event.as_str(), audit[0].approved), ("AccessRequested", true));

    // Read it back from the chain with a plain log query.
    let tx = audit[0].transaction_hash;
    let block = audit[0].block_number;
    let filter = Filter::new()
        .address(app.state.deployment.address)
        .event_signature(CareLedgerAccess::AccessRequested::SIGNATURE_HASH)
        .from_block(block)
        .to_block(block);
    let logs = app.state.chain.provider().get_logs(&filter).await.expect("logs");
    let ours: Vec<_> = logs.iter().filter(|l| l.transaction_hash == Some(tx)).collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].log_index, Some(audit[0].log_index));
    let e = ours[0].log_decode::<CareLedgerAccess::AccessRequested>().expect("decode").inner.data;
    let me = B256::from(sid);
    assert_eq!((e.actor, e.subject, e.recordId), (me, me, B256::ZERO));
    assert_eq!((e.action, e.resource, e.targetRole, e.approved), (1, 0, 0, true));
}

#[sqlx::test(migrations = "../migrations")]
async fn revoked_forged_expired_and_unsigned_tokens_are_refused(pool: PgPool) {
    let app = support::app(pool).await;
    app.add_user("dr.who", PASSWORD, Role::Doctor).await;
    let token = app.login("dr.who", PASSWORD).await;
    assert_eq!(username(&app, &token).await, "dr.who");

    // Signed by another key.
    let other = careledger::auth::keys::TokenKeys::ephemeral().expect("keys");
    let claims = careledger::auth::token::verify(&app.state.token_keys, &token).expect("claims");
    let (forged, _) = careledger::auth::token::issue(
        &other,
        claims.sub.parse().expect("id"),
        &claims.sid,
        "ROOT",
    )
    .expect("issue");
    // alg: none.
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let unsigned = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        token.split('.').nth(1).expect("payload")
    );
    for bad in [forged.as_str(), unsigned.as_str(), "not-a-token"] {
        let out = me(&app, bad).await;
        assert_eq!(out.code(), "UNAUTHENTICATED", "{bad}");
        assert!(out.audit.is_empty(), "nothing reached the chain");
    }

    // Revoked by logout.
    assert!(app.run::<Logout>(Some(&token), logout::Variables).await.ok().logout);
    assert_eq!(me(&app, &token).await.code(), "UNAUTHENTICATED");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_deleted_users_token_is_refused_and_they_cannot_log_in(pool: PgPool) {
    let app = support::app(pool).await;
    let user = app.add_user("dr.gone", PASSWORD, Role::Doctor).await;
    let token = app.login("dr.gone", PASSWORD).await;
    let mut conn = app.state.pool.acquire().await.expect("conn");
    careledger::users::repo::soft_delete(&mut conn, user.id).await.expect("delete");
    assert_eq!(me(&app, &token).await.code(), "UNAUTHENTICATED");
    assert_eq!(log_in(&app, "dr.gone", PASSWORD).await.code(), "UNAUTHENTICATED");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_imported_account_gets_its_identifier_and_role_on_chain_at_first_login(pool: PgPool) {
    let app = support::app(pool.clone()).await;
    let phc = careledger::auth::password::hash(secrecy::SecretString::from(PASSWORD))
        .await
        .expect("hash");
    let mut new = careledger::users::NewUser::new(
        careledger::users::Username::parse("imported.nurse").expect("u"),
        careledger::users::PasswordHash::from_phc(phc.as_str().to_owned()).expect("phc"),
        careledger::users::FullName::parse("Imported Nurse").expect("n"),
        Role::Nurse,
    );
    new.system_id = None;
    let mut conn = pool.acquire().await.expect("conn");
    let user = careledger::users::repo::create(&mut conn, &new).await.expect("create");
    assert!(user.system_id.is_none());
    let token = app.login("imported.nurse", PASSWORD).await;
    let stored = careledger::users::repo::get(&pool, user.id).await.expect("get").expect("user");
    let sid = stored.system_id.expect("assigned at login");
    let contract = CareLedgerAccess::new(app.state.deployment.address, app.state.chain.provider());
    assert_eq!(
        contract.roleOf(B256::from(sid)).call().await.expect("role"),
        Role::Nurse.contract_code()
    );
    assert_eq!(me(&app, &token).await.ok().me.system_id, Some(sid.to_string()));
}

#[sqlx::test(migrations = "../migrations")]
async fn root_exists_after_first_start_and_is_root_on_chain(pool: PgPool) {
    let app = support::app(pool).await;
    let token = app.login("root", ROOT_PASSWORD).await;
    let out = me(&app, &token).await;
    assert_eq!(out.ok().me.role, ops::Role::Root);
    let sid: B256 = out.ok().me.system_id.as_deref().expect("sid").parse().expect("hex");
    let contract = CareLedgerAccess::new(app.state.deployment.address, app.state.chain.provider());
    assert_eq!(contract.roleOf(sid).call().await.expect("role"), Role::Root.contract_code());
}

fn session_hits(app: &support::TestApp) -> u64 {
    app.state.sessions.counts.hits.load(std::sync::atomic::Ordering::Relaxed)
}

#[sqlx::test(migrations = "../migrations")]
async fn a_remembered_session_ends_when_another_instance_revokes_the_token_or_deletes_the_user(
    pool: PgPool,
) {
    let app = support::app(pool.clone()).await;
    assert!(
        support::eventually(async || app.state.sessions.is_listening()).await,
        "listening for session changes"
    );
    let user = app.add_user("dr.remembered", PASSWORD, Role::Doctor).await;
    let first = app.login("dr.remembered", PASSWORD).await;
    let second = app.login("dr.remembered", PASSWORD).await;
    for token in [&first, &first, &second, &second] {
        assert_eq!(username(&app, token).await, "dr.remembered");
    }
    assert_eq!(session_hits(&app), 2, "each token's second request was answered from memory");

    // Another api instance logs the first token out: only the database tells this one.
    let claims = careledger::auth::token::verify(&app.state.token_keys, &first).expect("claims");
    sqlx::query("INSERT INTO revoked_tokens (token_id, user_id, expires_at) VALUES ($1, $2, now() + interval '15 minutes')")
        .bind(claims.jti)
        .bind(user.id.0)
        .execute(&pool)
        .await
        .expect("revoke");
    assert!(support::eventually(async || me(&app, &first).await.code() == "UNAUTHENTICATED").await);
    assert_eq!(username(&app, &second).await, "dr.remembered");

    // And deletes the account.
    let mut conn = pool.acquire().await.expect("conn");
    careledger::users::repo::soft_delete(&mut conn, user.id).await.expect("delete");
    assert!(
        support::eventually(async || me(&app, &second).await.code() == "UNAUTHENTICATED").await
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_change_missed_while_not_listening_cannot_be_answered_from_memory(pool: PgPool) {
    let app = support::app(pool.clone()).await;
    assert!(
        support::eventually(async || app.state.sessions.is_listening()).await,
        "listening for session changes"
    );
    let user = app.add_user("dr.offline", PASSWORD, Role::Doctor).await;
    let token = app.login("dr.offline", PASSWORD).await;
    for _ in 0..2 {
        assert_eq!(username(&app, &token).await, "dr.offline");
    }
    assert_eq!(session_hits(&app), 1);

    // The listening connection dies; the account is deleted while nobody listens.
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'LISTEN%') t",
    )
    .fetch_one(&pool)
    .await
    .expect("terminate");
    assert_eq!(killed, 1, "one listening connection");
    assert!(
        support::eventually(async || !app.state.sessions.is_listening()).await,
        "noticed the lost connection"
    );
    let mut conn = pool.acquire().await.expect("conn");
    careledger::users::repo::soft_delete(&mut conn, user.id).await.expect("delete");
    assert_eq!(me(&app, &token).await.code(), "UNAUTHENTICATED", "checked, not remembered");

    assert!(
        support::eventually(async || app.state.sessions.is_listening()).await,
        "listening again"
    );
    assert_eq!(me(&app, &token).await.code(), "UNAUTHENTICATED");
    assert_eq!(session_hits(&app), 1, "nothing answered from memory since");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_users_system_wide_identifier_never_changes_once_set(pool: PgPool) {
    let app = support::app(pool.clone()).await;
    let user = app.add_user("dr.fixed", PASSWORD, Role::Doctor).await;
    let error = sqlx::query("UPDATE users SET system_id = $2 WHERE id = $1")
        .bind(user.id.0)
        .bind(careledger::users::SystemId::random().as_bytes().as_slice())
        .execute(&pool)
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("never changes once set"), "{error}");
    let stored = careledger::users::repo::get(&pool, user.id).await.expect("get").expect("user");
    assert_eq!(stored.system_id, user.system_id);
}

/// With the database away, a signed-in user is told to try again
/// (UNAVAILABLE), never that they are signed out (UNAUTHENTICATED) or that
/// something broke (INTERNAL): the web app keeps their session.
#[sqlx::test(migrations = "../migrations")]
async fn while_the_database_is_away_a_session_gets_unavailable_not_unauthenticated(pool: PgPool) {
    let app = support::app(pool).await;
    app.add_user("dr.away", PASSWORD, Role::Doctor).await;
    let unchecked = app.login("dr.away", PASSWORD).await;
    let checked = app.login("dr.away", PASSWORD).await;
    assert_eq!(me(&app, &checked).await.ok().me.username, "dr.away");

    app.state.pool.close().await;
    // A token the api has not seen yet cannot be checked.
    let out = me(&app, &unchecked).await;
    assert_eq!(out.code(), "UNAVAILABLE");
    assert_eq!(out.message(), "the token could not be checked; try again");
    // A token it remembers gets as far as the read, which cannot be made.
    let out = me(&app, &checked).await;
    assert_eq!(out.code(), "UNAVAILABLE");
    // Logging in is not refused as bad credentials either.
    let out = log_in(&app, "dr.away", PASSWORD).await;
    assert_eq!(out.code(), "UNAVAILABLE");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_password_change_ends_every_other_session_of_the_account(pool: PgPool) {
    let app = support::app(pool).await;
    app.add_user("nurse.kay", PASSWORD, Role::Nurse).await;
    let here = app.login("nurse.kay", PASSWORD).await;
    let elsewhere = app.login("nurse.kay", PASSWORD).await;
    app.add_user("nurse.lee", PASSWORD, Role::Nurse).await;
    let bystander = app.login("nurse.lee", PASSWORD).await;
    assert_eq!(username(&app, &elsewhere).await, "nurse.kay");

    let vars = ops::change_password::Variables {
        current: PASSWORD.to_owned(),
        new: "a brand new password".to_owned(),
    };
    let changed = app.run::<ops::ChangePassword>(Some(&here), vars).await;
    assert!(changed.ok().change_password);

    assert_eq!(username(&app, &here).await, "nurse.kay", "the changer stays signed in");
    assert_eq!(me(&app, &elsewhere).await.code(), "UNAUTHENTICATED", "every other token ends");
    assert_eq!(username(&app, &bystander).await, "nurse.lee", "another account's stay");
    assert_eq!(log_in(&app, "nurse.kay", PASSWORD).await.code(), "UNAUTHENTICATED");
    let fresh = app.login("nurse.kay", "a brand new password").await;
    assert_eq!(username(&app, &fresh).await, "nurse.kay");
    let revoked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM revoked_tokens WHERE user_id = (SELECT id FROM users WHERE username = 'nurse.kay')",
    )
    .fetch_one(&app.state.pool)
    .await
    .expect("count");
    assert_eq!(revoked, 1, "exactly the other session's token");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_password_set_in_the_database_ends_every_session_of_the_account(pool: PgPool) {
    let app = support::app(pool).await;
    app.add_user("dr.moss", PASSWORD, Role::Doctor).await;
    let one = app.login("dr.moss", PASSWORD).await;
    let two = app.login("dr.moss", PASSWORD).await;
    assert_eq!(username(&app, &one).await, "dr.moss");
    // An operator (or an intruder) replaces the hash directly, outside the api.
    sqlx::query(
        "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE username = 'root')
          WHERE username = 'dr.moss'",
    )
    .execute(&app.state.pool)
    .await
    .expect("edit");
    // Every instance hears of the change when it commits (a notice), not
    // before: wait for it, as a request after the edit would.
    for token in [&one, &two] {
        let mut waited = 0;
        while me(&app, token).await.code() != "UNAUTHENTICATED" {
            assert!(waited < 100, "still signed in 5 s after the edit");
            waited += 1;
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    // Anything else about the account leaves its sessions alone.
    let three = app.login("dr.moss", ROOT_PASSWORD).await;
    sqlx::query("UPDATE users SET department = 'Cardiology' WHERE username = 'dr.moss'")
        .execute(&app.state.pool)
        .await
        .expect("edit");
    assert_eq!(username(&app, &three).await, "dr.moss");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_purge_removes_only_what_expired(pool: PgPool) {
    let app = support::app(pool).await;
    let live = app.login("root", ROOT_PASSWORD).await;
    let pool = &app.state.pool;
    let exec = |sql: &'static str| async move { sqlx::query(sql).execute(pool).await.expect(sql) };
    exec(
        "INSERT INTO issued_tokens (token_id, user_id, expires_at, session_id)
          SELECT gen_random_uuid(), id, now() - interval '1 minute', gen_random_uuid()
            FROM users WHERE username = 'root'",
    )
    .await;
    exec("INSERT INTO revoked_tokens (token_id, user_id, expires_at)
          SELECT gen_random_uuid(), id, now() - interval '1 minute' FROM users WHERE username = 'root'")
    .await;
    exec("INSERT INTO revoked_tokens (token_id, user_id, expires_at)
          SELECT gen_random_uuid(), id, now() + interval '10 minutes' FROM users WHERE username = 'root'")
    .await;
    exec(
        "INSERT INTO login_throttle (key, failures, last_failed_at, next_at) VALUES
          ('pair:10.0.0.1|root', 9, now() - interval '61 minutes', now() - interval '50 minutes'),
          ('addr:10.0.0.1', 40, now() - interval '61 minutes', now() + interval '1 minute'),
          ('pair:10.0.0.2|root', 9, now() - interval '59 minutes', now() - interval '50 minutes')",
    )
    .await;

    let purged = careledger::auth::purge::purge(pool).await.expect("purge");
    assert_eq!(
        purged,
        careledger::auth::purge::Purged { revoked_tokens: 1, issued_tokens: 1, login_throttle: 1 }
    );
    let left: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM revoked_tokens), (SELECT count(*) FROM issued_tokens),
                (SELECT count(*) FROM login_throttle)",
    )
    .fetch_one(pool)
    .await
    .expect("counts");
    assert_eq!(
        left,
        (1, 1, 2),
        "the unexpired revocation, the live login, a key still waiting and a key not yet forgiven"
    );
    assert_eq!(username(&app, &live).await, "root");
    assert_eq!(careledger::auth::purge::purge(pool).await.expect("again"), Default::default());
}
