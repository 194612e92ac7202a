//! The learner's own acts per step — applied, ran, answered — and what they
//! make of a step: done (its checks hold and the learner did what it asks),
//! or "holds already" (the checks hold, the learner has not acted yet).

use serde::{Deserialize, Serialize};

use super::App;
use crate::lesson::model::Act;

/// What the learner did in one step. Saved with the progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepActs {
    #[serde(default)]
    pub applied: bool,
    #[serde(default)]
    pub ran: bool,
    /// The prediction chosen (index into the step's choices).
    #[serde(default)]
    pub answer: Option<usize>,
}

impl App {
    /// The learner did everything step `index` asks (no list built: the
    /// Steps pane asks this of every step on every frame).
    pub fn acts_done(&self, index: usize) -> bool {
        let step = &self.lesson.steps[index];
        let acts = &self.steps[index].acts;
        (step.predict.is_none() || acts.answer.is_some())
            && step.acts.iter().all(|act| match act {
                Act::Apply => acts.applied,
                Act::Run => acts.ran,
            })
    }

    /// What the learner still has to do in step `index`, in the order to do it.
    pub fn acts_missing(&self, index: usize) -> Vec<String> {
        let step = &self.lesson.steps[index];
        let acts = &self.steps[index].acts;
        let mut missing = Vec::new();
        if let Some(predict) = &step.predict
            && acts.answer.is_none()
        {
            missing.push(format!("answer the question (1–{})", predict.choices.len()));
        }
        for act in &step.acts {
            let done = match act {
                Act::Apply => acts.applied,
                Act::Run => acts.ran,
            };
            if !done {
                missing.push(act.todo().to_string());
            }
        }
        missing
    }

    /// The step's checks hold now.
    pub fn holds(&self, index: usize) -> bool {
        self.steps[index]
            .report
            .as_ref()
            .is_some_and(crate::engine::StepReport::passed)
    }

    /// The checks hold but the learner has not done what the step asks.
    pub fn holds_already(&self, index: usize) -> bool {
        !self.steps[index].done && self.holds(index) && !self.acts_done(index)
    }

    /// The learner may go past this step: done, or undecided (their rights
    /// cannot tell) with every act done.
    pub fn passable(&self, index: usize) -> bool {
        self.steps[index].done || (self.undecided(index) && self.acts_done(index))
    }

    /// Marks the step done once its checks hold and its acts are done. Done
    /// stays done (a later break shows as regressed); returns whether it just
    /// became done.
    pub fn settle_done(&mut self, index: usize) -> bool {
        let now = !self.steps[index].done && self.holds(index) && self.acts_done(index);
        self.steps[index].done |= now;
        now
    }

    /// Steps done, for "Steps N/M".
    pub fn done_count(&self) -> usize {
        self.steps.iter().filter(|s| s.done).count()
    }
}
