//! The lesson engine: watches the cluster, evaluates a step's checks whenever
//! something it depends on changes, applies what the learner wrote, and runs
//! step actions. The CLI (`verify`, `solve`) and the TUI share it.

pub mod actor;
pub mod targets;
pub mod watch;

use std::time::Duration;

use kube::{Client, Config};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::checks::remote::{self, RemoteContext};
use crate::checks::{Outcome, Snapshot, local};
use crate::cluster::apply::{self, Applied, ApplyError, ApplyTarget};
use crate::cluster::describe;
use crate::cluster::kinds::Kinds;
use crate::lesson::Lesson;
use crate::lesson::model::{Action, Check};
use watch::{WatchEvent, Watches};

/// Changes that arrive this close together are evaluated once.
const DEBOUNCE: Duration = Duration::from_millis(15);
/// After a change, failed server-side checks are asked again a few times:
/// the API server's authorizer learns of a new RoleBinding through its own
/// informer a moment after our watch does. Bounded, and only after a change.
const SETTLE: [Duration; 3] = [
    Duration::from_millis(200),
    Duration::from_millis(800),
    Duration::from_secs(2),
];

/// Lines of a response body shown under its summary.
const BODY_LINES: usize = 40;

/// The outcome of every check of one step.
#[derive(Debug, Clone)]
pub struct StepReport {
    pub index: usize,
    pub outcomes: Vec<(Check, Outcome)>,
}

/// When to ask the server again after a change (see SETTLE), if at all.
fn settle_delay(server_check_failed: bool, settle: usize) -> Option<Duration> {
    SETTLE.get(settle).copied().filter(|_| server_check_failed)
}

impl StepReport {
    /// A check only the API server answers failed: worth asking again shortly.
    fn server_check_failed(&self) -> bool {
        self.outcomes.iter().any(|(c, o)| !o.passed && is_remote(c))
    }

    /// A step passes when all its checks pass (a step without checks passes when read).
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(|(_, o)| o.passed)
    }
}

/// What an action showed: a title and lines of text (tokens masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionOutput {
    pub title: String,
    pub lines: Vec<String>,
}

pub struct Engine {
    pub lesson: Lesson,
    client: Client,
    config: Config,
    kinds: Kinds,
    watches: Watches,
    events: mpsc::UnboundedReceiver<WatchEvent>,
}

impl Engine {
    /// Connects, discovers kinds, starts the watches and waits for their first list.
    pub async fn start(lesson: Lesson, config: Config) -> anyhow::Result<Engine> {
        let client = Client::try_from(config.clone())?;
        let kinds = Kinds::discover(&client).await.map_err(|e| {
            anyhow::anyhow!("cannot reach the API server at {}: {e}", config.cluster_url)
        })?;
        let (sender, events) = mpsc::unbounded_channel();
        let watches = Watches::start(&client, &kinds, &targets::watch_targets(&lesson), sender)
            .map_err(|e| anyhow::anyhow!("lesson {}: {e}", lesson.id))?;
        watches.ready().await;
        Ok(Engine {
            lesson,
            client,
            config,
            kinds,
            watches,
            events,
        })
    }

    pub fn namespace(&self) -> &str {
        &self.lesson.namespace
    }

    pub fn snapshot(&self) -> Snapshot {
        self.watches.snapshot()
    }

    /// Evaluates every check of step `index` against the cluster as it is now.
    pub async fn evaluate_step(&self, index: usize) -> StepReport {
        let snapshot = self.snapshot();
        let namespace = self.namespace();
        let ctx = RemoteContext {
            client: &self.client,
            config: &self.config,
            namespace,
            snapshot: &snapshot,
        };
        let mut outcomes = Vec::new();
        for check in &self.lesson.steps[index].checks {
            let outcome = match local::evaluate(check, &snapshot, namespace) {
                Some(outcome) => outcome,
                None => remote::evaluate(check, &ctx).await,
            };
            outcomes.push((check.clone(), outcome));
        }
        StepReport { index, outcomes }
    }

    /// Waits, driven by watch events, until step `index` passes or `timeout`
    /// passes; Err holds the last report.
    pub async fn wait_until_passed(
        &mut self,
        index: usize,
        timeout: Duration,
    ) -> Result<StepReport, StepReport> {
        let deadline = Instant::now() + timeout;
        let mut settle = 0;
        loop {
            let report = self.evaluate_step(index).await;
            if report.passed() {
                return Ok(report);
            }
            let recheck = settle_delay(report.server_check_failed(), settle);
            tokio::select! {
                event = self.events.recv() => {
                    let Some(event) = event else { return Err(report) };
                    self.drain_burst(event).await;
                    settle = 0;
                }
                _ = tokio::time::sleep(recheck.unwrap_or(Duration::MAX)), if recheck.is_some() => settle += 1,
                _ = tokio::time::sleep_until(deadline) => return Err(report),
            }
        }
    }

    /// Swallows the rest of a burst of events that began with `first` (an apply
    /// of three objects is one change), returning the last watch failure in it.
    async fn drain_burst(&mut self, first: WatchEvent) -> Option<String> {
        let describe = |event: WatchEvent| match event {
            WatchEvent::Error { kind, message } => Some(format!("watching {kind}: {message}")),
            WatchEvent::Changed { .. } => None,
        };
        let mut trouble = describe(first);
        while let Ok(Some(more)) = tokio::time::timeout(DEBOUNCE, self.events.recv()).await {
            trouble = describe(more).or(trouble);
        }
        trouble
    }

    /// Server-side applies `text` into the lesson namespace.
    pub async fn apply(&self, text: &str) -> Result<Vec<Applied>, ApplyError> {
        let target = ApplyTarget {
            namespace: self.namespace(),
            lesson: &self.lesson.id,
        };
        apply::apply_yaml(&self.kinds, text, &target).await
    }

    /// Runs a step's action and describes what happened.
    pub async fn run_action(&self, action: &Action) -> ActionOutput {
        let snapshot = self.snapshot();
        let ctx = RemoteContext {
            client: &self.client,
            config: &self.config,
            namespace: self.namespace(),
            snapshot: &snapshot,
        };
        match action {
            Action::Token(t) => ActionOutput {
                title: format!("Token for ServiceAccount {}", t.service_account),
                lines: describe::token(&self.client, self.namespace(), &t.service_account, false)
                    .await,
            },
            Action::Request(spec) => ActionOutput {
                title: format!("{} {}", spec.method, spec.path),
                lines: match remote::send(spec, &ctx).await {
                    Ok(sent) => describe::response(
                        &sent.response,
                        &sent.who,
                        sent.note.as_deref(),
                        BODY_LINES,
                    ),
                    Err(message) => vec![message],
                },
            },
        }
    }
}

fn is_remote(check: &Check) -> bool {
    matches!(
        check,
        Check::Access(_) | Check::Request(_) | Check::Token(_)
    )
}
