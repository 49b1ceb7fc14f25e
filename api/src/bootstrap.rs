//! First start: the root account. Its password comes from
//! `CARELEDGER_ROOT_PASSWORD`, or is generated and printed once — never a
//! fixed default. Root is registered on chain (role ROOT) through
//! `users::service::register`, like every account.

use alloy::primitives::B256;
use rand::distributions::{Alphanumeric, DistString};
use secrecy::SecretString;
use sqlx::PgPool;

use crate::auth::password;
use crate::gate::outbox::Outbox;
use crate::users::{self, FullName, NewUser, PasswordHash, Role, Username};

/// The identifier recorded as the actor of changes the system makes itself
/// (root at first start, identifiers assigned at first login):
/// keccak256("careledger.system"). No user can hold it.
pub const SYSTEM_ACTOR: B256 =
    alloy::primitives::b256!("f987cd7ca8f228a64dac26be1f874672cf1a0d6b537589d6738d1d847dad18ec");

/// What happened to the root account at this start.
#[derive(Debug, PartialEq, Eq)]
pub enum RootAccount {
    AlreadyExists,
    /// Created with the given password (printed once when generated).
    Created {
        generated_password: Option<String>,
    },
}

/// Creates `root` if no account by that name exists yet.
pub async fn ensure_root(
    pool: &PgPool,
    outbox: &Outbox,
    configured: Option<&SecretString>,
) -> anyhow::Result<RootAccount> {
    let username = Username::parse("root").map_err(|e| anyhow::anyhow!("{e}"))?;
    if users::repo::get_by_username(pool, &username).await?.is_some() {
        return Ok(RootAccount::AlreadyExists);
    }
    let (secret, generated) = match configured {
        Some(p) => (p.clone(), None),
        None => {
            let p = Alphanumeric.sample_string(&mut rand::rngs::OsRng, 24);
            (SecretString::from(p.clone()), Some(p))
        }
    };
    let phc = password::hash(secret)
        .await
        .map_err(|e| anyhow::anyhow!("CARELEDGER_ROOT_PASSWORD: {e}"))?;
    let hash =
        PasswordHash::from_phc(phc.as_str().to_owned()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let name = FullName::parse("System Root").map_err(|e| anyhow::anyhow!("{e}"))?;
    let new = NewUser::new(username, hash, name, Role::Root);
    let root = users::service::register(pool, outbox, SYSTEM_ACTOR, &new).await?;
    tracing::info!(user = %root.id, "created the root account");
    Ok(RootAccount::Created { generated_password: generated })
}

/// Prints the outcome for the operator (the generated password only here, once).
pub fn announce(outcome: &RootAccount) {
    match outcome {
        RootAccount::AlreadyExists => {}
        RootAccount::Created { generated_password: Some(p) } => {
            println!("Created the root account. Username: root  Password: {p}");
            println!(
                "  (shown once: store it now; set CARELEDGER_ROOT_PASSWORD to choose it yourself)"
            );
        }
        RootAccount::Created { generated_password: None } => {
            println!("Created the root account (username root) with the password in CARELEDGER_ROOT_PASSWORD.");
        }
    }
}
