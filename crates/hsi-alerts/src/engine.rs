//! The engine the analysis worker calls after writing each event.

use crate::delivery::{Deliverer, DeliveryJob};
use crate::error::AlertError;
use crate::evaluate::evaluate;
use crate::facts::EventFacts;
use crate::record::{Candidate, CreatedAlert, Recorded, Recorder};
use crate::rule::AlertRule;
use crate::settings::AlertSettings;
use crate::ssrf::GuardedResolver;
use crate::store;
use crate::template::{render_dedup_key, TemplateValues};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tokio_util::task::TaskTracker;
use tracing::Instrument;
use uuid::Uuid;

/// Evaluates alert rules against events, records alerts and delivers them in the
/// background. Cheap to clone; clones share the rule cache and the delivery tasks.
#[derive(Debug, Clone)]
pub struct AlertEngine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    recorder: Recorder,
    deliverer: Arc<Deliverer>,
    settings: AlertSettings,
    rules: Mutex<RuleCache>,
    deliveries: TaskTracker,
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
    /// Builds an engine; `key_prefix` is the deployment's Redis prefix (`redis.key_prefix`).
    pub fn new(
        db: DatabaseConnection,
        redis: deadpool_redis::Pool,
        key_prefix: String,
        settings: AlertSettings,
    ) -> Result<Self, AlertError> {
        settings.validate("alerts")?;
        let http = http_client(&settings)?;
        let inner = Inner {
            recorder: Recorder {
                db: db.clone(),
                redis,
                key_prefix,
            },
            deliverer: Arc::new(Deliverer {
                db,
                http,
                settings: settings.clone(),
            }),
            settings,
            rules: Mutex::new(RuleCache::default()),
            deliveries: TaskTracker::new(),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Raises the alerts an event calls for and returns them once they are recorded;
    /// delivery goes on in the background (see [`AlertEngine::drain`]).
    ///
    /// Safe to call again for the same event: a rule never alerts twice for one event.
    /// On an error the other rules are still tried, and the first error is returned so
    /// the caller retries the event later.
    pub async fn on_event(
        &self,
        facts: &EventFacts,
        summary: &str,
    ) -> Result<Vec<CreatedAlert>, AlertError> {
        let rules = self.rules().await?;
        let mut created = Vec::new();
        let mut first_error = None;
        for rule in rules.iter() {
            match self.consider(rule, facts, summary).await {
                Ok(Some(alert)) => created.push(alert),
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(event_id = facts.event_id, rule_id = %rule.id, error = %err, "cannot record alert");
                    first_error.get_or_insert(err);
                }
            }
        }
        match first_error {
            Some(err) => Err(err),
            None => Ok(created),
        }
    }

    /// Waits until every delivery started so far has finished (for tests and shutdown);
    /// call it from one place at a time.
    pub async fn drain(&self) {
        let deliveries = &self.inner.deliveries;
        deliveries.close();
        deliveries.wait().await;
        deliveries.reopen();
    }

    /// Makes the next event read the rules again (after the gateway changed them).
    pub async fn invalidate_rules(&self) {
        self.inner.rules.lock().await.loaded_at = None;
    }

    async fn consider(
        &self,
        rule: &AlertRule,
        facts: &EventFacts,
        summary: &str,
    ) -> Result<Option<CreatedAlert>, AlertError> {
        let matched = match evaluate(rule, facts) {
            Ok(matched) => matched,
            Err(mismatch) => {
                tracing::debug!(event_id = facts.event_id, rule_id = %rule.id, reason = mismatch.as_str(), "alert rule did not match");
                return Ok(None);
            }
        };
        let rule_id = rule.id.to_string();
        let values = TemplateValues {
            camera_id: &facts.camera_id,
            rule_id: &rule_id,
            object_type: matched.object_type.as_deref().unwrap_or_default(),
            zone_id: matched.zone_id.as_deref().unwrap_or_default(),
            severity: rule.severity.as_str(),
        };
        let candidate = Candidate {
            rule,
            facts,
            matched: &matched,
            dedup_key: render_dedup_key(&rule.dedup_key_template, &values),
            summary,
        };
        match self.inner.recorder.record(candidate).await? {
            Recorded::Created(alert, job) => {
                metrics::counter!("hsi_alerts_created_total", "severity" => alert.severity.as_str())
                    .increment(1);
                tracing::info!(event_id = facts.event_id, rule_id = %rule.id, alert_id = %alert.id, severity = %alert.severity, dedup_key = %alert.dedup_key, "alert created");
                self.spawn_delivery(*job);
                Ok(Some(alert))
            }
            Recorded::Duplicate => {
                metrics::counter!("hsi_alerts_suppressed_total", "reason" => "duplicate")
                    .increment(1);
                tracing::debug!(event_id = facts.event_id, rule_id = %rule.id, "rule already alerted for this event");
                Ok(None)
            }
            Recorded::Cooldown { held_by } => {
                metrics::counter!("hsi_alerts_suppressed_total", "reason" => "cooldown")
                    .increment(1);
                tracing::info!(event_id = facts.event_id, rule_id = %rule.id, held_by, "alert suppressed by cooldown");
                Ok(None)
            }
        }
    }

    /// An alert without channels is only a record: it stays pending, nothing is sent.
    fn spawn_delivery(&self, job: DeliveryJob) {
        if job.channels.is_empty() {
            return;
        }
        let deliverer = Arc::clone(&self.inner.deliverer);
        let span = tracing::info_span!("alert_delivery", alert_id = %job.payload.alert_id);
        self.inner
            .deliveries
            .spawn(async move { deliverer.run(job).await }.instrument(span));
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
        let models = store::load_enabled_rules(&self.inner.recorder.db).await?;
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
