//! The engine the analysis worker calls when it writes each event.

use crate::delivery::Deliverer;
use crate::error::AlertError;
use crate::evaluate::evaluate;
use crate::explain::alert_dedup_key;
use crate::facts::EventFacts;
use crate::outbox::Outbox;
use crate::record::{self, Candidate, CreatedAlert, Judged, Recorded};
use crate::rule::AlertRule;
use crate::settings::AlertSettings;
use crate::ssrf::GuardedResolver;
use crate::store;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Evaluates alert rules against events, records alerts and delivers them through the
/// outbox. Cheap to clone; clones share the rule cache and the deliveries.
#[derive(Debug, Clone)]
pub struct AlertEngine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: DatabaseConnection,
    outbox: Outbox,
    settings: AlertSettings,
    rules: Mutex<RuleCache>,
}

#[derive(Debug, Default)]
struct RuleCache {
    loaded_at: Option<Instant>,
    rules: Arc<Vec<AlertRule>>,
    /// Malformed rules already logged, by id and version, so a bad rule is reported
    /// once per edit rather than at every reload.
    reported: HashSet<(Uuid, DateTime<Utc>)>,
}

impl AlertEngine {
    /// Builds an engine on the analysis worker's database connection.
    pub fn new(db: DatabaseConnection, settings: AlertSettings) -> Result<Self, AlertError> {
        settings.validate("alerts")?;
        let http = http_client(&settings)?;
        let inner = Inner {
            outbox: Outbox::new(Deliverer {
                db: db.clone(),
                http,
                settings: settings.clone(),
            }),
            db,
            settings,
            rules: Mutex::new(RuleCache::default()),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Raises the alerts an event calls for, in a transaction of its own, and starts
    /// delivering them once committed (see [`AlertEngine::drain`]).
    ///
    /// Safe to call again for the same event: a rule never alerts twice for one event.
    pub async fn on_event(
        &self,
        facts: &EventFacts,
        summary: &str,
    ) -> Result<Vec<CreatedAlert>, AlertError> {
        let txn = self
            .inner
            .db
            .begin()
            .await
            .map_err(AlertError::db("starting an alert transaction"))?;
        let created = self.on_event_in(&txn, facts, summary).await?;
        txn.commit()
            .await
            .map_err(AlertError::db("committing alerts"))?;
        self.deliver(&created).await;
        Ok(created)
    }

    /// Raises the alerts an event calls for inside the caller's transaction (the one
    /// that writes the event, so the event and its alerts commit together). Nothing is
    /// delivered until the caller has committed and called [`AlertEngine::deliver`];
    /// should the caller die in between, the outbox sweep delivers them.
    ///
    /// Alerts raised for the event's fast-path stage (see
    /// [`AlertEngine::on_provisional_in`]) are revised here instead: kept with the judged
    /// facts (upgraded, downgraded or confirmed) when their rule still matches, withdrawn
    /// when it does not; either way due for delivery again under the same id.
    pub async fn on_event_in(
        &self,
        txn: &impl ConnectionTrait,
        facts: &EventFacts,
        summary: &str,
    ) -> Result<Vec<CreatedAlert>, AlertError> {
        let rules = self.rules().await?;
        let all: Vec<Candidate<'_>> = rules
            .iter()
            .filter_map(|rule| candidate(rule, facts, summary, "final"))
            .collect();
        let provisional = store::provisional_alerts(txn, facts.event_id).await?;
        let mut created = Vec::new();
        let mut candidates = Vec::with_capacity(all.len());
        for candidate in all {
            match provisional
                .iter()
                .find(|p| p.rule_id == Some(candidate.rule.id))
            {
                Some(alert) => {
                    let revised =
                        record::revise(txn, alert, facts, summary, Judged::Kept(&candidate))
                            .await?;
                    log_revision(facts, &revised);
                    created.push(revised);
                }
                None => candidates.push(candidate),
            }
        }
        for alert in &provisional {
            if created.iter().any(|c| c.id == alert.id) {
                continue;
            }
            let reason = match rules.iter().find(|r| Some(r.id) == alert.rule_id) {
                Some(rule) => match evaluate(rule, facts) {
                    Err(mismatch) => format!(
                        "the judged event no longer matches the rule: {} (risk score {})",
                        mismatch.as_str(),
                        facts.risk_score
                    ),
                    Ok(_) => "the judged event no longer matches the rule".to_owned(),
                },
                None => "the rule was disabled or deleted before the judgement".to_owned(),
            };
            let revised =
                record::revise(txn, alert, facts, summary, Judged::Withdrawn { reason }).await?;
            log_revision(facts, &revised);
            created.push(revised);
        }
        created.extend(record_candidates(txn, facts, &candidates).await?);
        Ok(created)
    }

    /// Raises, inside the caller's transaction, the alerts of the rules that fire on the
    /// fast path (`fire_on_fast_path`), from a fast-path event's provisional facts (its
    /// evidence score, before any LLM). Each is revised by [`AlertEngine::on_event_in`]
    /// when the judgement arrives.
    pub async fn on_provisional_in(
        &self,
        txn: &impl ConnectionTrait,
        facts: &EventFacts,
        summary: &str,
    ) -> Result<Vec<CreatedAlert>, AlertError> {
        let rules = self.rules().await?;
        let candidates: Vec<Candidate<'_>> = rules
            .iter()
            .filter(|rule| rule.fire_on_fast_path)
            .filter_map(|rule| candidate(rule, facts, summary, "provisional"))
            .collect();
        record_candidates(txn, facts, &candidates).await
    }

    /// Starts delivering committed alerts now. Those it cannot take at once (every
    /// delivery slot busy, or the database unreachable) stay due, and the outbox sweep
    /// delivers them.
    pub async fn deliver(&self, created: &[CreatedAlert]) {
        let ids: Vec<Uuid> = created
            .iter()
            .filter(|alert| alert.channels > 0)
            .map(|alert| alert.id)
            .collect();
        if ids.is_empty() {
            return;
        }
        match self.inner.outbox.deliver_due(Some(&ids)).await {
            Ok(started) if started < ids.len() => self.inner.outbox.wake(),
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %err, "cannot start alert deliveries now; the outbox sweep will");
                self.inner.outbox.wake();
            }
        }
    }

    /// Runs the outbox sweep until `shutdown`: deliveries due after a back-off, and those
    /// a crashed worker left behind.
    pub fn spawn_outbox(&self, shutdown: CancellationToken) -> JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move { engine.inner.outbox.run(shutdown).await })
    }

    /// One sweep of the outbox: starts delivering every alert due now; returns how many.
    pub async fn sweep_outbox(&self) -> Result<usize, AlertError> {
        self.inner.outbox.deliver_due(None).await
    }

    /// Waits until every delivery started so far has finished (for tests and shutdown);
    /// call it from one place at a time.
    pub async fn drain(&self) {
        let deliveries = &self.inner.outbox.tracker;
        deliveries.close();
        deliveries.wait().await;
        deliveries.reopen();
    }

    /// [`AlertEngine::drain`], giving up after `limit`: deliveries still running keep
    /// their lease until it lapses, and the sweep of another worker finishes them.
    pub async fn drain_within(&self, limit: Duration) -> bool {
        tokio::time::timeout(limit, self.drain()).await.is_ok()
    }

    /// Makes the next event read the rules again (after the gateway changed them).
    pub async fn invalidate_rules(&self) {
        self.inner.rules.lock().await.loaded_at = None;
    }

    /// The enabled rules, read again once the cache is older than `rules_cache_secs`.
    async fn rules(&self) -> Result<Arc<Vec<AlertRule>>, AlertError> {
        let mut cache = self.inner.rules.lock().await;
        let fresh = cache
            .loaded_at
            .is_some_and(|at| at.elapsed() < self.inner.settings.rules_cache());
        if fresh {
            return Ok(Arc::clone(&cache.rules));
        }
        let models = store::load_enabled_rules(&self.inner.db).await?;
        let mut rules = Vec::with_capacity(models.len());
        for model in &models {
            match AlertRule::from_model(model) {
                Ok(rule) => rules.push(rule),
                Err(err) if cache.reported.insert((model.id, model.updated_at)) => {
                    tracing::warn!(rule_id = %model.id, rule_name = %model.name, field = %err.field, error = %err, "malformed alert rule skipped");
                }
                Err(_) => {}
            }
        }
        cache.rules = Arc::new(rules);
        cache.loaded_at = Some(Instant::now());
        Ok(Arc::clone(&cache.rules))
    }
}

/// The alert a rule would raise for the event, if it matches.
fn candidate<'a>(
    rule: &'a AlertRule,
    facts: &'a EventFacts,
    summary: &'a str,
    stage: &'static str,
) -> Option<Candidate<'a>> {
    let matched = match evaluate(rule, facts) {
        Ok(matched) => matched,
        Err(mismatch) => {
            tracing::debug!(event_id = facts.event_id, rule_id = %rule.id, reason = mismatch.as_str(), "alert rule did not match");
            return None;
        }
    };
    let dedup_key = alert_dedup_key(rule, facts, &matched);
    Some(Candidate {
        rule,
        facts,
        matched,
        dedup_key,
        summary,
        stage,
    })
}

/// Records the candidates' alerts (see `record`), logging and counting each outcome.
async fn record_candidates(
    txn: &impl ConnectionTrait,
    facts: &EventFacts,
    candidates: &[Candidate<'_>],
) -> Result<Vec<CreatedAlert>, AlertError> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let recorded = record::record_all(txn, candidates).await?;
    let mut created = Vec::new();
    for (candidate, outcome) in candidates.iter().zip(recorded) {
        let rule = candidate.rule;
        match outcome {
            Recorded::Created(alert) => {
                metrics::counter!("hsi_alerts_created_total", "severity" => alert.severity.as_str())
                    .increment(1);
                tracing::info!(event_id = facts.event_id, rule_id = %rule.id, alert_id = %alert.id, severity = %alert.severity, dedup_key = %alert.dedup_key, stage = candidate.stage, "alert created");
                created.push(alert);
            }
            Recorded::Duplicate => {
                metrics::counter!("hsi_alerts_suppressed_total", "reason" => "duplicate")
                    .increment(1);
                tracing::debug!(event_id = facts.event_id, rule_id = %rule.id, "rule already alerted for this event");
            }
            Recorded::Cooldown { held_by } => {
                metrics::counter!("hsi_alerts_suppressed_total", "reason" => "cooldown")
                    .increment(1);
                tracing::info!(event_id = facts.event_id, rule_id = %rule.id, held_by, "alert suppressed by cooldown");
            }
        }
    }
    Ok(created)
}

fn log_revision(facts: &EventFacts, revised: &CreatedAlert) {
    let change = revised.change.as_deref().unwrap_or("confirmed");
    metrics::counter!("hsi_alert_revisions_total", "change" => change.to_owned()).increment(1);
    tracing::info!(event_id = facts.event_id, alert_id = %revised.id, revision = revised.revision, change, risk_score = facts.risk_score, risk_level = %facts.risk_level, "alert revised by the judgement");
}

/// One client for all webhooks. Redirects are not followed (a redirect could lead past
/// the SSRF guard, and a receiver has no reason to redirect), and proxies from the
/// environment are ignored so that the guard sees the real destination.
fn http_client(settings: &AlertSettings) -> Result<reqwest::Client, AlertError> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("hsi-alerts/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(settings.webhook_timeout());
    if !settings.allow_private_destinations {
        builder = builder.dns_resolver(Arc::new(GuardedResolver));
    }
    builder.build().map_err(AlertError::HttpClient)
}
