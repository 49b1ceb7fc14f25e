//! Per-request DataLoaders: the authors and patients of the records in one
//! response are fetched in one query, not one per record. Built per request
//! (`graphql::execute` attaches a fresh [`RequestLoaders`]), so nothing
//! loaded for one caller is ever served to another.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::Context;
use sqlx::PgPool;

use super::error::ApiError;
use crate::users::{User, UserId};

/// Loads accounts (deleted ones too: records keep naming them) by id.
pub struct UserLoader {
    pool: PgPool,
}

impl Loader<UserId> for UserLoader {
    type Value = User;
    type Error = Arc<crate::db::StoreError>;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, User>, Self::Error> {
        let users = crate::users::repo::get_many(&self.pool, keys).await.map_err(Arc::new)?;
        Ok(users.into_iter().map(|u| (u.id, u)).collect())
    }
}

/// The loaders of one request, created on first use.
#[derive(Default)]
pub struct RequestLoaders {
    users: OnceLock<DataLoader<UserLoader>>,
}

impl RequestLoaders {
    fn users(&self, pool: &PgPool) -> &DataLoader<UserLoader> {
        self.users.get_or_init(|| DataLoader::new(UserLoader { pool: pool.clone() }, tokio::spawn))
    }
}

/// One account through the request's loader.
pub async fn user(ctx: &Context<'_>, id: UserId) -> Result<User, ApiError> {
    let state = super::context::state(ctx)?;
    let user = match ctx.data_opt::<RequestLoaders>() {
        Some(loaders) => {
            loaders.users(&state.pool).load_one(id).await.map_err(ApiError::internal)?
        }
        // A request that did not come through `graphql::execute` (a
        // subscription, say) has no loaders: read directly.
        None => crate::users::repo::get(&state.pool, id).await?,
    };
    user.ok_or(ApiError::NotFound("user"))
}
