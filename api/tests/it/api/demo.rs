//! `careledger seed --demo`: a small demo hospital, and the care setup every
//! screen of #19 shows, on chain and in the database.

use careledger::users::Role;
use sqlx::PgPool;

use crate::audit::caught_up;
use crate::support;

/// How many index rows of `kind` (first deliveries only).
async fn events(pool: &PgPool, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE kind = $1 AND NOT duplicate")
        .bind(kind)
        .fetch_one(pool)
        .await
        .expect("count")
}

#[sqlx::test(migrations = "../migrations")]
async fn the_demo_gives_every_patient_a_care_team_and_leaves_emergencies_and_restrictions(
    pool: PgPool,
) {
    let app = support::app(pool.clone()).await;
    let options = careledger::seed::Options {
        force: false,
        password: Some(secrecy::SecretString::from("a sound demo password".to_owned())),
        patients: 10,
        seed: 7,
    };
    let report = careledger::seed::run(&app.state, options).await.expect("seed");
    let care = report.care;
    assert_eq!(
        (
            care.memberships,
            care.admissions,
            care.glass_broken,
            care.glass_reviewed,
            care.restrictions
        ),
        (10, 5, 3, 1, 2)
    );
    caught_up(&app).await;
    // Every staff member's department, every relationship, admission,
    // break-the-glass, review and restriction is an event on chain.
    let staff = report.staff.len() as i64;
    assert_eq!(events(&pool, "DEPARTMENT_ASSIGNED").await, staff);
    assert_eq!(events(&pool, "CARE_ADDED").await, 10);
    assert_eq!(events(&pool, "PATIENT_ADMITTED").await, 5);
    assert_eq!(events(&pool, "GLASS_BROKEN").await, 3);
    assert_eq!(events(&pool, "EMERGENCY_ACCESS").await, 3);
    assert_eq!(events(&pool, "GLASS_REVIEWED").await, 1);
    assert_eq!(events(&pool, "ACCESS_RESTRICTED").await, 2);
    // The three reads under break-the-glass are marked so in their own rows.
    let marked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE kind = 'ACCESS_REQUESTED' AND approved
            AND details ? 'emergencyUntil'",
    )
    .fetch_one(&pool)
    .await
    .expect("marked");
    assert_eq!(marked, 3);
    // The database agrees: one review closed, two open; two restrictions in force.
    let (open, closed): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE reviewed_at IS NULL), count(*) FILTER (WHERE reviewed_at IS NOT NULL)
           FROM break_glass",
    )
    .fetch_one(&pool)
    .await
    .expect("reviews");
    assert_eq!((open, closed), (2, 1));
    // Every patient's records were written by their department's staff.
    let strangers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM health_record_versions v
           JOIN care_relationships c ON c.patient_id = v.patient_id
           JOIN users team ON team.id = c.clinician_id
           JOIN users author ON author.id = v.author_id
          WHERE author.department IS DISTINCT FROM team.department",
    )
    .fetch_one(&pool)
    .await
    .expect("authors");
    assert_eq!(strangers, 0);
    assert_eq!(report.staff.iter().filter(|l| l.role == Role::Doctor).count(), 14);
}

/// The migrations' system actor (who a trigger names when no person made a
/// change) is the api's.
#[sqlx::test(migrations = "../migrations")]
async fn the_databases_system_actor_is_the_apis(pool: PgPool) {
    let word: Vec<u8> = sqlx::query_scalar("SELECT careledger_system_actor()")
        .fetch_one(&pool)
        .await
        .expect("system actor");
    assert_eq!(word, careledger::bootstrap::SYSTEM_ACTOR.to_vec());
}
