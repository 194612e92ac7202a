//! The lesson engine: follows what the lesson's checks read (watches, scoped
//! as narrowly as the checks allow, and only where the user may), keeps one
//! store of it, re-evaluates every step a change touches, applies what the
//! learner wrote, and runs step actions. The CLI (`verify`, `solve`) and the
//! TUI (`actor`) share it.

pub mod actor;
mod evaluate;
mod follow;
pub mod health;
pub mod link;
mod memory;
pub mod project;
pub mod rights;
pub mod scope;
pub mod settle;
pub mod shape;
pub mod view;
pub mod watch;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use kube::{Client, Config};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use crate::checks::remote::{self, Route};
use crate::checks::{Outcome, Snapshot};
use crate::cluster::apply::{self, Applied, ApplyError, ApplyTarget};
use crate::cluster::callers::Callers;
use crate::cluster::describe;
use crate::cluster::kinds::Kinds;
use crate::lesson::Lesson;
use crate::lesson::model::{Action, Check};
use follow::{Following, State};
use health::Readiness;
use link::Link;
use scope::LessonScopes;
use view::ClusterView;
use watch::Feed;

/// The engine is ready this long after it is asked to start, whatever the
/// user's rights: scopes still listing then are named, not waited for.
const START_BUDGET: Duration = Duration::from_secs(5);

/// Lines of a response body shown under its summary.
const BODY_LINES: usize = 40;

/// The outcome of every check of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    pub index: usize,
    pub outcomes: Vec<(Check, Outcome)>,
}

impl StepReport {
    /// A check only the API server answers failed: worth asking again shortly.
    /// Some check is the API server's own answer (a review, a request).
    pub fn asks_the_server(&self) -> bool {
        self.outcomes.iter().any(|(c, _)| is_remote(c))
    }

    pub fn server_check_failed(&self) -> bool {
        self.outcomes
            .iter()
            .any(|(c, o)| !o.passed && !o.undecided && is_remote(c))
    }

    /// A step passes when all its checks pass (a step without checks passes when read).
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(|(_, o)| o.passed)
    }

    /// Not passed, but nothing failed either: some check could not be decided.
    pub fn undecided(&self) -> bool {
        !self.passed() && self.outcomes.iter().all(|(_, o)| o.passed || o.undecided)
    }

    /// ✓, ✗ or ?.
    pub fn mark(&self) -> &'static str {
        if self.passed() {
            "✓"
        } else if self.undecided() {
            "?"
        } else {
            "✗"
        }
    }
}

/// What an action showed: a title and lines of text (tokens masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionOutput {
    pub title: String,
    pub lines: Vec<String>,
    /// The step whose action this was (a revealed token belongs to none).
    pub step: Option<usize>,
}

/// What absorbed events changed, waiting to be acted on.
#[derive(Debug, Default)]
struct Pending {
    steps: BTreeSet<usize>,
    /// A scope listed again after a failure: every step is re-evaluated.
    resynced: bool,
    view: bool,
    /// A large list was absorbed: give the decoding's memory back.
    trim: bool,
}

pub struct Engine {
    pub lesson: Lesson,
    client: Client,
    config: Config,
    kinds: Kinds,
    scopes: LessonScopes,
    following: Following,
    /// Every followed object, projected (see `project`).
    store: Snapshot,
    feed: mpsc::UnboundedReceiver<Feed>,
    retry_now: Arc<Notify>,
    readiness: Readiness,
    readiness_rx: mpsc::UnboundedReceiver<Readiness>,
    _health: AbortOnDrop,
    callers: Callers,
    /// SubjectAccessReview is forbidden: ask LocalSubjectAccessReview.
    local_reviews: bool,
    pending: Pending,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Engine {
    /// Connects, discovers kinds, asks what the user may see, starts
    /// following it, and waits (at most `START_BUDGET` in all) for the first
    /// lists. Fails only when the API server cannot be reached at all.
    pub async fn start(lesson: Lesson, config: Config) -> anyhow::Result<Engine> {
        let deadline = Instant::now() + START_BUDGET;
        let client = Client::try_from(config.clone())?;
        let unreachable = |e: &dyn std::fmt::Display| {
            anyhow::anyhow!("cannot reach the API server at {}: {e}", config.cluster_url)
        };
        let kinds = tokio::time::timeout_at(deadline, Kinds::discover(&client))
            .await
            .map_err(|_| unreachable(&"no answer within 5 s"))?
            .map_err(|e| unreachable(&health::short_error(&e)))?;
        let missing = crate::cluster::capabilities::missing(&client, &lesson.requires).await;
        if !missing.is_empty() {
            return Err(crate::cluster::capabilities::LessonRefused(
                crate::cluster::capabilities::refusal(&lesson.id, &missing),
            )
            .into());
        }
        let scopes = LessonScopes::of(&lesson);
        let (feed_tx, feed) = mpsc::unbounded_channel();
        let retry_now = Arc::new(Notify::new());
        let (following, local_reviews) = tokio::join!(
            Following::start(
                &client,
                &kinds,
                scopes.watch_set(),
                &scopes.named,
                &feed_tx,
                &retry_now,
            ),
            async { !rights::may_review_anyone(&client).await }
        );
        let (readiness_tx, readiness_rx) = mpsc::unbounded_channel();
        let health = AbortOnDrop(health::spawn(client.clone(), readiness_tx));
        let mut engine = Engine {
            lesson,
            client,
            config,
            kinds,
            scopes,
            following,
            store: Snapshot::new(),
            feed,
            retry_now,
            readiness: Ok(()),
            readiness_rx,
            _health: health,
            callers: Callers::new(),
            local_reviews,
            pending: Pending::default(),
        };
        while !engine.following.all_listed_once() {
            match tokio::time::timeout_at(deadline, engine.feed.recv()).await {
                Ok(Some(event)) => engine.absorb(event),
                Ok(None) | Err(_) => break,
            }
        }
        if engine.pending.trim {
            memory::give_back();
        }
        engine.pending = Pending::default();
        Ok(engine)
    }

    pub fn namespace(&self) -> &str {
        &self.lesson.namespace
    }

    /// Every followed object (projected), as the engine sees it now.
    pub fn snapshot(&self) -> &Snapshot {
        &self.store
    }

    /// The connection in words (`Link::describe`).
    pub fn link(&self) -> Link {
        self.following.link(&self.readiness, Instant::now())
    }

    /// The cluster pane's content.
    pub fn view(&self) -> ClusterView {
        let blind = |scope: &scope::Scope| self.following.sees(scope).err();
        view::build(&self.store, &self.scopes.pane, &self.scopes.named, &blind)
    }

    /// Takes one event from a follower into the store and notes what it changed.
    fn absorb(&mut self, event: Feed) {
        let id = match &event {
            Feed::Listed { id, .. }
            | Feed::Applied { id, .. }
            | Feed::Deleted { id, .. }
            | Feed::Failed { id, .. }
            | Feed::Refused { id, .. } => *id,
        };
        let Some(followed) = self.following.scopes.get_mut(id) else {
            return;
        };
        let scope = followed.scope.clone();
        match event {
            Feed::Listed { objects, .. } => {
                self.pending.trim |= objects.len() >= memory::TRIM_AFTER_OBJECTS;
                let after_failure = followed.listed_once;
                followed.listed_once = true;
                followed.state = State::Synced;
                self.store
                    .remove_in(&scope.kind, &scope.namespace, scope.name.as_deref());
                for object in objects {
                    self.store.insert(object);
                }
                self.pending.steps.extend(self.scopes.depending_on(&scope));
                self.pending.resynced |= after_failure;
            }
            Feed::Applied { object, .. } => {
                let key = self.store.insert(object);
                self.pending.steps.extend(self.scopes.affected([&key]));
            }
            Feed::Deleted { key, .. } => {
                if self.store.remove(&key) {
                    self.pending.steps.extend(self.scopes.affected([&key]));
                }
            }
            Feed::Failed {
                message, retry_in, ..
            } => {
                tracing::warn!("following {}: {message}", scope.describe());
                followed.state = State::Failing {
                    message,
                    retry_at: Instant::now() + retry_in,
                };
                return;
            }
            Feed::Refused { message, .. } => {
                tracing::warn!("following {}: refused: {message}", scope.describe());
                followed.state = State::Blind(format!(
                    "the API server refused to show {}: {message}",
                    scope.describe()
                ));
                self.store
                    .remove_in(&scope.kind, &scope.namespace, scope.name.as_deref());
                self.pending.steps.extend(self.scopes.depending_on(&scope));
            }
        }
        self.pending.view = true;
    }

    /// Absorbs `first` and whatever else is already queued: one burst (an
    /// apply of three objects) is evaluated once. Nothing waits here.
    fn absorb_burst(&mut self, first: Feed) {
        self.absorb(first);
        while let Ok(more) = self.feed.try_recv() {
            self.absorb(more);
        }
        if std::mem::take(&mut self.pending.trim) {
            memory::give_back();
        }
    }

    /// Absorbs events until none of `keys` is in the store, or `timeout`.
    async fn await_absent(
        &mut self,
        keys: &[crate::checks::snapshot::ObjectKey],
        timeout: Duration,
    ) {
        let deadline = Instant::now() + timeout;
        while keys
            .iter()
            .any(|(kind, ns, name)| self.store.get(kind, ns, name).is_some())
        {
            match tokio::time::timeout_at(deadline, self.feed.recv()).await {
                Ok(Some(event)) => self.absorb(event),
                Ok(None) | Err(_) => return,
            }
        }
    }

    /// A readiness answer: the link may change, and when the server is back
    /// after an outage every waiting follower tries again at once.
    fn absorb_readiness(&mut self, readiness: Readiness) {
        if readiness.is_ok() && self.readiness.is_err() {
            self.retry_now.notify_waiters();
        }
        self.readiness = readiness;
    }

    /// The steps to evaluate after what was absorbed (all of them after a
    /// resync), and resets the pending set.
    fn take_pending_steps(&mut self) -> BTreeSet<usize> {
        let pending = std::mem::take(&mut self.pending.steps);
        if std::mem::take(&mut self.pending.resynced) {
            (0..self.lesson.steps.len()).collect()
        } else {
            pending
        }
    }

    /// Steps with a check that a change the engine cannot see might flip
    /// (a trigger scope this user may not watch): asked again on a timer.
    pub fn steps_needing_recheck(&self) -> BTreeSet<usize> {
        self.scopes
            .steps
            .iter()
            .enumerate()
            .filter(|(_, checks)| {
                checks.iter().any(|deps| {
                    deps.triggers
                        .iter()
                        .any(|scope| self.following.sees(scope).is_err())
                })
            })
            .map(|(index, _)| index)
            .collect()
    }

    /// Waits, driven by watch events, until step `index` passes or `timeout`
    /// passes; Err holds the last report.
    pub async fn wait_until_passed(
        &mut self,
        index: usize,
        timeout: Duration,
    ) -> Result<StepReport, StepReport> {
        let deadline = Instant::now() + timeout;
        let mut settling = settle::Settling::default();
        let mut report = self.evaluate_step(index).await;
        if report.server_check_failed() {
            settling.start(index, Instant::now());
        }
        let recheck = self.steps_needing_recheck().contains(&index);
        loop {
            if report.passed() {
                return Ok(report);
            }
            let next_ask = settling
                .next()
                .or_else(|| recheck.then(|| Instant::now() + actor::RECHECK_BLIND));
            tokio::select! {
                event = self.feed.recv() => {
                    let Some(event) = event else { return Err(report) };
                    self.absorb_burst(event);
                    if !self.take_pending_steps().contains(&index) {
                        continue;
                    }
                    report = self.evaluate_step(index).await;
                    if report.server_check_failed() {
                        settling.start(index, Instant::now());
                    }
                }
                Some(readiness) = self.readiness_rx.recv() => self.absorb_readiness(readiness),
                _ = tokio::time::sleep_until(next_ask.unwrap_or(deadline)), if next_ask.is_some() => {
                    settling.due(Instant::now());
                    report = self.evaluate_step(index).await;
                }
                _ = tokio::time::sleep_until(deadline) => return Err(report),
            }
        }
    }

    /// Server-side applies `text` into the lesson namespace.
    pub async fn apply(&self, text: &str) -> Result<Vec<Applied>, ApplyError> {
        let target = ApplyTarget {
            namespace: self.namespace(),
            lesson: &self.lesson.id,
        };
        apply::apply_yaml(&self.kinds, text, &target).await
    }

    /// Applies the lesson's `setup:` manifests, each object only when it is
    /// not there yet: a "fix it" object the learner already fixed stays fixed.
    /// Returns what was created.
    pub async fn setup(&self) -> Result<Vec<Applied>, ApplyError> {
        let target = ApplyTarget {
            namespace: self.namespace(),
            lesson: &self.lesson.id,
        };
        let mut created = Vec::new();
        for text in &self.lesson.setup {
            created.extend(apply::create_missing(&self.kinds, text, &target).await?);
        }
        Ok(created)
    }

    /// Applies step `index`'s `setup:` manifests, each object only when it
    /// is missing. Returns what was created.
    pub async fn setup_step(&self, index: usize) -> Result<Vec<Applied>, ApplyError> {
        let target = ApplyTarget {
            namespace: self.namespace(),
            lesson: &self.lesson.id,
        };
        let mut created = Vec::new();
        if let Some(step) = self.lesson.steps.get(index) {
            for text in &step.setup {
                created.extend(apply::create_missing(&self.kinds, text, &target).await?);
            }
        }
        Ok(created)
    }

    /// Runs a step's action and describes what happened.
    pub async fn run_action(&self, action: &Action) -> ActionOutput {
        match action {
            Action::Token(t) => ActionOutput {
                step: None,
                title: format!("Token for ServiceAccount {}", t.service_account),
                lines: describe::token(&self.client, self.namespace(), &t.service_account, false)
                    .await,
            },
            Action::Request(spec) => ActionOutput {
                step: None,
                title: format!("{} {}", spec.method, spec.path),
                lines: match remote::send(spec, &self.remote_context(), Route::Inside).await {
                    Ok(sent) => describe::response(
                        &sent.response,
                        &sent.who,
                        sent.note.as_deref(),
                        BODY_LINES,
                    ),
                    Err(outcome) => vec![outcome.message],
                },
            },
            Action::LabelNamespace(labels) => ActionOutput {
                step: None,
                title: format!("kubectl label namespace {}", self.namespace()),
                lines: self.label_namespace(labels).await,
            },
        }
    }

    /// Merges `labels` into the lesson namespace's labels (lint allows only
    /// Pod Security Admission's) and says what the namespace carries now.
    async fn label_namespace(
        &self,
        labels: &std::collections::BTreeMap<String, String>,
    ) -> Vec<String> {
        use k8s_openapi::api::core::v1::Namespace;
        use kube::api::{Patch, PatchParams};
        let api = kube::Api::<Namespace>::all(self.client.clone());
        let patch = serde_json::json!({"metadata": {"labels": labels}});
        match api
            .patch(
                self.namespace(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            Ok(namespace) => namespace
                .metadata
                .labels
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| k.starts_with(crate::lesson::model::POD_SECURITY_LABELS))
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            Err(err) => vec![format!(
                "could not label namespace {}: {}",
                self.namespace(),
                apply::server_message(&err)
            )],
        }
    }
}

fn is_remote(check: &Check) -> bool {
    matches!(
        check,
        Check::Access(_)
            | Check::Request(_)
            | Check::Token(_)
            | Check::Rejected(_)
            | Check::Exec(_)
    )
}
