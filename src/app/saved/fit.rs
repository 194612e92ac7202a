//! A progress file is data from disk, not a promise: a lesson edit (a step
//! renamed, a choice removed), a hand edit or another tool can leave fields
//! the lesson no longer has. Every field is checked against the lesson when
//! the tutor opens it; what does not fit is dropped and said once (the next
//! save no longer holds it). Nothing that reads the state later needs to
//! guard an index again.

use super::SavedState;
use crate::lesson::Lesson;

/// `state` with only what fits `lesson`, and one line per thing dropped.
pub fn fit(mut state: SavedState, lesson: &Lesson) -> (SavedState, Vec<String>) {
    let mut dropped = Vec::new();
    let last = lesson.steps.len().saturating_sub(1);
    if state.unlocked > last {
        dropped.push(format!(
            "progress to step {} (the lesson has {} steps)",
            state.unlocked.saturating_add(1),
            lesson.steps.len()
        ));
        state.unlocked = last;
    }
    // A presenter may save a step past the one reached (free navigation):
    // only a step past the lesson's end is wrong.
    if state.current > last {
        dropped.push(format!(
            "the open step {} (the lesson has {} steps)",
            state.current.saturating_add(1),
            lesson.steps.len()
        ));
        state.current = last;
    }
    state.drafts.retain(|id, _| {
        let known = lesson.step_index(id).is_some();
        if !known {
            dropped.push(format!("the draft of step '{}' (no such step)", shown(id)));
        }
        known
    });
    state.acts.retain(|id, acts| {
        let Some(index) = lesson.step_index(id) else {
            dropped.push(format!(
                "what was done in step '{}' (no such step)",
                shown(id)
            ));
            return false;
        };
        let Some(given) = acts.answer else {
            return true;
        };
        let choices = lesson.steps[index]
            .predict
            .as_ref()
            .map_or(0, |p| p.choices.len());
        if given >= choices {
            dropped.push(format!(
                "the answer {} to step {} (it has {choices} choice{})",
                given.saturating_add(1),
                index + 1,
                if choices == 1 { "" } else { "s" }
            ));
            acts.answer = None;
        }
        true
    });
    (state, dropped)
}

/// What the learner is told, once: None when everything fit.
pub fn notice(dropped: &[String]) -> Option<String> {
    if dropped.is_empty() {
        return None;
    }
    Some(format!(
        "The saved progress no longer fits this lesson (edited since?): dropped {}.",
        dropped.join("; ")
    ))
}

/// A step id from the file, safe to print: control characters (terminal
/// escapes) shown escaped, long ids cut.
fn shown(id: &str) -> String {
    let escaped: String = id.chars().flat_map(char::escape_debug).collect();
    match escaped.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &escaped[..cut]),
        None => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::StepActs;

    fn lesson() -> Lesson {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
        Lesson::load(&dir, Some("lab")).unwrap()
    }

    fn answered(step: &str, answer: usize) -> SavedState {
        let mut state = SavedState::default();
        state.acts.insert(
            step.into(),
            StepActs {
                answer: Some(answer),
                ..StepActs::default()
            },
        );
        state
    }

    #[test]
    fn a_state_that_fits_is_kept_whole_and_nothing_is_said() {
        let lesson = lesson();
        let first = lesson.steps[0].id.clone();
        let mut state = answered(&first, 1);
        state.unlocked = 3;
        state.current = 2;
        state
            .drafts
            .insert(lesson.steps[2].id.clone(), "kind: x".into());
        let (fitted, dropped) = fit(state.clone(), &lesson);
        assert_eq!(fitted, state);
        assert!(dropped.is_empty(), "{dropped:?}");
        assert_eq!(notice(&dropped), None);
    }

    #[test]
    fn an_answer_past_the_choices_is_dropped_and_said() {
        let lesson = lesson();
        let step = &lesson.steps[0];
        let choices = step.predict.as_ref().unwrap().choices.len();
        let (fitted, dropped) = fit(answered(&step.id, choices), &lesson);
        assert_eq!(fitted.acts[&step.id].answer, None);
        let said = notice(&dropped).unwrap();
        assert!(
            said.contains(&format!("the answer {} to step 1", choices + 1)),
            "{said}"
        );
    }

    #[test]
    fn an_answer_to_a_step_without_a_question_is_dropped() {
        let lesson = lesson();
        let step = lesson.steps.iter().find(|s| s.predict.is_none()).unwrap();
        let (fitted, dropped) = fit(answered(&step.id, 0), &lesson);
        assert_eq!(fitted.acts[&step.id].answer, None);
        assert!(dropped[0].contains("0 choices"), "{dropped:?}");
    }

    #[test]
    fn steps_past_the_end_and_unknown_ids_are_dropped() {
        let lesson = lesson();
        let mut state = answered("gone\x1b[2J", 0);
        state.unlocked = usize::MAX;
        state.current = usize::MAX;
        state.drafts.insert("renamed".into(), "text".into());
        let (fitted, dropped) = fit(state, &lesson);
        assert_eq!(fitted.unlocked, lesson.steps.len() - 1);
        assert_eq!(fitted.current, lesson.steps.len() - 1);
        assert!(fitted.acts.is_empty() && fitted.drafts.is_empty());
        assert_eq!(dropped.len(), 4, "{dropped:?}");
        let said = dropped.join("; ");
        assert!(!said.contains('\x1b'), "escapes are shown escaped: {said}");
    }
}
