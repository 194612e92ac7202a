//! `kubetutor lessons test`: a lesson proves its checks with its own right
//! and wrong answers. For every step that checks the cluster, the solution
//! must pass, the template must not, and each example must get the verdict
//! it names (a mistake with the words the learner reads) — on the cluster,
//! each case in a scratch namespace of its own after the earlier steps'
//! solutions, evaluated by the engine the TUI uses; once as the
//! kubeconfig's user and once as a class attendee.

pub mod case;
pub mod identity;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use futures::StreamExt;
use kube::Config;

use crate::cluster::kinds::Kinds;
use crate::lesson::Lesson;
use crate::lesson::model::Expect;
use case::{Answer, Case, Got, agrees};
pub use identity::As;

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub lesson: String,
    pub who: As,
    /// 1-based step number and id.
    pub step: (usize, String),
    pub example: String,
    pub expected: Expect,
    pub got: Got,
    /// What the learner reads (or why the case broke).
    pub said: String,
    /// None when the verdict agrees; else how it does not.
    pub disagreement: Option<String>,
    pub seconds: f64,
}

/// What to test.
pub struct Plan {
    /// Lesson folders.
    pub lessons: Vec<PathBuf>,
    pub who: Vec<As>,
    /// Cases run at once.
    pub jobs: usize,
    pub pod_image: String,
}

/// One case to run: lesson folder and id, identity, step index and id, answer.
type Planned = (PathBuf, String, As, usize, String, Answer);

/// Every case of `plan`.
fn cases(plan: &Plan) -> anyhow::Result<Vec<Planned>> {
    let mut all = Vec::new();
    for dir in &plan.lessons {
        let lesson = Lesson::load(dir, None).map_err(|errors| {
            anyhow::anyhow!(
                "{} has errors (run `kubetutor lessons lint`): {}",
                dir.display(),
                errors[0]
            )
        })?;
        for who in &plan.who {
            for (index, step) in lesson.steps.iter().enumerate() {
                if step.checks.is_empty() {
                    continue;
                }
                let mut answers = vec![Answer::Solution];
                if step.template.is_some() {
                    answers.push(Answer::Template);
                }
                // A step without a solution (an observation) must pass
                // with nothing done but the earlier steps.
                answers.extend(
                    step.examples
                        .iter()
                        .cloned()
                        .enumerate()
                        .map(|(i, e)| Answer::Example(i, e)),
                );
                for answer in answers {
                    all.push((
                        dir.clone(),
                        lesson.id.clone(),
                        *who,
                        index,
                        step.id.clone(),
                        answer,
                    ));
                }
            }
        }
    }
    Ok(all)
}

/// Runs every case of `plan`, `plan.jobs` at a time, calling `each` as rows
/// come in; returns the rows in lesson, identity and step order.
pub async fn run(
    plan: &Plan,
    config: &Config,
    each: &mut dyn FnMut(&Row, usize, usize),
) -> anyhow::Result<Vec<Row>> {
    let admin = crate::transport::client(config)?;
    let kinds = Kinds::discover(&admin).await?;
    let cases = cases(plan)?;
    let total = cases.len();
    let counter = AtomicUsize::new(0);
    let run_one = |(order, (dir, lesson, who, index, step_id, answer)): (usize, Planned)| {
        let (admin, kinds, counter) = (&admin, &kinds, &counter);
        async move {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let namespace = scratch_name(&lesson, n);
            let started = Instant::now();
            let case = Case {
                dir: &dir,
                pod_image: &plan.pod_image,
                step: index,
                answer: answer.clone(),
                who,
            };
            let verdict = case.run(admin, config, kinds, &namespace).await;
            let expected = answer.expected();
            let disagreement = agrees(expected, &verdict).err();
            let row = Row {
                lesson,
                who,
                step: (index + 1, step_id),
                example: answer.title(),
                expected,
                got: verdict.got,
                said: verdict.said,
                disagreement,
                seconds: started.elapsed().as_secs_f64(),
            };
            (order, row)
        }
    };
    let mut rows: Vec<(usize, Row)> = Vec::with_capacity(total);
    let mut stream = futures::stream::iter(cases.into_iter().enumerate().map(run_one))
        .buffer_unordered(plan.jobs.max(1));
    while let Some((order, row)) = stream.next().await {
        each(&row, rows.len() + 1, total);
        rows.push((order, row));
    }
    rows.sort_by_key(|(order, _)| *order);
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}

/// `proof-<lesson>-<n>-<random>`, a valid namespace name whatever the
/// lesson id's length.
fn scratch_name(lesson: &str, n: usize) -> String {
    let short: String = lesson.chars().take(20).collect();
    let short = short.trim_end_matches('-');
    format!("proof-{short}-{n}-{:06x}", random24())
}

/// 24 random-enough bits (time and a counter): scratch names of two runs at
/// once must not collide.
fn random24() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    (hasher.finish() & 0xff_ffff) as u32
}

impl std::fmt::Display for Got {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Got::Pass => "pass",
            Got::Fail => "fail",
            Got::Broken => "broken",
        })
    }
}

/// `pass`/`fail`, as the lesson writes it.
pub fn expect_word(expect: Expect) -> &'static str {
    match expect {
        Expect::Pass => "pass",
        Expect::Fail => "fail",
    }
}
