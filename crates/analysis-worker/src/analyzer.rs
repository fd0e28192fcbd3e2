//! A batch through judgement: gather context, ask the LLM (or the rule-based scorer),
//! write the event, announce it, raise alerts.

use crate::context::{gather, BatchInput, Context, ContextError};
use crate::evidence::{self, Evidence};
use crate::judges::{Judges, Pending};
use crate::llm::structured::ReplyBounds;
use crate::llm::LlmClient;
use crate::prompt::{self, Prompt};
use crate::settings::AnalysisSettings;
use crate::store::{self, AuditFacts, Verdict, Written};
use crate::vision::{self, PromptImage};
use chrono::Utc;
use hsi_alerts::{AlertEngine, CreatedAlert};
use hsi_db::entities::events;
use hsi_proto::v1::{BatchMessage, EventMessage, MessageMeta, TraceContext};
use hsi_queue::{trace, Delivery, HandlerError, Producer, RedisPool};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, TransactionTrait};
use std::sync::Arc;
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Everything a judgement needs; shared by the consumer and the gRPC API.
#[derive(Debug)]
pub struct Analyzer {
    pub db: DatabaseConnection,
    pub llm: LlmClient,
    pub settings: AnalysisSettings,
    pub timezone: chrono_tz::Tz,
    pub producer: Producer<EventMessage>,
    pub redis: RedisPool,
    pub key_prefix: String,
    pub alerts: AlertEngine,
    /// The judges of fast-path events, once [`Analyzer::start_judges`] ran (the worker
    /// does); without them, the consumer judges both stages itself.
    pub judges: std::sync::OnceLock<Arc<Judges>>,
}

/// Why a batch or an event could not be judged.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error("database: {0}")]
    Database(#[from] DbErr),
    #[error("event {0} does not exist")]
    NoEvent(i64),
}

impl Analyzer {
    /// Handles one delivery from the batches stream.
    pub async fn handle(&self, delivery: Delivery<BatchMessage>) -> Result<(), HandlerError> {
        let batch = delivery.message;
        if batch.batch_id.is_empty() || batch.camera_id.is_empty() {
            return Err(HandlerError::Permanent(
                "batch message without a batch id or camera".to_owned(),
            ));
        }
        // The judgement's span, a child of the aggregator's `batch` span; the alerts it
        // raises, their deliveries and the event message all hang off it.
        let span = tracing::info_span!(
            "event",
            batch_id = %batch.batch_id,
            camera_id = %batch.camera_id,
            fast_path = batch.is_fast_path,
            event_id = tracing::field::Empty,
            score = tracing::field::Empty,
            alerts = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        let parent = batch.meta.as_ref().and_then(|m| m.trace.as_ref());
        let span = trace::span_with_parent(span, parent);
        let handled = self
            .judge_batch(batch, span.clone())
            .instrument(span.clone())
            .await;
        span.record("outcome", trace::outcome(&handled));
        handled
    }

    async fn judge_batch(
        &self,
        batch: BatchMessage,
        span: tracing::Span,
    ) -> Result<(), HandlerError> {
        let started = Instant::now();
        // What stage two and the event message continue from: this span when spans are
        // exported, else the batch's trace.
        let parent = batch.meta.as_ref().and_then(|m| m.trace.as_ref());
        let parent = Some(trace::outgoing(parent));
        let mut input = BatchInput {
            batch_id: batch.batch_id.clone(),
            camera_id: batch.camera_id.clone(),
            detection_ids: batch
                .detection_ids
                .iter()
                .filter_map(|id| i32::try_from(*id).ok())
                .collect(),
            is_fast_path: batch.is_fast_path,
            skip_judged: true,
        };
        // A redelivered batch: the event and its alerts were committed together; only
        // the announcement may not have gone out, or, for a fast-path event written
        // before its judgement, the judgement itself.
        if let Some(event) = store::event_of_batch(&self.db, &input.batch_id)
            .await
            .map_err(retry)?
        {
            input.skip_judged = false;
            span.record("event_id", event.id);
            let context = self.gather(&input).await.map_err(context_failure)?;
            let (is_fallback, provisional) =
                store::judged_how(&self.db, event.id).await.map_err(retry)?;
            if provisional {
                tracing::info!(parent: &span, event = event.id, "fast-path event written before its judgement; judging it now");
                return self
                    .judge_later(Box::new(Pending {
                        event,
                        context,
                        parent,
                        started,
                    }))
                    .await;
            }
            tracing::info!(parent: &span, event = event.id, "batch already judged, announcing its event again");
            return self.announce(&event, &context, parent, is_fallback).await;
        }
        let context = match self.gather(&input).await {
            Ok(context) => context,
            Err(ContextError::AllJudged(count)) => {
                tracing::info!(parent: &span, detections = count, "every detection of this batch is in another event already; nothing to judge");
                return Ok(());
            }
            Err(err) => return Err(context_failure(err)),
        };
        if input.is_fast_path && self.settings.two_stage {
            // Stage one: the event on its evidence, and the alerts of the rules that fire
            // on the fast path, delivered before the LLM is asked anything.
            let verdict = self.provisional(&context);
            let judged_at = judged_now(&batch);
            let (event, alerts) = self.commit(&context, &verdict).await?;
            record_on_span(&span, &event, &alerts);
            record_alerted(&alerts, judged_at, &context);
            tracing::info!(parent: &span, event = event.id, score = verdict.score, level = %verdict.level, alerts = alerts.len(), "fast-path event written on its evidence; judging it next");
            self.alerts.deliver(&alerts).await;
            return self
                .judge_later(Box::new(Pending {
                    event,
                    context,
                    parent,
                    started,
                }))
                .await;
        }
        let verdict = self
            .judge_inline(&context)
            .await
            .map_err(|err| HandlerError::Retry(err.to_string()))?;
        let judged_at = judged_now(&batch);
        let (event, alerts) = self.commit(&context, &verdict).await?;
        record_on_span(&span, &event, &alerts);
        record_judgement(&verdict, started);
        record_alerted(&alerts, judged_at, &context);
        tracing::info!(parent: &span, event = event.id, score = verdict.score, level = %verdict.level, fallback = verdict.audit.is_fallback, alerts = alerts.len(), "event written");
        self.alerts.deliver(&alerts).await;
        self.announce(&event, &context, parent, verdict.audit.is_fallback)
            .await
    }

    /// Starts the judges of fast-path events and their sweep (see `judges`).
    pub fn start_judges(self: &Arc<Self>, shutdown: &CancellationToken) -> Arc<Judges> {
        let judges = crate::judges::start(self, shutdown);
        let _ = self.judges.set(judges.clone());
        judges
    }

    /// Hands stage two to the judges, or does it now when there are none or their
    /// queue is full.
    async fn judge_later(&self, pending: Box<Pending>) -> Result<(), HandlerError> {
        let pending = match self.judges.get() {
            Some(judges) => match judges.offer(pending) {
                Ok(()) => return Ok(()),
                Err(pending) => {
                    tracing::warn!(
                        event = pending.event.id,
                        "judgement queue full; judging while the stream waits"
                    );
                    pending
                }
            },
            None => pending,
        };
        self.finish(
            &pending.event,
            &pending.context,
            pending.parent,
            pending.started,
        )
        .await
    }

    /// Stage two of a fast-path event: the judgement rewrites the event, and its
    /// provisional alerts are revised (and other rules' alerts raised) in the same
    /// transaction, unless another worker judged it meanwhile.
    pub(crate) async fn finish(
        &self,
        event: &events::Model,
        context: &Context,
        parent: Option<TraceContext>,
        started: Instant,
    ) -> Result<(), HandlerError> {
        // A child of stage one's `event` span (its context travels in `parent`).
        let span = tracing::info_span!(
            "judgement",
            event_id = event.id,
            camera_id = %event.camera_id,
            score = tracing::field::Empty,
            alerts = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        let span = trace::span_with_parent(span, parent.as_ref());
        let finished = self
            .finish_in_span(event, context, parent, started, &span)
            .instrument(span.clone())
            .await;
        span.record("outcome", trace::outcome(&finished));
        finished
    }

    async fn finish_in_span(
        &self,
        event: &events::Model,
        context: &Context,
        parent: Option<TraceContext>,
        started: Instant,
        span: &tracing::Span,
    ) -> Result<(), HandlerError> {
        if !store::judged_how(&self.db, event.id)
            .await
            .map_err(retry)?
            .1
        {
            return Ok(()); // judged already (another worker's sweep, a redelivery)
        }
        let verdict = self
            .judge(context)
            .await
            .map_err(|err| HandlerError::Retry(err.to_string()))?;
        let judged_at = hsi_core::pipeline_metrics::now_ms();
        let tx = self.db.begin().await.map_err(retry)?;
        if !store::lock_provisional(&tx, event.id)
            .await
            .map_err(retry)?
        {
            tx.rollback().await.map_err(retry)?;
            tracing::info!(
                event = event.id,
                "event judged by another worker meanwhile; this judgement is dropped"
            );
            return Ok(());
        }
        let event = store::rewrite_verdict_in(&tx, event.id, context, &verdict)
            .await
            .map_err(retry)?;
        let facts = crate::alerting::facts(&event, context);
        let summary = event.summary.clone().unwrap_or_default();
        let alerts = match self.alerts.on_event_in(&tx, &facts, &summary).await {
            Ok(alerts) => alerts,
            Err(err) => {
                let _ = tx.rollback().await;
                return Err(HandlerError::Retry(format!("raising alerts failed: {err}")));
            }
        };
        tx.commit().await.map_err(retry)?;
        span.record("score", verdict.score);
        span.record("alerts", alerts.len());
        record_judgement(&verdict, started);
        record_alerted(&alerts, judged_at, context);
        tracing::info!(event = event.id, score = verdict.score, level = %verdict.level, fallback = verdict.audit.is_fallback, alerts = alerts.len(), "fast-path event judged");
        self.alerts.deliver(&alerts).await;
        self.announce(&event, context, parent, verdict.audit.is_fallback)
            .await
    }

    async fn gather(&self, input: &BatchInput) -> Result<Context, ContextError> {
        gather(
            &self.db,
            input,
            Utc::now(),
            self.settings.cross_camera_window_secs,
        )
        .await
    }

    /// Writes the event, its links, its audit and its alerts in one transaction: for a
    /// provisional verdict, only the alerts of rules that fire on the fast path.
    async fn commit(
        &self,
        context: &Context,
        verdict: &Verdict,
    ) -> Result<(events::Model, Vec<CreatedAlert>), HandlerError> {
        let tx = self.db.begin().await.map_err(retry)?;
        let event = match store::write_event(&tx, context, verdict)
            .await
            .map_err(retry)?
        {
            Written::Created(event) => *event,
            Written::Exists => {
                // Judged by another delivery of the same batch meanwhile.
                tx.rollback().await.map_err(retry)?;
                return Err(HandlerError::Retry(
                    "the batch was judged concurrently; announcing that event".to_owned(),
                ));
            }
            Written::DetectionsTaken { expected, linked } => {
                tx.rollback().await.map_err(retry)?;
                return Err(HandlerError::Retry(format!(
                    "only {linked} of {expected} detections were still unjudged; judging the rest again"
                )));
            }
        };
        let facts = crate::alerting::facts(&event, context);
        let summary = event.summary.clone().unwrap_or_default();
        let raised = if verdict.audit.provisional {
            self.alerts.on_provisional_in(&tx, &facts, &summary).await
        } else {
            self.alerts.on_event_in(&tx, &facts, &summary).await
        };
        let alerts = match raised {
            Ok(alerts) => alerts,
            Err(err) => {
                let _ = tx.rollback().await;
                return Err(HandlerError::Retry(format!("raising alerts failed: {err}")));
            }
        };
        tx.commit().await.map_err(retry)?;
        Ok((event, alerts))
    }

    /// The range the LLM may move `evidence` within.
    fn bounds(&self, evidence: &Evidence) -> ReplyBounds {
        let max = i64::from(self.llm.settings().max_adjustment);
        ReplyBounds {
            min_score: (evidence.score - max).max(0),
            max_score: (evidence.score + max).min(100),
        }
    }

    /// The prompt for `context`, with the configuration in force (without pictures).
    pub async fn prompt(&self, context: &Context) -> Result<Prompt, DbErr> {
        let evidence = evidence::assess(context, self.timezone);
        self.prompt_for(context, &evidence, self.bounds(&evidence))
            .await
    }

    async fn prompt_for(
        &self,
        context: &Context,
        evidence: &Evidence,
        bounds: ReplyBounds,
    ) -> Result<Prompt, DbErr> {
        let config = prompt::load_config(&self.db, &self.settings.prompt_model).await?;
        Ok(prompt::build(
            context,
            config,
            self.settings.max_detections_in_prompt,
            self.timezone,
            evidence,
            bounds,
        ))
    }

    /// The pictures of `context` for a vision model, when `llm.vision` is on.
    async fn pictures(&self, context: &Context) -> Vec<PromptImage> {
        let llm = self.llm.settings();
        if !llm.vision {
            return Vec::new();
        }
        let limits = vision::Limits {
            max_images: llm.vision_max_images,
            max_bytes: llm.vision_max_bytes,
            max_side: llm.vision_max_side,
        };
        let context = context.clone();
        tokio::task::spawn_blocking(move || vision::collect(&context, limits))
            .await
            .unwrap_or_default()
    }

    /// A fast-path event's verdict before its judgement: the evidence alone.
    fn provisional(&self, context: &Context) -> Verdict {
        let evidence = evidence::assess(context, self.timezone);
        let level = self.level(evidence.score);
        Verdict {
            score: evidence.score as i32,
            level,
            summary: evidence.summary.clone(),
            reasoning: format!(
                "Provisional, awaiting the judgement. {}",
                evidence.reasoning()
            ),
            audit: AuditFacts {
                evidence_score: Some(evidence.score as i32),
                evidence: Some(evidence_json(&evidence)),
                provisional: true,
                ..AuditFacts::default()
            },
        }
    }

    fn level(&self, score: i64) -> hsi_core::Severity {
        self.settings
            .severity
            .classify(score)
            .unwrap_or(hsi_core::Severity::Critical)
    }

    /// [`Analyzer::judge`] while the consumer waits: when the LLM is already busy with
    /// `llm.max_waiting` calls, the evidence score judges at once instead.
    async fn judge_inline(&self, context: &Context) -> Result<Verdict, DbErr> {
        let max = self.llm.settings().max_waiting;
        let busy = self.llm.in_flight();
        if max > 0 && busy >= max {
            metrics::counter!("hsi_judgements_skipped_total", "reason" => "llm_busy").increment(1);
            let failure = crate::llm::LlmFailure {
                reason: format!(
                    "the llm was busy with {busy} judgement(s) (llm.max_waiting = {max}); judged on the evidence so the stream does not wait"
                ),
                attempts: 0,
            };
            let evidence = evidence::assess(context, self.timezone);
            let mut audit = AuditFacts {
                evidence_score: Some(evidence.score as i32),
                evidence: Some(evidence_json(&evidence)),
                ..AuditFacts::default()
            };
            return Ok(self.fall_back(&evidence, failure, &mut audit));
        }
        self.judge(context).await
    }

    /// Judges a context: the evidence score, moved by the LLM within
    /// `llm.max_adjustment` when a valid answer comes (its summary and reasoning kept),
    /// else the evidence alone; with the audit facts of how it was reached.
    pub async fn judge(&self, context: &Context) -> Result<Verdict, DbErr> {
        let evidence = evidence::assess(context, self.timezone);
        let bounds = self.bounds(&evidence);
        let mut prompt = self.prompt_for(context, &evidence, bounds).await?;
        prompt.images = self.pictures(context).await;
        let mut audit = AuditFacts {
            prompt_version: Some(prompt.config.version),
            prompt_length: i32::try_from(prompt.length()).unwrap_or(i32::MAX),
            prompt_token_estimate: i32::try_from(prompt.token_estimate()).unwrap_or(i32::MAX),
            evidence_score: Some(evidence.score as i32),
            evidence: Some(evidence_json(&evidence)),
            ..AuditFacts::default()
        };
        match self.llm.judge(&prompt, bounds).await {
            Ok(judgement) => {
                let answer = judgement.answer;
                let max = i64::from(self.llm.settings().max_adjustment);
                let proposed = answer.score;
                let adjustment = (proposed - evidence.score).clamp(-max, max);
                let score = (evidence.score + adjustment).clamp(0, 100);
                let level = self.level(score);
                if let Some(claimed) = answer
                    .claimed_level
                    .as_deref()
                    .filter(|claimed| *claimed != level.as_str())
                {
                    metrics::counter!("hsi_llm_level_mismatch_total").increment(1);
                    tracing::warn!(%claimed, derived = %level, score, "llm wrote a risk level that does not match the score; using the score");
                }
                if adjustment != proposed - evidence.score {
                    metrics::counter!("hsi_llm_adjustments_bounded_total").increment(1);
                    tracing::warn!(
                        proposed,
                        evidence = evidence.score,
                        adjustment,
                        max,
                        "llm proposed a score beyond its bound; bounded"
                    );
                }
                let why: String = answer.reasoning.chars().take(300).collect();
                audit.adjustment_reason = Some(format!(
                    "the llm proposed {proposed} against the evidence score {}; {adjustment:+} applied (bound ±{max}){}{why}",
                    evidence.score,
                    if why.is_empty() { "" } else { ": " },
                ));
                audit.llm_proposed_score = Some(proposed as i32);
                audit.llm_adjustment = Some(adjustment as i32);
                audit.structured_output = Some(judgement.structured_output);
                audit.model = Some(judgement.model);
                audit.latency_ms =
                    Some(i32::try_from(judgement.latency.as_millis()).unwrap_or(i32::MAX));
                audit.prompt_tokens = judgement.prompt_tokens;
                audit.completion_tokens = judgement.completion_tokens;
                let reasoning = format!(
                    "{}\n\n{} LLM adjustment {adjustment:+}.",
                    answer.reasoning,
                    evidence.reasoning()
                );
                let summary = if grounded(&answer.summary, context) {
                    answer.summary
                } else {
                    // A summary that names nothing that was seen is a hallucination; the
                    // home owner gets the facts instead.
                    metrics::counter!("hsi_llm_summaries_replaced_total").increment(1);
                    tracing::warn!(summary = %answer.summary, "llm summary names nothing that was seen; using the evidence summary");
                    if let Some(reason) = audit.adjustment_reason.as_mut() {
                        reason.push_str(
                            " (its summary named nothing that was seen and was replaced)",
                        );
                    }
                    evidence.summary.clone()
                };
                Ok(Verdict {
                    score: score as i32,
                    level,
                    summary,
                    reasoning: reasoning.trim().to_owned(),
                    audit,
                })
            }
            Err(failure) => Ok(self.fall_back(&evidence, failure, &mut audit)),
        }
    }

    /// The verdict of the evidence alone, when no LLM judgement came.
    fn fall_back(
        &self,
        evidence: &Evidence,
        failure: crate::llm::LlmFailure,
        audit: &mut AuditFacts,
    ) -> Verdict {
        tracing::warn!(reason = %failure, score = evidence.score, "no llm judgement, using the evidence score");
        audit.is_fallback = true;
        audit.fallback_reason = Some(failure.to_string());
        audit.model = Some(format!("rule-based (llm {} failed)", self.llm.model()));
        Verdict {
            score: evidence.score as i32,
            level: self.level(evidence.score),
            summary: evidence.summary.clone(),
            reasoning: format!(
                "Rule-based score (no LLM judgement). {}",
                evidence.reasoning()
            ),
            audit: audit.clone(),
        }
    }

    /// Judges an existing event again and rewrites its verdict.
    pub async fn reanalyze(
        &self,
        event_id: i64,
    ) -> Result<(events::Model, Verdict), AnalysisError> {
        let id = i32::try_from(event_id).map_err(|_| AnalysisError::NoEvent(event_id))?;
        let event = events::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(AnalysisError::NoEvent(event_id))?;
        let input = crate::context::input_of(&self.db, &event).await?;
        let context = gather(
            &self.db,
            &input,
            event.started_at,
            self.settings.cross_camera_window_secs,
        )
        .await?;
        let verdict = self.judge(&context).await?;
        let event = store::rewrite_verdict(&self.db, id, &context, &verdict).await?;
        Ok((event, verdict))
    }

    /// Publishes the event on the events stream and the live channel. The stream is
    /// trimmed, never full, so nobody reading it (or nobody at all) can hold this up.
    async fn announce(
        &self,
        event: &events::Model,
        context: &Context,
        parent: Option<TraceContext>,
        is_fallback: bool,
    ) -> Result<(), HandlerError> {
        let message = event_message(event, context, parent.as_ref(), is_fallback);
        let live = serde_json::json!({
            "event_id": event.id,
            "batch_id": event.batch_id,
            "camera_id": event.camera_id,
            "risk_score": event.risk_score,
            "risk_level": event.risk_level,
            "summary": event.summary,
            "is_fast_path": event.is_fast_path,
            "is_fallback": is_fallback,
            "object_types": context.object_types(),
            "started_at": event.started_at,
        });
        self.producer
            .publish(message)
            .await
            .map_err(|err| HandlerError::Retry(format!("publishing the event failed: {err}")))?;
        let channel = format!("{}{}", self.key_prefix, self.settings.events_channel);
        let published: Result<i64, _> = async {
            let mut conn = self.redis.get().await.map_err(|err| err.to_string())?;
            redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(live.to_string())
                .query_async(&mut *conn)
                .await
                .map_err(|err| err.to_string())
        }
        .await;
        if let Err(err) = published {
            // Live subscribers are a convenience; PostgreSQL is the record.
            tracing::warn!(%channel, error = %err, "could not announce the event to live subscribers");
        }
        Ok(())
    }
}

fn event_message(
    event: &events::Model,
    context: &Context,
    parent: Option<&TraceContext>,
    is_fallback: bool,
) -> EventMessage {
    EventMessage {
        meta: Some(MessageMeta {
            trace: Some(trace::outgoing(parent)),
            ..MessageMeta::default()
        }),
        event_id: i64::from(event.id),
        batch_id: event.batch_id.clone(),
        camera_id: event.camera_id.clone(),
        risk_score: event.risk_score.unwrap_or_default(),
        risk_level: event.risk_level.clone().unwrap_or_default(),
        summary: event.summary.clone().unwrap_or_default(),
        is_fast_path: event.is_fast_path,
        started_at_ms: event.started_at.timestamp_millis(),
        object_types: context.object_types(),
        detection_count: i32::try_from(context.detections.len()).unwrap_or(i32::MAX),
        is_fallback,
    }
}

/// Words that name what a detector class is, by class group.
const CLASS_WORDS: &[(&[&str], &[&str])] = &[
    (
        &["person"],
        &[
            "person",
            "people",
            "someone",
            "man",
            "woman",
            "visitor",
            "intruder",
            "individual",
            "stranger",
        ],
    ),
    (
        &["car", "truck", "bus", "motorcycle"],
        &[
            "car",
            "truck",
            "bus",
            "motorcycle",
            "vehicle",
            "van",
            "lorry",
        ],
    ),
    (&["bicycle"], &["bicycle", "bike", "cyclist"]),
    (&["dog"], &["dog", "puppy"]),
    (&["cat"], &["cat", "kitten"]),
    (&["bird"], &["bird"]),
    (&["horse"], &["horse"]),
];

/// Whether a summary is about the batch: it names a class that was seen (or a word for
/// it), the camera or a zone, and no class that was not seen. A notification that says
/// "a dog" when a person stood at the door is worse than none.
fn grounded(summary: &str, context: &Context) -> bool {
    let lower = summary.to_lowercase();
    let words: std::collections::HashSet<&str> = lower
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(|w| {
            // Plurals: "cars", "dogs", "horses" (short words like "bus" stay).
            if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
                &w[..w.len() - 1]
            } else {
                w
            }
        })
        .collect();
    let seen = context.object_types();
    let mut names_seen = false;
    for (classes, names) in CLASS_WORDS {
        let mentioned = names.iter().any(|name| words.contains(name));
        let was_seen = classes.iter().any(|c| seen.iter().any(|s| s == c));
        if mentioned && !was_seen {
            return false;
        }
        names_seen |= mentioned && was_seen;
    }
    let places = context
        .detections
        .iter()
        .flat_map(|d| d.zones.iter().map(|z| z.name.to_lowercase()))
        .chain([context.camera_name.to_lowercase()]);
    names_seen
        || seen.iter().any(|class| words.contains(class.as_str()))
        || places
            .filter(|place| !place.trim().is_empty())
            .any(|place| lower.contains(&place))
}

fn evidence_json(evidence: &Evidence) -> serde_json::Value {
    serde_json::json!({
        "score": evidence.score,
        "log_odds": (evidence.log_odds * 100.0).round() / 100.0,
        "factors": evidence.factors,
    })
}

fn record_judgement(verdict: &Verdict, started: Instant) {
    let fallback = verdict.audit.is_fallback.to_string();
    metrics::histogram!("hsi_analysis_seconds", "fallback" => fallback.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("hsi_events_total", "level" => verdict.level.as_str(), "fallback" => fallback.clone()).increment(1);
    metrics::counter!("hsi_judgements_total", "outcome" => if verdict.audit.is_fallback { "fallback" } else { "llm" }).increment(1);
}

/// Notes the batch's verdict as reached now (the `judged` stage, from the batch's
/// publication); answers the time, from which the `alerted` stage is measured.
fn judged_now(batch: &BatchMessage) -> i64 {
    let now = hsi_core::pipeline_metrics::now_ms();
    hsi_core::pipeline_metrics::observe_stage(
        hsi_core::pipeline_metrics::Stage::Judged,
        batch.meta.as_ref().map_or(0, |meta| meta.enqueued_at_ms),
        now,
    );
    now
}

/// Notes the new alerts as raised now (committed with their event): the `alerted`
/// stage from the verdict, and the end-to-end time from the earliest file's landing
/// (the event starts at its first detection, which carries the landing time). A
/// revision of a fast-path alert is not a new alert and is not counted again.
fn record_alerted(alerts: &[CreatedAlert], judged_at_ms: i64, context: &Context) {
    use hsi_core::pipeline_metrics::{observe_end_to_end, observe_stage, Stage, Until};
    let now = hsi_core::pipeline_metrics::now_ms();
    for _ in alerts.iter().filter(|alert| alert.revision == 1) {
        observe_stage(Stage::Alerted, judged_at_ms, now);
        observe_end_to_end(Until::Alerted, context.started_at.timestamp_millis(), now);
    }
}

/// What the judgement wrote, on its span.
fn record_on_span(span: &tracing::Span, event: &events::Model, alerts: &[CreatedAlert]) {
    span.record("event_id", event.id);
    span.record("score", event.risk_score.unwrap_or_default());
    span.record("alerts", alerts.len());
}

fn retry(err: DbErr) -> HandlerError {
    HandlerError::Retry(format!("database: {err}"))
}

fn context_failure(err: ContextError) -> HandlerError {
    match err {
        ContextError::Database(err) => retry(err),
        // The camera or every detection was deleted: judging it again cannot succeed.
        other => HandlerError::Permanent(other.to_string()),
    }
}
