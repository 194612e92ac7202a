//! Moving around: from step to step (only into unlocked steps, unless in
//! presenter mode), from pane to pane, and where the focus lands on arrival.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Effect, Pane, progress};
use crate::engine::actor::EngineCommand;

/// Opens step `index` if it is unlocked.
pub fn go_to(app: &mut App, index: usize) -> Vec<Effect> {
    if index >= app.lesson.steps.len() {
        app.notice = Some("This is the last step.".into());
        return Vec::new();
    }
    if index > app.unlocked && !app.presenter {
        app.notice = Some(
            format!(
                "Step {} is locked: finish step {} first.",
                index + 1,
                app.unlocked + 1
            )
            .into(),
        );
        return Vec::new();
    }
    if index == app.current {
        return Vec::new();
    }
    app.current = index;
    app.steps_cursor = index;
    app.apply_error = None;
    app.code.shift = 0;
    app.notice = app
        .holds_already(index)
        .then(|| progress::holds_already_notice(app, index).into());
    app.scroll.lesson.to_top();
    app.scroll.checks.to_top();
    // What ran for the step before is history now: a rule says so.
    if app.output.last().is_some_and(|l| !l.starts_with(STEP_RULE)) {
        app.output.push(format!("{STEP_RULE} {} ──", index + 1));
        app.scroll.output.to_end();
    }
    keep_focus_on_arrival(app);
    let mut effects = vec![Effect::Save];
    if !app.step().setup.is_empty() {
        effects.push(Effect::Engine(EngineCommand::SetupStep(index)));
    }
    effects
}

/// Opens the line the Output pane gets between one step's output and the next's.
pub const STEP_RULE: &str = "── now on step";

/// A click put the focus on `pane`.
pub fn focus(app: &mut App, pane: Pane) -> Vec<Effect> {
    app.focus = pane;
    Vec::new()
}

/// Tab / Shift-Tab: the next pane, or in presenter mode (two panes) the other one.
pub fn on_tab(app: &mut App, key: &KeyEvent) -> Vec<Effect> {
    if app.presenter {
        if app.step_has_yaml() {
            app.focus = if app.focus == Pane::Editor {
                Pane::Lesson
            } else {
                Pane::Editor
            };
        } else {
            app.notice = Some(
                format!(
                    "Step {} needs no YAML: the lesson text keeps the focus.",
                    app.current + 1
                )
                .into(),
            );
        }
    } else {
        let delta = if key.code == KeyCode::BackTab { -1 } else { 1 };
        app.focus = next_pane(app.focus, delta);
    }
    Vec::new()
}

fn next_pane(pane: Pane, delta: isize) -> Pane {
    let order = Pane::ORDER;
    let at = order.iter().position(|p| *p == pane).unwrap_or(0) as isize;
    order[(at + delta).rem_euclid(order.len() as isize) as usize]
}

/// e: the focus into the editor, when the step has something to edit.
pub fn edit(app: &mut App) -> Vec<Effect> {
    if app.presenter && !app.step_has_yaml() {
        app.notice = Some(
            format!(
                "Step {} needs no YAML: there is nothing to edit.",
                app.current + 1
            )
            .into(),
        );
    } else {
        app.focus = Pane::Editor;
    }
    Vec::new()
}

/// Menu → Presenter mode on/off.
pub fn toggle_presenter(app: &mut App) -> Vec<Effect> {
    app.presenter = !app.presenter;
    app.notice = Some(if app.presenter {
        "Presenter mode: every step is open; tokens stay masked.".into()
    } else {
        "Self-paced mode: steps unlock as they pass.".into()
    });
    keep_focus_on_arrival(app);
    Vec::new()
}

/// As tabs, the step's question shows only in the Lesson tab: a digit
/// pressed elsewhere would answer a question the learner cannot see (or
/// one meant to switch tabs, as in other tools).
pub fn question_hidden(app: &App) -> bool {
    app.narrow.get() && !app.presenter && app.focus != Pane::Lesson
}

/// Shows the question instead of answering it unseen.
pub fn show_question(app: &mut App) -> Vec<Effect> {
    app.focus = Pane::Lesson;
    let choices = app.step().predict.as_ref().map_or(0, |p| p.choices.len());
    app.notice = Some(
        format!(
            "The question is in the Lesson tab, under the step's text: read it, then press 1–{choices} to answer."
        )
        .into(),
    );
    Vec::new()
}

/// Arriving on a step (or after a reset, or presenter mode on or off)
/// keeps the pane the learner was in. Only an editor with nothing to edit
/// (a step without YAML) hands the focus to the lesson text, and says so:
/// keys meant for the lesson would otherwise be typed into an empty buffer.
pub fn keep_focus_on_arrival(app: &mut App) {
    // As tabs, only the focused pane shows: arriving shows the step's text.
    if app.narrow.get() && !app.presenter {
        app.focus = Pane::Lesson;
        return;
    }
    let hidden_in_presenter = app.presenter && !matches!(app.focus, Pane::Lesson | Pane::Editor);
    let editor_idle = app.focus == Pane::Editor && !app.step_has_yaml();
    if hidden_in_presenter || editor_idle {
        app.focus = Pane::Lesson;
        let why = if editor_idle {
            format!("step {} needs no YAML", app.current + 1)
        } else {
            "presenter mode shows the lesson and the editor".to_string()
        };
        let said = format!("Focus: Lesson ({why}).");
        app.notice = Some(
            match app.notice.take() {
                Some(notice) => format!("{notice} {said}"),
                None => said,
            }
            .into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::ClusterLabel;

    #[test]
    fn a_step_with_setup_asks_the_engine_to_create_it_when_it_opens() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/labels-owners");
        let lesson = crate::lesson::Lesson::load(&dir, Some("lab")).unwrap();
        let with_setup = lesson
            .steps
            .iter()
            .position(|s| !s.setup.is_empty())
            .unwrap();
        let without = lesson
            .steps
            .iter()
            .rposition(|s| s.setup.is_empty())
            .unwrap();
        let mut app = App::new(lesson, ClusterLabel::default(), None);
        app.presenter = true; // no locks
        let effects = go_to(&mut app, with_setup);
        assert!(
            effects.iter().any(
                |e| matches!(e, Effect::Engine(EngineCommand::SetupStep(i)) if *i == with_setup)
            ),
            "{effects:?}"
        );
        let effects = go_to(&mut app, without);
        assert!(
            !effects
                .iter()
                .any(|e| matches!(e, Effect::Engine(EngineCommand::SetupStep(_)))),
            "step {} has no setup: {effects:?}",
            without + 1
        );
    }
}
