//! The audit index checked against the chain: an insider who deletes, edits,
//! forges or flags index rows is found out and the index repaired from the
//! chain, each repair visible to auditors.

use careledger::audit::check::{self, Finding};
use careledger::audit::indexer::Indexer;
use careledger::audit::{search, AuditKind, Filter};
use careledger::users::Role;
use sqlx::PgPool;

use super::{caught_up, chain_events};
use crate::ops::{audit_check, me, AuditCheck, Me};
use crate::support::{self, TestApp, ROOT_PASSWORD};

fn indexer(app: &TestApp) -> Indexer {
    Indexer::new(app.state.pool.clone(), app.state.chain.clone(), &app.state.deployment)
}

/// (block, log index) of every row, with its kind and duplicate flag.
async fn rows(pool: &PgPool) -> Vec<(i64, i64, String, bool)> {
    sqlx::query_as(
        "SELECT block_number, log_index, kind, duplicate FROM audit_events
          ORDER BY block_number, log_index",
    )
    .fetch_all(pool)
    .await
    .expect("rows")
}

async fn exec(pool: &PgPool, sql: &str, block: i64, log: i64) {
    let done = sqlx::query(sql).bind(block).bind(log).execute(pool).await.expect(sql);
    assert_eq!(done.rows_affected(), 1, "{sql}");
}

#[sqlx::test(migrations = "../migrations")]
async fn deleted_altered_forged_and_flagged_rows_are_found_and_repaired_from_the_chain(
    pool: PgPool,
) {
    let app = support::app(pool).await;
    let pw = "a sound password";
    app.add_user("aud.check", pw, Role::Auditor).await;
    let root = app.login("root", ROOT_PASSWORD).await;
    for _ in 0..3 {
        app.run::<Me>(Some(&root), me::Variables).await;
    }
    caught_up(&app).await;
    app.state.audit.stop();
    let indexer = indexer(&app);
    let untouched = rows(&app.state.pool).await;
    let on_chain = chain_events(&app).await;
    assert_eq!(untouched.len(), on_chain.len());

    let clean = check::full(&indexer, false).await.expect("check");
    assert!(clean.clean(), "{clean:?}");
    assert_eq!(clean.logs, on_chain.len() as u64);
    assert_eq!((clean.from, clean.to), (app.state.deployment.block, on_chain_head(&app).await));

    // Three of root's reads, and the auditor's USER_ADDED.
    let reads: Vec<_> = untouched.iter().filter(|r| r.2 == "ACCESS_REQUESTED").collect();
    let (deleted, altered) = ((reads[0].0, reads[0].1), (reads[1].0, reads[1].1));
    let added = untouched
        .iter()
        .rfind(|r| r.2 == "USER_ADDED")
        .map(|r| (r.0, r.1))
        .expect("the auditor's USER_ADDED");
    let forged = (altered.0, 999);

    // The insider: hides one read, turns another into a refusal, invents one,
    // and marks the auditor's creation a duplicate so searches skip it.
    exec(
        &app.state.pool,
        "DELETE FROM audit_events WHERE block_number = $1 AND log_index = $2",
        deleted.0,
        deleted.1,
    )
    .await;
    exec(
        &app.state.pool,
        "UPDATE audit_events SET approved = false WHERE block_number = $1 AND log_index = $2",
        altered.0,
        altered.1,
    )
    .await;
    exec(
        &app.state.pool,
        "INSERT INTO audit_events (block_number, block_hash, transaction_hash, log_index, occurred_at,
                                   kind, actor, subject, record_id, action, resource, role, approved,
                                   entry_id, version, content_hash, duplicate)
         SELECT block_number, block_hash, transaction_hash, $2, occurred_at, kind, actor, subject,
                record_id, action, resource, role, approved, sha256(entry_id), version, content_hash, false
           FROM audit_events WHERE block_number = $1 AND log_index = (SELECT min(log_index) FROM audit_events WHERE block_number = $1)",
        forged.0,
        forged.1,
    )
    .await;
    exec(
        &app.state.pool,
        "UPDATE audit_events SET duplicate = true WHERE block_number = $1 AND log_index = $2",
        added.0,
        added.1,
    )
    .await;
    // Hidden from the default search (what auditors and patients see).
    let page = search::search(
        &app.state.pool,
        &Filter { kind: Some(AuditKind::UserAdded), ..Filter::default() },
        500,
        None,
    )
    .await
    .expect("search");
    assert!(!page.events.iter().any(|e| (e.block_number as i64, e.log_index as i64) == added));

    let want = vec![
        (Finding::Missing, deleted),
        (Finding::Altered, altered),
        (Finding::Extra, forged),
        (Finding::DuplicateFlag, added),
    ];
    let mut want_sorted = want.clone();
    want_sorted.sort_by_key(|(_, p)| *p);
    let found = |report: &check::Report| -> Vec<(Finding, (i64, i64))> {
        report
            .differences
            .iter()
            .map(|d| (d.finding, (d.block_number as i64, d.log_index as i64)))
            .collect()
    };

    // Reported, nothing changed...
    let report = check::full(&indexer, false).await.expect("check");
    assert_eq!(found(&report), want_sorted);
    assert!(!report.repaired);
    let altered_expected =
        report.differences.iter().find(|d| d.finding == Finding::Altered).expect("altered");
    assert_eq!(altered_expected.expected.as_ref().map(|e| e.approved), Some(true));
    assert_eq!(altered_expected.found.as_ref().and_then(|j| j["approved"].as_bool()), Some(false));
    assert_eq!(rows(&app.state.pool).await.len(), untouched.len());

    // ...then repaired: the index is the chain's again, and says so.
    let report = check::full(&indexer, true).await.expect("repair");
    assert_eq!(found(&report), want_sorted);
    assert!(check::full(&indexer, false).await.expect("check").clean());
    assert_eq!(rows(&app.state.pool).await, untouched);

    let repairs = check::repairs(&app.state.pool, 50, None).await.expect("repairs");
    let mut listed: Vec<_> =
        repairs.iter().map(|r| (r.finding, (r.block_number as i64, r.log_index as i64))).collect();
    listed.sort_by_key(|(_, p)| *p);
    assert_eq!(listed, want_sorted);
    let extra = repairs.iter().find(|r| r.finding == Finding::Extra).expect("extra");
    assert_eq!(extra.after, None);
    assert_eq!(extra.before.as_ref().and_then(|j| j["log_index"].as_i64()), Some(999));
    let missing = repairs.iter().find(|r| r.finding == Finding::Missing).expect("missing");
    assert_eq!(missing.before, None);
    assert_eq!(missing.kind, "ACCESS_REQUESTED");
    let status = check::status(&app.state.pool).await.expect("status").expect("checked");
    assert_eq!(status.repairs, 4);
    assert_eq!(status.full_pass_to, Some(status.checked_to));

    // The auditor sees how far the check reached and every repair.
    let auditor = app.login("aud.check", pw).await;
    let out = app.run::<AuditCheck>(Some(&auditor), audit_check::Variables).await;
    let shown = out.ok().audit_check.clone();
    assert_eq!(shown.checked_to_block, Some(status.checked_to.to_string()));
    assert_eq!(shown.repair_count, 4);
    let mut kinds: Vec<_> = shown.repairs.iter().map(|r| format!("{:?}", r.finding)).collect();
    kinds.sort();
    assert_eq!(kinds, ["ALTERED", "DUPLICATE_FLAG", "EXTRA", "MISSING"]);
    // A patient may not.
    app.add_user("pat.check", pw, Role::Patient).await;
    let patient = app.login("pat.check", pw).await;
    let out = app.run::<AuditCheck>(Some(&patient), audit_check::Variables).await;
    assert_eq!(out.code(), "FORBIDDEN");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_api_checks_by_itself_and_counts_what_it_repaired(pool: PgPool) {
    let app = support::app(pool).await;
    let root = app.login("root", ROOT_PASSWORD).await;
    app.run::<Me>(Some(&root), me::Variables).await;
    caught_up(&app).await;
    let (block, log): (i64, i64) = sqlx::query_as(
        "SELECT block_number, log_index FROM audit_events WHERE kind = 'ACCESS_REQUESTED'
          ORDER BY block_number DESC LIMIT 1",
    )
    .fetch_one(&app.state.pool)
    .await
    .expect("a read");
    exec(
        &app.state.pool,
        "DELETE FROM audit_events WHERE block_number = $1 AND log_index = $2",
        block,
        log,
    )
    .await;

    // What the api starts when CARELEDGER_AUDIT_CHECK_SECONDS is set.
    let watched =
        careledger::audit::Audit::start(indexer(&app), Some(std::time::Duration::from_millis(200)));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while watched.check_counts().findings(Finding::Missing) == 0 {
        assert!(std::time::Instant::now() < deadline, "the check found the deleted row");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    watched.stop();
    let restored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE block_number = $1 AND log_index = $2",
    )
    .bind(block)
    .bind(log)
    .fetch_one(&app.state.pool)
    .await
    .expect("count");
    assert_eq!(restored, 1);
    assert_eq!(watched.check_counts().findings(Finding::Missing), 1);
    assert_eq!(watched.check_counts().findings(Finding::Extra), 0);
    assert_eq!(check::status(&app.state.pool).await.expect("status").map(|s| s.repairs), Some(1));
}

async fn on_chain_head(app: &TestApp) -> u64 {
    app.state.chain.block_number().await.expect("head")
}
