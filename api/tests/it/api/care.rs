//! Care relationships through the real schema, tried as a curious clinician,
//! a patient's neighbour and a failing machine would: care teams and their
//! expiry, admissions, break-the-glass and its reviews, restrictions, the
//! permission matrix, records that outlive accounts, hostile input, and
//! entries delivered late or twice. Every verdict is checked on chain and
//! every refusal for what it left behind.

mod admission;
mod delivery;
mod glass;
mod hostile;
mod matrix;
mod outlive;
mod restrictions;
mod reviews;
mod team;

use std::fmt::Debug;

use alloy::eips::BlockNumberOrTag;
use alloy::providers::{DynProvider, Provider};
use alloy::sol_types::SolEvent;
use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::{Role, User};
use serde_json::json;
use sqlx::PgPool;

use super::{assert_forbidden, fingerprint, log_of, word, Hospital, PASSWORD};
use crate::audit::caught_up;
use crate::ops::{
    add_care_team_member, break_glass, care_trail, patient_records, AccessAction, AccessResource,
    AddCareTeamMember, BreakGlass, CareTrail, GlassReason, PatientRecords,
};
use crate::support::{Note, Reply, TestApp};

/// A signed-in account beyond the hospital's own.
pub struct Staff {
    pub user: User,
    pub token: String,
}

impl Staff {
    pub async fn new(h: &Hospital, username: &str, role: Role) -> Self {
        let user = h.app.add_user(username, PASSWORD, role).await;
        let token = h.app.login(username, PASSWORD).await;
        Self { user, token }
    }
}

/// Dr House: a doctor on nobody's care team.
pub async fn house(h: &Hospital) -> Staff {
    Staff::new(h, "dr.house", Role::Doctor).await
}

/// An account's id as the schema takes it.
pub fn uid(user: &User) -> String {
    user.id.to_string()
}

/// `patientRecords` of `patient` as the holder of `token`.
pub async fn read(
    h: &Hospital,
    token: &str,
    patient: &User,
) -> Reply<patient_records::ResponseData> {
    let vars = patient_records::Variables { patient_id: uid(patient) };
    h.app.run::<PatientRecords>(Some(token), vars).await
}

/// A read that was approved: its one `AccessRequested`, and the titles read.
pub fn titles(out: &Reply<patient_records::ResponseData>) -> Vec<String> {
    let records = &out.ok().patient_records;
    assert_eq!(out.events(), ["AccessRequested"], "{out:?}");
    assert!(out.audit[0].approved);
    records.iter().map(|r| r.title.clone()).collect()
}

/// A clinician refused a patient's records: FORBIDDEN, "not on the care
/// team", recorded on chain as a denied HEALTH_RECORD READ.
pub async fn assert_no_care<D: Debug>(app: &TestApp, out: &Reply<D>, what: &str) {
    assert_forbidden(out, AccessAction::Read, AccessResource::HealthRecord, what);
    assert_eq!(out.extension("careRelationship"), &json!(false), "{what}");
    let access = event::<CareLedgerAccess::AccessRequested>(app, &out.audit[0]).await;
    assert!(!access.approved, "{what}: denied on chain");
    assert_eq!((access.action, access.resource), (1, 1), "{what}: HEALTH_RECORD READ");
}

/// `addCareTeamMember` as the holder of `token`.
pub async fn add_member(
    h: &Hospital,
    token: &str,
    patient: &User,
    clinician: &User,
    until: Option<String>,
) -> Reply<add_care_team_member::ResponseData> {
    let vars = add_care_team_member::Variables {
        patient_id: uid(patient),
        user_id: uid(clinician),
        until,
    };
    h.app.run::<AddCareTeamMember>(Some(token), vars).await
}

/// A justification long enough.
pub const WHY: &str = "Unconscious in the emergency department, no history on file";

/// `breakGlass` on `patient` as the holder of `token`, for an emergency.
pub async fn break_glass(
    h: &Hospital,
    token: &str,
    patient: &User,
    justification: &str,
    password: &str,
) -> Reply<break_glass::ResponseData> {
    let vars = break_glass::Variables {
        patient_id: uid(patient),
        reason: GlassReason::EmergencyTreatment,
        justification: justification.to_owned(),
        password: password.to_owned(),
    };
    h.app.run::<BreakGlass>(Some(token), vars).await
}

/// The event an `extensions.audit` entry names, decoded from the chain.
pub async fn event<E: SolEvent>(app: &TestApp, note: &Note) -> E {
    log_of(app, note).await.log_decode::<E>().expect("the event the note names").inner.data
}

/// Moves the chain's clock on by `seconds` and mines a block there. The
/// database's clock stays where it is.
pub async fn travel(app: &TestApp, seconds: u64) {
    let provider = app.state.chain.provider();
    let _: serde_json::Value =
        provider.raw_request("evm_increaseTime".into(), (seconds,)).await.expect("increase time");
    let _: serde_json::Value = provider.raw_request("evm_mine".into(), ()).await.expect("mine");
}

/// The chain's time now: the newest block's timestamp.
pub async fn chain_now(app: &TestApp) -> u64 {
    let block = app.state.chain.provider().get_block_by_number(BlockNumberOrTag::Latest).await;
    block.expect("rpc").expect("a block").header.timestamp
}

/// The contract, for its views.
pub fn contract(app: &TestApp) -> CareLedgerAccess::CareLedgerAccessInstance<&DynProvider> {
    CareLedgerAccess::new(app.state.deployment.address, app.state.chain.provider())
}

/// What the contract holds between `patient` and `staff` (its `relationship` view).
pub async fn relation(
    app: &TestApp,
    patient: &User,
    staff: &User,
) -> CareLedgerAccess::relationshipReturn {
    let view = contract(app).relationship(word(patient), word(staff)).call().await;
    view.expect("the relationship view")
}

/// [`fingerprint`] and [`care_tables`].
pub async fn care_fingerprint(pool: &PgPool) -> String {
    format!("{} || {}", fingerprint(pool).await, care_tables(pool).await)
}

/// Every care table: relationships, admissions, departments, grants,
/// restrictions and the care sequences, as one comparable value.
pub async fn care_tables(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "SELECT concat_ws(' | ',
            (SELECT string_agg(concat_ws(',', id, patient_id, clinician_id, until, added_by, ended_at, ended_by), ';'
                               ORDER BY id) FROM care_relationships),
            (SELECT string_agg(concat_ws(',', id, patient_id, department_id, discharged_at), ';' ORDER BY id)
               FROM admissions),
            (SELECT string_agg(concat_ws(',', id, name), ';' ORDER BY id) FROM departments),
            (SELECT string_agg(concat_ws(',', id, expires_at, reviewed_at, justified, note), ';' ORDER BY id)
               FROM break_glass),
            (SELECT string_agg(concat_ws(',', id, staff_id, department_id, lifted_at), ';' ORDER BY id)
               FROM access_restrictions),
            (SELECT string_agg(concat_ws(',', encode(subject, 'hex'), last), ';' ORDER BY subject)
               FROM care_sequences))",
    )
    .fetch_one(pool)
    .await
    .expect("care tables")
}

/// A filter that narrows nothing.
pub fn everything() -> care_trail::AuditFilter {
    care_trail::AuditFilter {
        actor: None,
        subject: None,
        record_id: None,
        action: None,
        resource: None,
        approved: None,
        kind: None,
        since: None,
        until: None,
        include_duplicates: None,
        include_lost: None,
    }
}

pub type TrailRow = care_trail::CareTrailAuditEventsEdgesNode;

/// The trail the holder of `token` is shown, once the index holds every block.
pub async fn trail(h: &Hospital, token: &str, filter: care_trail::AuditFilter) -> Vec<TrailRow> {
    caught_up(&h.app).await;
    let out = h.app.run::<CareTrail>(Some(token), care_trail::Variables { filter: Some(filter) });
    out.await.ok().audit_events.edges.iter().map(|e| e.node.clone()).collect()
}

/// The index's row for the event a note names.
pub async fn row_of(h: &Hospital, note: &Note) -> TrailRow {
    let rows = trail(h, h.token(Role::Auditor), everything()).await;
    let (tx, index) = (note.transaction_hash.to_string(), i64::try_from(note.log_index));
    let index = index.expect("a log index");
    rows.into_iter()
        .find(|r| r.transaction_hash == tx && r.log_index == index)
        .unwrap_or_else(|| panic!("the index holds {note:?}"))
}

/// A time `seconds` from now (the database's clock), as the schema takes it.
pub fn from_now(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Unix seconds of an RFC 3339 time.
pub fn unix(at: &str) -> u64 {
    let at = chrono::DateTime::parse_from_rfc3339(at).expect("an RFC 3339 time");
    u64::try_from(at.timestamp()).expect("after 1970")
}

/// How many outbox entries are not on chain yet.
pub async fn pending(app: &TestApp) -> i64 {
    app.state.outbox.pending().await.expect("pending")
}

/// Waits until every outbox entry is on chain (the trigger's entries go
/// with the sweep).
pub async fn delivered(app: &TestApp) {
    assert!(
        crate::support::eventually(async || pending(app).await == 0).await,
        "every outbox entry reached the chain"
    );
}
