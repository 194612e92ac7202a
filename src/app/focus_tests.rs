//! The focus moves only when the learner moves it, and the keys named on
//! screen work where it is.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::engine::actor::EngineUpdate;

fn app() -> App {
    crate::app::first_lesson_app()
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    update(
        app,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

fn yaml_steps(app: &App) -> (usize, usize) {
    let with = app
        .lesson
        .steps
        .iter()
        .position(|s| s.template.is_some())
        .unwrap();
    let next_without = (with + 1..app.lesson.steps.len())
        .find(|i| {
            app.lesson.steps[*i].template.is_none() && app.lesson.steps[*i].solution.is_none()
        })
        .unwrap();
    (with, next_without)
}

#[test]
fn arriving_on_a_step_keeps_the_pane_the_learner_was_in() {
    let mut app = app();
    app.presenter = true; // every step open
    let (with_yaml, _) = yaml_steps(&app);
    app.focus = Pane::Lesson;
    for _ in 0..with_yaml {
        press(&mut app, KeyCode::Char('n'));
    }
    assert_eq!(app.current, with_yaml);
    assert_eq!(
        app.focus,
        Pane::Lesson,
        "the editor does not grab the focus"
    );
    let before = app.steps[with_yaml].editor.lines().to_vec();
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.current, with_yaml + 1, "n moved on");
    assert_eq!(app.steps[with_yaml].editor.lines(), before.as_slice());
}

#[test]
fn leaving_the_editor_for_a_step_without_yaml_gives_the_focus_to_the_text_and_says_so() {
    let mut app = app();
    app.presenter = true;
    let (_, without) = yaml_steps(&app);
    app.current = without - 1;
    app.focus = Pane::Editor;
    ctrl(&mut app, 'n');
    assert_eq!(app.current, without);
    assert_eq!(app.focus, Pane::Lesson);
    let notice = app.notice.clone().unwrap_or_default();
    assert!(notice.contains("Focus: Lesson"), "{notice}");
    let before = app.steps[without].editor.lines().to_vec();
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.current, without - 1, "p is a key here, not text");
    assert_eq!(app.steps[without].editor.lines(), before.as_slice());
}

#[test]
fn after_a_reset_from_the_editor_n_moves_on_and_types_nothing() {
    let mut app = app();
    app.focus = Pane::Editor;
    app.overlays.open(Overlay::Reset(ResetView::Running {
        from: 0,
        objects: vec![],
        gone: 0,
        keep_drafts: false,
        lines: vec![],
    }));
    update(&mut app, Msg::Engine(EngineUpdate::ResetDone(Ok(()))));
    assert_eq!(app.current, 0);
    assert_eq!(app.focus, Pane::Lesson, "step 1 has no YAML to edit");
    let editor = app.steps[0].editor.lines().to_vec();
    for _ in 0..3 {
        press(&mut app, KeyCode::Char('n'));
    }
    assert_eq!(
        app.steps[0].editor.lines(),
        editor.as_slice(),
        "no nnn in the buffer"
    );
}

#[test]
fn a_reset_clears_a_stale_apply_error_and_its_f9_offer() {
    let mut app = app();
    app.apply_error = Some(crate::cluster::apply::ApplyError::Immutable {
        line: 5,
        column: 1,
        kind: "RoleBinding".into(),
        name: "b".into(),
        namespace: "lab".into(),
        message: "roleRef cannot change".into(),
    });
    app.overlays.open(Overlay::Reset(ResetView::Running {
        from: 0,
        objects: vec![],
        gone: 0,
        keep_drafts: false,
        lines: vec![],
    }));
    update(&mut app, Msg::Engine(EngineUpdate::ResetDone(Ok(()))));
    assert!(app.apply_error.is_none());
    press(&mut app, KeyCode::F(9));
    assert!(app.overlays.is_empty(), "nothing left to re-create");
}

#[test]
fn presenter_mode_never_leaves_the_focus_on_a_pane_it_does_not_show() {
    let mut app = app();
    app.focus = Pane::Checks;
    press(&mut app, KeyCode::Esc);
    let at = MenuItem::offered(&app)
        .iter()
        .position(|m| *m == MenuItem::TogglePresenter)
        .unwrap();
    for _ in 0..at {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    assert!(app.presenter);
    assert_eq!(app.focus, Pane::Lesson);
    assert_eq!(
        app.last_keys.back().map(String::as_str),
        Some("menu: Presenter mode"),
        "the room reads the choice, not [Esc] [Down] [Enter]"
    );
}

#[test]
fn the_key_strip_shows_typed_text_as_one_word() {
    let mut app = app();
    let (with_yaml, _) = yaml_steps(&app);
    app.current = with_yaml;
    app.focus = Pane::Editor;
    for c in "pod-default".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    ctrl(&mut app, 's');
    let strip: Vec<&str> = app.last_keys.iter().map(String::as_str).collect();
    assert_eq!(strip, ["\"pod-default\"", "Ctrl-S"]);
}

/// One definition of the counter: after a reset, and after a restart at the
/// same place, the Steps pane says the same number.
#[test]
fn the_progress_counter_is_the_same_after_a_reset_and_after_a_restart() {
    use crate::checks::Outcome;
    use crate::engine::StepReport;
    let mut app = app();
    let holding = |app: &App| -> Vec<StepReport> {
        (0..app.lesson.steps.len())
            .map(|index| StepReport {
                index,
                outcomes: app.lesson.steps[index]
                    .checks
                    .iter()
                    .map(|c| (c.clone(), Outcome::pass("holds")))
                    .collect(),
            })
            .collect()
    };
    for (index, step) in app.lesson.steps.clone().iter().enumerate() {
        app.steps[index].acts = StepActs {
            applied: true,
            ran: true,
            answer: step.predict.as_ref().and_then(|p| p.correct()),
        };
    }
    let reports = holding(&app);
    update(&mut app, Msg::Engine(EngineUpdate::Started(reports)));
    assert_eq!(app.done_count(), app.lesson.steps.len());
    // Reset from step 4: steps 4… start over, though their objects would be
    // back at once if another terminal made them again.
    app.overlays.open(Overlay::Reset(ResetView::Running {
        from: 3,
        objects: vec![],
        gone: 0,
        keep_drafts: false,
        lines: vec![],
    }));
    update(&mut app, Msg::Engine(EngineUpdate::ResetDone(Ok(()))));
    let reports = holding(&app);
    update(&mut app, Msg::Engine(EngineUpdate::Steps(reports)));
    let after_reset = app.done_count();
    assert_eq!(after_reset, 3, "only the steps before the reset are done");
    // Restart: the saved state, the same cluster.
    let mut again = App::new(
        app.lesson.clone(),
        ClusterLabel::default(),
        Some(app.saved_state()),
    );
    let reports = holding(&again);
    update(&mut again, Msg::Engine(EngineUpdate::Started(reports)));
    assert_eq!(again.done_count(), after_reset);
}

#[test]
fn running_an_action_shows_its_output_without_taking_the_focus() {
    let mut app = app();
    app.presenter = true; // every step open
    let with_action = app
        .lesson
        .steps
        .iter()
        .position(|s| !s.actions.is_empty() && s.predict.is_none())
        .unwrap_or_else(|| {
            app.lesson
                .steps
                .iter()
                .position(|s| !s.actions.is_empty())
                .unwrap()
        });
    app.presenter = false;
    app.current = with_action;
    app.unlocked = with_action;
    app.steps[with_action].acts.answer = Some(0);
    app.focus = Pane::Lesson;
    press(&mut app, KeyCode::Char('r'));
    assert_eq!(
        app.focus,
        Pane::Lesson,
        "the focus stays where the learner put it"
    );
    update(
        &mut app,
        Msg::Engine(EngineUpdate::Action(crate::engine::ActionOutput {
            title: "GET /api/v1".into(),
            lines: vec!["403 Forbidden".into()],
            step: Some(with_action),
        })),
    );
    assert!(app.output_unseen, "the Output tab is marked");
    press(&mut app, KeyCode::Tab);
    while app.focus != Pane::Output {
        press(&mut app, KeyCode::Tab);
    }
    assert!(!app.output_unseen, "looked at");
}

#[test]
fn as_tabs_arriving_on_a_step_shows_its_text_and_old_output_is_ruled_off() {
    let mut app = app();
    app.presenter = true;
    app.narrow.set(true);
    app.presenter = false;
    app.unlocked = 3;
    app.output.push("── GET /api/v1 ──".into());
    app.focus = Pane::Checks;
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.current, 1);
    assert_eq!(app.focus, Pane::Lesson);
    assert_eq!(
        app.output.last().map(String::as_str),
        Some("── now on step 2 ──")
    );
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(
        app.output
            .iter()
            .filter(|l| l.starts_with("── now on step"))
            .count(),
        1,
        "no rule after a rule"
    );

    // Wide, the learner's pane stays.
    app.narrow.set(false);
    app.focus = Pane::Checks;
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.focus, Pane::Checks);
}

/// The first lesson on its first step with a question (and that step's index).
fn on_a_question() -> (App, usize) {
    let mut app = app();
    let asks = app
        .lesson
        .steps
        .iter()
        .position(|s| s.predict.is_some())
        .unwrap();
    app.unlocked = asks + 1;
    app.current = asks;
    (app, asks)
}

#[test]
fn as_tabs_a_digit_outside_the_lesson_shows_the_question_instead_of_answering_it() {
    let (mut app, asks) = on_a_question();
    app.narrow.set(true);
    app.focus = Pane::Cluster;
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(app.steps[asks].acts.answer, None, "not answered unseen");
    assert_eq!(app.focus, Pane::Lesson, "the question is shown");
    let said = app
        .notice
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(said.contains("The question is in the Lesson tab"), "{said}");

    // Seen now: the same key answers.
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(app.steps[asks].acts.answer, Some(1));

    // Wide, the question is always on screen: a digit answers from any pane.
    let (mut app, asks) = on_a_question();
    app.focus = Pane::Cluster;
    press(&mut app, KeyCode::Char('1'));
    assert_eq!(app.steps[asks].acts.answer, Some(0));
}
