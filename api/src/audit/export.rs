//! The trail as FHIR R4 `AuditEvent` resources, one JSON object per line
//! (NDJSON). Identifiers only: system ids, record ids, transaction hashes;
//! never a name or anything from a record.
//!
//! - `type`: `rest` (audit-event-type) for access requests and user changes;
//!   DICOM `110110` Patient Record for record versions and deletions; DICOM
//!   `110136` Security Roles Changed for role and permission changes, DICOM
//!   `110137` User Security Attributes Changed for new users.
//! - `subtype`: the FHIR restful interaction (`read`, `search-type`,
//!   `create`, `update`, `delete`).
//! - Sign-ins, refused sign-ins, sign-outs and factor use: DICOM `110114`
//!   User Authentication, subtype DICOM `110122` Login or `110123` Logout,
//!   action E; a factor enrolled or reset: DICOM `110137` (create / delete).
//!   A refused sign-in has outcome `4` and an agent without `who` (nobody
//!   proved who they are).
//! - `action`: C, R, U, D or E (search); `outcome`: `0` approved, `4` denied.
//! - `recorded`: the block timestamp.
//! - `agent`: the actor's system id (`urn:careledger:system-id`); for the
//!   contract's role changes (gateways and admins added or removed), the
//!   chain account that made the change (`urn:ethereum:account`), and the
//!   account that gained or lost the role is the entity (type System Object).
//! - `source.observer`: the contract (`urn:ethereum:chain:<id>`, its address).
//! - `entity`: the subject (role Patient for health records), the record
//!   (`urn:careledger:record-id`), and the transaction and log index.

use std::io::Write;

use serde_json::{json, Value};
use sqlx::PgPool;

use super::event::{nonzero, AuditEvent, AuditKind};
use super::search::{all_from, Cursor};
use crate::chain::deployment::Deployment;
use crate::gate::{Action, Resource};

const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const EVENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const INTERACTION: &str = "http://hl7.org/fhir/restful-interaction";
const SYSTEM_ID: &str = "urn:careledger:system-id";
const RECORD_ID: &str = "urn:careledger:record-id";
const ACCOUNT: &str = "urn:ethereum:account";

/// The contract role a role change is about.
fn role_name(kind: AuditKind) -> &'static str {
    match kind {
        AuditKind::ContractAdminAdded | AuditKind::ContractAdminRemoved => "DEFAULT_ADMIN_ROLE",
        _ => "GATEWAY_ROLE",
    }
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({ "system": system, "code": code, "display": display })
}

fn interaction(action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Create => ("create", "C"),
        Action::Read => ("read", "R"),
        Action::Update => ("update", "U"),
        Action::Delete => ("delete", "D"),
        Action::Search => ("search-type", "E"),
    }
}

/// A type coded with a FHIR restful interaction as its subtype.
fn by_interaction(type_: Value, action: Action) -> (Value, Value, &'static str) {
    let (subtype, action_code) = interaction(action);
    (type_, coding(INTERACTION, subtype, subtype), action_code)
}

/// The event's `type`, `subtype` and `action`. Sign-ins, refused sign-ins,
/// sign-outs and factor use are DICOM `110114` User Authentication with its
/// `110122` Login or `110123` Logout subtype, action E (execute); a factor
/// enrolled or reset changes the user's security attributes (`110137`).
fn coded(event: &AuditEvent) -> (Value, Value, &'static str) {
    let rest = || coding(EVENT_TYPE, "rest", "RESTful Operation");
    let roles = || coding(DCM, "110136", "Security Roles Changed");
    let attributes = || coding(DCM, "110137", "User Security Attributes Changed");
    let record = || coding(DCM, "110110", "Patient Record");
    let authentication = || coding(DCM, "110114", "User Authentication");
    let alert = || coding(DCM, "110113", "Security Alert");
    match event.kind {
        AuditKind::AccessRequested => by_interaction(rest(), event.action.unwrap_or(Action::Read)),
        AuditKind::UserAdded => by_interaction(attributes(), Action::Create),
        AuditKind::UserModified => by_interaction(rest(), Action::Update),
        AuditKind::UserDeleted => by_interaction(rest(), Action::Delete),
        AuditKind::RoleChanged => by_interaction(roles(), Action::Update),
        AuditKind::RecordVersionCreated => by_interaction(
            record(),
            if event.version.unwrap_or(1) > 1 { Action::Update } else { Action::Create },
        ),
        AuditKind::RecordDeleted => by_interaction(record(), Action::Delete),
        AuditKind::PermissionChanged | AuditKind::PermissionChangeDenied => {
            by_interaction(roles(), Action::Update)
        }
        // What the chain itself did with the api's submissions: refusing a
        // repeated or stale entry, recording again what it had lost.
        AuditKind::LifecycleRefused | AuditKind::ReRecorded | AuditKind::ReRecordRefused => {
            by_interaction(coding(DCM, "110100", "Application Activity"), Action::Update)
        }
        AuditKind::GatewayAdded | AuditKind::ContractAdminAdded => {
            by_interaction(roles(), Action::Create)
        }
        AuditKind::GatewayRemoved | AuditKind::ContractAdminRemoved => {
            by_interaction(roles(), Action::Delete)
        }
        AuditKind::SignedIn | AuditKind::SignInFailed | AuditKind::FactorUsed => {
            (authentication(), coding(DCM, "110122", "Login"), "E")
        }
        AuditKind::SignedOut => (authentication(), coding(DCM, "110123", "Logout"), "E"),
        AuditKind::FactorEnrolled => by_interaction(attributes(), Action::Create),
        AuditKind::FactorReset => by_interaction(attributes(), Action::Delete),
        // Care relationships and restrictions change who may see a
        // patient's records: security roles, in DICOM's terms.
        AuditKind::CareAdded | AuditKind::PatientAdmitted | AuditKind::AccessRestricted => {
            by_interaction(roles(), Action::Create)
        }
        AuditKind::CareEnded | AuditKind::PatientDischarged | AuditKind::RestrictionLifted => {
            by_interaction(roles(), Action::Delete)
        }
        AuditKind::DepartmentAssigned
        | AuditKind::BreakGlassDurationChanged
        | AuditKind::BreakGlassDurationChangeDenied => by_interaction(roles(), Action::Update),
        // Break-the-glass is an emergency override: a security alert.
        AuditKind::GlassBroken | AuditKind::EmergencyAccess => {
            (alert(), coding(DCM, "110127", "Emergency Override Started"), "E")
        }
        AuditKind::GlassReviewed => by_interaction(alert(), Action::Update),
    }
}

/// One event as a FHIR R4 AuditEvent resource.
pub fn fhir(event: &AuditEvent, deployment: &Deployment) -> Value {
    let (type_, subtype, action_code) = coded(event);
    let mut entities = Vec::new();
    if let Some(account) = event.account() {
        entities.push(json!({
            "what": { "identifier": { "system": ACCOUNT, "value": account.to_string() } },
            "type": coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
            "detail": [{ "type": "role", "valueString": role_name(event.kind) }],
        }));
    } else if let Some(subject) = event.subject {
        let mut entity = json!({
            "what": { "identifier": { "system": SYSTEM_ID, "value": subject.to_string() } },
            "type": coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"),
        });
        let about_patient =
            event.resource == Some(Resource::HealthRecord) || event.record.is_some();
        if about_patient {
            entity["role"] =
                coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient");
        }
        entities.push(entity);
    }
    if let Some(record) = event.record {
        let value = event.record_uuid().map_or_else(|| record.to_string(), |id| id.to_string());
        let mut entity = json!({
            "what": { "identifier": { "system": RECORD_ID, "value": value } },
            "type": coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
        });
        if let Some(version) = event.version {
            entity["detail"] = json!([{ "type": "version", "valueString": version.to_string() }]);
        }
        entities.push(entity);
    }
    entities.push(json!({
        "what": { "identifier": {
            "system": format!("urn:ethereum:chain:{}:tx", deployment.chain_id),
            "value": format!("{}#{}", event.transaction_hash, event.log_index),
        } },
        "type": coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "4", "Other"),
        "detail": [
            { "type": "blockNumber", "valueString": event.block_number.to_string() },
            { "type": "kind", "valueString": event.kind.as_str() },
        ],
    }));
    json!({
        "resourceType": "AuditEvent",
        "type": type_,
        "subtype": [subtype],
        "action": action_code,
        "recorded": event.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "outcome": if event.approved { "0" } else { "4" },
        "agent": [agent(event)],
        "source": {
            "observer": { "identifier": {
                "system": format!("urn:ethereum:chain:{}", deployment.chain_id),
                "value": deployment.address.to_string(),
            } },
            "type": [coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
        },
        "entity": entities,
    })
}

/// Who acted: a chain account, a system id, or (a refused sign-in) nobody
/// known: `who` is left out rather than naming the zero word.
fn agent(event: &AuditEvent) -> Value {
    let who = match event.sender() {
        Some(sender) => Some(json!({ "system": ACCOUNT, "value": sender.to_string() })),
        None => nonzero(event.actor)
            .map(|actor| json!({ "system": SYSTEM_ID, "value": actor.to_string() })),
    };
    match who {
        Some(identifier) => json!({ "who": { "identifier": identifier }, "requestor": true }),
        None => json!({ "requestor": true }),
    }
}

/// Writes every indexed event (duplicates too: they are on chain), oldest
/// first; returns how many.
pub async fn write_fhir(
    pool: &PgPool,
    deployment: &Deployment,
    out: &mut impl Write,
) -> anyhow::Result<u64> {
    let mut after = None;
    let mut count = 0;
    loop {
        let events = all_from(pool, after, 1000).await?;
        let Some(last) = events.last() else { return Ok(count) };
        after = Some(Cursor::of(last));
        for event in &events {
            serde_json::to_writer(&mut *out, &fhir(event, deployment))?;
            out.write_all(b"\n")?;
            count += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{Address, B256};
    use chrono::TimeZone as _;

    use super::*;

    /// An event at block 7, log 3 of transaction 0x0202…, on 2 January 2026.
    fn event(kind: AuditKind, actor: B256, subject: Option<B256>) -> AuditEvent {
        AuditEvent {
            block_number: 7,
            block_hash: B256::repeat_byte(1),
            transaction_hash: B256::repeat_byte(2),
            log_index: 3,
            timestamp: chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().expect("time"),
            kind,
            actor,
            subject,
            record: None,
            action: None,
            resource: None,
            role: None,
            approved: true,
            entry_id: None,
            version: None,
            content_hash: None,
            duplicate: false,
            refusal: None,
            original: None,
            lost_at: None,
            details: None,
        }
    }

    fn deployment() -> Deployment {
        Deployment {
            chain_id: 31337,
            address: Address::repeat_byte(0x11),
            block: 1,
            transaction: B256::ZERO,
        }
    }

    #[test]
    fn a_denied_record_read_is_a_rest_read_with_outcome_4_and_identifiers_only() {
        let record: crate::records::RecordId =
            "67e55044-10b1-426f-9247-bb680e5fe0c8".parse().expect("uuid");
        let event = AuditEvent {
            record: Some(B256::from(record)),
            action: Some(Action::Read),
            resource: Some(Resource::HealthRecord),
            approved: false,
            entry_id: Some(B256::repeat_byte(4)),
            ..event(
                AuditKind::AccessRequested,
                B256::repeat_byte(0xaa),
                Some(B256::repeat_byte(0xbb)),
            )
        };
        let r = fhir(&event, &deployment());
        assert_eq!(r["resourceType"], "AuditEvent");
        assert_eq!(r["type"]["code"], "rest");
        assert_eq!(r["subtype"][0]["code"], "read");
        assert_eq!(r["action"], "R");
        assert_eq!(r["outcome"], "4");
        assert_eq!(r["recorded"], "2026-01-02T03:04:05Z");
        assert_eq!(
            r["agent"][0]["who"]["identifier"]["value"],
            B256::repeat_byte(0xaa).to_string()
        );
        assert_eq!(
            r["entity"][0]["what"]["identifier"]["value"],
            B256::repeat_byte(0xbb).to_string()
        );
        assert_eq!(r["entity"][0]["role"]["display"], "Patient");
        assert_eq!(r["entity"][1]["what"]["identifier"]["value"], record.to_string());
        assert_eq!(
            r["entity"][2]["what"]["identifier"]["value"],
            format!("{}#3", B256::repeat_byte(2))
        );
        assert_eq!(
            r["source"]["observer"]["identifier"]["value"],
            Address::repeat_byte(0x11).to_string()
        );
    }

    #[test]
    fn a_gateway_added_names_the_two_chain_accounts() {
        let (admin, gateway) = (Address::repeat_byte(0xad), Address::repeat_byte(0x6a));
        let event = AuditEvent {
            block_number: 9,
            log_index: 0,
            ..event(AuditKind::GatewayAdded, admin.into_word(), Some(gateway.into_word()))
        };
        let deployment = deployment();
        let r = fhir(&event, &deployment);
        assert_eq!(r["type"]["code"], "110136");
        assert_eq!((&r["action"], &r["outcome"]), (&json!("C"), &json!("0")));
        assert_eq!(
            r["agent"][0]["who"]["identifier"],
            json!({ "system": "urn:ethereum:account", "value": admin.to_string() })
        );
        assert_eq!(
            r["entity"][0]["what"]["identifier"],
            json!({ "system": "urn:ethereum:account", "value": gateway.to_string() })
        );
        assert_eq!(r["entity"][0]["detail"][0]["valueString"], "GATEWAY_ROLE");
        assert_eq!(r["entity"].as_array().map(Vec::len), Some(2), "the account and the log");
    }

    #[test]
    fn a_refused_sign_in_is_a_user_authentication_login_with_outcome_4_and_no_agent() {
        let account = B256::repeat_byte(0xcc);
        let failed = AuditEvent {
            approved: false,
            entry_id: Some(B256::repeat_byte(5)),
            ..event(AuditKind::SignInFailed, B256::ZERO, Some(account))
        };
        let r = fhir(&failed, &deployment());
        assert_eq!(
            r["type"],
            json!({ "system": DCM, "code": "110114", "display": "User Authentication" })
        );
        assert_eq!(r["subtype"], json!([{ "system": DCM, "code": "110122", "display": "Login" }]));
        assert_eq!(r["action"], "E");
        assert_eq!(r["outcome"], "4");
        assert_eq!(r["agent"], json!([{ "requestor": true }]));
        assert_eq!(r["entity"][0]["what"]["identifier"]["value"], account.to_string());
        assert_eq!(r["entity"][0]["type"]["display"], "Person");
        assert!(r["entity"][0].get("role").is_none(), "not a patient record");
        assert_eq!(r["entity"][1]["detail"][1]["valueString"], "SIGN_IN_FAILED");
        assert_eq!(r["entity"].as_array().map(Vec::len), Some(2));

        // No such account: nobody on either side, only the transaction.
        let r = fhir(&event(AuditKind::SignInFailed, B256::ZERO, None), &deployment());
        assert_eq!(r["entity"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn sign_in_out_and_factors_are_coded_by_dicom() {
        let user = B256::repeat_byte(0xdd);
        let admin = B256::repeat_byte(0xee);
        let cases = [
            (AuditKind::SignedIn, user, "110114", "110122", "E"),
            (AuditKind::SignedOut, user, "110114", "110123", "E"),
            (AuditKind::FactorUsed, user, "110114", "110122", "E"),
            (AuditKind::FactorEnrolled, user, "110137", "create", "C"),
            (AuditKind::FactorReset, admin, "110137", "delete", "D"),
        ];
        for (kind, actor, type_, subtype, action) in cases {
            let r = fhir(&event(kind, actor, Some(user)), &deployment());
            assert_eq!(r["type"]["code"], type_, "{kind:?}");
            assert_eq!(r["subtype"][0]["code"], subtype, "{kind:?}");
            assert_eq!(r["action"], action, "{kind:?}");
            assert_eq!(r["outcome"], "0", "{kind:?}");
            assert_eq!(r["agent"][0]["who"]["identifier"]["value"], actor.to_string(), "{kind:?}");
            assert_eq!(r["entity"][0]["what"]["identifier"]["value"], user.to_string(), "{kind:?}");
        }
    }
}
