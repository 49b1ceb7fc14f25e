//! The demo's care relationships: every patient has a home department, its
//! first doctor on their care team and, for every other patient, an
//! admission there; a few doctors from elsewhere broke the glass (one
//! reviewed, the rest open, each with a read under the grant), and two
//! patients restrict someone. Everything goes through the care services, so
//! every relationship is on chain as if people had entered it.

use alloy::primitives::B256;
use anyhow::Context as _;

use crate::app::AppState;
use crate::care::{self, GlassReason, GlassRequest, Party, Restricted};
use crate::gate::{AccessRequest, Action, Resource};
use crate::users::{Role, User};

/// What the demo's care setup made.
#[derive(Debug, Default, Clone, Copy)]
pub struct CareReport {
    pub memberships: usize,
    pub admissions: usize,
    pub glass_broken: usize,
    pub glass_reviewed: usize,
    pub restrictions: usize,
}

/// The staff of one department.
pub struct Ward<'a> {
    pub name: &'a str,
    pub doctors: Vec<&'a User>,
    pub nurses: Vec<&'a User>,
}

/// The departments with doctors, in the staff's order.
pub fn wards<'a>(staff: &'a [User], departments: &'a [&'a str]) -> Vec<Ward<'a>> {
    let of = |name: &str, role: Role| {
        staff
            .iter()
            .filter(|u| u.role == role && u.department.as_deref() == Some(name))
            .collect::<Vec<_>>()
    };
    departments
        .iter()
        .map(|name| Ward { name, doctors: of(name, Role::Doctor), nurses: of(name, Role::Nurse) })
        .filter(|w| !w.doctors.is_empty())
        .collect()
}

fn party(user: &User) -> anyhow::Result<Party> {
    Party::of(user, "user").map_err(|e| anyhow::anyhow!("{e}"))
}

fn first(staff: &[User], role: Role) -> anyhow::Result<&User> {
    staff.iter().find(|u| u.role == role).with_context(|| format!("the demo staff has no {role}"))
}

/// Care teams and admissions: patient `i` belongs to `home[i]`.
pub async fn relationships(
    state: &AppState,
    staff: &[User],
    patients: &[User],
    home: &[&Ward<'_>],
) -> anyhow::Result<CareReport> {
    let admin = party(first(staff, Role::Admin)?)?;
    let desk = party(first(staff, Role::Receptionist)?)?;
    let mut report = CareReport::default();
    for (i, (patient, ward)) in patients.iter().zip(home).enumerate() {
        let p = party(patient)?;
        let doctor = ward.doctors[i % ward.doctors.len()];
        care::add_member(&state.pool, &state.outbox, admin, p, doctor, None)
            .await
            .context("a demo care relationship")?;
        report.memberships += 1;
        if i % 2 == 0 {
            care::admit(&state.pool, &state.outbox, desk, p, ward.name)
                .await
                .context("a demo admission")?;
            report.admissions += 1;
        }
    }
    Ok(report)
}

/// Break-the-glass by doctors from another department (one reviewed as
/// justified, the others open), each followed by a read of the patient's
/// records under the grant; and two restrictions.
pub async fn emergencies(
    state: &AppState,
    staff: &[User],
    patients: &[User],
    home: &[&Ward<'_>],
    report: &mut CareReport,
) -> anyhow::Result<()> {
    let auditor = party(first(staff, Role::Auditor)?)?;
    let seconds = care::glass_seconds(&state.chain, state.deployment.address)
        .await
        .context("the break-the-glass duration")?;
    let stories = [
        (GlassReason::EmergencyTreatment, "Unconscious on arrival in the emergency room; allergies and current medication needed before treatment."),
        (GlassReason::ContinuityOfCare, "Covering the night shift for the patient's own doctor; reviewing the latest results."),
        (GlassReason::PatientRequest, "The patient asked me at the outpatient desk to look at the last discharge letter."),
    ];
    for (i, (reason, why)) in stories.into_iter().enumerate() {
        let (Some(patient), Some(ward)) = (patients.get(i), home.get(i)) else { break };
        let Some(outsider) = staff
            .iter()
            .find(|u| u.role == Role::Doctor && u.department.as_deref() != Some(ward.name))
        else {
            break;
        };
        let clinician = party(outsider)?;
        let patient_party = party(patient)?;
        let request = GlassRequest::parse(reason, why).map_err(|e| anyhow::anyhow!("{e}"))?;
        let grant = care::break_glass(
            &state.pool,
            &state.outbox,
            clinician,
            patient_party,
            &request,
            seconds,
        )
        .await
        .context("a demo break-the-glass")?;
        report.glass_broken += 1;
        // A read under the grant: the patient's report shows it as an emergency access.
        let read = AccessRequest {
            actor: clinician.system_id,
            action: Action::Read,
            resource: Resource::HealthRecord,
            subject: patient_party.system_id,
            record: B256::ZERO,
            target_role: 0,
        };
        state.gate.authorize(read).await.context("a demo read under break-the-glass")?;
        if i == 0 {
            let grant = care::break_glass_grant(&state.pool, grant.value)
                .await?
                .context("the demo grant")?;
            care::review(
                &state.pool,
                &state.outbox,
                auditor,
                &grant,
                (clinician.system_id, patient_party.system_id),
                true,
                Some("Confirmed with the emergency department's admission log."),
            )
            .await
            .context("a demo review")?;
            report.glass_reviewed += 1;
        }
    }
    // A patient restricts a doctor from another department by name, and
    // another patient restricts a whole department.
    if let (Some(patient), Some(ward)) = (patients.get(3), home.get(3)) {
        if let Some(doctor) = staff
            .iter()
            .find(|u| u.role == Role::Doctor && u.department.as_deref() != Some(ward.name))
        {
            care::restrict(
                &state.pool,
                &state.outbox,
                party(patient)?,
                &Restricted::Staff(doctor.id),
                Some(doctor),
            )
            .await
            .context("a demo restriction")?;
            report.restrictions += 1;
        }
    }
    if let (Some(patient), Some(ward)) = (patients.get(4), home.get(4)) {
        let other = staff
            .iter()
            .filter_map(|u| u.department.as_deref())
            .find(|d| *d != ward.name && home.iter().any(|w| w.name == *d));
        if let Some(department) = other {
            care::restrict(
                &state.pool,
                &state.outbox,
                party(patient)?,
                &Restricted::Department(department.to_owned()),
                None,
            )
            .await
            .context("a demo department restriction")?;
            report.restrictions += 1;
        }
    }
    Ok(())
}
