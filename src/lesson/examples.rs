//! Lint of a step's `examples:`: each says what it does and what verdict it
//! expects, its YAML and kubectl commands parse, a wrong answer names the
//! words the learner will read, and a step the learner builds carries enough
//! of them — right answers that differ from the solution, and the plausible
//! mistakes — for `lessons test` to prove its checks.

use super::kubectl;
use super::model::{Act, Example, Expect, StepSpec};
use crate::manifest;

/// Right answers, and mistakes, a step the learner builds must carry.
pub const MIN_PASSING: usize = 2;
pub const MIN_FAILING: usize = 2;

/// Problems with `step`'s examples, as (text to point at, message).
/// `solution` is the step's solution text, `namespace` the lesson's.
pub fn lint(
    step: &StepSpec,
    solution: Option<&str>,
    has_actions: bool,
    namespace: &str,
) -> Vec<(String, String)> {
    let id = &step.id;
    let mut problems = Vec::new();
    for example in &step.examples {
        let at = example.title.clone();
        let mut problem =
            |message: String| problems.push((at.clone(), format!("step {id}: {message}")));
        if example.title.trim().is_empty() {
            problem("an example needs a `title` saying what it does differently".into());
        }
        if example.manifest.is_none() && example.kubectl.is_empty() && !example.run {
            problem(format!(
                "example {:?} does nothing: give a `manifest`, `kubectl` commands or `run: true`",
                example.title
            ));
        }
        if example.run && !has_actions {
            problem(format!(
                "example {:?} has run: true, but the step has no action to run",
                example.title
            ));
        }
        let mut reads_manifest = false;
        for line in &example.kubectl {
            match kubectl::parse(line) {
                Ok(command) => reads_manifest |= command.reads_manifest(),
                Err(why) => problem(format!(
                    "example {:?}: kubectl {line}: {why}",
                    example.title
                )),
            }
        }
        if reads_manifest && example.manifest.is_none() {
            problem(format!(
                "example {:?}: `-f -` reads the example's manifest, and it has none",
                example.title
            ));
        }
        if let (Some(text), Expect::Pass) = (&example.manifest, example.expect)
            && let Err(err) = manifest::parse(text, namespace)
        {
            problem(format!(
                "example {:?}: its manifest is not valid: {err}",
                example.title
            ));
        }
        match (example.expect, &example.reason) {
            (Expect::Fail, None) => problem(format!(
                "example {:?} must fail: give the `reason` (a regular expression) the learner reads",
                example.title
            )),
            (Expect::Fail, Some(reason)) => {
                if let Err(why) = crate::syntax::pattern::compile(reason) {
                    problem(format!("example {:?}: reason {why}", example.title));
                }
            }
            (Expect::Pass, Some(_)) => problem(format!(
                "example {:?} must pass: a `reason` is for mistakes",
                example.title
            )),
            (Expect::Pass, None) => {}
        }
        if example.expect == Expect::Pass
            && example
                .kubectl
                .iter()
                .all(|l| l.trim_start().starts_with("apply"))
            && example.manifest.as_deref().map(normalise) == solution.map(normalise)
        {
            problem(format!(
                "example {:?} is the solution itself: a right answer proves something when it \
                 differs (another name, key, form, extra fields, kubectl)",
                example.title
            ));
        }
    }
    problems
}

/// A step the learner builds (`acts: [apply]`) without enough examples: the
/// message, or None.
pub fn too_few(step: &StepSpec) -> Option<String> {
    if !step.acts.contains(&Act::Apply) {
        return None;
    }
    let count = |expect| {
        step.examples
            .iter()
            .filter(|e: &&Example| e.expect == expect)
            .count()
    };
    let (passing, failing) = (count(Expect::Pass), count(Expect::Fail));
    (passing < MIN_PASSING || failing < MIN_FAILING).then(|| {
        format!(
            "step {} is built by the learner, so its checks must be proven: it has {passing} \
             passing and {failing} failing examples, and needs at least {MIN_PASSING} of each \
             (right answers that differ from the solution, plausible mistakes with their reason)",
            step.id
        )
    })
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect()
}
