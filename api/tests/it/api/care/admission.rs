//! Departments and admissions: a staff member's department follows their
//! account (an administrator's `updateUser`), and a patient admitted to a
//! department is reachable by its clinicians until discharged or moved.

use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::{Role, User};
use sqlx::PgPool;

use super::super::{assert_forbidden, word, Hospital};
use super::{
    assert_no_care, care_fingerprint, contract, event, everything, house, read, titles, trail, uid,
    Staff,
};
use crate::ops::{
    admit_patient, care_team, discharge_patient, update_user, AccessAction, AccessResource,
    AdmitPatient, CareTeam, Departments, DischargePatient, UpdateUser,
};
use crate::support::{Note, Reply};

/// The department's opaque id (what the chain knows it by).
async fn department_id(h: &Hospital, name: &str) -> u32 {
    let id: i32 = sqlx::query_scalar("SELECT id FROM departments WHERE name = $1")
        .bind(name)
        .fetch_one(&h.app.state.pool)
        .await
        .expect("the department exists");
    u32::try_from(id).expect("positive")
}

/// The administrator puts `staff` in `department`: answered once the chain
/// has it; the receipt of its `DepartmentAssigned`.
pub async fn assign(h: &Hospital, staff: &User, department: &str) -> Note {
    let input = update_user::UpdateUserInput {
        full_name: None,
        address: None,
        designation: None,
        department: Some(department.to_owned()),
    };
    let vars = update_user::Variables { id: uid(staff), input };
    let out = h.run::<UpdateUser>(Role::Admin, vars).await;
    out.ok();
    assert_eq!(out.events(), ["AccessRequested", "UserModified", "DepartmentAssigned"]);
    out.audit[2].clone()
}

pub async fn admit(
    h: &Hospital,
    role: Role,
    patient: &User,
    department: &str,
) -> Reply<admit_patient::ResponseData> {
    let vars = admit_patient::Variables { patient_id: uid(patient), department: department.into() };
    h.run::<AdmitPatient>(role, vars).await
}

async fn discharge(
    h: &Hospital,
    role: Role,
    patient: &User,
) -> Reply<discharge_patient::ResponseData> {
    h.run::<DischargePatient>(role, discharge_patient::Variables { patient_id: uid(patient) }).await
}

/// Where the database and the chain say the patient is admitted (chain: the department id, 0 none).
async fn admitted(h: &Hospital, patient: &User) -> (Option<String>, u32) {
    let out =
        h.run::<CareTeam>(Role::Receptionist, care_team::Variables { patient_id: uid(patient) });
    let team = out.await.ok().care_team.clone();
    let on_chain = contract(&h.app).departmentsOf(word(patient)).call().await.expect("view");
    (team.admission.map(|a| a.department), on_chain.admitted)
}

#[sqlx::test(migrations = "../migrations")]
async fn a_department_reaches_patients_admitted_there_until_discharge(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let two = &h.other_patient;
    crate::audit::create_record(&h.app, two, h.user(Role::Doctor)).await;
    let assigned = assign(&h, &house.user, "Cardiology").await;
    let cardiology = department_id(&h, "Cardiology").await;
    let on_chain = event::<CareLedgerAccess::DepartmentAssigned>(&h.app, &assigned).await;
    assert_eq!(
        (on_chain.actor, on_chain.staff, on_chain.department, on_chain.entryId),
        (word(h.user(Role::Admin)), word(&house.user), cardiology, assigned.id)
    );
    let staff = contract(&h.app).departmentsOf(word(&house.user)).call().await.expect("view");
    assert_eq!(staff.member, cardiology, "in force when answered");
    let mut filter = everything();
    filter.kind = Some("DEPARTMENT_ASSIGNED".to_owned());
    filter.subject = Some(word(&house.user).to_string());
    let rows = trail(&h, h.token(Role::Auditor), filter).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].department.as_deref(), Some("Cardiology"));
    assert_eq!(
        rows[0].actor.as_ref().map(|a| a.id.clone()),
        Some(uid(h.user(Role::Admin))),
        "the administrator who changed the account assigned the department"
    );
    assert_no_care(&h.app, &read(&h, &house.token, two).await, "not admitted yet").await;

    // The front desk admits (any case of the name is the same department).
    let admitted_to = admit(&h, Role::Receptionist, two, "cardiology").await;
    let admission = &admitted_to.ok().admit_patient;
    assert_eq!(admission.department, "Cardiology");
    assert_eq!(admission.admitted_by.id, uid(h.user(Role::Receptionist)));
    assert_eq!(admitted_to.events(), ["AccessRequested", "PatientAdmitted"]);
    let on_chain = event::<CareLedgerAccess::PatientAdmitted>(&h.app, &admitted_to.audit[1]).await;
    assert_eq!(
        (on_chain.actor, on_chain.patient, on_chain.department),
        (word(h.user(Role::Receptionist)), word(two), cardiology)
    );
    assert_eq!(titles(&read(&h, &house.token, two).await), ["Hypertension"]);
    // A clinician of no department, or of another, is not let in by it.
    let neuro = Staff::new(&h, "dr.strange", Role::Doctor).await;
    assign(&h, &neuro.user, "Neurology").await;
    assert_no_care(&h.app, &read(&h, &neuro.token, two).await, "another department").await;
    assert_no_care(&h.app, &read(&h, h.token(Role::Doctor), two).await, "no department").await;

    let out = discharge(&h, Role::Receptionist, two).await;
    assert!(out.ok().discharge_patient);
    assert_eq!(out.events(), ["AccessRequested", "PatientDischarged"]);
    let on_chain = event::<CareLedgerAccess::PatientDischarged>(&h.app, &out.audit[1]).await;
    assert_eq!((on_chain.patient, on_chain.department), (word(two), cardiology));
    assert_eq!(admitted(&h, two).await, (None, 0));
    assert_no_care(&h.app, &read(&h, &house.token, two).await, "discharged").await;

    // Admitted to Neurology: Dr Strange's patient now, not Dr House's.
    admit(&h, Role::Receptionist, two, "Neurology").await.ok();
    assert_no_care(&h.app, &read(&h, &house.token, two).await, "in Neurology").await;
    assert_eq!(titles(&read(&h, &neuro.token, two).await), ["Hypertension"]);
    let mut names = h
        .run::<Departments>(Role::Patient, crate::ops::departments::Variables)
        .await
        .ok()
        .departments
        .clone();
    names.sort();
    assert_eq!(names, ["Cardiology", "Neurology"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn admissions_move_conflict_and_discharge_once(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let two = &h.other_patient;
    admit(&h, Role::Admin, two, "Neurology").await.ok();
    let neurology = department_id(&h, "Neurology").await;

    let before = care_fingerprint(&h.app.state.pool).await;
    let again = admit(&h, Role::Receptionist, two, " neurology ").await;
    assert_eq!(
        (again.code(), again.message()),
        ("CONFLICT", "the patient is already admitted to Neurology")
    );
    assert_eq!(again.events(), ["AccessRequested"]);
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);

    // Admitted elsewhere, the patient moves: one admission, on both sides.
    let moved = admit(&h, Role::Receptionist, two, "Oncology").await;
    assert_eq!(moved.ok().admit_patient.department, "Oncology");
    let oncology = department_id(&h, "Oncology").await;
    assert_ne!(oncology, neurology);
    assert_eq!(admitted(&h, two).await, (Some("Oncology".to_owned()), oncology));

    // Who may not admit or discharge: recorded, nothing changed.
    let before = care_fingerprint(&h.app.state.pool).await;
    for role in [Role::Nurse, Role::Auditor, Role::Patient, Role::Doctor] {
        let patient = if role == Role::Patient { h.user(Role::Patient) } else { two };
        let out = admit(&h, role, patient, "Cardiology").await;
        assert_forbidden(&out, AccessAction::Update, AccessResource::CareTeam, role.as_str());
        let out = discharge(&h, role, patient).await;
        assert_forbidden(&out, AccessAction::Update, AccessResource::CareTeam, role.as_str());
    }
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);

    assert!(discharge(&h, Role::Receptionist, two).await.ok().discharge_patient);
    let before = care_fingerprint(&h.app.state.pool).await;
    let twice = discharge(&h, Role::Receptionist, two).await;
    assert_eq!((twice.code(), twice.message()), ("NOT_FOUND", "admission not found"));
    assert_eq!(twice.events(), ["AccessRequested"]);
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);
    assert_eq!(admitted(&h, two).await, (None, 0));
}

/// Two desks admit the same patient to two departments at once: both are
/// answered, and the chain ends where the database does.
#[sqlx::test(migrations = "../migrations")]
async fn two_admissions_at_once_leave_the_chain_where_the_database_is(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let two = &h.other_patient;
    for round in 0..3 {
        let (ward_a, ward_b) = (format!("Ward A{round}"), format!("Ward B{round}"));
        let (a, b) = tokio::join!(
            admit(&h, Role::Receptionist, two, &ward_a),
            admit(&h, Role::Admin, two, &ward_b),
        );
        assert_eq!((a.errors.len(), b.errors.len()), (0, 0), "{a:?} {b:?}");
        let (name, on_chain) = admitted(&h, two).await;
        let name = name.expect("admitted");
        assert_eq!(on_chain, department_id(&h, &name).await, "round {round}: {name}");
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM admissions WHERE patient_id = $1 AND discharged_at IS NULL",
        )
        .bind(two.id.0)
        .fetch_one(&h.app.state.pool)
        .await
        .expect("count");
        assert_eq!(open, 1);
    }
}
