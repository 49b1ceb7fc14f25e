//! The `passkeys` table (migration 0060): each row a credential as
//! `webauthn-rs` keeps it (public key and counter, JSON), its name, and the
//! account's WebAuthn user handle.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;
use webauthn_rs::prelude::Passkey;

use super::super::FactorError;
use super::PasskeyName;
use crate::users::UserId;

/// Why a passkey's name is refused: the user has one of that name.
pub const NAME_TAKEN: &str = "you already have a passkey of that name";

/// A passkey as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyInfo {
    pub id: i64,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `user`'s passkeys, oldest first.
pub async fn list(db: impl PgExecutor<'_>, user: UserId) -> Result<Vec<PasskeyInfo>, sqlx::Error> {
    sqlx::query_as!(
        PasskeyInfo,
        "SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY id",
        user.0
    )
    .fetch_all(db)
    .await
}

/// Whether `user` has a passkey.
pub async fn exists(db: impl PgExecutor<'_>, user: UserId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1) AS "exists!""#,
        user.0
    )
    .fetch_one(db)
    .await
}

fn credential(json: serde_json::Value) -> Result<Passkey, FactorError> {
    serde_json::from_value(json).map_err(|e| FactorError::StoredPasskey(e.to_string()))
}

/// `user`'s credentials, and the account's user handle (if it has one yet).
pub async fn credentials(
    conn: &mut PgConnection,
    user: UserId,
) -> Result<(Vec<Passkey>, Option<Uuid>), FactorError> {
    let rows = sqlx::query!(
        "SELECT credential, user_handle FROM passkeys WHERE user_id = $1 ORDER BY id",
        user.0
    )
    .fetch_all(conn)
    .await?;
    let handle = rows.first().map(|r| r.user_handle);
    let keys = rows.into_iter().map(|r| credential(r.credential)).collect::<Result<_, _>>()?;
    Ok((keys, handle))
}

/// Stores a newly registered passkey; returns it as its owner sees it.
pub async fn insert(
    conn: &mut PgConnection,
    user: UserId,
    handle: Uuid,
    name: &PasskeyName,
    passkey: &Passkey,
) -> Result<PasskeyInfo, FactorError> {
    let json =
        serde_json::to_value(passkey).map_err(|e| FactorError::StoredPasskey(e.to_string()))?;
    let row = sqlx::query_as!(
        PasskeyInfo,
        r#"INSERT INTO passkeys (user_id, credential_id, user_handle, name, credential)
           VALUES ($1, $2, $3, $4, $5)
           RETURNING id, name, created_at, last_used_at"#,
        user.0,
        passkey.cred_id().as_ref(),
        handle,
        name.as_str(),
        json,
    )
    .fetch_one(conn)
    .await
    .map_err(crate::db::StoreError::from)?;
    Ok(row)
}

/// `user`'s passkey with this credential id, locked, if it is still theirs.
pub async fn lock(
    conn: &mut PgConnection,
    user: UserId,
    credential_id: &[u8],
) -> Result<Option<(i64, Passkey)>, FactorError> {
    let row = sqlx::query!(
        "SELECT id, credential FROM passkeys WHERE user_id = $1 AND credential_id = $2 FOR UPDATE",
        user.0,
        credential_id
    )
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((r.id, credential(r.credential)?))).transpose()
}

/// Notes a passkey's use, with its credential as the assertion left it
/// (the signature counter, backup state).
pub async fn used(conn: &mut PgConnection, id: i64, passkey: &Passkey) -> Result<(), FactorError> {
    let json =
        serde_json::to_value(passkey).map_err(|e| FactorError::StoredPasskey(e.to_string()))?;
    sqlx::query!(
        "UPDATE passkeys SET credential = $2, last_used_at = now() WHERE id = $1",
        id,
        json
    )
    .execute(conn)
    .await?;
    Ok(())
}
