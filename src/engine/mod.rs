//! The lesson engine: follows what the lesson's checks read (watches, scoped
//! as narrowly as the checks allow, and only where the user may), keeps one
//! store of it, re-evaluates every step a change touches, applies what the
//! learner wrote, and runs step actions. The CLI (`verify`, `solve`) and the
//! TUI (`actor`) share it.

mod action_task;
pub mod actor;
mod evaluate;
mod follow;
pub(crate) mod health;
pub mod link;
pub(crate) mod memory;
pub(crate) mod namespace;
pub(crate) mod project;
mod recreate;
mod report;
pub mod rights;
pub mod scope;
pub(crate) mod settle;
pub(crate) mod shape;
pub mod shared;
pub mod view;
mod wait;
pub(crate) mod watch;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use kube::{Client, Config};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use crate::checks::Snapshot;

use crate::cluster::apply::{self, Applied, ApplyError, ApplyTarget};
use crate::cluster::callers::Callers;
use crate::cluster::kinds::Kinds;
use crate::lesson::Lesson;
use crate::lesson::model::Action;
use follow::{Following, State};
use health::Readiness;
use link::Link;
use scope::LessonScopes;
use view::ClusterView;
use watch::Feed;

pub use report::StepReport;

/// The engine is ready this long after it is asked to start, whatever the
/// user's rights: scopes still listing then are named, not waited for.
const START_BUDGET: Duration = Duration::from_secs(5);

/// Lines of a response body shown under its summary.
pub(crate) const BODY_LINES: usize = 40;

/// What an action showed: a title and lines of text (tokens masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionOutput {
    pub title: String,
    pub lines: Vec<String>,
    /// The step whose action this was (a revealed token belongs to none).
    pub step: Option<usize>,
}

/// Steps to evaluate now: those a change touched (their server checks
/// settle: see `settle`) and those whose scopes first listed.
struct PendingSteps {
    changed: BTreeSet<usize>,
    first_listed: BTreeSet<usize>,
}

impl PendingSteps {
    fn all(&self) -> BTreeSet<usize> {
        self.changed.union(&self.first_listed).copied().collect()
    }
}

/// What absorbed events changed, waiting to be acted on.
#[derive(Debug, Default)]
struct Pending {
    /// Steps a change touched: an object written or deleted, a scope
    /// refused, or listed again after a failure.
    steps: BTreeSet<usize>,
    /// Steps whose scopes listed for the first time (the tutor's start
    /// streams them in): to evaluate, but nothing changed on the server.
    first_listed: BTreeSet<usize>,
    /// A scope listed again after a failure: every step is re-evaluated.
    resynced: bool,
    view: bool,
    /// A large list was absorbed: give the decoding's memory back.
    trim: bool,
}

pub struct Engine {
    /// Shared with the board's row of a class's attendee (one copy each).
    pub lesson: Arc<Lesson>,
    client: Client,
    config: Config,
    /// Shared by a class's engines (discovery is the same for all).
    kinds: Arc<Kinds>,
    scopes: LessonScopes,
    following: Following,
    /// Every followed object, projected (see `project`).
    store: Snapshot,
    feed: mpsc::UnboundedReceiver<Feed>,
    retry_now: Arc<Notify>,
    readiness: Readiness,
    readiness_rx: mpsc::UnboundedReceiver<Readiness>,
    /// Its own readiness poll; None in a class, whose one poll tells every
    /// engine of a change (`shared`).
    _health: Option<AbortOnDrop>,
    callers: Arc<Callers>,
    /// SubjectAccessReview is forbidden: ask LocalSubjectAccessReview.
    local_reviews: bool,
    /// Rights the lesson declares that the user lacks (asked at start).
    missing_rights: Vec<rights::MissingRight>,
    /// Said once at start: the namespace was made for the lesson.
    pub created_namespace: Option<String>,
    pending: Pending,
}

/// What the API server said before a lesson's engine runs.
struct Prepared {
    missing_rights: Vec<rights::MissingRight>,
    created_namespace: Option<String>,
}

/// Says what the cluster lacks for the lesson (an error), and makes its
/// namespace if need be: Some(line) when it was made now.
async fn prepare(
    client: &Client,
    kinds: &Kinds,
    lesson: &Lesson,
) -> anyhow::Result<Option<String>> {
    let missing = crate::cluster::capabilities::missing(client, &lesson.requires).await;
    if !missing.is_empty() {
        return Err(crate::cluster::capabilities::LessonRefused(
            crate::cluster::capabilities::refusal(&lesson.id, &missing),
        )
        .into());
    }
    namespace::ensure(client, kinds, lesson).await
}

pub(crate) struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Engine {
    /// Connects and waits (at most `START_BUDGET` in all) for the first
    /// lists: for those that read the engine once (`verify`, `solve`, the
    /// proofs). Fails only when the API server cannot be reached at all.
    pub async fn start(lesson: Lesson, config: Config) -> anyhow::Result<Engine> {
        let deadline = Instant::now() + START_BUDGET;
        let engine = Engine::connect(lesson, config).await?;
        Ok(engine.first_lists(deadline).await)
    }

    /// `start` for an engine of a class, fed by the class's shared watches.
    pub async fn start_in_class(
        lesson: Arc<Lesson>,
        member: shared::Member,
    ) -> anyhow::Result<Engine> {
        let deadline = Instant::now() + START_BUDGET;
        let engine = Engine::join(lesson, member).await?;
        Ok(engine.first_lists(deadline).await)
    }

    /// Absorbs every first list that arrives before `deadline`.
    async fn first_lists(mut self, deadline: Instant) -> Engine {
        while !self.following.all_listed_once() {
            match tokio::time::timeout_at(deadline, self.feed.recv()).await {
                Ok(Some(event)) => self.absorb(event),
                Ok(None) | Err(_) => break,
            }
        }
        if self.pending.trim {
            memory::give_back();
        }
        self.pending = Pending::default();
        self
    }

    /// Connects, discovers kinds, asks what the user may see and starts
    /// following it, without waiting for any list: the tutor's engine, whose
    /// `run` answers each step as soon as what it reads has listed (a
    /// namespace of 5,000 Pods does not hold back a step reading a Service).
    pub async fn connect(lesson: Lesson, config: Config) -> anyhow::Result<Engine> {
        let deadline = Instant::now() + START_BUDGET;
        let client = crate::transport::client(&config)?;
        let unreachable = |e: &dyn std::fmt::Display| {
            anyhow::anyhow!("cannot reach the API server at {}: {e}", config.cluster_url)
        };
        let kinds = tokio::time::timeout_at(deadline, Kinds::discover(&client))
            .await
            .map_err(|_| unreachable(&"no answer within 5 s"))?
            .map_err(|e| unreachable(&health::short_error(&e)))?;
        let created_namespace = prepare(&client, &kinds, &lesson).await?;
        let scopes = LessonScopes::of(&lesson);
        let (feed_tx, feed) = mpsc::unbounded_channel();
        let retry_now = Arc::new(Notify::new());
        // The rights questions go out with the watches, not before them:
        // both are round trips the first answer waits for.
        let (following, local_reviews, missing_rights) = tokio::join!(
            Following::start(
                &client,
                &kinds,
                scopes.watch_set(),
                &scopes.named,
                &feed_tx,
                &retry_now,
            ),
            async { !rights::may_review_anyone(&client).await },
            rights::missing_rights(&client, &kinds, &lesson),
        );
        let (readiness_tx, readiness_rx) = mpsc::unbounded_channel();
        let health = AbortOnDrop(health::spawn(client.clone(), readiness_tx));
        let member = shared::Member {
            client,
            config,
            kinds: Arc::new(kinds),
            following,
            feed,
            retry_now,
            readiness_rx,
            local_reviews,
            preparing: None,
            callers: Callers::new(),
        };
        let prepared = Prepared {
            missing_rights,
            created_namespace,
        };
        let mut engine = Engine::assemble(Arc::new(lesson), member, prepared);
        engine._health = Some(health);
        Ok(engine)
    }

    /// The engine of `lesson` in a class, over what the class's shared
    /// watches follow for it (`member`).
    async fn join(lesson: Arc<Lesson>, member: shared::Member) -> anyhow::Result<Engine> {
        let _turn = match &member.preparing {
            Some(preparing) => preparing.clone().acquire_owned().await.ok(),
            None => None,
        };
        let created_namespace = prepare(&member.client, &member.kinds, &lesson).await?;
        let missing_rights = rights::missing_rights(&member.client, &member.kinds, &lesson).await;
        let prepared = Prepared {
            missing_rights,
            created_namespace,
        };
        Ok(Engine::assemble(lesson, member, prepared))
    }

    fn assemble(lesson: Arc<Lesson>, member: shared::Member, prepared: Prepared) -> Engine {
        let shared::Member {
            client,
            config,
            kinds,
            following,
            feed,
            retry_now,
            readiness_rx,
            local_reviews,
            preparing: _,
            callers,
        } = member;
        let scopes = LessonScopes::of(&lesson);
        Engine {
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
            _health: None,
            callers: Arc::new(callers),
            local_reviews,
            missing_rights: prepared.missing_rights,
            created_namespace: prepared.created_namespace,
            pending: Pending::default(),
        }
    }

    /// Its connection to the API server, for what else the tutor writes
    /// there with the learner's credentials (a class's progress record).
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    pub fn namespace(&self) -> &str {
        &self.lesson.namespace
    }

    /// What the user lacks of step `index`'s declared rights, in words.
    pub fn missing_right_of(&self, index: usize) -> Option<&str> {
        let step = self.lesson.steps.get(index)?;
        self.missing_rights
            .iter()
            .find(|m| step.rights.contains(&m.right))
            .map(|m| m.sentence.as_str())
    }

    /// Every declared right the user lacks, in words (for `doctor`, the picker).
    pub fn missing_rights(&self) -> impl Iterator<Item = &str> {
        self.missing_rights.iter().map(|m| m.sentence.as_str())
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
            | Feed::Refused { id, .. }
            | Feed::Shared { id, .. } => *id,
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
                self.pending_listed(&scope, after_failure);
                // Start-up is over once every scope has listed: what it
                // freed (lessons parsed, handshakes, list pages decoded) is
                // given back, about 0.6 MiB of a tutor's 4.
                self.pending.trim |= !after_failure && self.following.all_listed_once();
            }
            Feed::Shared {
                objects, change, ..
            } => {
                self.store.share(objects);
                match change {
                    watch::SharedChange::Listed => {
                        let after_failure = followed.listed_once;
                        followed.listed_once = true;
                        followed.state = State::Synced;
                        self.pending_listed(&scope, after_failure);
                    }
                    watch::SharedChange::Object(key) => {
                        self.pending.steps.extend(self.scopes.affected([&key]));
                    }
                }
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

    /// A readiness answer: the link may change, and when the server is back
    /// after an outage every waiting follower tries again at once.
    fn absorb_readiness(&mut self, readiness: Readiness) {
        if readiness.is_ok() && self.readiness.is_err() {
            self.retry_now.notify_waiters();
        }
        self.readiness = readiness;
    }

    /// `scope` listed: its steps are pending, as changed when it listed
    /// again after a failure (every step then: what happened meanwhile is
    /// unknown), as first listed otherwise.
    fn pending_listed(&mut self, scope: &scope::Scope, after_failure: bool) {
        let steps = self.scopes.depending_on(scope);
        if after_failure {
            self.pending.steps.extend(steps);
            self.pending.resynced = true;
        } else {
            self.pending.first_listed.extend(steps);
        }
    }

    /// The steps to evaluate after what was absorbed (all of them after a
    /// resync), and resets the pending set.
    fn take_pending_steps(&mut self) -> BTreeSet<usize> {
        self.take_pending().all()
    }

    /// As `take_pending_steps`, telling apart the steps a change touched.
    fn take_pending(&mut self) -> PendingSteps {
        let changed = std::mem::take(&mut self.pending.steps);
        let first_listed = std::mem::take(&mut self.pending.first_listed);
        if std::mem::take(&mut self.pending.resynced) {
            return PendingSteps {
                changed: (0..self.lesson.steps.len()).collect(),
                first_listed: BTreeSet::new(),
            };
        }
        PendingSteps {
            changed,
            first_listed,
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

    /// Runs a kubectl command of a lesson's example in the lesson namespace,
    /// with the engine's (the learner's) credentials; Ok holds what kubectl
    /// would print, Err its error.
    pub async fn kubectl(
        &self,
        command: &crate::lesson::kubectl::Command,
        manifest: Option<&str>,
    ) -> Result<String, String> {
        crate::cluster::kubectl::run(
            &self.kinds,
            &self.client,
            self.namespace(),
            command,
            manifest,
        )
        .await
    }

    /// Runs a step's action and describes what happened (at most
    /// `bounded::TIME_LIMIT`; the TUI runs it beside the engine's loop).
    pub async fn run_action(&self, action: &Action) -> ActionOutput {
        self.action_task(action).run().await
    }
}
