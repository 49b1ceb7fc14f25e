//! `searchUsers` never shows ROOT or ADMIN accounts, whoever asks and
//! whatever the filter, and pages with cursors.

use careledger::users::Role;
use serde_json::{json, Value};
use sqlx::PgPool;

use super::{Hospital, PASSWORD};

const SEARCH: &str = "query($q: String, $role: Role, $first: Int, $after: String) {
  searchUsers(query: $q, role: $role, first: $first, after: $after) {
    edges { cursor node { username role } }
    pageInfo { hasNextPage endCursor }
  }
}";

fn usernames(out: &Value) -> Vec<String> {
    out["data"]["searchUsers"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges: {out}"))
        .iter()
        .map(|e| e["node"]["username"].as_str().expect("username").to_owned())
        .collect()
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
            for role in [Value::Null, json!("ROOT"), json!("ADMIN")] {
                let out = h.run(asker, SEARCH, json!({"q": q, "role": role, "first": 100})).await;
                let found = usernames(&out);
                let shown =
                    found.iter().any(|u| ["root", "ada.admin", "admin.two"].contains(&u.as_str()));
                assert!(!shown, "{asker} searching {q:?} with role {role}: {found:?}");
                if !role.is_null() {
                    assert!(
                        found.is_empty(),
                        "{asker}: a ROOT/ADMIN filter finds nothing: {found:?}"
                    );
                }
            }
        }
        // With no query at all: everyone searchable, nobody privileged.
        let all = usernames(&h.run(asker, SEARCH, json!({"first": 100})).await);
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            ["dr.grey", "nurse.joy", "otto.audit", "pat.one", "pat.two", "rita.desk", "rootsby"],
            "{asker}"
        );
        assert_eq!(usernames(&h.run(asker, SEARCH, json!({"q": "rootsby"})).await), ["rootsby"]);
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn search_filters_by_role_and_pages_with_cursors(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let out = h.run(Role::Doctor, SEARCH, json!({"role": "PATIENT"})).await;
    assert_eq!(usernames(&out), ["pat.one", "pat.two"], "by name: Test pat.one, Test pat.two");
    let first = h.run(Role::Doctor, SEARCH, json!({"role": "PATIENT", "first": 1})).await;
    assert_eq!(usernames(&first), ["pat.one"]);
    let page = &first["data"]["searchUsers"]["pageInfo"];
    assert_eq!(page["hasNextPage"], true);
    let cursor = page["endCursor"].as_str().expect("cursor");
    assert_eq!(first["data"]["searchUsers"]["edges"][0]["cursor"], cursor);
    let second =
        h.run(Role::Doctor, SEARCH, json!({"role": "PATIENT", "first": 1, "after": cursor})).await;
    assert_eq!(usernames(&second), ["pat.two"]);
    assert_eq!(second["data"]["searchUsers"]["pageInfo"]["hasNextPage"], false);

    let bad = h.run(Role::Doctor, SEARCH, json!({"first": 0})).await;
    assert_eq!(crate::support::code(&bad), "BAD_USER_INPUT");
    assert_eq!(bad["errors"][0]["extensions"]["field"], "first");
    let bad = h.run(Role::Doctor, SEARCH, json!({"after": "not a cursor"})).await;
    assert_eq!(bad["errors"][0]["extensions"]["field"], "after");
}
