//! Account mutations: createUser names the identifier the contract decided
//! on, every write leaves its lifecycle event, changePassword is self-service.

use alloy::primitives::B256;
use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::Role;
use serde_json::{json, Value};
use sqlx::PgPool;

use super::{audit, fingerprint, log_of, word, Hospital, PASSWORD};
use crate::support::code;

fn events(out: &Value) -> Vec<String> {
    audit(out).iter().map(|n| n["event"].as_str().expect("event").to_owned()).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn create_user_registers_the_identifier_the_contract_decided_on(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let out = h
        .run(
            Role::Receptionist,
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id username systemId role fullName address designation } }",
            json!({"input": {"username": "New.Patient", "password": PASSWORD, "fullName": " Nia Patel ",
                   "address": "4 Mill Road, Ashby", "role": "PATIENT"}}),
        )
        .await;
    let user = &out["data"]["createUser"];
    assert_eq!(
        (
            user["username"].as_str(),
            user["role"].as_str(),
            user["fullName"].as_str(),
            user["address"].as_str()
        ),
        (Some("new.patient"), Some("PATIENT"), Some("Nia Patel"), Some("4 Mill Road, Ashby")),
        "{out}"
    );
    assert_eq!(events(&out), ["AccessRequested", "UserAdded"]);
    let sid: B256 = user["systemId"].as_str().expect("sid").parse().expect("hex");
    let notes = audit(&out);
    let access = log_of(&h.app, &notes[0])
        .await
        .log_decode::<CareLedgerAccess::AccessRequested>()
        .expect("decode")
        .inner
        .data;
    assert_eq!(
        (access.subject, access.targetRole, access.approved),
        (sid, Role::Patient.contract_code(), true)
    );
    let added = log_of(&h.app, &notes[1])
        .await
        .log_decode::<CareLedgerAccess::UserAdded>()
        .expect("decode")
        .inner
        .data;
    assert_eq!(
        (added.actor, added.subject, added.role, added.contentHash),
        (word(h.user(Role::Receptionist)), sid, 7, B256::ZERO)
    );
    // The new patient can log in and is a patient on chain.
    h.app.login("new.patient", PASSWORD).await;
    let contract =
        CareLedgerAccess::new(h.app.state.deployment.address, h.app.state.chain.provider());
    assert_eq!(contract.roleOf(sid).call().await.expect("role"), 7);

    // A taken username is a CONFLICT naming the field, and changes nothing.
    let before = fingerprint(&h.app.state.pool).await;
    let again = h
        .run(Role::Admin, "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({"input": {"username": "new.patient", "password": PASSWORD, "fullName": "Someone Else", "role": "PATIENT"}}))
        .await;
    assert_eq!(code(&again), "CONFLICT", "{again}");
    assert_eq!(again["errors"][0]["extensions"]["field"], "username");
    assert_eq!(fingerprint(&h.app.state.pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn update_set_role_and_delete_leave_their_lifecycle_events(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let patient = h.user(Role::Patient).clone();
    let id = patient.id.to_string();
    let update = "mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { fullName address designation } }";
    let out = h
        .run(
            Role::Admin,
            update,
            json!({"id": id, "input": {"fullName": "Pat One", "address": "9 Elm Grove"}}),
        )
        .await;
    assert_eq!(
        out["data"]["updateUser"],
        json!({"fullName": "Pat One", "address": "9 Elm Grove", "designation": null})
    );
    assert_eq!(events(&out), ["AccessRequested", "UserModified"]);
    // The same values again: nothing changes, no event.
    let same =
        h.run(Role::Admin, update, json!({"id": id, "input": {"fullName": "Pat One"}})).await;
    assert_eq!(events(&same), ["AccessRequested"]);
    // null clears an optional field.
    let cleared = h.run(Role::Admin, update, json!({"id": id, "input": {"address": null}})).await;
    assert_eq!(cleared["data"]["updateUser"]["address"], Value::Null);

    let role = h
        .run(
            Role::Admin,
            "mutation($id: ID!) { setUserRole(id: $id, role: NURSE) { role } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(role["data"]["setUserRole"]["role"], "NURSE", "{role}");
    assert_eq!(events(&role), ["AccessRequested", "RoleChanged"]);
    let changed = log_of(&h.app, &audit(&role)[1])
        .await
        .log_decode::<CareLedgerAccess::RoleChanged>()
        .expect("decode")
        .inner
        .data;
    assert_eq!((changed.subject, changed.previousRole, changed.newRole), (word(&patient), 7, 4));

    let deleted =
        h.run(Role::Admin, "mutation($id: ID!) { deleteUser(id: $id) }", json!({"id": id})).await;
    assert_eq!(deleted["data"]["deleteUser"], true);
    assert_eq!(events(&deleted), ["AccessRequested", "UserDeleted"]);
    let contract =
        CareLedgerAccess::new(h.app.state.deployment.address, h.app.state.chain.provider());
    assert_eq!(
        contract.roleOf(word(&patient)).call().await.expect("role"),
        0,
        "no role on chain once deleted"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn admins_cannot_touch_root_or_other_admins(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let root = h.user(Role::Root).id.to_string();
    let before = fingerprint(&h.app.state.pool).await;
    let out =
        h.run(Role::Admin, "mutation($id: ID!) { deleteUser(id: $id) }", json!({"id": root})).await;
    super::assert_forbidden(&out, "DELETE", "USER_RECORD", "admin deletes root");
    let out = h
        .run(
            Role::Admin,
            "mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { role } }",
            json!({"id": h.user(Role::Doctor).id.to_string()}),
        )
        .await;
    super::assert_forbidden(&out, "UPDATE", "USER_RECORD", "admin makes an admin");
    assert_eq!(fingerprint(&h.app.state.pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn change_password_checks_the_current_one_and_the_rules(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let change = "mutation($c: String!, $n: String!) { changePassword(current: $c, new: $n) }";
    let before = fingerprint(&h.app.state.pool).await;
    let wrong = h
        .run(Role::Nurse, change, json!({"c": "not my password", "n": "a brand new password"}))
        .await;
    assert_eq!(
        (code(&wrong), wrong["errors"][0]["extensions"]["field"].as_str()),
        ("BAD_USER_INPUT", Some("current"))
    );
    let short = h.run(Role::Nurse, change, json!({"c": PASSWORD, "n": "short"})).await;
    assert_eq!(
        (code(&short), short["errors"][0]["extensions"]["field"].as_str()),
        ("BAD_USER_INPUT", Some("new"))
    );
    let long = h.run(Role::Nurse, change, json!({"c": PASSWORD, "n": "x".repeat(129)})).await;
    assert_eq!(code(&long), "BAD_USER_INPUT");
    assert_eq!(fingerprint(&h.app.state.pool).await, before);
    let anonymous =
        h.app.run(None, change, json!({"c": PASSWORD, "n": "a brand new password"})).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");

    let done =
        h.run(Role::Nurse, change, json!({"c": PASSWORD, "n": "a brand new password"})).await;
    assert_eq!(done["data"]["changePassword"], true, "{done}");
    assert_eq!(events(&done), ["UserModified"]);
    let modified = log_of(&h.app, &audit(&done)[0])
        .await
        .log_decode::<CareLedgerAccess::UserModified>()
        .expect("decode")
        .inner
        .data;
    let nurse = word(h.user(Role::Nurse));
    assert_eq!((modified.actor, modified.subject), (nurse, nurse));
    h.app.login("nurse.joy", "a brand new password").await;
}
