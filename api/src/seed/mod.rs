//! `careledger seed --demo`: a demo hospital — staff across departments, a
//! few hundred patients, and records with several versions each — created
//! through the domain services, so every account and every version is on
//! chain exactly as if people had entered them.
//!
//! Refuses to run on a database that has accounts besides root unless
//! forced. Every demo account shares one password; PBKDF2 at 600,000 rounds
//! costs about 0.3 s per hash, so the password is hashed once per role group
//! (six hashes, in parallel on the blocking pool) and each group's accounts
//! share that hash (and its salt). Acceptable for a demo, never for real
//! accounts: `createUser` hashes every password with its own salt.

mod care;
mod content;
mod names;
mod people;

use std::sync::Arc;

use alloy::primitives::B256;
use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use secrecy::SecretString;
use tokio::task::JoinSet;

use crate::app::AppState;
use crate::auth::password;
use crate::bootstrap::SYSTEM_ACTOR;
use crate::db::{Conflict, StoreError};
use crate::lifecycle::ServiceError;
use crate::records::{NewRecord, RecordChanges, RecordContent, RecordTitle};
use crate::users::{self, FullName, NewUser, PasswordHash, Role, SystemId, User, Username};
use people::Person;

/// How many writes run at once (the gate batches their chain events).
const CONCURRENCY: usize = 24;

/// What to create.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seed even though accounts other than root exist.
    pub force: bool,
    /// The shared demo password; generated when absent.
    pub password: Option<SecretString>,
    pub patients: usize,
    /// Seed of the random choices (names, records), so runs are repeatable.
    pub seed: u64,
}

/// One demo login.
#[derive(Debug, Clone)]
pub struct Login {
    pub username: String,
    pub role: Role,
    pub designation: Option<String>,
}

/// What was created.
#[derive(Debug)]
pub struct Report {
    /// The shared password, if it was generated (print it once).
    pub generated_password: Option<String>,
    pub staff: Vec<Login>,
    /// A few patients, to log in as.
    pub sample_patients: Vec<Login>,
    pub patients: usize,
    pub records: usize,
    pub versions: usize,
    pub care: care::CareReport,
}

/// Creates the demo hospital.
pub async fn run(state: &AppState, options: Options) -> anyhow::Result<Report> {
    let others = count_accounts_besides_root(state).await?;
    if others > 0 && !options.force {
        anyhow::bail!(
            "the database already has {others} account(s) besides root: the demo is for an empty system \
             (pass --force to add it anyway)"
        );
    }
    let (secret, generated_password) = match options.password.clone() {
        Some(p) => (p, None),
        None => {
            let p = Alphanumeric.sample_string(&mut rand::rngs::OsRng, 16);
            (SecretString::from(p.clone()), Some(p))
        }
    };
    password::check_new(&secret).map_err(|e| anyhow::anyhow!("--password: {e}"))?;

    let mut rng = StdRng::seed_from_u64(options.seed);
    let staff = people::staff(&mut rng);
    let patients = people::patients(&mut rng, options.patients);
    let plans: Vec<Vec<i32>> = (0..patients.len())
        .map(|_| (0..rng.gen_range(2..=4)).map(|_| rng.gen_range(2..=4)).collect())
        .collect();
    let versions: usize = plans.iter().flatten().map(|v| *v as usize).sum();
    let records: usize = plans.iter().map(Vec::len).sum();

    let progress = ProgressBar::new((staff.len() + patients.len() + versions) as u64);
    progress.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.set_message("hashing the demo password (once per role group)");
    let hashes = Arc::new(hash_per_role(&secret).await?);

    progress.set_message("staff");
    let staff_users = create_people(state, &staff, &hashes, &progress).await?;
    progress.set_message("patients");
    let patient_users = create_people(state, &patients, &hashes, &progress).await?;

    // Every patient belongs to a department: its doctors and nurses write
    // their records and care for them.
    progress.set_message("care teams and admissions");
    let wards = care::wards(&staff_users, &names::DEPARTMENTS);
    anyhow::ensure!(!wards.is_empty(), "the demo staff has no doctors");
    let home: Vec<&care::Ward> =
        (0..patient_users.len()).map(|i| &wards[i % wards.len()]).collect();
    let mut care_report = care::relationships(state, &staff_users, &patient_users, &home).await?;

    progress.set_message("health records");
    let mut tasks = JoinSet::new();
    for (i, (patient, plan)) in patient_users.iter().zip(plans).enumerate() {
        while tasks.len() >= CONCURRENCY {
            join_one(&mut tasks).await?;
        }
        let ward = home[i];
        let doctors: Arc<Vec<User>> = Arc::new(ward.doctors.iter().map(|&u| u.clone()).collect());
        let nurses: Arc<Vec<User>> = Arc::new(ward.nurses.iter().map(|&u| u.clone()).collect());
        let (state, patient, progress) = (state.clone(), patient.clone(), progress.clone());
        let seed = options.seed.wrapping_add(1_000 + i as u64);
        tasks.spawn(async move {
            patient_records(&state, &patient, &plan, &doctors, &nurses, seed, &progress).await
        });
    }
    while !tasks.is_empty() {
        join_one(&mut tasks).await?;
    }
    progress.set_message("break-the-glass and restrictions");
    care::emergencies(state, &staff_users, &patient_users, &home, &mut care_report).await?;
    progress.finish_with_message("done");

    let login = |u: &User| Login {
        username: u.username.to_string(),
        role: u.role,
        designation: u.designation(),
    };
    Ok(Report {
        generated_password,
        staff: staff_users.iter().map(login).collect(),
        sample_patients: patient_users.iter().take(5).map(login).collect(),
        patients: patient_users.len(),
        records,
        versions,
        care: care_report,
    })
}

async fn count_accounts_besides_root(state: &AppState) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM users WHERE role <> 'ROOT' AND deleted_at IS NULL"#
    )
    .fetch_one(&state.pool)
    .await?)
}

async fn join_one(tasks: &mut JoinSet<anyhow::Result<()>>) -> anyhow::Result<()> {
    match tasks.join_next().await {
        Some(result) => result.context("a seeding task panicked")?,
        None => Ok(()),
    }
}

/// The demo password hashed once for each role group, in parallel.
async fn hash_per_role(secret: &SecretString) -> anyhow::Result<Vec<(Role, PasswordHash)>> {
    let roles =
        [Role::Admin, Role::Doctor, Role::Nurse, Role::Receptionist, Role::Auditor, Role::Patient];
    let mut tasks = JoinSet::new();
    for role in roles {
        let secret = secret.clone();
        tasks.spawn(async move { (role, password::hash(secret).await) });
    }
    let mut hashes = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (role, phc) = done.context("hashing panicked")?;
        let phc = phc.map_err(|e| anyhow::anyhow!("{e}"))?;
        hashes.push((
            role,
            PasswordHash::from_phc(phc.as_str().to_owned()).map_err(|e| anyhow::anyhow!("{e}"))?,
        ));
    }
    Ok(hashes)
}

/// Creates the accounts, several at once; returns them in the order given.
async fn create_people(
    state: &AppState,
    people: &[Person],
    hashes: &Arc<Vec<(Role, PasswordHash)>>,
    progress: &ProgressBar,
) -> anyhow::Result<Vec<User>> {
    let mut tasks: JoinSet<anyhow::Result<(usize, User)>> = JoinSet::new();
    let mut created = Vec::with_capacity(people.len());
    for (i, person) in people.iter().cloned().enumerate() {
        while tasks.len() >= CONCURRENCY {
            if let Some(done) = tasks.join_next().await {
                created.push(done.context("a seeding task panicked")??);
            }
        }
        let (state, hashes, progress) = (state.clone(), hashes.clone(), progress.clone());
        tasks.spawn(async move {
            let hash = hashes
                .iter()
                .find(|(r, _)| *r == person.role)
                .map(|(_, h)| h.clone())
                .context("no hash for this role")?;
            let user = create_person(&state, &person, hash).await?;
            progress.inc(1);
            Ok((i, user))
        });
    }
    while let Some(done) = tasks.join_next().await {
        created.push(done.context("a seeding task panicked")??);
    }
    created.sort_by_key(|(i, _)| *i);
    Ok(created.into_iter().map(|(_, u)| u).collect())
}

/// Creates one account; with `--force` on a database that already has the
/// username, tries `name2`, `name3`, ...
async fn create_person(
    state: &AppState,
    person: &Person,
    hash: PasswordHash,
) -> anyhow::Result<User> {
    for attempt in 1..=20 {
        let name = if attempt == 1 {
            person.username.clone()
        } else {
            format!("{}{attempt}", person.username)
        };
        let new = NewUser {
            system_id: Some(SystemId::random()),
            username: Username::parse(&name).map_err(|e| anyhow::anyhow!("{e}"))?,
            password_hash: hash.clone(),
            full_name: FullName::parse(&person.full_name).map_err(|e| anyhow::anyhow!("{e}"))?,
            address: person.address.clone(),
            department: person.department.clone(),
            position: person.position.clone(),
            role: person.role,
        };
        match users::service::create(&state.pool, &state.outbox, SYSTEM_ACTOR, &new).await {
            Ok(written) => return Ok(written.value),
            Err(ServiceError::Store(StoreError::Conflict(Conflict::DuplicateUsername))) => continue,
            Err(e) => return Err(anyhow::Error::new(e).context("creating a demo account")),
        }
    }
    anyhow::bail!("no free username for a demo account")
}

/// One patient's records: each created by a doctor, then amended by doctors
/// and nurses, version by version.
async fn patient_records(
    state: &AppState,
    patient: &User,
    plan: &[i32],
    doctors: &[User],
    nurses: &[User],
    seed: u64,
    progress: &ProgressBar,
) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    for &versions in plan {
        let author = doctors.choose(&mut rng).context("no doctors")?;
        let (record_type, title, content) = content::first_version(&mut rng);
        let new = NewRecord {
            patient_id: patient.id,
            record_type,
            title: RecordTitle::parse(&title).map_err(|e| anyhow::anyhow!("{e}"))?,
            content: RecordContent::parse(content.clone()).map_err(|e| anyhow::anyhow!("{e}"))?,
            author_id: author.id,
        };
        let actor = author.system_id.map(B256::from).context("a doctor without an identifier")?;
        let mut record = crate::records::service::create(&state.pool, &state.outbox, actor, &new)
            .await
            .context("creating a demo record")?
            .value;
        progress.inc(1);
        for version in 2..=versions {
            let editor = if rng.gen_bool(0.3) && !nurses.is_empty() {
                nurses.choose(&mut rng).unwrap_or(author)
            } else {
                doctors.choose(&mut rng).unwrap_or(author)
            };
            let next = content::amend(record_type, &record.content, version, &mut rng);
            let changes = RecordChanges {
                title: None,
                content: Some(RecordContent::parse(next).map_err(|e| anyhow::anyhow!("{e}"))?),
            };
            let actor =
                editor.system_id.map(B256::from).context("an editor without an identifier")?;
            record = crate::records::service::update(
                &state.pool,
                &state.outbox,
                actor,
                editor.id,
                record.id,
                record.version,
                &changes,
            )
            .await
            .context("amending a demo record")?
            .value;
            progress.inc(1);
        }
    }
    Ok(())
}
