//! The content hash of every version recomputes from its stored row.

use careledger::records::hash::{content_hash, HashedFields};
use careledger::records::{
    self, CanonicalJson, ContentHash, ContentSalt, RecordChanges, RecordId, RecordType,
};
use careledger::users::UserId;
use serde_json::json;
use sqlx::PgPool;

use super::support::{content, doctor, new_record, patient, title};

/// Recomputes a version's hash straight from SQL, as an outside verifier would.
async fn recompute(
    pool: &PgPool,
    id: RecordId,
    version: i32,
) -> anyhow::Result<(ContentHash, ContentHash)> {
    let (patient, author, kind, title, text, salt, hash): (i64, i64, String, String, String, Vec<u8>, Vec<u8>) =
        sqlx::query_as(
            "SELECT patient_id, author_id, record_type::text, title, content::text, content_salt, content_hash
               FROM health_record_versions WHERE id = $1 AND version = $2",
        )
        .bind(id.0)
        .bind(version)
        .fetch_one(pool)
        .await?;
    let content = CanonicalJson::from_json_text(&text)?;
    let fields = HashedFields {
        record_id: id,
        patient_id: UserId(patient),
        author_id: UserId(author),
        record_type: kind.parse::<RecordType>()?,
        title: &title,
        version,
        content: &content,
    };
    let salt = ContentSalt::from_slice(&salt).expect("16 bytes");
    Ok((content_hash(&salt, &fields), ContentHash::from_slice(&hash).expect("32 bytes")))
}

#[sqlx::test(migrations = "../migrations")]
async fn every_version_hash_recomputes_from_the_stored_row(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let mut conn = pool.acquire().await?;
    let mut new = new_record(patient.id, doctor.id);
    // Numbers PostgreSQL spells differently from serde_json, strings with escapes.
    new.content = content(json!({
        "big": 1e16, "float": 2.0, "tiny": 1.5e-7, "neg": -0.0, "long": 0.30000000000000004,
        "huge": 18446744073709551615u64, "text": "line\n\"quoted\" é 😀 \u{1}",
        "nested": {"z": [1, {"b": null, "a": true}], "a": []}
    }));
    let v1 = records::repo::create(&mut conn, &new).await?;
    let changes = RecordChanges { title: Some(title("Re-titled")), content: None };
    let v2 = records::repo::update(&mut conn, v1.id, 1, &changes, doctor.id).await?.into_record();

    for (version, stored) in [(1, v1.content_hash), (2, v2.content_hash)] {
        let (recomputed, in_row) = recompute(&pool, v1.id, version).await?;
        assert_eq!(in_row, stored);
        assert_eq!(recomputed, stored, "version {version}");
    }
    let checks = records::repo::verify(&pool, v1.id).await?;
    assert_eq!(
        checks.iter().map(|c| (c.version, c.is_intact())).collect::<Vec<_>>(),
        [(1, true), (2, true)]
    );

    // Deleted records verify too.
    records::repo::delete(&mut conn, v1.id, doctor.id).await?;
    let checks = records::repo::verify(&pool, v1.id).await?;
    assert!(checks.iter().all(|c| c.is_intact()) && checks.len() == 2);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_row_altered_behind_the_triggers_no_longer_verifies(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let mut conn = pool.acquire().await?;
    let record = records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await?;

    // A database administrator switching the triggers off and editing in place.
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL session_replication_role = replica").execute(&mut *tx).await?;
    sqlx::query("UPDATE health_records SET content = '{\"code\": \"Z00\", \"severity\": \"moderate\"}' WHERE id = $1")
        .bind(record.id.0)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;

    let checks = records::repo::verify(&pool, record.id).await?;
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].stored, record.content_hash);
    assert!(!checks[0].is_intact());
    Ok(())
}
