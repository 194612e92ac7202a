//! The result of one check: passed, failed, or undecided, and one plain
//! sentence saying why.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub passed: bool,
    /// The check could not be decided (the learner may not read what it
    /// needs, or the API server cannot be reached). Never true when `passed`.
    pub undecided: bool,
    pub message: String,
}

impl Outcome {
    pub fn pass(message: impl Into<String>) -> Self {
        Self {
            passed: true,
            undecided: false,
            message: message.into(),
        }
    }

    pub fn fail(message: impl Into<String>) -> Self {
        Self {
            passed: false,
            undecided: false,
            message: message.into(),
        }
    }

    /// Neither passed nor failed: the message says why it cannot be told.
    pub fn undecided(message: impl Into<String>) -> Self {
        Self {
            passed: false,
            undecided: true,
            message: message.into(),
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
