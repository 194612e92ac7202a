//! The engine as a task for the TUI: it takes commands (apply, run an
//! action, reset) and sends updates — the report of every step a change
//! touched (focused or not), the connection, and the cluster pane.

use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

use super::link::Link;
use super::settle::Settling;
use super::view::ClusterView;
use super::{ActionOutput, Engine, StepReport};
use crate::cluster::apply::{Applied, ApplyError};
use crate::cluster::reset::{self, Doomed, ResetEvent};

/// How long the TUI's reset waits for deletions (finalizers) before saying what is left.
const RESET_TIMEOUT: Duration = Duration::from_secs(30);
/// After a reset, how long the engine waits for its own watches to see the
/// deletions (the reset saw them through its own) before starting over.
const RESET_SEEN: Duration = Duration::from_secs(3);
/// Steps whose server verdict may change through objects this user cannot
/// watch (ClusterRoleBindings, for a namespace admin) are asked this often.
pub const RECHECK_BLIND: Duration = Duration::from_secs(5);
/// The cluster pane is rebuilt at most this often while the cluster is busy
/// (a thousand Pods being created): marks are never held back, the list is.
const VIEW_EVERY: Duration = Duration::from_millis(200);

#[derive(Debug, Clone)]
pub enum EngineCommand {
    /// Apply YAML (the editor's text) into the lesson namespace.
    Apply(String),
    /// Delete this object (kind, name) and apply the editor's text once it is
    /// gone: the learner agreed, after an apply error saying a field of it
    /// cannot change.
    Recreate {
        kind: String,
        name: String,
        text: String,
    },
    /// Run the action of this step.
    RunAction(usize),
    /// Create a token for this ServiceAccount and show it unmasked (asked for
    /// explicitly by the learner; never in presenter mode).
    RevealToken(String),
    /// Work out what resetting from this step (0 = the whole lesson) deletes.
    PlanReset(usize),
    /// Carry out the last planned reset.
    ExecuteReset,
    /// Create the `setup:` objects of this step that are missing (it became
    /// the current one).
    SetupStep(usize),
}

#[derive(Debug, Clone)]
pub enum EngineUpdate {
    /// The first reports: every step whose scopes listed by the time the
    /// engine started (the others follow in `Steps` as their lists arrive).
    Started(Vec<StepReport>),
    /// Steps whose report changed.
    Steps(Vec<StepReport>),
    Link(Link),
    Cluster(ClusterView),
    Applied(Result<Vec<Applied>, ApplyError>),
    Action(ActionOutput),
    /// What a reset would delete and what it keeps though the lesson names
    /// it (not made by kubetutor), or why it cannot be planned.
    ResetPlan(Result<(Vec<String>, Vec<String>), String>),
    ResetProgress(ResetEvent),
    /// The reset finished; Err lists what is still there and why.
    ResetDone(Result<(), Vec<String>>),
}

fn later(at: Option<Instant>) -> Instant {
    at.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))
}

impl Engine {
    /// Runs until the command channel closes.
    pub async fn run(
        mut self,
        mut commands: UnboundedReceiver<EngineCommand>,
        updates: UnboundedSender<EngineUpdate>,
    ) {
        let send = |u: EngineUpdate| updates.send(u).is_ok();
        // Each long call below is awaited boxed: this loop lives as long as
        // the engine, at the size of its largest state, and a class board
        // runs one per attendee (13 KB each unboxed, mostly states of
        // commands that run for a moment).
        // Steps whose scopes have listed are answered now; each other step
        // is answered as soon as its own scopes list (absorb queues it).
        let steps = self.lesson.steps.len();
        let mut reports: Vec<Option<StepReport>> = vec![None; steps];
        let first = Box::pin(self.evaluate_steps(&self.ready_of(0..steps))).await;
        let mut settling = Settling::default();
        let now = Instant::now();
        for report in &first {
            reports[report.index] = Some(report.clone());
            if report.asks_the_server() {
                settling.start_late(report.index, now);
            }
        }
        let mut link = self.link();
        if !send(EngineUpdate::Started(first))
            || !send(EngineUpdate::Link(link.clone()))
            || !send(EngineUpdate::Cluster(self.view()))
        {
            return;
        }
        let mut planned: Vec<Doomed> = Vec::new();
        let mut view_sent = Instant::now();
        let mut view_due: Option<Instant> = None;
        let mut recheck_at: Option<Instant> = None;
        let mut reset_from = 0;
        // Step actions running (each step's in order); dropped with the engine.
        let mut actions: FuturesUnordered<futures::future::BoxFuture<'static, ()>> =
            FuturesUnordered::new();
        loop {
            let mut due = Vec::new();
            tokio::select! {
                command = commands.recv() => match command {
                    None => return,
                    Some(EngineCommand::Apply(text)) => {
                        let result = Box::pin(self.apply(&text)).await;
                        if !send(EngineUpdate::Applied(result)) { return; }
                    }
                    Some(EngineCommand::Recreate { kind, name, text }) => {
                        let result = Box::pin(self.recreate(&kind, &name, &text)).await;
                        if !send(EngineUpdate::Applied(result)) { return; }
                    }
                    Some(EngineCommand::RevealToken(account)) => {
                        let lines = Box::pin(crate::cluster::describe::token(&self.client, self.namespace(), &account, true)).await;
                        let title = format!("Token for ServiceAccount {account}, revealed (it is a password)");
                        if !send(EngineUpdate::Action(ActionOutput { title, lines, step: None })) { return; }
                    }
                    Some(EngineCommand::PlanReset(from)) => {
                        reset_from = from;
                        let plan = Box::pin(reset::plan_keeping(&self.client, &self.kinds, &self.lesson, from)).await;
                        let said = plan.as_ref().map(|p| (p.doomed.iter().map(ToString::to_string).collect(), p.kept.clone())).map_err(Clone::clone);
                        planned = plan.map(|p| p.doomed).unwrap_or_default();
                        if !send(EngineUpdate::ResetPlan(said)) { return; }
                    }
                    Some(EngineCommand::ExecuteReset) => {
                        let doomed = std::mem::take(&mut planned);
                        let mut progress = |event| { let _ = updates.send(EngineUpdate::ResetProgress(event)); };
                        let mut result = Box::pin(reset::execute(&self.client, &doomed, RESET_TIMEOUT, &mut progress)).await;
                        let keys = self.lesson.namespace_label_keys(reset_from);
                        match Box::pin(crate::cluster::namespace_labels::restore(&self.client, self.namespace(), &self.lesson.id, &keys, reset_from == 0)).await {
                            Ok(said) => {
                                for line in said {
                                    let _ = updates.send(EngineUpdate::ResetProgress(reset::ResetEvent::Restored(line)));
                                }
                            }
                            Err(why) => result = Err(result.err().unwrap_or_default().into_iter().chain([why]).collect()),
                        }
                        let keys: Vec<_> = doomed.iter().map(|d| (d.kind.clone(), d.namespace.clone(), d.name.clone())).collect();
                        Box::pin(self.await_absent(&keys, RESET_SEEN)).await;
                        if !send(EngineUpdate::ResetDone(result)) { return; }
                        // The learner starts over: every step's report, not just those that changed.
                        let again = Box::pin(self.evaluate_steps(&self.ready_of(0..steps))).await;
                        self.take_pending_steps();
                        for report in &again {
                            reports[report.index] = Some(report.clone());
                        }
                        if !send(EngineUpdate::Steps(again)) { return; }
                    }
                    Some(EngineCommand::SetupStep(index)) => {
                        // Said in the output pane; not an apply of the learner's.
                        let lines = match Box::pin(self.setup_step(index)).await {
                            Ok(created) if created.is_empty() => Vec::new(),
                            Ok(created) => created.iter().map(|a| format!("created {a}")).collect(),
                            Err(err) => vec![format!("the step's setup failed: {err}")],
                        };
                        if !lines.is_empty() {
                            let title = format!("Set up for step {}", index + 1);
                            if !send(EngineUpdate::Action(ActionOutput { title, lines, step: None })) { return; }
                        }
                    }
                    Some(EngineCommand::RunAction(index)) => {
                        // Beside the loop: a slow action delays no check and no command.
                        let tasks: Vec<_> = self.lesson.steps.get(index).into_iter().flat_map(|s| &s.actions).map(|a| self.action_task(a)).collect();
                        let updates = updates.clone();
                        actions.push(Box::pin(async move {
                            for task in tasks {
                                // One that gave up does not count as run.
                                let (mut output, answered) = Box::pin(task.run_bounded()).await;
                                output.step = answered.then_some(index);
                                if updates.send(EngineUpdate::Action(output)).is_err() { return; }
                            }
                        }));
                    }
                },
                Some(()) = actions.next(), if !actions.is_empty() => {}
                Some(event) = self.feed.recv() => self.absorb_burst(event),
                Some(readiness) = self.readiness_rx.recv() => self.absorb_readiness(readiness),
                _ = tokio::time::sleep_until(later(settling.next())), if !settling.is_empty() => {
                    due = settling.due(Instant::now());
                }
                _ = tokio::time::sleep_until(later(recheck_at)), if recheck_at.is_some() => {
                    recheck_at = None;
                    due = self.steps_needing_recheck().into_iter().collect();
                }
                _ = tokio::time::sleep_until(later(view_due)), if view_due.is_some() => {
                    view_due = None;
                    view_sent = Instant::now();
                    if !send(EngineUpdate::Cluster(self.view())) { return; }
                }
            }

            // Evaluate what changed (and what is due again), send what differs.
            let pending = self.take_pending();
            let mut changed = pending.all();
            changed.extend(due);
            let changed = self.ready_of(changed);
            if !changed.is_empty() {
                // Each report goes out as soon as it is ready: a step decided
                // from the store is not held back by another step's server call.
                let now = Instant::now();
                let mut evaluating: FuturesUnordered<_> =
                    changed.iter().map(|i| self.evaluate_step(*i)).collect();
                while let Some(report) = evaluating.next().await {
                    let index = report.index;
                    // The server's authorizer learns of a change a little after
                    // our watch does: its answer may still flip, either way (a
                    // deleted RoleBinding may be honoured for a few ms more).
                    let settles = report.asks_the_server();
                    if settles && pending.changed.contains(&index) {
                        settling.start(index, now);
                    } else if settles && pending.first_listed.contains(&index) {
                        // Nothing changed just now: the server's authorizer is
                        // as current as the list, and a step is asked quickly
                        // again only after a change. A few late asks cover a
                        // change made just before the tutor started.
                        settling.start_late(index, now);
                    }
                    if reports[index].as_ref() != Some(&report) {
                        reports[index] = Some(report.clone());
                        if !send(EngineUpdate::Steps(vec![report])) {
                            return;
                        }
                    }
                }
            }
            if recheck_at.is_none() && !self.steps_needing_recheck().is_empty() {
                recheck_at = Some(Instant::now() + RECHECK_BLIND);
            }
            if std::mem::take(&mut self.pending.view) && view_due.is_none() {
                view_due = Some((view_sent + VIEW_EVERY).max(Instant::now()));
            }
            let now_link = self.link();
            if now_link.describe() != link.describe() {
                link = now_link;
                if !send(EngineUpdate::Link(link.clone())) {
                    return;
                }
            }
        }
    }
}
