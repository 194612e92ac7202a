//! Keeping a prediction's answer secret until it is given. Until the learner
//! answers the step's question, no pane may show what the cluster says about
//! it (a check reading "answered 403 Forbidden" under "what will it
//! answer?" spoils the question). In presenter mode the room votes first: the
//! instructor keys in the room's answer, and the results wait for the reveal
//! key, so the projector shows nothing before the discussion.

use super::{App, Effect};

/// Why the screen holds back the results of the step shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holdback {
    /// The step's question is not answered yet; it has this many choices.
    Unanswered { choices: usize },
    /// Presenter mode: the room's answer (0-based) is in, the instructor has
    /// not revealed the results yet.
    Unrevealed { vote: usize },
}

impl Holdback {
    /// One sentence for a pane that holds `what` back ("the checks").
    pub fn says(self, what: &str) -> String {
        match self {
            Holdback::Unanswered { choices } => format!(
                "Hidden until you answer the question (1–{choices}): {what} would give it away."
            ),
            Holdback::Unrevealed { vote } => format!(
                "The room answered {}. {} reveals the answer and {what}.",
                vote + 1,
                REVEAL_KEYS
            ),
        }
    }
}

/// The keys that reveal, as the screen names them.
pub const REVEAL_KEYS: &str = "v (F8)";

impl App {
    /// What the step shown holds back, if anything: its question is
    /// unanswered, or (presenter mode) answered and not yet revealed.
    pub fn holdback(&self) -> Option<Holdback> {
        let predict = self.step().predict.as_ref()?;
        let state = &self.steps[self.current];
        match state.acts.answer {
            None => Some(Holdback::Unanswered {
                choices: predict.choices.len(),
            }),
            Some(vote) if self.presenter && !state.revealed => Some(Holdback::Unrevealed { vote }),
            Some(_) => None,
        }
    }
}

/// v / F8: the instructor shows the room the answer and the step's results.
pub fn reveal(app: &mut App) -> Vec<Effect> {
    let said = match (app.presenter, app.holdback()) {
        (false, Some(Holdback::Unanswered { choices })) => {
            format!("Answer the question (1–{choices}): your answer shows the results.")
        }
        (false, _) => "Nothing is hidden: v reveals results in presenter mode.".to_string(),
        (true, Some(Holdback::Unanswered { choices })) => format!(
            "Take the room's vote first: press its answer (1–{choices}), then {REVEAL_KEYS}."
        ),
        (true, Some(Holdback::Unrevealed { .. })) => {
            app.steps[app.current].revealed = true;
            app.scroll.lesson.to_end();
            "Revealed: the answer is under the question.".to_string()
        }
        (true, None) => "Nothing is hidden on this step.".to_string(),
    };
    app.notice = Some(said.into());
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{first_lesson_app, press};
    use crossterm::event::KeyCode;

    /// Step 5 of the first lesson asks what a GET /api/v1 with no token answers.
    fn on_step_5(presenter: bool) -> App {
        let mut app = first_lesson_app();
        app.presenter = presenter;
        app.unlocked = 4;
        app.current = 4;
        app
    }

    #[test]
    fn a_learner_sees_the_results_once_they_answer() {
        let mut app = on_step_5(false);
        assert_eq!(app.holdback(), Some(Holdback::Unanswered { choices: 3 }));
        press(&mut app, KeyCode::Char('v'));
        assert!(
            app.holdback().is_some(),
            "v does not answer for the learner"
        );
        press(&mut app, KeyCode::Char('2'));
        assert_eq!(app.holdback(), None);
    }

    #[test]
    fn a_presenter_reveals_after_the_room_has_voted_and_again_on_each_visit() {
        let mut app = on_step_5(true);
        press(&mut app, KeyCode::Char('v'));
        assert!(
            app.notice.as_deref().unwrap().contains("vote first"),
            "{:?}",
            app.notice
        );
        press(&mut app, KeyCode::Char('3'));
        assert_eq!(app.holdback(), Some(Holdback::Unrevealed { vote: 2 }));
        let notice = app.notice.as_deref().unwrap().to_string();
        assert!(
            !notice.contains("Right") && !notice.contains("Not quite"),
            "the verdict waits for the reveal: {notice}"
        );
        press(&mut app, KeyCode::F(8));
        assert_eq!(app.holdback(), None);
        // A step without a question holds nothing back.
        app.current = 3;
        assert_eq!(app.holdback(), None);
    }
}
