//! Judging fast-path events off the consumer's slots, so that a first alert never
//! waits behind LLM calls.
//!
//! A fast-path batch is handled in two stages: the consumer writes the event on its
//! evidence score and raises the fast-path alerts (stage one, a few milliseconds), and
//! acknowledges the batch; the judgement (stage two, seconds of LLM time) runs here, on
//! `analysis.concurrency` judges fed by a bounded queue. Nothing is lost in between:
//! the provisional event is in PostgreSQL, so a judgement that a crash or a shutdown cut
//! short is found by the sweep (provisional events older than
//! `analysis.provisional_grace_secs`) and done then, by whichever replica sees it first;
//! a judgement commits only while its event is still provisional, so two replicas can
//! never both revise it. When the queue is full, the consumer judges inline (and so
//! slows down the stream) rather than dropping anything.

use crate::analyzer::Analyzer;
use crate::context::{gather, Context};
use hsi_db::entities::events;
use hsi_proto::v1::TraceContext;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A provisional event waiting for its judgement.
#[derive(Debug)]
pub struct Pending {
    pub event: events::Model,
    pub context: Context,
    pub parent: Option<TraceContext>,
    pub started: Instant,
}

/// The running judges of one worker.
#[derive(Debug)]
pub struct Judges {
    queue: mpsc::Sender<Box<Pending>>,
    /// Events queued or being judged here (the sweep leaves them alone).
    pending: Arc<Mutex<HashSet<i32>>>,
    tracker: TaskTracker,
}

impl Judges {
    /// Queues a judgement; gives it back when the queue is full.
    pub(crate) fn offer(&self, pending: Box<Pending>) -> Result<(), Box<Pending>> {
        let id = pending.event.id;
        if !self.claim(id) {
            return Ok(()); // already queued or being judged here
        }
        match self.queue.try_send(pending) {
            Ok(()) => {
                metrics::gauge!("hsi_judgements_queued").increment(1.0);
                Ok(())
            }
            Err(
                mpsc::error::TrySendError::Full(pending)
                | mpsc::error::TrySendError::Closed(pending),
            ) => {
                self.release(id);
                Err(pending)
            }
        }
    }

    fn claim(&self, event_id: i32) -> bool {
        self.pending
            .lock()
            .map(|mut pending| pending.insert(event_id))
            .unwrap_or(false)
    }

    fn release(&self, event_id: i32) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.remove(&event_id);
        }
    }

    /// Waits until the judgements queued so far are done, at most `limit`.
    pub async fn settle(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let idle = self.pending.lock().map(|p| p.is_empty()).unwrap_or(true);
            if idle {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for the judges to stop after shutdown, at most `limit`.
    pub async fn drain_within(&self, limit: Duration) -> bool {
        self.tracker.close();
        tokio::time::timeout(limit, self.tracker.wait())
            .await
            .is_ok()
    }
}

/// Starts `analysis.concurrency` judges and the sweep of provisional events; they stop
/// at `shutdown` (a judgement in progress is finished; the queued ones are the sweep's
/// after a restart).
pub fn start(analyzer: &Arc<Analyzer>, shutdown: &CancellationToken) -> Arc<Judges> {
    let settings = &analyzer.settings;
    let (queue, receiver) = mpsc::channel(settings.judgement_queue.max(1));
    let judges = Arc::new(Judges {
        queue,
        pending: Arc::default(),
        tracker: TaskTracker::new(),
    });
    let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
    for _ in 0..settings.concurrency.max(1) {
        let (analyzer, judges_ref, receiver, shutdown) = (
            analyzer.clone(),
            judges.clone(),
            receiver.clone(),
            shutdown.clone(),
        );
        judges.tracker.spawn(async move {
            loop {
                let next = tokio::select! {
                    () = shutdown.cancelled() => None,
                    next = async { receiver.lock().await.recv().await } => next,
                };
                let Some(pending) = next else { break };
                metrics::gauge!("hsi_judgements_queued").decrement(1.0);
                let id = pending.event.id;
                if let Err(err) = analyzer.finish(&pending.event, &pending.context, pending.parent.clone(), pending.started).await {
                    // The event stays provisional; the sweep judges it again later.
                    tracing::warn!(event = id, error = ?err, "judging a provisional event failed; the sweep will retry it");
                }
                judges_ref.release(id);
            }
        });
    }
    let (analyzer, judges_ref, shutdown) = (analyzer.clone(), judges.clone(), shutdown.clone());
    let every = Duration::from_secs(analyzer.settings.provisional_sweep_secs.max(1));
    judges.tracker.spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(every) => {}
            }
            match sweep(&analyzer, &judges_ref).await {
                Ok(0) => {}
                Ok(found) => tracing::warn!(found, "provisional events left unjudged (a worker stopped between the stages); judging them now"),
                Err(err) => tracing::warn!(error = %err, "sweep of provisional events failed"),
            }
        }
    });
    judges
}

/// Queues the provisional events older than the grace period that nobody here is
/// judging; returns how many it queued.
async fn sweep(analyzer: &Analyzer, judges: &Judges) -> Result<usize, sea_orm::DbErr> {
    let rows = analyzer
        .db
        .query_all(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT a.event_id FROM event_audits a JOIN events e ON e.id = a.event_id \
             WHERE a.stage = 'provisional' AND a.audited_at < now() - make_interval(secs => $1) \
             AND e.deleted_at IS NULL ORDER BY a.audited_at LIMIT 100",
            [(analyzer.settings.provisional_grace_secs as f64).into()],
        ))
        .await?;
    let mut queued = 0;
    for row in rows {
        let id: i32 = row.try_get("", "event_id")?;
        if judges
            .pending
            .lock()
            .map(|p| p.contains(&id))
            .unwrap_or(true)
        {
            continue;
        }
        let Some(event) = events::Entity::find_by_id(id).one(&analyzer.db).await? else {
            continue;
        };
        let input = crate::context::input_of(&analyzer.db, &event).await?;
        let context = match gather(
            &analyzer.db,
            &input,
            event.started_at,
            analyzer.settings.cross_camera_window_secs,
        )
        .await
        {
            Ok(context) => context,
            Err(err) => {
                tracing::warn!(event = id, error = %err, "cannot gather a provisional event's context");
                continue;
            }
        };
        let pending = Box::new(Pending {
            event,
            context,
            parent: None,
            started: Instant::now(),
        });
        if judges.offer(pending).is_ok() {
            queued += 1;
        }
    }
    Ok(queued)
}
