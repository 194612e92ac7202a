//! One case of `lessons test`: a fresh scratch namespace, the earlier steps'
//! solutions applied as the learner would have them, then one answer to the
//! step (its solution, its template, or one of its examples) and the
//! verdict the step's checks give it — by the same engine the TUI uses.

use std::path::Path;
use std::time::Duration;

use regex::Regex;

use super::identity::{As, Scratch};
use crate::cluster::kinds::Kinds;
use crate::engine::{Engine, StepReport};
use crate::lesson::Lesson;
use crate::lesson::model::{Example, Expect};

/// A replayed step's solution gets this long to pass (a CronJob's first Job
/// can take a minute).
const REPLAY_TIMEOUT: Duration = Duration::from_secs(90);
/// Setup objects are in the engine's view before the answer is given.
const SETUP_SEEN: Duration = Duration::from_secs(10);
/// A step that turns green must stay green this long: a learner who saw it
/// flash green, then red, was not done.
const HOLDS_FOR: Duration = Duration::from_millis(1500);
/// Every request a case makes (applies, kubectl, the scratch namespace's
/// creation and removal) together get this long on top of the waits above.
/// A case past its budget is hung — a request that never answers, a watch
/// that never delivers — and is reported as broken, naming what it was
/// doing, instead of stalling the whole run in silence.
const REQUESTS_SLACK: Duration = Duration::from_secs(120);

/// What is tried on the step.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The step's own solution (and actions): must pass.
    Solution,
    /// The starting buffer: must not pass (when it applies at all).
    Template,
    /// The step's example at this index; read from the lesson as loaded in
    /// the scratch namespace, so `${NAMESPACE}` in it names that one.
    Example(usize, Example),
}

impl Answer {
    pub fn title(&self) -> String {
        match self {
            Answer::Solution => "the solution".into(),
            Answer::Template => "the template as given".into(),
            Answer::Example(_, e) => e.title.clone(),
        }
    }

    pub fn expected(&self) -> Expect {
        match self {
            Answer::Solution => Expect::Pass,
            Answer::Template => Expect::Fail,
            Answer::Example(_, e) => e.expect,
        }
    }

    /// The longest a case on step `step` with this answer may take when
    /// every wait runs to its end.
    fn budget(&self, step: usize) -> Duration {
        let setups = SETUP_SEEN * (step as u32 + 2);
        let replays = REPLAY_TIMEOUT * step as u32;
        setups + replays + Duration::from_secs(self.seconds()) + HOLDS_FOR + REQUESTS_SLACK
    }

    fn seconds(&self) -> u64 {
        match self {
            Answer::Example(_, e) => e.seconds(),
            Answer::Solution => Example::DEFAULT_PASS_SECONDS,
            Answer::Template => Example::DEFAULT_FAIL_SECONDS,
        }
    }
}

/// What the step's checks said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Got {
    Pass,
    Fail,
    /// The case could not be set up (an earlier step's solution did not
    /// pass, the cluster refused the scratch namespace): a lesson bug too.
    Broken,
}

/// The outcome of one case: the verdict and what the learner would read.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub got: Got,
    /// The example's `reason`, as written for the scratch namespace.
    pub reason: Option<String>,
    /// The failing checks' messages, the apply or kubectl error, or why the
    /// case broke; for a pass, the checks' messages.
    pub said: String,
}

pub struct Case<'a> {
    pub dir: &'a Path,
    pub pod_image: &'a str,
    pub step: usize,
    pub answer: Answer,
    pub who: As,
}

impl Case<'_> {
    /// Runs the case in `namespace` (created here, removed afterwards).
    /// A case that outlives its budget is broken, saying where it stopped.
    pub async fn run(
        &self,
        admin: &kube::Client,
        admin_config: &kube::Config,
        kinds: &Kinds,
        namespace: &str,
    ) -> Verdict {
        let budget = self.answer.budget(self.step);
        let phase = Phase::default();
        let run = self.run_phased(admin, admin_config, kinds, namespace, &phase);
        within(budget, &phase, run).await
    }

    async fn run_phased(
        &self,
        admin: &kube::Client,
        admin_config: &kube::Config,
        kinds: &Kinds,
        namespace: &str,
        phase: &Phase,
    ) -> Verdict {
        let lesson = match Lesson::load_for(self.dir, Some(namespace), self.pod_image) {
            Ok(lesson) => lesson,
            Err(errors) => return broken(format!("the lesson does not load: {}", errors[0])),
        };
        phase.set("creating the scratch namespace");
        let scratch =
            match Scratch::create(admin, admin_config, kinds, namespace, self.who, &lesson).await {
                Ok(scratch) => scratch,
                Err(err) => return broken(format!("{err:#}")),
            };
        let reason = match &self.answer {
            Answer::Example(i, _) => lesson.steps[self.step].examples[*i].reason.clone(),
            _ => None,
        };
        let verdict = self.in_scratch(lesson, &scratch, phase).await;
        phase.set("removing the scratch namespace");
        scratch.remove().await;
        Verdict { reason, ..verdict }
    }

    async fn in_scratch(&self, lesson: Lesson, scratch: &Scratch, phase: &Phase) -> Verdict {
        phase.set("starting the engine");
        let mut engine = match Engine::start(lesson, scratch.config.clone()).await {
            Ok(engine) => engine,
            Err(err) => return broken(format!("the engine did not start: {err:#}")),
        };
        phase.set("applying the lesson's setup");
        match engine.setup().await {
            Ok(created) => engine.await_seen(&created, SETUP_SEEN).await,
            Err(err) => return broken(format!("the lesson's setup failed: {err}")),
        }
        for earlier in 0..self.step {
            phase.set(format!(
                "replaying step {}",
                engine.lesson.steps[earlier].id
            ));
            if let Err(why) = replay(&mut engine, earlier).await {
                return broken(why);
            }
        }
        phase.set("applying the step's setup");
        match engine.setup_step(self.step).await {
            Ok(created) => engine.await_seen(&created, SETUP_SEEN).await,
            Err(err) => return broken(format!("the step's setup failed: {err}")),
        }
        phase.set("giving the answer");
        if let Err(refused) = self.give_answer(&engine).await {
            return Verdict {
                got: Got::Fail,
                reason: None,
                said: refused,
            };
        }
        let seconds = Duration::from_secs(self.answer.seconds());
        phase.set("waiting for the step's verdict");
        match engine.wait_until_passed(self.step, seconds).await {
            Ok(report) => {
                let later = engine.report_after(self.step, HOLDS_FOR).await;
                if later.passed() {
                    Verdict {
                        got: Got::Pass,
                        reason: None,
                        said: messages(&report),
                    }
                } else {
                    Verdict {
                        got: Got::Fail,
                        reason: None,
                        said: format!(
                            "passed for a moment ({}), then: {}",
                            messages(&report),
                            messages(&later)
                        ),
                    }
                }
            }
            Err(report) => Verdict {
                got: Got::Fail,
                reason: None,
                said: messages(&report),
            },
        }
    }

    /// Applies the answer as the learner would; Err holds what the learner
    /// reads when the cluster (or kubectl) refuses it.
    async fn give_answer(&self, engine: &Engine) -> Result<(), String> {
        let step = &engine.lesson.steps[self.step];
        match &self.answer {
            Answer::Solution => {
                if let Some(solution) = &step.solution {
                    engine.apply(solution).await.map_err(|e| e.to_string())?;
                }
                run_commands(engine, &step.solution_commands, None).await?;
                run_actions(engine, self.step).await;
            }
            Answer::Template => {
                let template = step.template.as_deref().unwrap_or_default();
                engine.apply(template).await.map_err(|e| e.to_string())?;
            }
            Answer::Example(index, _) => {
                let example = &step.examples[*index];
                let manifest = example.manifest.as_deref();
                if let (true, Some(text)) = (example.kubectl.is_empty(), manifest) {
                    engine.apply(text).await.map_err(|e| e.to_string())?;
                }
                run_commands(engine, &example.kubectl, manifest).await?;
                if example.run {
                    run_actions(engine, self.step).await;
                }
            }
        }
        Ok(())
    }
}

/// Brings step `index` about as `solve` does, and waits for it to pass.
async fn replay(engine: &mut Engine, index: usize) -> Result<(), String> {
    let step = engine.lesson.steps[index].clone();
    let created = engine
        .setup_step(index)
        .await
        .map_err(|e| format!("step {}: its setup failed: {e}", step.id))?;
    engine.await_seen(&created, SETUP_SEEN).await;
    if let Some(solution) = &step.solution {
        engine
            .apply(solution)
            .await
            .map_err(|e| format!("step {}: its solution does not apply: {e}", step.id))?;
    }
    run_commands(engine, &step.solution_commands, None)
        .await
        .map_err(|e| format!("step {}: its solution: {e}", step.id))?;
    run_actions(engine, index).await;
    if step.checks.is_empty() {
        return Ok(());
    }
    engine
        .wait_until_passed(index, REPLAY_TIMEOUT)
        .await
        .map(|_| ())
        .map_err(|report| {
            format!(
                "step {} (before the one tested) did not pass after its solution: {}",
                step.id,
                messages(&report)
            )
        })
}

/// Runs kubectl command lines in order; the first error stops them.
async fn run_commands(
    engine: &Engine,
    lines: &[String],
    manifest: Option<&str>,
) -> Result<(), String> {
    for line in lines {
        let command =
            crate::lesson::kubectl::parse(line).map_err(|e| format!("kubectl {line}: {e}"))?;
        engine
            .kubectl(&command, manifest)
            .await
            .map_err(|e| format!("kubectl {line}: {e}"))?;
    }
    Ok(())
}

async fn run_actions(engine: &Engine, index: usize) {
    for action in engine.lesson.steps[index].actions.clone() {
        engine.run_action(&action).await;
    }
}

/// Does the verdict agree with what was expected? Err says how not.
pub fn agrees(expected: Expect, verdict: &Verdict) -> Result<(), String> {
    let reason = verdict.reason.as_deref();
    match (expected, &verdict.got) {
        (_, Got::Broken) => Err("the case could not run".into()),
        (Expect::Pass, Got::Pass) => Ok(()),
        (Expect::Pass, Got::Fail) => Err("expected to pass, but the step fails".into()),
        (Expect::Fail, Got::Pass) => Err("expected to fail, but the step passes".into()),
        (Expect::Fail, Got::Fail) => match reason {
            None => Ok(()),
            Some(pattern) => match Regex::new(pattern) {
                Ok(regex) if regex.is_match(&verdict.said) => Ok(()),
                Ok(_) => Err(format!("fails, but not saying /{pattern}/")),
                Err(e) => Err(format!("the reason is not a regular expression: {e}")),
            },
        },
    }
}

/// The case's verdict, or a broken one naming `phase` when it outlives
/// `budget`.
async fn within(
    budget: Duration,
    phase: &Phase,
    case: impl std::future::Future<Output = Verdict>,
) -> Verdict {
    match tokio::time::timeout(budget, case).await {
        Ok(verdict) => verdict,
        Err(_) => broken(format!(
            "the case did not finish within {} s; it was {} (a request or watch that never answered)",
            budget.as_secs(),
            phase.now()
        )),
    }
}

/// What a case is doing, for the message of a case that hangs.
#[derive(Default)]
struct Phase(std::sync::Mutex<String>);

impl Phase {
    fn set(&self, what: impl Into<String>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = what.into();
    }

    fn now(&self) -> String {
        let what = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if what.is_empty() {
            "loading the lesson".into()
        } else {
            what.clone()
        }
    }
}

fn broken(why: String) -> Verdict {
    Verdict {
        got: Got::Broken,
        reason: None,
        said: why,
    }
}

/// What the learner reads in the Checks pane: the failing checks first.
fn messages(report: &StepReport) -> String {
    let mut failing: Vec<&str> = Vec::new();
    let mut passing: Vec<&str> = Vec::new();
    for (_, outcome) in &report.outcomes {
        if outcome.passed {
            passing.push(&outcome.message);
        } else {
            failing.push(&outcome.message);
        }
    }
    failing.extend(passing);
    failing.join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_case_that_never_answers_is_broken_naming_where_it_stopped() {
        let phase = Phase::default();
        let hung = async {
            phase.set("replaying step token");
            std::future::pending::<Verdict>().await
        };
        let verdict = within(Duration::from_millis(50), &phase, hung).await;
        assert_eq!(verdict.got, Got::Broken);
        assert!(
            verdict.said.contains("did not finish within")
                && verdict.said.contains("replaying step token"),
            "{}",
            verdict.said
        );
    }

    #[tokio::test]
    async fn a_case_that_answers_in_time_keeps_its_verdict() {
        let phase = Phase::default();
        let slow = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Verdict {
                got: Got::Pass,
                reason: None,
                said: "ok".into(),
            }
        };
        let verdict = within(Duration::from_secs(30), &phase, slow).await;
        assert_eq!(verdict.got, Got::Pass);
    }

    #[test]
    fn the_budget_covers_every_wait_of_the_case() {
        let step = 4;
        let answer = Answer::Solution;
        let waits = REPLAY_TIMEOUT * step as u32
            + SETUP_SEEN * (step as u32 + 1)
            + Duration::from_secs(answer.seconds())
            + HOLDS_FOR;
        assert!(answer.budget(step) > waits);
    }
}
