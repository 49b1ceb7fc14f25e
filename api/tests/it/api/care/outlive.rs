//! Records outlive accounts: a deleted patient's records stay with the
//! clinicians who care for them, under the same rules; the patient's own
//! access ends with the account.

use careledger::users::Role;
use sqlx::PgPool;

use super::super::{word, Hospital, PASSWORD};
use super::{add_member, assert_no_care, contract, house, read, titles};
use crate::ops::{delete_user, login, DeleteUser, Login};

#[sqlx::test(migrations = "../migrations")]
async fn a_deleted_patients_records_stay_with_their_care_team(pool: PgPool) {
    let h = Hospital::new(pool).await;
    h.record("Hypertension").await;
    let house = house(&h).await;
    let one = h.user(Role::Patient);
    let out =
        h.run::<DeleteUser>(Role::Admin, delete_user::Variables { id: one.id.to_string() }).await;
    assert!(out.ok().delete_user);
    assert_eq!(out.events(), ["AccessRequested", "UserDeleted"]);
    let role = contract(&h.app).roleOf(word(one)).call().await.expect("view");
    assert_eq!(role, 0, "no role on chain");

    // The care team still reads; a doctor off it still does not.
    assert_eq!(titles(&read(&h, h.token(Role::Doctor), one).await), ["Hypertension"]);
    assert_eq!(titles(&read(&h, h.token(Role::Nurse), one).await), ["Hypertension"]);
    assert_no_care(&h.app, &read(&h, &house.token, one).await, "off the team").await;
    // The team can still grow around the records.
    add_member(&h, h.token(Role::Admin), one, &house.user, None).await.ok();
    assert_eq!(titles(&read(&h, &house.token, one).await), ["Hypertension"]);

    // The patient is out: no sign-in, and the old token reads nothing.
    let vars = login::Variables { username: "pat.one".to_owned(), password: PASSWORD.to_owned() };
    assert_eq!(h.app.run::<Login>(None, vars).await.code(), "UNAUTHENTICATED");
    let own = read(&h, h.token(Role::Patient), one).await;
    assert_eq!(own.code(), "UNAUTHENTICATED", "{own:?}");
    assert_eq!(own.data, None);
}
