//! What the tutor publishes about the learner for a class's board
//! (`class::record`): built from the app after every update, and handed to
//! the runtime as `Effect::Publish` only when it changed. Only in a class
//! (`App::publishing`), and never a token or a draft's text.

use super::{App, Effect};
use crate::class::record::{Answer, ApplyFailure, Record};

/// The record of `app` now.
pub fn record(app: &App) -> Record {
    let steps = &app.lesson.steps;
    let ids = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..steps.len())
            .filter(|i| keep(*i))
            .map(|i| steps[i].id.clone())
            .collect()
    };
    let answers = steps
        .iter()
        .zip(&app.steps)
        .filter_map(|(step, state)| {
            let choice = state.acts.answer?;
            let picked = step.predict.as_ref()?.choices.get(choice)?;
            Some(Answer {
                step: step.id.clone(),
                choice: choice + 1,
                answer: picked.answer.clone(),
                right: picked.correct,
            })
        })
        .collect();
    Record {
        lesson: app.lesson.id.clone(),
        step: app.current + 1,
        step_id: app.step().id.clone(),
        done: ids(&|i| app.steps[i].done),
        acts_done: ids(&|i| app.acts_done(i)),
        answers,
        apply_error: apply_failure(app),
        last_seen: 0,
        step_since: 0,
    }
}

/// The apply error on screen; once the learner edits, it is no longer on
/// screen but still what holds them up, so it stays until an apply works,
/// the step holds, or they move to another step.
fn apply_failure(app: &App) -> Option<ApplyFailure> {
    let step = app.step().id.clone();
    if let Some(err) = &app.apply_error {
        return Some(ApplyFailure {
            step,
            text: err.to_string(),
        });
    }
    let applied = app
        .notice
        .as_ref()
        .is_some_and(|n| n.applied_names().is_some());
    let holds = app.report().is_some_and(|r| r.passed());
    app.published
        .as_ref()
        .and_then(|r| r.apply_error.clone())
        .filter(|e| e.step == step && !applied && !holds)
}

/// `Effect::Publish` when publishing and the record changed since the last.
pub fn changed(app: &mut App) -> Option<Effect> {
    if !app.publishing {
        return None;
    }
    let now = record(app);
    if app.published.as_ref() == Some(&now) {
        return None;
    }
    app.published = Some(now.clone());
    Some(Effect::Publish(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Msg, first_lesson_app, press, update};
    use crossterm::event::KeyCode;

    fn published(effects: &[Effect]) -> Option<&Record> {
        effects.iter().find_map(|e| match e {
            Effect::Publish(r) => Some(r),
            _ => None,
        })
    }

    #[test]
    fn a_wrong_answer_is_published_once_and_only_in_a_class() {
        let mut app = first_lesson_app();
        let step = app
            .lesson
            .steps
            .iter()
            .position(|s| s.predict.is_some())
            .unwrap();
        app.current = step;
        app.unlocked = step;
        app.focus = crate::app::Pane::Lesson;
        let wrong = app.lesson.steps[step]
            .predict
            .as_ref()
            .unwrap()
            .choices
            .iter()
            .position(|c| !c.correct)
            .unwrap();
        let key = KeyCode::Char(char::from(b'1' + wrong as u8));
        assert!(
            published(&press(&mut app, KeyCode::Down)).is_none(),
            "not a class"
        );
        app.publishing = true;
        let effects = press(&mut app, key);
        let record = published(&effects).expect("the answer changed the record");
        assert_eq!(record.step, step + 1);
        assert_eq!(record.answers.len(), 1);
        assert_eq!(record.answers[0].choice, wrong + 1);
        assert!(!record.answers[0].right);
        assert!(!record.to_json().contains("apiVersion"), "no draft text");
        assert!(
            published(&press(&mut app, KeyCode::Down)).is_none(),
            "unchanged"
        );
        update(&mut app, Msg::ProgressNotPublished("forbidden".into()));
        assert!(app.output.last().unwrap().contains("forbidden"));
    }
}
