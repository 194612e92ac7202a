//! What a step needs the learner to do, besides its checks holding: a step
//! counts when the learner built it, ran it, or answered it — never because
//! the cluster happened to be in that state already.

use serde::Deserialize;

/// An act a step asks for (`acts:` in lesson.yaml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Act {
    /// The learner created or changed what the step checks while the tutor
    /// watched: applied from the editor, or seen changing (kubectl elsewhere).
    Apply,
    /// The learner ran the step's actions (`r`, or `kubetutor call`/`token`).
    Run,
}

impl Act {
    /// What the learner still has to do, as a phrase for "counts once you …".
    pub fn todo(self) -> &'static str {
        match self {
            Act::Apply => "apply it (Ctrl-S, or kubectl)",
            Act::Run => "run it (r)",
        }
    }
}

/// A question asked before the action: the learner predicts, then runs it
/// and sees. Every choice has its feedback; a wrong answer is no obstacle.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Prediction {
    pub question: String,
    pub choices: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Choice {
    pub answer: String,
    #[serde(default)]
    pub correct: bool,
    /// Shown once this choice is picked: why it is right, or what it misses.
    pub feedback: String,
}

impl Prediction {
    /// The largest number of choices a step may offer: keys 1 to 9 pick them.
    pub const MAX_CHOICES: usize = 9;

    pub fn correct(&self) -> Option<usize> {
        self.choices.iter().position(|c| c.correct)
    }
}
