//! What the engine says of a step: the outcome of each of its checks, and
//! what that adds up to (passed, undecided, needs a right, its mark).

use crate::checks::Outcome;
use crate::lesson::model::Check;

/// The outcome of every check of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    pub index: usize,
    pub outcomes: Vec<(Check, Outcome)>,
}

impl StepReport {
    /// For tests: a report per step of `lesson`, every check passing before
    /// step index `through`, and failing with `failing(index)` from it on.
    #[cfg(test)]
    pub fn all_through(
        lesson: &crate::lesson::Lesson,
        through: usize,
        failing: impl Fn(usize) -> String,
    ) -> Vec<StepReport> {
        (0..lesson.steps.len())
            .map(|index| StepReport {
                index,
                outcomes: lesson.steps[index]
                    .checks
                    .iter()
                    .map(|check| {
                        let outcome = if index < through {
                            Outcome::pass("holds")
                        } else {
                            Outcome::fail(failing(index))
                        };
                        (check.clone(), outcome)
                    })
                    .collect(),
            })
            .collect()
    }

    /// A check only the API server answers failed: worth asking again shortly.
    /// Some check is the API server's own answer (a review, a request).
    pub fn asks_the_server(&self) -> bool {
        self.outcomes.iter().any(|(c, _)| c.needs_server())
    }

    /// The step cannot pass with the learner's rights: which, and what to do.
    pub fn needs_right(&self) -> Option<&str> {
        self.outcomes
            .iter()
            .find(|(_, o)| o.lacks_right)
            .map(|(_, o)| o.message.as_str())
    }

    pub fn server_check_failed(&self) -> bool {
        self.outcomes
            .iter()
            .any(|(c, o)| !o.passed && !o.undecided && c.needs_server())
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
