//! Waiting on the cluster for the commands that run a lesson without a
//! screen (`solve`, `verify`, `lessons test`): until objects are seen or
//! gone, until a step passes, or for a while to see that a pass holds.

use std::time::Duration;

use tokio::time::Instant;

use super::{Engine, StepReport, actor, settle};
use crate::cluster::apply::Applied;

impl Engine {
    /// Absorbs events until none of `keys` is in the store, or `timeout`.
    pub(super) async fn await_absent(
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

    /// Absorbs events until every object of `applied` that the engine follows
    /// is in the store (a setup object the learner's next act depends on),
    /// or `timeout`. Objects it does not follow are not waited for.
    pub async fn await_seen(&mut self, applied: &[Applied], timeout: Duration) {
        let keys: Vec<_> = applied
            .iter()
            .map(|a| (a.kind.clone(), a.namespace.clone(), a.name.clone()))
            .filter(|key| {
                self.scopes
                    .watch_set()
                    .iter()
                    .any(|scope| scope.covers(key))
            })
            .collect();
        let deadline = Instant::now() + timeout;
        while keys
            .iter()
            .any(|(kind, ns, name)| self.store.get(kind, ns, name).is_none())
        {
            match tokio::time::timeout_at(deadline, self.feed.recv()).await {
                Ok(Some(event)) => self.absorb(event),
                Ok(None) | Err(_) => return,
            }
        }
    }

    /// Takes in whatever the watches report for `duration`, then evaluates
    /// step `index` as it stands: does a green step stay green?
    pub async fn report_after(&mut self, index: usize, duration: Duration) -> StepReport {
        let deadline = Instant::now() + duration;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.feed.recv()).await {
            self.absorb(event);
        }
        self.take_pending_steps();
        self.evaluate_step(index).await
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
}
