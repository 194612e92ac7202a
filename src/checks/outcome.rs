//! The result of one check: passed, failed, or undecided, and one plain
//! sentence saying why.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub passed: bool,
    /// The check could not be decided (the learner may not read what it
    /// needs, or the API server cannot be reached). Never true when `passed`.
    pub undecided: bool,
    /// Undecided because the learner's kubeconfig lacks a right the lesson
    /// declares: not a mistake of theirs, and not to be waited for.
    pub lacks_right: bool,
    pub message: String,
}

impl Outcome {
    pub fn pass(message: impl Into<String>) -> Self {
        Self {
            passed: true,
            undecided: false,
            lacks_right: false,
            message: message.into(),
        }
    }

    pub fn fail(message: impl Into<String>) -> Self {
        Self {
            passed: false,
            undecided: false,
            lacks_right: false,
            message: message.into(),
        }
    }

    /// Neither passed nor failed: the message says why it cannot be told.
    pub fn undecided(message: impl Into<String>) -> Self {
        Self {
            passed: false,
            undecided: true,
            lacks_right: false,
            message: message.into(),
        }
    }

    /// Cannot pass with the learner's rights: the message says which right
    /// and what to do.
    pub fn lacks_right(message: impl Into<String>) -> Self {
        Self {
            lacks_right: true,
            ..Self::undecided(message)
        }
    }

    /// The mark shown next to it: ✓, ✗ or ?.
    pub fn mark(&self) -> &'static str {
        if self.passed {
            "✓"
        } else if self.undecided {
            "?"
        } else {
            "✗"
        }
    }
}
