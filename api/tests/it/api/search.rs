//! `searchUsers` never shows ROOT or ADMIN accounts, whoever asks and
//! whatever the filter, and pages with cursors.

use careledger::users::Role;
use sqlx::PgPool;

use super::{Hospital, PASSWORD};
use crate::ops::{self, search_users, SearchUsers};
use crate::support::Reply;

fn search(
    query: Option<&str>,
    role: Option<ops::Role>,
    first: Option<i64>,
    after: Option<&str>,
) -> search_users::Variables {
    search_users::Variables {
        query: query.map(str::to_owned),
        role,
        first,
        after: after.map(str::to_owned),
    }
}

/// The names a search shows (people: no usernames).
fn names(out: &Reply<search_users::ResponseData>) -> Vec<String> {
    out.ok().search_users.edges.iter().map(|e| e.node.full_name.clone()).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn root_and_admin_never_appear_whoever_asks_and_whatever_the_filter(pool: PgPool) {
    let h = Hospital::new(pool).await;
    h.app.add_user("admin.two", PASSWORD, Role::Admin).await;
    // A doctor whose name looks like the privileged ones is found.
    h.app.add_user("rootsby", PASSWORD, Role::Doctor).await;
    for asker in
        [Role::Root, Role::Admin, Role::Doctor, Role::Nurse, Role::Receptionist, Role::Auditor]
    {
        for q in ["root", "ada.admin", "admin.two", "admin", "ada", "System Root"] {
            for role in [None, Some(ops::Role::Root), Some(ops::Role::Admin)] {
                let out = h.run::<SearchUsers>(asker, search(Some(q), role, Some(100), None)).await;
                let found = names(&out);
                let shown = found.iter().any(|u| {
                    ["System Root", "Test ada.admin", "Test admin.two"].contains(&u.as_str())
                });
                assert!(!shown, "{asker} searching {q:?} with role {role:?}: {found:?}");
                if role.is_some() {
                    assert!(
                        found.is_empty(),
                        "{asker}: a ROOT/ADMIN filter finds nothing: {found:?}"
                    );
                }
            }
        }
        // With no query at all: everyone searchable, nobody privileged.
        let all = names(&h.run::<SearchUsers>(asker, search(None, None, Some(100), None)).await);
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            [
                "Test dr.grey",
                "Test nurse.joy",
                "Test otto.audit",
                "Test pat.one",
                "Test pat.two",
                "Test rita.desk",
                "Test rootsby"
            ],
            "{asker}"
        );
        let rootsby = h.run::<SearchUsers>(asker, search(Some("rootsby"), None, None, None)).await;
        assert_eq!(names(&rootsby), ["Test rootsby"]);
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn search_filters_by_role_and_pages_with_cursors(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let patients = |first, after| search(None, Some(ops::Role::Patient), first, after);
    let out = h.run::<SearchUsers>(Role::Doctor, patients(None, None)).await;
    assert_eq!(names(&out), ["Test pat.one", "Test pat.two"], "by name");
    let first = h.run::<SearchUsers>(Role::Doctor, patients(Some(1), None)).await;
    assert_eq!(names(&first), ["Test pat.one"]);
    let page = &first.ok().search_users.page_info;
    assert!(page.has_next_page);
    let cursor = page.end_cursor.as_deref().expect("cursor");
    assert_eq!(first.ok().search_users.edges[0].cursor, cursor);
    let second = h.run::<SearchUsers>(Role::Doctor, patients(Some(1), Some(cursor))).await;
    assert_eq!(names(&second), ["Test pat.two"]);
    assert!(!second.ok().search_users.page_info.has_next_page);

    let bad = h.run::<SearchUsers>(Role::Doctor, search(None, None, Some(0), None)).await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    assert_eq!(bad.extension("field"), "first");
    let bad =
        h.run::<SearchUsers>(Role::Doctor, search(None, None, None, Some("not a cursor"))).await;
    assert_eq!(bad.extension("field"), "after");
}
