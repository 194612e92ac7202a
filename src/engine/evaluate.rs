//! Evaluating checks: over the store where the check reads objects, by
//! asking the API server where only it can answer, and "undecided" (with the
//! reason) where the current user cannot see what the check needs.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::future::join_all;

use super::scope::{CheckDeps, check_deps};
use super::{Engine, StepReport};
use crate::checks::remote::{self, RemoteContext};
use crate::checks::{Outcome, local};
use crate::lesson::model::Check;

/// The longest a server-side check may take before it counts as undecided.
const SERVER_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

impl Engine {
    pub(super) fn remote_context(&self) -> RemoteContext<'_> {
        let sees = |kind: &str, ns: &str| self.following.sees_all(kind, ns);
        RemoteContext {
            client: &self.client,
            config: &self.config,
            kinds: Some(&self.kinds),
            lesson: &self.lesson.id,
            namespace: &self.lesson.namespace,
            snapshot: &self.store,
            callers: &self.callers,
            local_reviews: self.local_reviews,
            sees_accounts: sees("ServiceAccount", &self.lesson.namespace),
            sees_cluster_rbac: sees("ClusterRole", "") && sees("ClusterRoleBinding", ""),
        }
    }

    async fn evaluate_check(&self, step: usize, index: usize, check: &Check) -> Outcome {
        self.evaluate_with(&self.scopes.steps[step][index], check)
            .await
    }

    /// Evaluates `check`, whose dependencies are `deps`: over the store, or
    /// by asking the server; `anyOf` one alternative after the other.
    fn evaluate_with<'a>(
        &'a self,
        deps: &'a CheckDeps,
        check: &'a Check,
    ) -> futures::future::BoxFuture<'a, Outcome> {
        Box::pin(async move {
            if let Check::AnyOf(alternatives) = check {
                return self.any_of(alternatives).await;
            }
            self.evaluate_leaf(deps, check).await
        })
    }

    /// Passes when one alternative passes; undecided when none passes and
    /// one cannot be decided; else fails with every alternative's reason.
    async fn any_of(&self, alternatives: &[Check]) -> Outcome {
        let namespace = &self.lesson.namespace;
        let mut undecided = None;
        let mut failures = Vec::new();
        for alternative in alternatives {
            let deps = check_deps(alternative, namespace);
            let outcome = self.evaluate_with(&deps, alternative).await;
            if outcome.passed {
                return outcome;
            }
            if outcome.undecided {
                undecided.get_or_insert(outcome.message);
            } else {
                failures.push(outcome.message);
            }
        }
        match undecided {
            Some(why) if failures.is_empty() => Outcome::undecided(why),
            _ => Outcome::fail(failures.join(" — nor: ")),
        }
    }

    async fn evaluate_leaf(&self, deps: &CheckDeps, check: &Check) -> Outcome {
        let blind = deps
            .reads
            .iter()
            .find_map(|scope| self.following.sees(scope).err());
        let namespace = &self.lesson.namespace;
        match (blind, check) {
            // A role that cannot be read: the server is asked about a subject bound to it.
            (Some(_), Check::Grants(_)) => {}
            (Some(why), _) => return Outcome::undecided(format!("cannot be checked: {why}")),
            (None, _) => {
                if let Some(outcome) = local::evaluate(check, &self.store, namespace) {
                    return outcome;
                }
            }
        }
        let ctx = self.remote_context();
        match tokio::time::timeout(SERVER_CHECK_TIMEOUT, remote::evaluate(check, &ctx)).await {
            Ok(outcome) => outcome,
            Err(_) => Outcome::undecided(format!(
                "the API server did not answer within {} s",
                SERVER_CHECK_TIMEOUT.as_secs()
            )),
        }
    }

    /// Evaluates every check of step `index` against the cluster as it is now.
    pub async fn evaluate_step(&self, index: usize) -> StepReport {
        let step = &self.lesson.steps[index];
        let mut outcomes = Vec::with_capacity(step.checks.len());
        for (i, check) in step.checks.iter().enumerate() {
            outcomes.push((check.clone(), self.evaluate_check(index, i, check).await));
        }
        // A step that needs a right the learner lacks cannot be done by
        // them: say so, instead of calling what is missing their mistake.
        if let Some(sentence) = self.missing_right_of(index) {
            for (_, outcome) in outcomes.iter_mut().filter(|(_, o)| !o.passed) {
                *outcome = crate::checks::Outcome::lacks_right(sentence);
            }
        }
        StepReport { index, outcomes }
    }

    /// Every scope step `index` reads or is triggered by has had its first
    /// list (or cannot be seen, which its checks then say): it can be
    /// answered. Until then it is neither passed nor failed.
    pub fn step_ready(&self, index: usize) -> bool {
        self.scopes.steps[index].iter().all(|deps| {
            deps.reads
                .iter()
                .chain(&deps.triggers)
                .all(|scope| !self.following.first_list_pending(scope))
        })
    }

    /// The steps that can be answered now, of `steps`.
    pub fn ready_of(&self, steps: impl IntoIterator<Item = usize>) -> BTreeSet<usize> {
        steps.into_iter().filter(|i| self.step_ready(*i)).collect()
    }

    /// Evaluates these steps, all at once.
    pub async fn evaluate_steps(&self, steps: &BTreeSet<usize>) -> Vec<StepReport> {
        join_all(steps.iter().map(|i| self.evaluate_step(*i))).await
    }

    /// Evaluates every step.
    pub async fn evaluate_all(&self) -> Vec<StepReport> {
        self.evaluate_steps(&(0..self.lesson.steps.len()).collect())
            .await
    }
}
