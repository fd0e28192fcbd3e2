//! Writing an event, its detection links and its audit in one transaction, idempotent
//! on the batch (a redelivered batch finds its event and writes nothing) and on the
//! detections (a detection is linked to one event only).

use crate::context::Context;
use chrono::Utc;
use hsi_core::Severity;
use hsi_db::entities::{event_audits, event_detections, events};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    DbErr, EntityTrait, NotSet, QueryFilter, TransactionTrait,
};

/// How an event was judged, for its audit row.
#[derive(Debug, Clone, Default)]
pub struct AuditFacts {
    pub is_fallback: bool,
    pub fallback_reason: Option<String>,
    pub model: Option<String>,
    pub prompt_version: Option<i32>,
    pub latency_ms: Option<i32>,
    pub prompt_length: i32,
    pub prompt_token_estimate: i32,
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    pub evidence_score: Option<i32>,
    pub evidence: Option<serde_json::Value>,
    pub llm_proposed_score: Option<i32>,
    pub llm_adjustment: Option<i32>,
    pub adjustment_reason: Option<String>,
    pub structured_output: Option<String>,
    /// A fast-path event written before its judgement.
    pub provisional: bool,
}

/// The verdict on a batch.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub score: i32,
    pub level: Severity,
    pub summary: String,
    pub reasoning: String,
    pub audit: AuditFacts,
}

/// The event of a batch, if it was written already.
pub async fn event_of_batch(
    db: &DatabaseConnection,
    batch_id: &str,
) -> Result<Option<events::Model>, DbErr> {
    events::Entity::find()
        .filter(events::Column::BatchId.eq(batch_id))
        .one(db)
        .await
}

/// How an event was judged, as its audit says: (by the fallback, still provisional).
pub async fn judged_how(db: &DatabaseConnection, event_id: i32) -> Result<(bool, bool), DbErr> {
    let audit = event_audits::Entity::find()
        .filter(event_audits::Column::EventId.eq(event_id))
        .one(db)
        .await?;
    Ok(audit.map_or((false, false), |audit| {
        (audit.is_fallback, audit.stage == "provisional")
    }))
}

/// Locks the audit row of a provisional event for its judgement; false when the event
/// is not provisional any more (judged by another worker meanwhile).
pub async fn lock_provisional(tx: &DatabaseTransaction, event_id: i32) -> Result<bool, DbErr> {
    use sea_orm::{ConnectionTrait, Statement};
    let row = tx
        .query_one(Statement::from_sql_and_values(
            tx.get_database_backend(),
            "SELECT stage FROM event_audits WHERE event_id = $1 FOR UPDATE",
            [event_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<String>("", "stage")? == "provisional",
        None => false,
    })
}

/// What writing a batch's event found.
#[derive(Debug)]
pub enum Written {
    /// The event was inserted in the transaction, with a link to every detection.
    Created(Box<events::Model>),
    /// The batch already has an event (a redelivery): nothing was written.
    Exists,
    /// Some detections were linked to another event meanwhile (a replayed batch judged
    /// at the same moment): nothing may be committed, the batch must be judged again.
    DetectionsTaken { expected: usize, linked: u64 },
}

/// Writes the event of `context`, its detection links and its audit in `tx`; the caller
/// commits (after raising the event's alerts in the same transaction) or rolls back.
pub async fn write_event(
    tx: &DatabaseTransaction,
    context: &Context,
    verdict: &Verdict,
) -> Result<Written, DbErr> {
    let ids: Vec<i32> = context.detections.iter().map(|d| d.id).collect();
    let event = events::ActiveModel {
        id: NotSet,
        batch_id: Set(context.batch.batch_id.clone()),
        camera_id: Set(context.batch.camera_id.clone()),
        started_at: Set(context.started_at),
        ended_at: Set(Some(context.ended_at)),
        risk_score: Set(Some(verdict.score)),
        risk_level: Set(Some(verdict.level.as_str().to_owned())),
        summary: Set(Some(verdict.summary.clone())),
        reasoning: Set(Some(verdict.reasoning.clone())),
        detection_ids: Set(Some(serde_json::to_string(&ids).unwrap_or_default())),
        reviewed: Set(false),
        notes: Set(None),
        is_fast_path: Set(context.batch.is_fast_path),
        object_types: Set(Some(context.object_types().join(","))),
        clip_path: Set(None),
        deleted_at: Set(None),
    };
    let inserted = events::Entity::insert(event)
        .on_conflict(
            OnConflict::column(events::Column::BatchId)
                .do_nothing()
                .to_owned(),
        )
        .exec(tx)
        .await;
    let event_id = match inserted {
        Ok(result) => result.last_insert_id,
        Err(DbErr::RecordNotInserted) => return Ok(Written::Exists),
        Err(err) => return Err(err),
    };
    let links = ids.iter().map(|id| event_detections::ActiveModel {
        event_id: Set(event_id),
        detection_id: Set(*id),
        created_at: NotSet,
    });
    // A detection belongs to one event (a unique index); one linked elsewhere since the
    // context was gathered is skipped here and noticed by the count.
    let linked = event_detections::Entity::insert_many(links)
        .on_conflict(
            OnConflict::column(event_detections::Column::DetectionId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
    if linked < ids.len() as u64 {
        return Ok(Written::DetectionsTaken {
            expected: ids.len(),
            linked,
        });
    }
    audit_row(context, &verdict.audit, event_id)
        .insert(tx)
        .await?;
    let event = events::Entity::find_by_id(event_id)
        .one(tx)
        .await?
        .ok_or(DbErr::RecordNotFound(event_id.to_string()))?;
    Ok(Written::Created(Box::new(event)))
}

/// Replaces the verdict of an existing event (a re-analysis) and its audit.
pub async fn rewrite_verdict(
    db: &DatabaseConnection,
    event_id: i32,
    context: &Context,
    verdict: &Verdict,
) -> Result<events::Model, DbErr> {
    let tx = db.begin().await?;
    let event = rewrite_verdict_in(&tx, event_id, context, verdict).await?;
    tx.commit().await?;
    Ok(event)
}

/// [`rewrite_verdict`] inside the caller's transaction (the judgement of a provisional
/// event commits with the revisions of its alerts).
pub async fn rewrite_verdict_in(
    tx: &DatabaseTransaction,
    event_id: i32,
    context: &Context,
    verdict: &Verdict,
) -> Result<events::Model, DbErr> {
    let mut event: events::ActiveModel = events::Entity::find_by_id(event_id)
        .one(tx)
        .await?
        .ok_or(DbErr::RecordNotFound(event_id.to_string()))?
        .into();
    event.risk_score = Set(Some(verdict.score));
    event.risk_level = Set(Some(verdict.level.as_str().to_owned()));
    event.summary = Set(Some(verdict.summary.clone()));
    event.reasoning = Set(Some(verdict.reasoning.clone()));
    event.object_types = Set(Some(context.object_types().join(",")));
    let event = event.update(tx).await?;
    // The audit describes the latest judgement; replace it in place (one row per event).
    use event_audits::Column as A;
    event_audits::Entity::insert(audit_row(context, &verdict.audit, event_id))
        .on_conflict(
            OnConflict::column(A::EventId)
                .update_columns([
                    A::AuditedAt,
                    A::HasZones,
                    A::HasBaseline,
                    A::HasCrossCamera,
                    A::PromptLength,
                    A::PromptTokenEstimate,
                    A::EnrichmentUtilization,
                    A::IsFallback,
                    A::FallbackReason,
                    A::LlmModel,
                    A::PromptVersion,
                    A::LlmLatencyMs,
                    A::LlmPromptTokens,
                    A::LlmCompletionTokens,
                    A::EvidenceScore,
                    A::Evidence,
                    A::LlmProposedScore,
                    A::LlmAdjustment,
                    A::AdjustmentReason,
                    A::StructuredOutput,
                    A::Stage,
                ])
                .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
    Ok(event)
}

fn audit_row(context: &Context, audit: &AuditFacts, event_id: i32) -> event_audits::ActiveModel {
    let has_zones = context.detections.iter().any(|d| !d.zones.is_empty());
    let has_baseline = context
        .unusualness
        .as_ref()
        .is_some_and(|u| u.z_score.is_some());
    let has_cross_camera = !context.other_cameras.is_empty();
    // Which of the context sources this judgement could draw on (detector, zones,
    // baseline, other cameras), as the share of the four.
    let used = 1 + u8::from(has_zones) + u8::from(has_baseline) + u8::from(has_cross_camera);
    event_audits::ActiveModel {
        id: NotSet,
        event_id: Set(event_id),
        audited_at: Set(Utc::now()),
        has_yolo26: Set(true),
        has_zones: Set(has_zones),
        has_baseline: Set(has_baseline),
        has_cross_camera: Set(has_cross_camera),
        prompt_length: Set(audit.prompt_length),
        prompt_token_estimate: Set(audit.prompt_token_estimate),
        enrichment_utilization: Set(f64::from(used) / 4.0),
        is_fallback: Set(audit.is_fallback),
        fallback_reason: Set(audit.fallback_reason.clone()),
        llm_model: Set(audit.model.clone()),
        prompt_version: Set(audit.prompt_version),
        llm_latency_ms: Set(audit.latency_ms),
        llm_prompt_tokens: Set(audit.prompt_tokens),
        llm_completion_tokens: Set(audit.completion_tokens),
        evidence_score: Set(audit.evidence_score),
        evidence: Set(audit.evidence.clone()),
        llm_proposed_score: Set(audit.llm_proposed_score),
        llm_adjustment: Set(audit.llm_adjustment),
        adjustment_reason: Set(audit.adjustment_reason.clone()),
        structured_output: Set(audit.structured_output.clone()),
        stage: Set(if audit.provisional {
            "provisional"
        } else {
            "final"
        }
        .to_owned()),
        ..Default::default()
    }
}
