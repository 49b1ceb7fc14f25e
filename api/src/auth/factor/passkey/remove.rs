//! A user removes one of their passkeys (the GraphQL guard asks for a
//! fresh factor first). Removing the account's last factor also removes
//! its recovery codes; under the policy a staff account may not remove its
//! last factor (refused and recorded). Recorded on chain as `FACTOR_RESET`
//! by the user themself: a factor removed is on the trail like an
//! administrator's reset.

use std::net::IpAddr;

use sqlx::PgPool;

use super::super::check::{enrolled, lock_account};
use super::super::enrol::{account, on_trail, registered};
use super::super::events::{self, Event, EventKind};
use super::super::{policy, FactorError};
use crate::auth::trail::AuthEvent;
use crate::gate::outbox::Outbox;
use crate::lifecycle::{deliver, Written};
use crate::users::UserId;

#[tracing::instrument(skip(pool, outbox))]
pub async fn remove(
    pool: &PgPool,
    outbox: &Outbox,
    user: UserId,
    passkey: i64,
    address: Option<IpAddr>,
) -> Result<Written<()>, FactorError> {
    let mut tx = pool.begin().await?;
    lock_account(&mut tx, user).await?;
    let owner = account(&mut tx, user).await?;
    let refuse = |reason| Event::own(user, EventKind::RemovalRefused, address).because(reason);
    let removed =
        sqlx::query!("DELETE FROM passkeys WHERE id = $1 AND user_id = $2", passkey, user.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if removed == 0 {
        events::record(&mut tx, refuse("NO_SUCH_PASSKEY")).await?;
        tx.commit().await?;
        return Err(FactorError::PasskeyNotFound);
    }
    if !enrolled(&mut *tx, user).await? {
        if policy::get(&mut *tx).await?.requires(owner.role) {
            tx.rollback().await?;
            let mut conn = pool.acquire().await?;
            events::record(&mut conn, refuse("LAST_FACTOR")).await?;
            return Err(FactorError::LastFactor);
        }
        sqlx::query!("DELETE FROM recovery_codes WHERE user_id = $1", user.0)
            .execute(&mut *tx)
            .await?;
    }
    events::record(&mut tx, Event::own(user, EventKind::PasskeyRemoved, address)).await?;
    let sid = registered(&owner)?;
    let entry = on_trail(&mut tx, AuthEvent::FactorReset { by: sid, of: sid }).await?;
    tx.commit().await?;
    let events = deliver(outbox, &[entry]).await;
    Ok(Written { value: (), events })
}
