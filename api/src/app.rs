//! Assembling the application: database, chain, contract, TLS, routes.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use secrecy::ExposeSecret;
use sqlx::PgPool;

use crate::auth::access::AccessCheck;
use crate::auth::keys::TokenKeys;
use crate::chain::deployment::{self, Deployment};
use crate::chain::Chain;
use crate::config::Config;
use crate::gate::outbox::Outbox;
use crate::gate::Gate;

/// What every request handler may reach. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub pool: PgPool,
    /// The audit index: its live feed and lag.
    pub audit: crate::audit::Audit,
    pub chain: Chain,
    pub deployment: Deployment,
    pub gate: Gate,
    /// Access requests to the contract, as the guard asks them.
    pub access: AccessCheck,
    /// Every mined chain transaction, kept until the chain holds it safely.
    pub journal: crate::gate::journal::Journal,
    pub outbox: Outbox,
    /// A patient's records and records by id, read in batches under load.
    pub reads: crate::records::reads::Reads,
    pub token_keys: TokenKeys,
    /// The key TOTP secrets are sealed with at rest.
    pub factor_key: crate::auth::factor::FactorKey,
    /// The WebAuthn relying party passkeys are made for.
    pub passkeys: crate::auth::factor::RelyingParty,
    /// Session checks remembered until the database says they changed.
    pub sessions: Arc<crate::cache::sessions::Sessions>,
    /// Whom requests are about (identifiers that never change), remembered.
    pub subjects: Arc<crate::cache::subjects::Subjects>,
    /// The bound on GraphQL requests in progress.
    pub admission: Arc<crate::http::admission::Admission>,
    pub quotas: Arc<crate::http::quota::Quotas>,
    /// How sign-in attempts and sign-outs ended, for `/metrics`.
    pub logins: Arc<crate::auth::trail::LoginCounts>,
    pub web_dir: PathBuf,
    pub config: Arc<Config>,
}

/// Connects to PostgreSQL, creating the database if it is missing, and
/// applies the migrations.
pub async fn database(config: &Config) -> anyhow::Result<PgPool> {
    use sqlx::migrate::MigrateDatabase;
    let url = config.database_url.expose_secret();
    let exists = sqlx::Postgres::database_exists(url).await.context(
        "cannot reach PostgreSQL at DATABASE_URL (is the server running? `make run` starts or installs one)",
    )?;
    if !exists {
        sqlx::Postgres::create_database(url)
            .await
            .context("cannot create the database named in DATABASE_URL")?;
        tracing::info!("created the database");
    }
    let pool_config =
        crate::db::PoolConfig { max_connections: config.db_pool_size, ..Default::default() };
    let pool = crate::db::connect(url, &pool_config)
        .await
        .context("cannot connect to the database named in DATABASE_URL")?;
    crate::db::migrate(&pool).await.context("applying the database migrations failed")?;
    Ok(pool)
}

/// Builds the state: database ready, chain reachable, contract deployed.
pub async fn state(config: Config) -> anyhow::Result<AppState> {
    let pool = database(&config).await?;
    assemble(pool, config).await
}

/// Builds the state on an already migrated pool (tests pass their own).
pub async fn assemble(pool: PgPool, mut config: Config) -> anyhow::Result<AppState> {
    let key = config.gateway_key.as_ref().context(
        "CHAIN_GATEWAY_KEY: required: the gateway's signing key for the chain \
         (`make run` generates one in .data/keys/ when it starts the local chain)",
    )?;
    let chain = Chain::connect(&config.chain_rpc_url, key).await?;
    chain.check_funds().await?;
    let deployment = deployment::ensure(&pool, &chain, config.admin_address).await?;
    deployment::check_gateway(&chain, &deployment).await?;
    // The admin's key signs `careledger gateway` changes, never anything the
    // api does: the running api keeps none (a SecretString zeroes it on drop).
    config.admin_key = None;
    tracing::info!(chain_id = deployment.chain_id, contract = %deployment.address, "access contract ready");
    let journal = crate::gate::journal::Journal::new(pool.clone());
    let gate = Gate::start_journaled(&chain, &deployment, config.gate, journal.clone()).await?;
    let outbox = Outbox::new(pool.clone(), gate.clone()).start().await?;
    let root = crate::bootstrap::ensure_root(&pool, &outbox, config.root_password.as_ref()).await?;
    crate::bootstrap::announce(&root);
    let token_keys = TokenKeys::load_or_generate(&config.data_dir)?;
    let factor_key = crate::auth::factor::FactorKey::load_or_generate(&config.data_dir)?;
    let passkeys =
        crate::auth::factor::RelyingParty::new(&config.webauthn_rp_id, &config.webauthn_origin)
            .context(
                "CARELEDGER_WEBAUTHN_ORIGIN, CARELEDGER_WEBAUTHN_RP_ID: not a relying party",
            )?;
    let audit = crate::audit::Audit::start(
        crate::audit::indexer::Indexer::new(pool.clone(), chain.clone(), &deployment),
        config.audit_check_every,
    );
    let reads = crate::records::reads::Reads::start(pool.clone());
    let sessions = Arc::new(crate::cache::sessions::Sessions::default());
    tokio::spawn(sessions.clone().listen(pool.clone()));
    crate::auth::purge::start(pool.clone());
    crate::auth::factor::purge::start(pool.clone());
    // Compute the dummy hash now, so the first unknown-user login costs no more than any other.
    tokio::spawn(crate::auth::login::dummy_hash());
    Ok(AppState {
        pool,
        access: AccessCheck::new(gate.clone(), audit.clone()),
        audit,
        chain,
        deployment,
        gate,
        journal,
        outbox,
        reads,
        token_keys,
        factor_key,
        passkeys,
        sessions,
        subjects: Arc::default(),
        admission: Arc::new(crate::http::admission::Admission::new(config.max_in_progress)),
        quotas: Arc::new(crate::http::quota::Quotas::new(config.user_rate)),
        logins: Arc::default(),
        web_dir: config.web_dir.clone(),
        config: Arc::new(config),
    })
}
