//! The engine as a task for the TUI: it takes commands (focus a step, apply,
//! run an action) and sends updates (check outcomes, cluster snapshots),
//! re-evaluating the focused step whenever a watch reports a change.

use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::{ActionOutput, Engine, StepReport};
use crate::checks::Snapshot;
use crate::cluster::apply::{Applied, ApplyError};
use crate::cluster::reset::{self, Doomed, ResetEvent};

/// How long the TUI's reset waits for deletions (finalizers) before saying what is left.
const RESET_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub enum EngineCommand {
    /// Evaluate this step now and whenever the cluster changes.
    Focus(usize),
    /// Apply YAML (the editor's text) into the lesson namespace.
    Apply(String),
    /// Run the action of this step.
    RunAction(usize),
    /// Create a token for this ServiceAccount and show it unmasked (asked for
    /// explicitly by the learner; never in presenter mode).
    RevealToken(String),
    /// Work out what resetting from this step (0 = the whole lesson) deletes.
    PlanReset(usize),
    /// Carry out the last planned reset.
    ExecuteReset,
}

#[derive(Debug, Clone)]
pub enum EngineUpdate {
    /// Every step evaluated once (on start): which pass.
    Progress(Vec<bool>),
    Step(StepReport),
    Cluster(Snapshot),
    Applied(Result<Vec<Applied>, ApplyError>),
    Action(ActionOutput),
    /// A watch failed and retries; None when they work again.
    WatchTrouble(Option<String>),
    /// What a reset would delete (or why it cannot be planned).
    ResetPlan(Result<Vec<String>, String>),
    ResetProgress(ResetEvent),
    /// The reset finished; Err lists what is still there and why.
    ResetDone(Result<(), Vec<String>>),
}

impl Engine {
    /// Runs until the command channel closes.
    pub async fn run(
        mut self,
        mut commands: UnboundedReceiver<EngineCommand>,
        updates: UnboundedSender<EngineUpdate>,
    ) {
        let send = |u: EngineUpdate| updates.send(u).is_ok();
        let mut progress = Vec::new();
        for index in 0..self.lesson.steps.len() {
            progress.push(self.evaluate_step(index).await.passed());
        }
        let mut focus = progress.iter().position(|p| !p).unwrap_or(0);
        if !send(EngineUpdate::Progress(progress)) || !send(EngineUpdate::Cluster(self.snapshot()))
        {
            return;
        }
        let mut settle = 0;
        let mut last_failed_remote = false;
        let mut troubled = false;
        let mut planned: Vec<Doomed> = Vec::new();
        loop {
            let recheck = super::settle_delay(last_failed_remote, settle);
            let evaluate = tokio::select! {
                command = commands.recv() => match command {
                    None => return,
                    Some(EngineCommand::Focus(index)) => { focus = index.min(self.lesson.steps.len() - 1); settle = 0; true }
                    Some(EngineCommand::Apply(text)) => {
                        let result = self.apply(&text).await;
                        if !send(EngineUpdate::Applied(result)) { return; }
                        false // the watches will report what changed
                    }
                    Some(EngineCommand::RevealToken(account)) => {
                        let lines = crate::cluster::describe::token(&self.client, self.namespace(), &account, true).await;
                        let title = format!("Token for ServiceAccount {account}, revealed (it is a password)");
                        if !send(EngineUpdate::Action(super::ActionOutput { title, lines })) { return; }
                        false
                    }
                    Some(EngineCommand::PlanReset(from)) => {
                        let plan = reset::plan(&self.client, &self.kinds, &self.lesson, from).await;
                        planned = plan.clone().unwrap_or_default();
                        if !send(EngineUpdate::ResetPlan(plan.map(|d| d.iter().map(ToString::to_string).collect()))) { return; }
                        false
                    }
                    Some(EngineCommand::ExecuteReset) => {
                        let doomed = std::mem::take(&mut planned);
                        let mut progress = |event| { let _ = updates.send(EngineUpdate::ResetProgress(event)); };
                        let result = reset::execute(&self.client, &doomed, RESET_TIMEOUT, &mut progress).await;
                        if !send(EngineUpdate::ResetDone(result)) { return; }
                        true
                    }
                    Some(EngineCommand::RunAction(index)) => {
                        if let Some(action) = self.lesson.steps.get(index).and_then(|s| s.action.clone()) {
                            let output = self.run_action(&action).await;
                            if !send(EngineUpdate::Action(output)) { return; }
                        }
                        true
                    }
                },
                event = self.events.recv() => {
                    let Some(event) = event else { return };
                    let trouble = self.drain_burst(event).await;
                    if trouble.is_some() || troubled {
                        troubled = trouble.is_some();
                        if !send(EngineUpdate::WatchTrouble(trouble)) { return; }
                    }
                    if !send(EngineUpdate::Cluster(self.snapshot())) { return; }
                    settle = 0;
                    true
                }
                _ = tokio::time::sleep(recheck.unwrap_or(Duration::MAX)), if recheck.is_some() => { settle += 1; true }
            };
            if evaluate {
                let report = self.evaluate_step(focus).await;
                last_failed_remote = report.server_check_failed();
                if !send(EngineUpdate::Step(report)) {
                    return;
                }
            }
        }
    }
}
