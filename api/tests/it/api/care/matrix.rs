//! The permission matrix in the app: read from the contract, changed by root
//! alone (with a fresh second factor when root has one), every attempt an
//! event on chain; and the break-the-glass duration, bounded and root's.

use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::Role;
use serde_json::json;
use sqlx::PgPool;

use super::super::{assert_forbidden, record_input, word, Hospital, PASSWORD};
use super::{
    assert_no_care, break_glass, chain_now, event, read, row_of, travel, unix, Staff, WHY,
};
use crate::ops::{
    self, create_record, permission_matrix, set_break_glass_duration, set_permission, AccessAction,
    AccessResource, CreateRecord, PermissionMatrix, Scope, SetBreakGlassDuration, SetPermission,
};
use crate::support::Reply;

/// Every cell as `role resource action scope`, in the contract's order.
fn spell(
    cells: impl Iterator<Item = (ops::Role, AccessResource, AccessAction, Scope)>,
) -> Vec<String> {
    let word = |v: serde_json::Value| v.as_str().expect("an enum").to_owned();
    cells
        .map(|(role, resource, action, scope)| {
            [json!(role), json!(resource), json!(action), json!(scope)].map(word).join(" ")
        })
        .collect()
}

/// [`spell`] for any operation's `Matrix` (each operation has its own type).
macro_rules! cells {
    ($matrix:expr) => {
        spell($matrix.cells.iter().map(|c| (c.role, c.resource, c.action, c.scope)))
    };
}

async fn matrix(h: &Hospital, role: Role) -> permission_matrix::Matrix {
    let out = h.run::<PermissionMatrix>(role, permission_matrix::Variables).await;
    out.ok().permission_matrix.clone()
}

async fn set(
    h: &Hospital,
    token: &str,
    role: ops::Role,
    (resource, action): (AccessResource, AccessAction),
    scope: Scope,
) -> Reply<set_permission::ResponseData> {
    let vars = set_permission::Variables { role, resource, action, scope };
    h.app.run::<SetPermission>(Some(token), vars).await
}

async fn duration(
    h: &Hospital,
    role: Role,
    minutes: i64,
) -> Reply<set_break_glass_duration::ResponseData> {
    let vars = set_break_glass_duration::Variables { minutes };
    h.run::<SetBreakGlassDuration>(role, vars).await
}

/// A settings change the contract refused: FORBIDDEN on the matrix, one
/// `event` on chain, not approved.
fn assert_refused<D: std::fmt::Debug>(out: &Reply<D>, event: &str, who: &str) {
    assert_eq!(out.code(), "FORBIDDEN", "{who}: {out:?}");
    assert_eq!(
        (out.extension("action"), out.extension("resource")),
        (&json!("UPDATE"), &json!("PERMISSION_MATRIX")),
        "{who}"
    );
    assert_eq!(out.events(), [event], "{who}");
    assert!(!out.audit[0].approved, "{who}");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_matrix_shown_is_the_contracts_default(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let fixture: Vec<serde_json::Value> = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../contracts/test/fixtures/default-matrix.json"
    )))
    .expect("the fixture");
    let expected: Vec<String> = fixture
        .iter()
        .map(|c| ["role", "resource", "action", "scope"].map(|k| c[k].as_str().expect(k)).join(" "))
        .collect();
    let shown = matrix(&h, Role::Nurse).await;
    assert_eq!(cells!(&shown), expected);
    assert!(cells!(&shown).contains(&"DOCTOR HEALTH_RECORD READ CARE".to_owned()));
    assert_eq!(shown.break_glass_minutes, 240);
    // Signing in is enough, and needed.
    let anonymous = h.app.run::<PermissionMatrix>(None, permission_matrix::Variables).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
}

#[sqlx::test(migrations = "../migrations")]
async fn root_changes_a_cell_and_the_contract_decides_by_it(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let (one, two) = (h.user(Role::Patient), &h.other_patient);
    let create = |p: &careledger::users::User| create_record::Variables {
        input: record_input(&p.id.to_string(), "Observation"),
    };
    // By default a nurse creates no records: her role says no, not the care team.
    let refused = h.run::<CreateRecord>(Role::Nurse, create(one)).await;
    assert_forbidden(&refused, AccessAction::Create, AccessResource::HealthRecord, "nurse");
    assert_eq!(refused.message(), "not permitted: CREATE on HEALTH_RECORD");
    assert_eq!(refused.extension("careRelationship"), &json!(null), "no break-the-glass offered");

    let cell = (AccessResource::HealthRecord, AccessAction::Create);
    let out = set(&h, h.token(Role::Root), ops::Role::Nurse, cell, Scope::Care).await;
    let changed = cells!(&out.ok().set_permission);
    assert!(changed.contains(&"NURSE HEALTH_RECORD CREATE CARE".to_owned()));
    assert_eq!(out.events(), ["PermissionChanged"]);
    assert!(out.audit[0].approved);
    let on_chain = event::<CareLedgerAccess::PermissionChanged>(&h.app, &out.audit[0]).await;
    assert_eq!(
        (on_chain.actor, on_chain.role, on_chain.resource, on_chain.action),
        (word(h.user(Role::Root)), 4, 1, 0)
    );
    assert_eq!((on_chain.previousScope, on_chain.newScope), (0, 4));
    assert_eq!(row_of(&h, &out.audit[0]).await.kind, "PERMISSION_CHANGED");
    assert_eq!(cells!(&matrix(&h, Role::Patient).await), changed, "everyone sees the new matrix");

    // The nurse now writes for the patient she cares for, and only for her.
    let created = h.run::<CreateRecord>(Role::Nurse, create(one)).await;
    assert_eq!(created.ok().create_record.title, "Observation");
    let elsewhere = h.run::<CreateRecord>(Role::Nurse, create(two)).await;
    assert_eq!(elsewhere.code(), "FORBIDDEN");
    assert_eq!(elsewhere.extension("careRelationship"), &json!(false));
}

#[sqlx::test(migrations = "../migrations")]
async fn root_with_a_second_factor_must_have_proved_it_lately(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let token = h.app.login("root", crate::support::ROOT_PASSWORD).await;
    let (authenticator, _) = crate::factor::enrol(&h.app, &token).await;
    let before = matrix(&h, Role::Nurse).await;
    let cell = (AccessResource::HealthRecord, AccessAction::Delete);

    let out = set(&h, &token, ops::Role::Nurse, cell, Scope::Care).await;
    assert_eq!(out.code(), "FACTOR_REQUIRED", "{out:?}");
    assert_eq!(out.events(), Vec::<&str>::new(), "nothing asked of the contract");
    assert_eq!(matrix(&h, Role::Nurse).await, before);

    crate::factor::step_up(&h.app, &token, &authenticator.code(0)).await.ok();
    let out = set(&h, &token, ops::Role::Nurse, cell, Scope::Care).await;
    assert!(cells!(&out.ok().set_permission).contains(&"NURSE HEALTH_RECORD DELETE CARE".into()));
    assert_eq!(out.events(), ["PermissionChanged"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn anyone_but_root_is_refused_on_chain_and_the_matrix_stays(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let before = matrix(&h, Role::Nurse).await;
    let cell = (AccessResource::HealthRecord, AccessAction::Read);
    for role in [Role::Admin, Role::Doctor, Role::Auditor, Role::Patient] {
        let out = set(&h, h.token(role), ops::Role::Doctor, cell, Scope::Any).await;
        assert_refused(&out, "PermissionChangeDenied", role.as_str());
        let denied = event::<CareLedgerAccess::PermissionChangeDenied>(&h.app, &out.audit[0]).await;
        assert_eq!(
            (denied.actor, denied.role, denied.resource, denied.action, denied.requestedScope),
            (word(h.user(role)), 3, 1, 1, 3)
        );
    }
    assert_eq!(matrix(&h, Role::Nurse).await, before);
    // The doctor still reads only the patients he cares for.
    let refused = read(&h, h.token(Role::Doctor), &h.other_patient).await;
    assert_no_care(&h.app, &refused, "the cell is still CARE").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_break_glass_duration_is_bounded_and_roots_alone(pool: PgPool) {
    let h = Hospital::new(pool).await;
    for minutes in [0, -5, 10_081] {
        let out = duration(&h, Role::Root, minutes).await;
        assert_eq!((out.code(), out.extension("field")), ("BAD_USER_INPUT", &json!("minutes")));
        assert_eq!(out.events(), Vec::<&str>::new());
    }
    let out = duration(&h, Role::Admin, 60).await;
    assert_refused(&out, "BreakGlassDurationChangeDenied", "admin");
    let denied =
        event::<CareLedgerAccess::BreakGlassDurationChangeDenied>(&h.app, &out.audit[0]).await;
    assert_eq!((denied.actor, denied.requestedSeconds), (word(h.user(Role::Admin)), 3600));
    assert_eq!(matrix(&h, Role::Nurse).await.break_glass_minutes, 240);

    let week = duration(&h, Role::Root, 10_080).await;
    assert_eq!(week.ok().set_break_glass_duration.break_glass_minutes, 10_080);
    let out = duration(&h, Role::Root, 1).await;
    assert_eq!(out.ok().set_break_glass_duration.break_glass_minutes, 1);
    assert_eq!(out.events(), ["BreakGlassDurationChanged"]);
    let changed = event::<CareLedgerAccess::BreakGlassDurationChanged>(&h.app, &out.audit[0]).await;
    assert_eq!((changed.previousSeconds, changed.newSeconds), (604_800, 60));

    // A grant now lasts a minute.
    let house = Staff::new(&h, "dr.house", Role::Doctor).await;
    let two = &h.other_patient;
    let glass = break_glass(&h, &house.token, two, WHY, PASSWORD).await;
    let until = unix(&glass.ok().break_glass.expires_at);
    assert!(until <= chain_now(&h.app).await + 60, "one minute from its block");
    read(&h, &house.token, two).await.ok();
    travel(&h.app, 61).await;
    assert_no_care(&h.app, &read(&h, &house.token, two).await, "a minute later").await;
}
