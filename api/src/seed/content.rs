//! Realistic record content for the demo, and plausible amendments to it.

use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};

use crate::records::RecordType;

/// A record as first written: its type, title and content.
pub fn first_version(rng: &mut impl Rng) -> (RecordType, String, Value) {
    let record_type = *RecordType::ALL.choose(rng).unwrap_or(&RecordType::ClinicalNote);
    let (title, content) = match record_type {
        RecordType::Diagnosis => {
            let (condition, icd10) = *[
                ("Essential hypertension", "I10"),
                ("Type 2 diabetes mellitus", "E11.9"),
                ("Community-acquired pneumonia", "J18.9"),
                ("Asthma, moderate persistent", "J45.40"),
                ("Migraine without aura", "G43.009"),
                ("Atrial fibrillation", "I48.91"),
                ("Iron deficiency anaemia", "D50.9"),
            ]
            .choose(rng)
            .unwrap_or(&("Essential hypertension", "I10"));
            (
                condition.to_owned(),
                json!({"condition": condition, "icd10": icd10, "status": "provisional", "notes": "Initial assessment."}),
            )
        }
        RecordType::Prescription => {
            let (drug, dose, frequency) = *[
                ("Amlodipine", "5 mg", "once daily"),
                ("Metformin", "500 mg", "twice daily"),
                ("Amoxicillin", "500 mg", "three times daily"),
                ("Salbutamol inhaler", "100 mcg, 2 puffs", "as needed"),
                ("Atorvastatin", "20 mg", "once daily at night"),
                ("Ferrous sulfate", "200 mg", "once daily"),
            ]
            .choose(rng)
            .unwrap_or(&("Amlodipine", "5 mg", "once daily"));
            (
                format!("{drug} {dose}"),
                json!({"medication": drug, "dose": dose, "route": "oral", "frequency": frequency, "durationDays": rng.gen_range(7..=90)}),
            )
        }
        RecordType::LabResult => {
            let (test, unit, low, high) = *[
                ("HbA1c", "%", 4.0, 5.6),
                ("Haemoglobin", "g/dL", 12.0, 16.0),
                ("Creatinine", "mg/dL", 0.6, 1.2),
                ("LDL cholesterol", "mg/dL", 0.0, 100.0),
                ("TSH", "mIU/L", 0.4, 4.0),
            ]
            .choose(rng)
            .unwrap_or(&("HbA1c", "%", 4.0, 5.6));
            let value: f64 = (rng.gen_range(low * 0.8..high * 1.3) * 10.0_f64).round() / 10.0;
            let flag = if value > high {
                "H"
            } else if value < low {
                "L"
            } else {
                "N"
            };
            (
                format!("{test} result"),
                json!({"test": test, "value": value, "unit": unit, "referenceRange": format!("{low}-{high}"), "flag": flag, "status": "preliminary"}),
            )
        }
        RecordType::VitalSigns => (
            "Vital signs".to_owned(),
            json!({
                "heartRate": rng.gen_range(58..=104),
                "bloodPressure": format!("{}/{}", rng.gen_range(105..=160), rng.gen_range(65..=98)),
                "temperatureC": (rng.gen_range(36.1..38.4_f64) * 10.0).round() / 10.0,
                "respiratoryRate": rng.gen_range(12..=22),
                "spo2": rng.gen_range(92..=100),
            }),
        ),
        RecordType::Allergy => {
            let (substance, reaction) = *[
                ("Penicillin", "rash"),
                ("Peanuts", "anaphylaxis"),
                ("Latex", "contact dermatitis"),
                ("Ibuprofen", "bronchospasm"),
                ("Shellfish", "urticaria"),
            ]
            .choose(rng)
            .unwrap_or(&("Penicillin", "rash"));
            (
                format!("Allergy: {substance}"),
                json!({"substance": substance, "reaction": reaction, "severity": "moderate", "verified": false}),
            )
        }
        RecordType::Procedure => {
            let procedure = *[
                "Appendectomy",
                "Knee arthroscopy",
                "Colonoscopy",
                "Cardiac catheterisation",
                "Lumbar puncture",
                "Skin lesion excision",
            ]
            .choose(rng)
            .unwrap_or(&"Colonoscopy");
            (
                procedure.to_owned(),
                json!({"procedure": procedure, "status": "scheduled", "anaesthesia": "general", "notes": "Consent obtained."}),
            )
        }
        RecordType::ClinicalNote => (
            "Clinical note".to_owned(),
            json!({"subjective": "Reports intermittent headaches for two weeks.", "objective": "Alert, oriented; neuro exam unremarkable.", "assessment": "Likely tension-type headache.", "plan": "Analgesia, sleep hygiene, review in 2 weeks."}),
        ),
    };
    (record_type, title, content)
}

/// The content of the next version: what a clinician would amend.
pub fn amend(record_type: RecordType, content: &Value, version: i32, rng: &mut impl Rng) -> Value {
    let mut next = content.clone();
    let Some(fields) = next.as_object_mut() else { return next };
    match record_type {
        RecordType::Diagnosis => {
            fields.insert("status".into(), json!("confirmed"));
            fields.insert(
                "notes".into(),
                json!(format!("Reviewed at follow-up {version}; findings consistent.")),
            );
        }
        RecordType::Prescription => {
            fields.insert("durationDays".into(), json!(rng.gen_range(14..=180)));
            fields.insert("review".into(), json!(format!("Renewed at review {version}.")));
        }
        RecordType::LabResult => {
            fields.insert("status".into(), json!("final"));
            fields.insert("comment".into(), json!("Verified by laboratory."));
        }
        RecordType::VitalSigns => {
            fields.insert("heartRate".into(), json!(rng.gen_range(58..=100)));
            fields.insert("spo2".into(), json!(rng.gen_range(94..=100)));
        }
        RecordType::Allergy => {
            fields.insert("verified".into(), json!(true));
            fields.insert(
                "severity".into(),
                json!(["mild", "moderate", "severe"].choose(rng).unwrap_or(&"moderate")),
            );
        }
        RecordType::Procedure => {
            fields.insert(
                "status".into(),
                json!(if version >= 3 { "completed" } else { "in progress" }),
            );
            fields.insert("outcome".into(), json!("No complications."));
        }
        RecordType::ClinicalNote => {
            fields.insert(
                "addendum".into(),
                json!(format!("Addendum {version}: symptoms improving.")),
            );
        }
    }
    next
}
