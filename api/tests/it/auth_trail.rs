//! Authentication on the trail: every sign-in, refused sign-in and sign-out
//! (and, through `auth::trail::record`, every second-factor event) is one
//! `AuthenticationRecorded` on chain and one row of the index, in the
//! account holder's own report and in the auditors' search; a throttled
//! refusal is counted, not put on chain.

use alloy::primitives::B256;
use alloy::providers::Provider;
use alloy::rpc::types::Filter as LogFilter;
use alloy::sol_types::SolEvent;
use careledger::audit::check;
use careledger::audit::indexer::Indexer;
use careledger::audit::{search, AuditEvent, AuditKind, Filter};
use careledger::auth::trail::{self, AuthEvent};
use careledger::chain::bindings::CareLedgerAccess::AuthenticationRecorded;
use careledger::users::{Role, User};
use sqlx::PgPool;

use crate::audit::{caught_up, chain_events, sid, word};
use crate::ops::{audit_trail, login, logout, AuditTrail, Login, Logout};
use crate::support::{self, Note, Reply, TestApp};

const PASSWORD: &str = "a sound password";
const WRONG: &str = "guessing at it 1234";

const SIGNED_IN: u8 = 6;
const SIGN_IN_FAILED: u8 = 7;
const SIGNED_OUT: u8 = 8;

async fn log_in(app: &TestApp, username: &str, password: &str) -> Reply<login::ResponseData> {
    let vars = login::Variables { username: username.to_owned(), password: password.to_owned() };
    app.run::<Login>(None, vars).await
}

/// Every `AuthenticationRecorded` on chain since the deployment, in order,
/// with the transaction and log index that carry it.
async fn authentications(app: &TestApp) -> Vec<(B256, u64, AuthenticationRecorded)> {
    let filter = LogFilter::new()
        .address(app.state.deployment.address)
        .event_signature(AuthenticationRecorded::SIGNATURE_HASH)
        .from_block(app.state.deployment.block);
    let logs = app.state.chain.provider().get_logs(&filter).await.expect("logs");
    logs.iter()
        .map(|l| {
            let e = l.log_decode::<AuthenticationRecorded>().expect("decode").inner.data;
            (l.transaction_hash.expect("tx"), l.log_index.expect("index"), e)
        })
        .collect()
}

/// The one event the answer's single note names, read back from the chain;
/// asserts that it is the only `AuthenticationRecorded` added since `before`.
async fn the_one_new_event(app: &TestApp, notes: &[Note], before: usize) -> AuthenticationRecorded {
    assert_eq!(notes.len(), 1, "exactly one event: {notes:?}");
    let note = &notes[0];
    assert_eq!(note.event.as_str(), "AuthenticationRecorded");
    let all = authentications(app).await;
    assert_eq!(all.len(), before + 1, "one more authentication event on chain, no other");
    let (tx, index, event) = all.last().expect("the new one").clone();
    // A refused sign-in's receipt says so.
    assert_eq!(note.approved, event.kind != SIGN_IN_FAILED, "{note:?}");
    assert_eq!((tx, index), (note.transaction_hash, note.log_index), "the note names it");
    assert_eq!(event.entryId, note.id);
    let block = app
        .state
        .chain
        .provider()
        .get_block_by_number(note.block_number.into())
        .await
        .expect("block")
        .expect("mined");
    assert_eq!(event.timestamp, block.header.timestamp, "the block's time");
    event
}

/// Asserts that nothing the person typed is in the transaction's calldata.
async fn calldata_holds_none_of(app: &TestApp, note: &Note, secrets: &[&str]) {
    let tx = app
        .state
        .chain
        .provider()
        .get_transaction_by_hash(note.transaction_hash)
        .await
        .expect("transaction")
        .expect("known");
    let input = alloy::consensus::Transaction::input(&tx).to_vec();
    for secret in secrets {
        let found = input.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "{secret:?} is not on chain");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_login_a_wrong_password_an_unknown_user_and_a_logout_are_each_exactly_their_event(
    pool: PgPool,
) {
    let app = support::app(pool).await;
    let user = app.add_user("dr.trail", PASSWORD, Role::Doctor).await;
    let me = word(&user);

    let before = authentications(&app).await.len();
    let signed_in = log_in(&app, "dr.trail", PASSWORD).await;
    let token = signed_in.ok().login.token.clone().expect("token");
    let e = the_one_new_event(&app, &signed_in.audit, before).await;
    assert_eq!((e.actor, e.subject, e.kind), (me, me, SIGNED_IN));
    calldata_holds_none_of(&app, &signed_in.audit[0], &["dr.trail", PASSWORD]).await;

    let wrong = log_in(&app, "dr.trail", WRONG).await;
    assert_eq!(wrong.code(), "UNAUTHENTICATED");
    assert_eq!(wrong.data, None);
    let e = the_one_new_event(&app, &wrong.audit, before + 1).await;
    assert_eq!((e.actor, e.subject, e.kind), (B256::ZERO, me, SIGN_IN_FAILED));
    calldata_holds_none_of(&app, &wrong.audit[0], &["dr.trail", WRONG]).await;

    let unknown = log_in(&app, "no.such.person", WRONG).await;
    assert_eq!((unknown.code(), unknown.message()), (wrong.code(), wrong.message()));
    let e = the_one_new_event(&app, &unknown.audit, before + 2).await;
    assert_eq!((e.actor, e.subject, e.kind), (B256::ZERO, B256::ZERO, SIGN_IN_FAILED));
    calldata_holds_none_of(&app, &unknown.audit[0], &["no.such.person", WRONG]).await;

    let out = app.run::<Logout>(Some(&token), logout::Variables).await;
    assert!(out.ok().logout);
    let e = the_one_new_event(&app, &out.audit, before + 3).await;
    assert_eq!((e.actor, e.subject, e.kind), (me, me, SIGNED_OUT));

    // The index holds exactly what the chain does, field for field.
    caught_up(&app).await;
    let on_chain: Vec<AuditEvent> =
        chain_events(&app).await.into_iter().filter(|e| e.kind.is_authentication()).rev().collect();
    let filter = Filter { include_duplicates: true, ..Filter::default() };
    let indexed: Vec<AuditEvent> = search::search(&app.state.pool, &filter, 500, None)
        .await
        .expect("search")
        .events
        .into_iter()
        .filter(|e| e.kind.is_authentication())
        .collect();
    assert_eq!(indexed, on_chain);
    let summary: Vec<_> =
        indexed.iter().map(|e| (e.kind, e.actor, e.subject, e.approved, e.duplicate)).collect();
    assert_eq!(
        summary,
        vec![
            (AuditKind::SignedOut, me, Some(me), true, false),
            (AuditKind::SignInFailed, B256::ZERO, None, false, false),
            (AuditKind::SignInFailed, B256::ZERO, Some(me), false, false),
            (AuditKind::SignedIn, me, Some(me), true, false),
        ]
    );
    // And the index still agrees with the chain by the check's own reading.
    let indexer =
        Indexer::new(app.state.pool.clone(), app.state.chain.clone(), &app.state.deployment);
    let report = check::full(&indexer, false).await.expect("check");
    assert!(report.clean(), "{report:?}");
    assert_eq!(
        app.state.logins.outcomes(),
        [("signed_in", 1), ("failed", 2), ("throttled", 0), ("malformed", 0), ("signed_out", 1)]
    );
}

/// A filter that narrows nothing.
fn everything() -> audit_trail::AuditFilter {
    audit_trail::AuditFilter {
        actor: None,
        subject: None,
        record_id: None,
        action: None,
        resource: None,
        approved: None,
        kind: None,
        since: None,
        until: None,
        include_duplicates: None,
        include_lost: None,
    }
}

/// The authentication events of a report: (kind, actor id, subject id), newest first.
async fn sign_ins(
    app: &TestApp,
    token: &str,
    filter: audit_trail::AuditFilter,
) -> Vec<(String, String, Option<String>)> {
    let vars = audit_trail::Variables { filter: Some(filter), first: Some(500), after: None };
    let out = app.run::<AuditTrail>(Some(token), vars).await;
    out.ok()
        .audit_events
        .edges
        .iter()
        .map(|e| &e.node)
        .filter(|n| AuditKind::parse(&n.kind).is_some_and(AuditKind::is_authentication))
        .map(|n| (n.kind.clone(), n.actor_system_id.clone(), n.subject_system_id.clone()))
        .collect()
}

fn row(kind: AuditKind, actor: &str, subject: Option<&User>) -> (String, String, Option<String>) {
    (kind.as_str().to_owned(), actor.to_owned(), subject.map(sid))
}

#[sqlx::test(migrations = "../migrations")]
async fn each_holder_sees_their_own_sign_ins_and_the_failures_at_their_account_and_auditors_see_all(
    pool: PgPool,
) {
    let app = support::app(pool).await;
    let ann = app.add_user("ann.patient", PASSWORD, Role::Patient).await;
    let bob = app.add_user("bob.patient", PASSWORD, Role::Patient).await;
    app.add_user("audrey.auditor", PASSWORD, Role::Auditor).await;
    let zero = B256::ZERO.to_string();

    let ann_first = app.login("ann.patient", PASSWORD).await;
    let bob_token = app.login("bob.patient", PASSWORD).await;
    assert_eq!(log_in(&app, "ann.patient", WRONG).await.code(), "UNAUTHENTICATED");
    assert_eq!(log_in(&app, "bob.patient", WRONG).await.code(), "UNAUTHENTICATED");
    assert_eq!(log_in(&app, "nobody.at.all", WRONG).await.code(), "UNAUTHENTICATED");
    let ann_second = app.login("ann.patient", PASSWORD).await;
    assert!(app.run::<Logout>(Some(&ann_first), logout::Variables).await.ok().logout);
    let auditor = app.login("audrey.auditor", PASSWORD).await;

    let (a, b) = (sid(&ann), sid(&bob));
    assert_eq!(
        sign_ins(&app, &ann_second, everything()).await,
        vec![
            row(AuditKind::SignedOut, &a, Some(&ann)),
            row(AuditKind::SignedIn, &a, Some(&ann)),
            row(AuditKind::SignInFailed, &zero, Some(&ann)),
            row(AuditKind::SignedIn, &a, Some(&ann)),
        ],
        "Ann's report: hers only, the guess at her account included"
    );
    assert_eq!(
        sign_ins(&app, &bob_token, everything()).await,
        vec![
            row(AuditKind::SignInFailed, &zero, Some(&bob)),
            row(AuditKind::SignedIn, &b, Some(&bob)),
        ],
        "Bob's report: none of Ann's, nor the guess at no account"
    );
    // Asking for Ann's events does not widen Bob's report.
    let ann_only = audit_trail::AuditFilter { subject: Some(a.clone()), ..everything() };
    assert_eq!(sign_ins(&app, &bob_token, ann_only).await.len(), 2);

    // The auditor filters by the new kinds and sees every one.
    let failed = audit_trail::AuditFilter {
        kind: Some(AuditKind::SignInFailed.as_str().to_owned()),
        ..everything()
    };
    assert_eq!(
        sign_ins(&app, &auditor, failed).await,
        vec![
            row(AuditKind::SignInFailed, &zero, None),
            row(AuditKind::SignInFailed, &zero, Some(&bob)),
            row(AuditKind::SignInFailed, &zero, Some(&ann)),
        ]
    );
    let refused = audit_trail::AuditFilter { approved: Some(false), ..everything() };
    assert_eq!(sign_ins(&app, &auditor, refused).await.len(), 3, "refused sign-ins are refusals");
    let signed_in = audit_trail::AuditFilter {
        kind: Some(AuditKind::SignedIn.as_str().to_owned()),
        ..everything()
    };
    let aud = sid(&careledger::users::repo::get_by_username(
        &app.state.pool,
        &careledger::users::Username::parse("audrey.auditor").expect("name"),
    )
    .await
    .expect("get")
    .expect("auditor"));
    assert_eq!(
        sign_ins(&app, &auditor, signed_in).await,
        vec![
            (AuditKind::SignedIn.as_str().to_owned(), aud.clone(), Some(aud)),
            row(AuditKind::SignedIn, &a, Some(&ann)),
            row(AuditKind::SignedIn, &b, Some(&bob)),
            row(AuditKind::SignedIn, &a, Some(&ann)),
        ]
    );
    let signed_out = audit_trail::AuditFilter {
        kind: Some(AuditKind::SignedOut.as_str().to_owned()),
        ..everything()
    };
    assert_eq!(
        sign_ins(&app, &auditor, signed_out).await,
        vec![row(AuditKind::SignedOut, &a, Some(&ann))]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn second_factor_events_are_recorded_by_one_call_and_reach_the_holders_report(pool: PgPool) {
    let app = support::app(pool).await;
    // A patient: the role with a report of their own (AUDIT_TRAIL READ, OWN).
    let nurse = app.add_user("pat.factor", PASSWORD, Role::Patient).await;
    let admin = app.add_user("ada.admin", PASSWORD, Role::Admin).await;
    let (n, a) = (nurse.system_id.expect("sid"), admin.system_id.expect("sid"));
    let (state, before) = (&app.state, authentications(&app).await.len());

    let events = [
        (AuthEvent::FactorEnrolled(n), 9, word(&nurse), word(&nurse)),
        (AuthEvent::FactorUsed(n), 10, word(&nurse), word(&nurse)),
        (AuthEvent::FactorReset { by: a, of: n }, 11, word(&admin), word(&nurse)),
        (AuthEvent::SignInFailed { account: Some(n) }, 7, B256::ZERO, word(&nurse)),
    ];
    for (i, (event, kind, actor, subject)) in events.iter().enumerate() {
        let receipts = trail::record(&state.pool, &state.outbox, *event).await.expect("recorded");
        let notes: Vec<Note> = receipts
            .iter()
            .map(|r| Note {
                event: r.event.to_owned(),
                action: None,
                resource: None,
                id: r.receipt.id,
                transaction_hash: r.receipt.transaction_hash,
                block_number: r.receipt.block_number,
                log_index: r.receipt.log_index,
                approved: r.receipt.approved,
            })
            .collect();
        let e = the_one_new_event(&app, &notes, before + i).await;
        assert_eq!((e.kind, e.actor, e.subject), (*kind, *actor, *subject), "{event:?}");
    }
    // Every entry is marked sent.
    let unsent: i64 = sqlx::query_scalar("SELECT count(*) FROM chain_outbox WHERE sent_at IS NULL")
        .fetch_one(&state.pool)
        .await
        .expect("count");
    assert_eq!(unsent, 0);

    let token = app.login("pat.factor", PASSWORD).await;
    let zero = B256::ZERO.to_string();
    let (ns, ad) = (sid(&nurse), sid(&admin));
    assert_eq!(
        sign_ins(
            &app,
            &token,
            audit_trail::AuditFilter { subject: Some(ns.clone()), ..everything() }
        )
        .await,
        vec![
            row(AuditKind::SignedIn, &ns, Some(&nurse)),
            row(AuditKind::SignInFailed, &zero, Some(&nurse)),
            row(AuditKind::FactorReset, &ad, Some(&nurse)),
            row(AuditKind::FactorUsed, &ns, Some(&nurse)),
            row(AuditKind::FactorEnrolled, &ns, Some(&nurse)),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_copy_of_an_entry_is_indexed_as_a_duplicate_and_the_check_agrees(pool: PgPool) {
    let app = support::app(pool).await;
    let user = app.add_user("dr.twice", PASSWORD, Role::Doctor).await;
    let state = &app.state;
    let mut tx = state.pool.begin().await.expect("begin");
    let (entry, _) = trail::enqueue(&mut tx, AuthEvent::SignedIn(user.system_id.expect("sid")))
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    // Delivered twice, as after a lost answer: two events, the second a duplicate.
    state.outbox.deliver(&[entry]).await.expect("first");
    state.outbox.deliver(&[entry]).await.expect("copy");
    caught_up(&app).await;
    let filter =
        Filter { kind: Some(AuditKind::SignedIn), include_duplicates: true, ..Filter::default() };
    let rows = search::search(&state.pool, &filter, 10, None).await.expect("search").events;
    let flags: Vec<_> = rows.iter().map(|e| (e.entry_id, e.duplicate)).collect();
    assert_eq!(flags, vec![(Some(entry.entry_id), true), (Some(entry.entry_id), false)]);
    let indexer = Indexer::new(state.pool.clone(), state.chain.clone(), &state.deployment);
    assert!(check::full(&indexer, false).await.expect("check").clean());
}

/// `/metrics`, as the router serves it.
async fn metrics(app: &TestApp) -> String {
    use tower::ServiceExt;
    let request = axum::http::Request::get("/metrics").body(axum::body::Body::empty());
    // The metrics listener's routes (not the public port's).
    let response = careledger::http::metrics::router(app.state.clone())
        .oneshot(request.expect("request"))
        .await
        .expect("response");
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_throttled_refusal_is_counted_and_logged_not_put_on_chain(pool: PgPool) {
    let app = support::app(pool).await;
    app.add_user("dr.guessed", PASSWORD, Role::Doctor).await;
    let before = authentications(&app).await.len();
    // Five free failures, then one that starts a wait: six on chain.
    for _ in 0..6 {
        assert_eq!(log_in(&app, "dr.guessed", WRONG).await.code(), "UNAUTHENTICATED");
    }
    let refused = log_in(&app, "dr.guessed", WRONG).await;
    assert_eq!(refused.code(), "TOO_MANY_ATTEMPTS");
    assert_eq!(refused.audit, vec![], "no event for a throttled refusal");
    let on_chain = authentications(&app).await;
    assert_eq!(on_chain.len(), before + 6);
    assert!(on_chain[before..].iter().all(|(_, _, e)| e.kind == SIGN_IN_FAILED));
    // A username longer than any is refused like a wrong password, counted, not recorded.
    let long = "x".repeat(careledger::auth::login::MAX_USERNAME_BYTES + 1);
    let malformed = log_in(&app, &long, WRONG).await;
    assert_eq!((malformed.code(), malformed.message()), ("UNAUTHENTICATED", WRONG_ANSWER));
    assert_eq!(malformed.audit, vec![]);
    assert_eq!(authentications(&app).await.len(), before + 6);

    assert_eq!(
        app.state.logins.outcomes(),
        [("signed_in", 0), ("failed", 6), ("throttled", 1), ("malformed", 1), ("signed_out", 0)]
    );
    let body = metrics(&app).await;
    for line in [
        "# TYPE careledger_login_attempts_total counter\n",
        "careledger_login_attempts_total{outcome=\"failed\"} 6\n",
        "careledger_login_attempts_total{outcome=\"throttled\"} 1\n",
        "careledger_login_attempts_total{outcome=\"malformed\"} 1\n",
        "careledger_login_attempts_total{outcome=\"signed_in\"} 0\n",
    ] {
        assert!(body.contains(line), "{line} in {body}");
    }
}

const WRONG_ANSWER: &str = "wrong username or password";
