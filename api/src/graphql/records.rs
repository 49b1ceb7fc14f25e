//! Health records: found only through `patientRecords(patientId)` (there is
//! no search by name, content or anything else), read by id, by version and
//! as of an instant, and written through `records::service`. Every field
//! carries the access guard, whose subject is the patient.

use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};

use super::context;
use super::error::ApiError;
use super::guard::{Access, Target};
use super::inputs::{self, CreateRecordInput, UpdateRecordInput};
pub use super::record_objects::{HealthRecordObject, HealthRecordVersionObject, RecordType};
use super::users::note_events;
use crate::gate::{Action, Resource};
use crate::records::{self, NewRecord};

#[derive(Default)]
pub struct RecordsQuery;

#[Object]
impl RecordsQuery {
    /// Every live record of one patient, most recently changed first (a
    /// HEALTH_RECORD READ whose subject is the patient). The only way to
    /// find records.
    #[graphql(
        guard = "Access::new(Resource::HealthRecord, Action::Read, Target::User { id: patient_id.clone(), field: \"patientId\" })"
    )]
    async fn patient_records(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
    ) -> Result<Vec<HealthRecordObject>, ApiError> {
        let state = context::state(ctx)?;
        let patient = inputs::user_id(&patient_id, "patientId")?;
        let found = state.reads.for_patient(patient).await?;
        Ok(found.into_iter().map(HealthRecordObject).collect())
    }

    /// The current version of a record; null if there is none (or it was deleted).
    #[graphql(guard = "Access::record(Action::Read, &id)")]
    async fn record(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<HealthRecordObject>, ApiError> {
        let state = context::state(ctx)?;
        let id = inputs::record_id(&id)?;
        Ok(state.reads.get(id).await?.map(HealthRecordObject))
    }

    /// Every version of a record, oldest first (deleted records too).
    #[graphql(guard = "Access::record(Action::Read, &id)")]
    async fn record_history(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Vec<HealthRecordVersionObject>, ApiError> {
        let state = context::state(ctx)?;
        let id = inputs::record_id(&id)?;
        let versions = records::repo::history(&state.pool, id).await?;
        Ok(versions.into_iter().map(HealthRecordVersionObject).collect())
    }

    /// One version of a record.
    #[graphql(guard = "Access::record(Action::Read, &id)")]
    async fn record_version(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
    ) -> Result<Option<HealthRecordVersionObject>, ApiError> {
        let state = context::state(ctx)?;
        let id = inputs::record_id(&id)?;
        if version < 1 {
            return Err(ApiError::bad_input("version", "must be 1 or more"));
        }
        let found = records::repo::version(&state.pool, id, version).await?;
        Ok(found.map(HealthRecordVersionObject))
    }

    /// The version that was current at `at`; null before the record existed
    /// and after it was deleted.
    #[graphql(guard = "Access::record(Action::Read, &id)")]
    async fn record_as_of(
        &self,
        ctx: &Context<'_>,
        id: ID,
        at: DateTime<Utc>,
    ) -> Result<Option<HealthRecordVersionObject>, ApiError> {
        let state = context::state(ctx)?;
        let id = inputs::record_id(&id)?;
        let found = records::repo::as_of(&state.pool, id, at).await?;
        Ok(found.map(HealthRecordVersionObject))
    }
}

#[derive(Default)]
pub struct RecordsMutation;

#[Object]
impl RecordsMutation {
    /// Creates a record (version 1) for a patient, written by the caller (a
    /// HEALTH_RECORD CREATE whose subject is the patient). Its content hash is
    /// anchored on chain (`RecordVersionCreated`).
    #[graphql(
        guard = "Access::new(Resource::HealthRecord, Action::Create, Target::User { id: input.patient_id.clone(), field: \"patientId\" })"
    )]
    async fn create_record(
        &self,
        ctx: &Context<'_>,
        input: CreateRecordInput,
    ) -> Result<HealthRecordObject, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let parsed = input.parse()?;
        let new = NewRecord {
            patient_id: parsed.patient_id,
            record_type: parsed.record_type,
            title: parsed.title,
            content: parsed.content,
            author_id: caller.user_id,
        };
        let written =
            records::service::create(&state.pool, &state.outbox, caller.system_id.into(), &new)
                .await?;
        note_events(session, &written.events);
        Ok(HealthRecordObject(written.value))
    }

    /// Writes a new version, if `expectedVersion` is still the current one:
    /// otherwise CONFLICT with `extensions.currentVersion`, and nothing is
    /// written. A change equal to the current version writes nothing.
    #[graphql(guard = "Access::record(Action::Update, &id)")]
    async fn update_record(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateRecordInput,
    ) -> Result<HealthRecordObject, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let id = inputs::record_id(&id)?;
        let changes = input.parse()?;
        let written = records::service::update(
            &state.pool,
            &state.outbox,
            caller.system_id.into(),
            caller.user_id,
            id,
            expected_version,
            &changes,
        )
        .await?;
        note_events(session, &written.events);
        Ok(HealthRecordObject(written.value))
    }

    /// Deletes a record (`RecordDeleted` on chain); its versions stay readable
    /// through `recordHistory`, `recordVersion` and `recordAsOf`.
    #[graphql(guard = "Access::record(Action::Delete, &id)")]
    async fn delete_record(&self, ctx: &Context<'_>, id: ID) -> Result<bool, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let id = inputs::record_id(&id)?;
        let written = records::service::delete(
            &state.pool,
            &state.outbox,
            caller.system_id.into(),
            caller.user_id,
            id,
        )
        .await?;
        note_events(session, &written.events);
        Ok(true)
    }
}
