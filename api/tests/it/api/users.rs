//! Account mutations: createUser names the identifier the contract decided
//! on, every write leaves its lifecycle event, changePassword is self-service.

use alloy::primitives::B256;
use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::Role;
use sqlx::PgPool;

use super::{assert_forbidden, fingerprint, log_of, word, Hospital, PASSWORD};
use crate::ops::{
    self, change_password, clear_user_address, create_user, delete_user, set_user_role,
    update_user, AccessAction, AccessResource, ChangePassword, ClearUserAddress, CreateUser,
    DeleteUser, SetUserRole, UpdateUser,
};

fn update(id: &str, full_name: Option<&str>, address: Option<&str>) -> update_user::Variables {
    update_user::Variables {
        id: id.to_owned(),
        input: update_user::UpdateUserInput {
            full_name: full_name.map(str::to_owned),
            address: address.map(str::to_owned),
            designation: None,
            department: None,
        },
    }
}

fn password(current: &str, new: &str) -> change_password::Variables {
    change_password::Variables { current: current.to_owned(), new: new.to_owned() }
}

#[sqlx::test(migrations = "../migrations")]
async fn create_user_registers_the_identifier_the_contract_decided_on(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let input = create_user::CreateUserInput {
        username: "New.Patient".to_owned(),
        password: PASSWORD.to_owned(),
        full_name: " Nia Patel ".to_owned(),
        address: Some("4 Mill Road, Ashby".to_owned()),
        designation: None,
        department: None,
        role: ops::Role::Patient,
    };
    let out = h.run::<CreateUser>(Role::Receptionist, create_user::Variables { input }).await;
    let user = &out.ok().create_user;
    assert_eq!(
        (user.username.as_str(), user.role, user.full_name.as_str(), user.address.as_deref()),
        ("new.patient", ops::Role::Patient, "Nia Patel", Some("4 Mill Road, Ashby")),
        "{out:?}"
    );
    assert_eq!(out.events(), ["AccessRequested", "UserAdded"]);
    let sid: B256 = user.system_id.as_deref().expect("sid").parse().expect("hex");
    let notes = &out.audit;
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
    let input = create_user::CreateUserInput {
        username: "new.patient".to_owned(),
        password: PASSWORD.to_owned(),
        full_name: "Someone Else".to_owned(),
        address: None,
        designation: None,
        department: None,
        role: ops::Role::Patient,
    };
    let again = h.run::<CreateUser>(Role::Admin, create_user::Variables { input }).await;
    assert_eq!(again.code(), "CONFLICT", "{again:?}");
    assert_eq!(again.extension("field"), "username");
    assert_eq!(fingerprint(&h.app.state.pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn update_set_role_and_delete_leave_their_lifecycle_events(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let patient = h.user(Role::Patient).clone();
    let id = patient.id.to_string();
    let out =
        h.run::<UpdateUser>(Role::Admin, update(&id, Some("Pat One"), Some("9 Elm Grove"))).await;
    assert_eq!(
        out.ok().update_user,
        update_user::UpdateUserUpdateUser {
            full_name: "Pat One".to_owned(),
            address: Some("9 Elm Grove".to_owned()),
            designation: None
        }
    );
    assert_eq!(out.events(), ["AccessRequested", "UserModified"]);
    // The same values again: nothing changes, no event.
    let same = h.run::<UpdateUser>(Role::Admin, update(&id, Some("Pat One"), None)).await;
    assert_eq!(same.events(), ["AccessRequested"]);
    // null clears an optional field.
    let cleared = h
        .run::<ClearUserAddress>(Role::Admin, clear_user_address::Variables { id: id.clone() })
        .await;
    assert_eq!(cleared.ok().update_user.address, None);

    let vars = set_user_role::Variables { id: id.clone(), role: ops::Role::Nurse };
    let role = h.run::<SetUserRole>(Role::Admin, vars).await;
    assert_eq!(role.ok().set_user_role.role, ops::Role::Nurse, "{role:?}");
    assert_eq!(role.events(), ["AccessRequested", "RoleChanged"]);
    let changed = log_of(&h.app, &role.audit[1])
        .await
        .log_decode::<CareLedgerAccess::RoleChanged>()
        .expect("decode")
        .inner
        .data;
    assert_eq!((changed.subject, changed.previousRole, changed.newRole), (word(&patient), 7, 4));

    let deleted = h.run::<DeleteUser>(Role::Admin, delete_user::Variables { id }).await;
    assert!(deleted.ok().delete_user);
    assert_eq!(deleted.events(), ["AccessRequested", "UserDeleted"]);
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
    let out = h.run::<DeleteUser>(Role::Admin, delete_user::Variables { id: root }).await;
    assert_forbidden(&out, AccessAction::Delete, AccessResource::UserRecord, "admin deletes root");
    let vars = set_user_role::Variables {
        id: h.user(Role::Doctor).id.to_string(),
        role: ops::Role::Admin,
    };
    let out = h.run::<SetUserRole>(Role::Admin, vars).await;
    assert_forbidden(
        &out,
        AccessAction::Update,
        AccessResource::UserRecord,
        "admin makes an admin",
    );
    assert_eq!(fingerprint(&h.app.state.pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn change_password_checks_the_current_one_and_the_rules(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let before = fingerprint(&h.app.state.pool).await;
    let wrong = h
        .run::<ChangePassword>(Role::Nurse, password("not my password", "a brand new password"))
        .await;
    assert_eq!(
        (wrong.code(), wrong.extension("field").as_str()),
        ("BAD_USER_INPUT", Some("current"))
    );
    let short = h.run::<ChangePassword>(Role::Nurse, password(PASSWORD, "short")).await;
    assert_eq!((short.code(), short.extension("field").as_str()), ("BAD_USER_INPUT", Some("new")));
    let long = h.run::<ChangePassword>(Role::Nurse, password(PASSWORD, &"x".repeat(129))).await;
    assert_eq!(long.code(), "BAD_USER_INPUT");
    assert_eq!(fingerprint(&h.app.state.pool).await, before);
    let anonymous =
        h.app.run::<ChangePassword>(None, password(PASSWORD, "a brand new password")).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");

    let done =
        h.run::<ChangePassword>(Role::Nurse, password(PASSWORD, "a brand new password")).await;
    assert!(done.ok().change_password, "{done:?}");
    assert_eq!(done.events(), ["UserModified"]);
    let modified = log_of(&h.app, &done.audit[0])
        .await
        .log_decode::<CareLedgerAccess::UserModified>()
        .expect("decode")
        .inner
        .data;
    let nurse = word(h.user(Role::Nurse));
    assert_eq!((modified.actor, modified.subject), (nurse, nurse));
    h.app.login("nurse.joy", "a brand new password").await;
}
