//! `administrators`: root's list of ADMIN accounts, which `searchUsers`
//! never shows. Asking is a USER_RECORD SEARCH naming ADMIN as its
//! targetRole: the contract approves it for root alone, and records every
//! refusal.

use alloy::primitives::B256;
use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::Role;
use sqlx::PgPool;

use super::{assert_forbidden, fingerprint, log_of, word, Hospital, PASSWORD};
use crate::ops::{
    self, administrators, delete_user, update_user, user_by_id, AccessAction, AccessResource,
    Administrators, DeleteUser, UpdateUser, UserById,
};
use crate::support::{Note, Reply};

fn page(first: Option<i64>, after: Option<&str>) -> administrators::Variables {
    administrators::Variables { first, after: after.map(str::to_owned) }
}

/// (id, name, role, designation) of each listed person.
fn listed(
    out: &Reply<administrators::ResponseData>,
) -> Vec<(String, String, ops::Role, Option<String>)> {
    out.ok()
        .administrators
        .edges
        .iter()
        .map(|e| {
            let n = &e.node;
            (n.id.clone(), n.full_name.clone(), n.role, n.designation.clone())
        })
        .collect()
}

/// The access the contract recorded for a note: (actor, subject, targetRole, approved).
async fn recorded(h: &Hospital, note: &Note) -> (B256, B256, u8, bool) {
    let e = log_of(&h.app, note)
        .await
        .log_decode::<CareLedgerAccess::AccessRequested>()
        .expect("an AccessRequested event")
        .inner
        .data;
    (e.actor, e.subject, e.targetRole, e.approved)
}

#[sqlx::test(migrations = "../migrations")]
async fn root_lists_the_administrators_by_name_a_page_at_a_time_and_opens_one(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let ada = h.user(Role::Admin).clone();
    let ben = h.app.add_user("ben.admin", PASSWORD, Role::Admin).await;
    let gone = h.app.add_user("cy.admin", PASSWORD, Role::Admin).await;
    let details = update_user::Variables {
        id: ada.id.to_string(),
        input: update_user::UpdateUserInput {
            full_name: None,
            address: Some("1 Quiet Street, Ashby".to_owned()),
            designation: Some("Systems Administrator".to_owned()),
            department: Some("IT Services".to_owned()),
        },
    };
    h.run::<UpdateUser>(Role::Root, details).await.ok();
    let deleted =
        h.run::<DeleteUser>(Role::Root, delete_user::Variables { id: gone.id.to_string() }).await;
    assert!(deleted.ok().delete_user);

    // Every live administrator, by name: never root, never a deleted account.
    let out = h.run::<Administrators>(Role::Root, page(None, None)).await;
    assert_eq!(
        listed(&out),
        [
            (
                ada.id.to_string(),
                "Test ada.admin".to_owned(),
                ops::Role::Admin,
                Some("IT Services — Systems Administrator".to_owned())
            ),
            (ben.id.to_string(), "Test ben.admin".to_owned(), ops::Role::Admin, None),
        ]
    );
    assert!(!out.ok().administrators.page_info.has_next_page);
    // One access, approved and on chain: a search naming ADMIN, about no one.
    assert_eq!(out.events(), ["AccessRequested"]);
    let note = &out.audit[0];
    assert_eq!(
        (note.action, note.resource, note.approved),
        (Some(AccessAction::Search), Some(AccessResource::UserRecord), true)
    );
    assert_eq!(
        recorded(&h, note).await,
        (word(h.user(Role::Root)), B256::ZERO, Role::Admin.contract_code(), true)
    );

    // A page at a time.
    let first = h.run::<Administrators>(Role::Root, page(Some(1), None)).await;
    assert_eq!(listed(&first).iter().map(|p| p.1.as_str()).collect::<Vec<_>>(), ["Test ada.admin"]);
    let info = &first.ok().administrators.page_info;
    assert!(info.has_next_page);
    let cursor = info.end_cursor.as_deref().expect("a cursor");
    let second = h.run::<Administrators>(Role::Root, page(Some(1), Some(cursor))).await;
    assert_eq!(
        listed(&second).iter().map(|p| p.1.as_str()).collect::<Vec<_>>(),
        ["Test ben.admin"]
    );
    assert!(!second.ok().administrators.page_info.has_next_page);
    for (vars, field) in [
        (page(Some(0), None), "first"),
        (page(Some(101), None), "first"),
        (page(None, Some("x")), "after"),
    ] {
        let bad = h.run::<Administrators>(Role::Root, vars).await;
        assert_eq!(
            (bad.code(), bad.extension("field")),
            ("BAD_USER_INPUT", &serde_json::json!(field))
        );
    }

    // From the list, root opens an administrator's whole account, a read of them.
    let opened =
        h.run::<UserById>(Role::Root, user_by_id::Variables { id: ada.id.to_string() }).await;
    assert_eq!(opened.ok().user.as_ref().map(|u| u.username.as_str()), Some("ada.admin"));
    assert_eq!(
        (opened.audit.len(), opened.audit[0].action, opened.audit[0].approved),
        (1, Some(AccessAction::Read), true)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn anyone_but_root_is_refused_the_administrators_and_the_refusal_is_recorded(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let before = fingerprint(&h.app.state.pool).await;
    for asker in
        [Role::Admin, Role::Doctor, Role::Nurse, Role::Receptionist, Role::Auditor, Role::Patient]
    {
        let out = h.run::<Administrators>(asker, page(None, None)).await;
        assert_forbidden(&out, AccessAction::Search, AccessResource::UserRecord, asker.as_str());
        assert_eq!(out.data, None, "{asker}: nothing listed");
        assert_eq!(
            recorded(&h, &out.audit[0]).await,
            (word(h.user(asker)), B256::ZERO, Role::Admin.contract_code(), false),
            "{asker}: the refusal is on chain, naming ADMIN"
        );
    }
    assert_eq!(fingerprint(&h.app.state.pool).await, before, "nothing changed");
}
