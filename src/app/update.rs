//! `update`: the only function that changes the app.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};

use super::{
    App, Connection, Effect, MenuItem, Msg, Pane, ResetView, new_editor, paste, progress,
    shown_keys,
};
use crate::cluster::reset::ResetEvent;
use crate::engine::actor::{EngineCommand, EngineUpdate};

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let effects = route(app, msg);
    app.sync_editor_cursor();
    effects
}

fn route(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) if key.kind != KeyEventKind::Release => on_key(app, key),
        Msg::Key(_) | Msg::Resize => Vec::new(),
        Msg::Mouse(mouse) => {
            match mouse.kind {
                MouseEventKind::ScrollDown => scroll(app, 3),
                MouseEventKind::ScrollUp => scroll(app, -3),
                _ => {}
            }
            Vec::new()
        }
        Msg::Paste(text) => paste::on_paste(app, text),
        Msg::Focus(pane) => {
            app.focus = pane;
            Vec::new()
        }
        Msg::Engine(update) => on_engine(app, update),
        Msg::EngineFailed(reason) => {
            app.connection = Connection::Unreachable(reason);
            Vec::new()
        }
        Msg::Signal(_) => quit(app),
        Msg::ShellClosed(message) => {
            app.notice = Some(message);
            Vec::new()
        }
        Msg::ActsElsewhere(entries) => progress::on_acts_elsewhere(app, entries),
    }
}

/// Quits now (a signal asks no questions); work cut short is said on the
/// way out (`farewell`), never left half done in silence.
fn quit(app: &mut App) -> Vec<Effect> {
    app.farewell = unfinished(app);
    app.quitting = true;
    vec![Effect::Save, Effect::Quit]
}

/// Quits, but while a reset or an apply runs, only on the second ask: the
/// first says what quitting now would leave half done.
fn quit_asking(app: &mut App) -> Vec<Effect> {
    match unfinished(app) {
        Some(what) if !app.quit_asked => {
            app.quit_asked = true;
            app.notice = Some(format!(
                "Still running: {what}. Press Ctrl-C again to quit now anyway."
            ));
            Vec::new()
        }
        _ => quit(app),
    }
}

/// What quitting now would cut short, in words, with what to do about it.
fn unfinished(app: &App) -> Option<String> {
    let namespace = &app.lesson.namespace;
    if let Some(ResetView::Running { objects, gone, .. }) = &app.reset {
        return Some(format!(
            "a reset had deleted {gone} of {} objects when it was interrupted; \
             progress was not reset. Run `kubetutor reset -n {namespace}` to finish it",
            objects.len()
        ));
    }
    app.applying.then(|| {
        format!(
            "an apply was interrupted: its documents may be applied or not. \
             Run `kubetutor verify -n {namespace}` to see where the lesson stands"
        )
    })
}

fn on_engine(app: &mut App, update: EngineUpdate) -> Vec<Effect> {
    match update {
        EngineUpdate::Started(reports) => progress::on_started(app, reports),
        EngineUpdate::Steps(reports) => {
            let mut effects = Vec::new();
            for report in reports {
                effects.extend(progress::on_step_report(app, report));
            }
            effects
        }
        EngineUpdate::Cluster(view) => {
            app.cluster_view = view;
            Vec::new()
        }
        EngineUpdate::Link(link) => {
            app.connection = Connection::Link(link);
            Vec::new()
        }
        EngineUpdate::Applied(result) => {
            app.applying = false;
            match result {
                Ok(applied) => {
                    let names: Vec<String> = applied.iter().map(ToString::to_string).collect();
                    app.output_scroll = app.output.len() as u16;
                    app.output.push(format!("applied {}", names.join(", ")));
                    // Said where every layout shows it; the step's checks
                    // may still fail, which the next report adds.
                    app.notice = Some(format!("{APPLIED} {}.", names.join(", ")));
                    app.apply_error = None;
                    app.editors[app.current]
                        .set_cursor_line_style(ratatui::style::Style::default());
                    return progress::on_applied(app);
                }
                Err(err) => {
                    app.output_scroll = app.output.len() as u16;
                    app.output.push(format!("apply failed: {err}"));
                    if let Some(line) = err.line() {
                        mark_error_line(app, line);
                    }
                    app.apply_error = Some(err);
                }
            }
            Vec::new()
        }
        EngineUpdate::Action(output) => {
            // The newest result starts at the top of the pane; scroll down for the rest.
            app.output_scroll = app.output.len() as u16;
            app.output.push(format!("── {} ──", output.title));
            app.output.extend(output.lines);
            app.last_action_step = output.step;
            match output.step {
                Some(index) => progress::on_ran(app, index),
                None => Vec::new(),
            }
        }
        EngineUpdate::ResetPlan(plan) => {
            if let Some(ResetView::Planning { from }) = app.reset {
                app.reset = Some(match plan {
                    Ok(objects) => ResetView::Confirm { from, objects },
                    Err(message) => ResetView::Failed {
                        lines: vec![message],
                    },
                });
            }
            Vec::new()
        }
        EngineUpdate::ResetProgress(event) => {
            if let Some(ResetView::Running { gone, lines, .. }) = &mut app.reset {
                match event {
                    ResetEvent::Deleting(object) => lines.push(format!("deleting {object} …")),
                    ResetEvent::Gone { object, .. } => {
                        *gone += 1;
                        lines.push(format!("✓ {object} is gone"));
                    }
                    ResetEvent::HeldBy { object, finalizers } => lines.push(format!(
                        "{object} is held by finalizers {}: waiting …",
                        finalizers.join(", ")
                    )),
                }
            }
            Vec::new()
        }
        EngineUpdate::ResetDone(result) => {
            let Some(ResetView::Running {
                from, keep_drafts, ..
            }) = app.reset.clone()
            else {
                return Vec::new();
            };
            match result {
                Ok(()) => {
                    app.reset = None;
                    restart_from(app, from, keep_drafts);
                    vec![Effect::ClearActsLog, Effect::Save]
                }
                Err(mut failures) => {
                    failures.push("Progress was not reset. Fix the above and reset again.".into());
                    app.reset = Some(ResetView::Failed { lines: failures });
                    Vec::new()
                }
            }
        }
    }
}

/// Puts the cursor on the line of an error and marks that line.
fn mark_error_line(app: &mut App, line: usize) {
    let editor = &mut app.editors[app.current];
    let row = (line.saturating_sub(1)).min(editor.lines().len().saturating_sub(1));
    editor.move_cursor(ratatui_textarea::CursorMove::Jump(row as u16, 0));
    editor.set_cursor_line_style(crate::ui::theme::error_line());
}

/// How the notice after a successful apply starts (see `progress`).
pub const APPLIED: &str = "✓ Applied";

fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    shown_keys::note(app, &key);
    if app.pending_paste.is_some() {
        return paste::on_key(app, key);
    }
    if app.show_help {
        app.show_help = false;
        return Vec::new();
    }
    if let Some(selected) = app.menu {
        return on_menu_key(app, key, selected);
    }
    if let Some(selected) = app.picker {
        return on_picker_key(app, key, selected);
    }
    if app.reset.is_some() {
        return on_reset_key(app, key);
    }
    if app.search.is_some() {
        return on_search_key(app, key);
    }
    // Keys that work everywhere, the editor included.
    match key.code {
        _ if ctrl(&key, 's') => return apply(app),
        KeyCode::F(5) => return apply(app),
        _ if ctrl(&key, 'c') => return quit_asking(app),
        _ if ctrl(&key, 'n') => return go_to(app, app.current + 1),
        _ if ctrl(&key, 'p') => return go_to(app, app.current.saturating_sub(1)),
        KeyCode::F(1) => {
            app.show_help = true;
            return Vec::new();
        }
        KeyCode::F(2) => {
            app.show_hints = !app.show_hints;
            return Vec::new();
        }
        KeyCode::F(6) => return run_action(app),
        KeyCode::F(7) => return shell(app),
        KeyCode::Esc | KeyCode::F(10) => {
            app.menu = Some(0);
            return Vec::new();
        }
        // Presenter mode shows two panes: Tab moves between them.
        KeyCode::Tab | KeyCode::BackTab if app.presenter => {
            if app.step_has_yaml() {
                app.focus = if app.focus == Pane::Editor {
                    Pane::Lesson
                } else {
                    Pane::Editor
                };
            } else {
                app.notice = Some(format!(
                    "Step {} needs no YAML: the lesson text keeps the focus.",
                    app.current + 1
                ));
            }
            return Vec::new();
        }
        KeyCode::Tab => {
            app.focus = next_pane(app.focus, 1);
            return Vec::new();
        }
        KeyCode::BackTab => {
            app.focus = next_pane(app.focus, -1);
            return Vec::new();
        }
        _ => {}
    }
    if app.focus == Pane::Editor {
        return on_editor_key(app, key);
    }
    match key.code {
        KeyCode::Char('q') => return quit_asking(app),
        KeyCode::Char('?') => app.show_help = true,
        KeyCode::Char('h') => app.show_hints = !app.show_hints,
        KeyCode::Char('n') => return go_to(app, app.current + 1),
        KeyCode::Char('p') => return go_to(app, app.current.saturating_sub(1)),
        KeyCode::Char('r') => return run_action(app),
        KeyCode::Char('s') => return shell(app),
        KeyCode::Char('e') if app.presenter && !app.step_has_yaml() => {
            app.notice = Some(format!(
                "Step {} needs no YAML: there is nothing to edit.",
                app.current + 1
            ));
        }
        KeyCode::Char('e') => app.focus = Pane::Editor,
        KeyCode::Char(digit @ '1'..='9') if app.step().predict.is_some() => {
            return progress::on_answer(app, digit as usize - '1' as usize);
        }
        KeyCode::Enter if app.focus == Pane::Steps => return go_to(app, app.steps_cursor),
        KeyCode::Down | KeyCode::Char('j') => scroll(app, 1),
        KeyCode::Up | KeyCode::Char('k') => scroll(app, -1),
        KeyCode::PageDown => scroll(app, 10),
        KeyCode::PageUp => scroll(app, -10),
        _ => {}
    }
    Vec::new()
}

fn on_editor_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let editor = &mut app.editors[app.current];
    if ctrl(&key, 'f') {
        app.search = Some(String::new());
        return Vec::new();
    }
    let with_ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if with_ctrl && key.code == KeyCode::Home {
        editor.move_cursor(ratatui_textarea::CursorMove::Top); // as in most editors
        return Vec::new();
    } else if with_ctrl && key.code == KeyCode::End {
        editor.move_cursor(ratatui_textarea::CursorMove::Bottom);
        return Vec::new();
    }
    let plain_enter = key.code == KeyCode::Enter && key.modifiers.is_empty();
    if plain_enter {
        super::indent::enter(editor);
    } else if ctrl(&key, 'z') {
        editor.undo();
    } else if ctrl(&key, 'y') {
        editor.redo();
    } else if !editor.input(key) {
        return Vec::new(); // the key changed nothing
    }
    app.apply_error = None;
    editor.set_cursor_line_style(ratatui::style::Style::default());
    vec![Effect::Save]
}

fn on_search_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let pattern = app.search.as_mut().expect("search is open");
    let editor = &mut app.editors[app.current];
    match key.code {
        KeyCode::Esc => {
            app.search = None;
            let _ = editor.set_search_pattern("");
        }
        KeyCode::Enter => {
            editor.search_forward(false);
        }
        KeyCode::Backspace => {
            pattern.pop();
            let _ = editor.set_search_pattern(regex_escape(pattern));
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            pattern.push(c);
            let _ = editor.set_search_pattern(regex_escape(pattern));
            editor.search_forward(true);
        }
        _ => {}
    }
    Vec::new()
}

/// Search is for text, not regular expressions: `.` means a dot.
fn regex_escape(text: &str) -> String {
    text.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

fn on_menu_key(app: &mut App, key: KeyEvent, selected: usize) -> Vec<Effect> {
    let items = MenuItem::ALL.len();
    match key.code {
        KeyCode::Esc | KeyCode::F(10) => {
            app.menu = None;
            shown_keys::chosen(app, None);
        }
        KeyCode::Down | KeyCode::Char('j') => app.menu = Some((selected + 1) % items),
        KeyCode::Up | KeyCode::Char('k') => app.menu = Some((selected + items - 1) % items),
        KeyCode::Enter => {
            app.menu = None;
            shown_keys::chosen(app, Some(MenuItem::ALL[selected].short_label()));
            return choose(app, MenuItem::ALL[selected]);
        }
        _ => {}
    }
    Vec::new()
}

fn on_reset_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    match (app.reset.clone(), key.code) {
        (Some(ResetView::Confirm { from, objects }), KeyCode::Enter | KeyCode::Char('k')) => {
            let keep_drafts = key.code == KeyCode::Char('k');
            app.reset = Some(ResetView::Running {
                from,
                objects,
                gone: 0,
                keep_drafts,
                lines: Vec::new(),
            });
            app.quit_asked = false;
            vec![Effect::Engine(EngineCommand::ExecuteReset)]
        }
        (
            Some(ResetView::Confirm { .. } | ResetView::Planning { .. } | ResetView::Failed { .. }),
            KeyCode::Esc,
        ) => {
            app.reset = None;
            Vec::new()
        }
        (Some(ResetView::Failed { .. }), KeyCode::Enter) => {
            app.reset = None;
            Vec::new()
        }
        // Ctrl-C asks first: a reset stopped halfway leaves objects behind.
        (Some(ResetView::Running { .. }), _) if ctrl(&key, 'c') => quit_asking(app),
        _ => Vec::new(), // a running reset is not interrupted by other keys
    }
}

/// After a reset from step `from`: that step is current, the ones after it are
/// locked and not done, and their editors hold the templates again (unless kept).
fn restart_from(app: &mut App, from: usize, keep_drafts: bool) {
    app.current = from;
    app.steps_cursor = from;
    app.unlocked = from;
    for index in from..app.lesson.steps.len() {
        // The engine sends every step's report again once the deletions are in.
        app.reports[index] = None;
        app.passed[index] = false;
        app.done[index] = false;
        app.regressed[index] = false;
        // Starting over: the learner builds, runs and answers again.
        app.acts[index] = Default::default();
        if !keep_drafts {
            app.editors[index] = new_editor(
                app.lesson.steps[index]
                    .template
                    .as_deref()
                    .unwrap_or_default(),
            );
        }
    }
    let drafts = if keep_drafts {
        "drafts kept"
    } else {
        "editors back to their templates"
    };
    app.notice = Some(format!(
        "✓ Reset done: back to step {}, {drafts}.",
        from + 1
    ));
    app.keep_focus_on_arrival();
}

fn on_picker_key(app: &mut App, key: KeyEvent, selected: usize) -> Vec<Effect> {
    let count = app.lessons.len().max(1);
    match key.code {
        KeyCode::Esc => app.picker = None,
        KeyCode::Down | KeyCode::Char('j') => app.picker = Some((selected + 1) % count),
        KeyCode::Up | KeyCode::Char('k') => app.picker = Some((selected + count - 1) % count),
        KeyCode::Enter => {
            app.picker = None;
            if let Some((id, _)) = app.lessons.get(selected)
                && *id != app.lesson.id
            {
                return vec![Effect::Save, Effect::SwitchLesson(id.clone())];
            }
        }
        _ => {}
    }
    Vec::new()
}

fn choose(app: &mut App, item: MenuItem) -> Vec<Effect> {
    match item {
        MenuItem::RevealToken if app.presenter => {
            app.notice = Some("Tokens stay masked in presenter mode.".into());
            Vec::new()
        }
        MenuItem::ResetLesson | MenuItem::ResetStep => {
            let from = if item == MenuItem::ResetLesson {
                0
            } else {
                app.current
            };
            app.reset = Some(ResetView::Planning { from });
            vec![Effect::Engine(EngineCommand::PlanReset(from))]
        }
        MenuItem::TogglePresenter => {
            app.presenter = !app.presenter;
            app.notice = Some(if app.presenter {
                "Presenter mode: every step is open; tokens stay masked.".into()
            } else {
                "Self-paced mode: steps unlock as they pass.".into()
            });
            app.keep_focus_on_arrival();
            Vec::new()
        }
        MenuItem::SolveStep => {
            let mut effects = Vec::new();
            if let Some(solution) = app.step().solution.clone() {
                app.editors[app.current] = new_editor(&solution);
                effects.push(Effect::Engine(EngineCommand::Apply(solution)));
            }
            if !app.step().actions.is_empty() {
                effects.push(Effect::Engine(EngineCommand::RunAction(app.current)));
            }
            if effects.is_empty() {
                app.notice = Some("This step has nothing to solve: read on.".into());
            }
            effects
        }
        MenuItem::RevealToken => match app.step().actions.iter().find_map(|a| match a {
            crate::lesson::model::Action::Token(t) => Some(t.clone()),
            _ => None,
        }) {
            Some(t) => {
                show_output(app);
                vec![Effect::Engine(EngineCommand::RevealToken(
                    t.service_account,
                ))]
            }
            _ => {
                app.notice = Some("This step creates no token (step 3 does).".into());
                Vec::new()
            }
        },
        MenuItem::ChooseLesson => {
            let at = app
                .lessons
                .iter()
                .position(|(id, _)| *id == app.lesson.id)
                .unwrap_or(0);
            app.picker = Some(at);
            Vec::new()
        }
        MenuItem::RevealSolution => match app.step().solution.clone() {
            Some(solution) => {
                app.editors[app.current] = new_editor(&solution);
                app.focus = Pane::Editor;
                app.notice = Some("Solution revealed into the editor: Ctrl-S applies it.".into());
                vec![Effect::Save]
            }
            None => {
                app.notice = Some("This step has no solution to reveal.".into());
                Vec::new()
            }
        },
        MenuItem::ResetEditor => {
            let template = app.step().template.clone().unwrap_or_default();
            app.editors[app.current] = new_editor(&template);
            vec![Effect::Save]
        }
        MenuItem::RunAction => run_action(app),
        MenuItem::Help => {
            app.show_help = true;
            Vec::new()
        }
        MenuItem::Quit => quit_asking(app),
    }
}

fn apply(app: &mut App) -> Vec<Effect> {
    let text = app.editors[app.current].lines().join("\n");
    if text.trim().is_empty() {
        app.notice = Some("The editor is empty: nothing to apply.".into());
        return Vec::new();
    }
    app.notice = None;
    app.applying = true;
    app.quit_asked = false;
    vec![Effect::Engine(EngineCommand::Apply(text))]
}

/// The pod a shell opens in: the one the step calls from, else the first Pod
/// of the namespace.
fn shell_pod(app: &App) -> Option<String> {
    use crate::lesson::model::{Action, Caller, Check};
    let step = app.step();
    let from_action = step.actions.iter().find_map(|a| match a {
        Action::Request(r) => Some(&r.caller),
        _ => None,
    });
    let from_checks = step.checks.iter().find_map(|c| match c {
        Check::Request(r) => Some(&r.caller),
        _ => None,
    });
    if let Some(Caller::Pod(name)) = from_action.or(from_checks) {
        return Some(name.clone());
    }
    app.cluster_view.first_of("Pod").map(str::to_string)
}

fn shell(app: &mut App) -> Vec<Effect> {
    match shell_pod(app) {
        Some(pod) => vec![Effect::Save, Effect::Shell(pod)],
        None => {
            app.notice = Some(format!(
                "No Pod in {} to open a shell in: create one first.",
                app.lesson.namespace
            ));
            Vec::new()
        }
    }
}

fn run_action(app: &mut App) -> Vec<Effect> {
    if app.step().actions.is_empty() {
        app.notice = Some("This step has no action to run.".into());
        return Vec::new();
    }
    if let Some(predict) = &app.step().predict
        && app.acts[app.current].answer.is_none()
    {
        app.notice = Some(format!(
            "First predict what it will answer: press 1 to {} (the question is under the text).",
            predict.choices.len()
        ));
        app.focus = Pane::Lesson;
        return Vec::new();
    }
    show_output(app);
    vec![Effect::Engine(EngineCommand::RunAction(app.current))]
}

/// An action's answer is coming: the Output pane takes the focus (on a
/// narrow terminal it is the only way to see it; its marked border shows
/// where the focus went). Presenter mode shows the answer under the lesson.
fn show_output(app: &mut App) {
    if !app.presenter {
        app.focus = Pane::Output;
    }
}

/// Opens step `index` if it is unlocked.
fn go_to(app: &mut App, index: usize) -> Vec<Effect> {
    if index >= app.lesson.steps.len() {
        app.notice = Some("This is the last step.".into());
        return Vec::new();
    }
    if index > app.unlocked && !app.presenter {
        app.notice = Some(format!(
            "Step {} is locked: finish step {} first.",
            index + 1,
            app.unlocked + 1
        ));
        return Vec::new();
    }
    if index == app.current {
        return Vec::new();
    }
    app.current = index;
    app.steps_cursor = index;
    app.apply_error = None;
    app.notice = app
        .holds_already(index)
        .then(|| progress::holds_already_notice(app, index));
    app.lesson_scroll = 0;
    app.checks_scroll = 0;
    app.keep_focus_on_arrival();
    let mut effects = vec![Effect::Save];
    if !app.step().setup.is_empty() {
        effects.push(Effect::Engine(EngineCommand::SetupStep(index)));
    }
    effects
}

fn next_pane(pane: Pane, delta: isize) -> Pane {
    let order = Pane::ORDER;
    let at = order.iter().position(|p| *p == pane).unwrap_or(0) as isize;
    order[(at + delta).rem_euclid(order.len() as isize) as usize]
}

fn scroll(app: &mut App, delta: i32) {
    let apply = |value: &mut u16| *value = (*value as i32 + delta).max(0) as u16;
    match app.focus {
        Pane::Lesson | Pane::Editor => {
            let end = app.lesson_end.get();
            app.lesson_scroll = app.lesson_scroll.min(end);
            apply(&mut app.lesson_scroll);
            app.lesson_scroll = app.lesson_scroll.min(end);
        }
        Pane::Output => {
            // The renderer never shows past the end: neither does the scroll.
            let end = app.output_end.get();
            app.output_scroll = app.output_scroll.min(end);
            apply(&mut app.output_scroll);
            app.output_scroll = app.output_scroll.min(end);
        }
        Pane::Checks => {
            let end = app.checks_end.get();
            app.checks_scroll = app.checks_scroll.min(end);
            apply(&mut app.checks_scroll);
            app.checks_scroll = app.checks_scroll.min(end);
        }
        Pane::Cluster => {
            apply(&mut app.cluster_scroll);
            let last = app.cluster_view.line_count().saturating_sub(1);
            app.cluster_scroll = app.cluster_scroll.min(last.min(u16::MAX as usize) as u16);
        }
        Pane::Steps => {
            let last = app.lesson.steps.len() as i32 - 1;
            app.steps_cursor = (app.steps_cursor as i32 + delta).clamp(0, last) as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::ClusterLabel;
    use crate::engine::StepReport;
    use crossterm::event::KeyEvent;

    fn app() -> App {
        crate::app::first_lesson_app()
    }

    fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    #[test]
    fn a_step_with_setup_asks_the_engine_to_create_it_when_it_opens() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/labels-owners");
        let lesson = crate::lesson::Lesson::load(&dir, Some("lab")).unwrap();
        let mut app = App::new(lesson, ClusterLabel::default(), None);
        app.presenter = true; // no locks
        let effects = go_to(&mut app, 1);
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Engine(EngineCommand::SetupStep(1)))),
            "{effects:?}"
        );
        let effects = go_to(&mut app, 2);
        assert!(
            !effects
                .iter()
                .any(|e| matches!(e, Effect::Engine(EngineCommand::SetupStep(_)))),
            "step 3 has no setup: {effects:?}"
        );
    }

    #[test]
    fn the_menu_picks_another_lesson() {
        let mut app = app();
        app.lessons = vec![
            ("other".into(), "Another lesson".into()),
            (
                "serviceaccount-rbac".into(),
                "ServiceAccounts and RBAC".into(),
            ),
        ];
        press(&mut app, KeyCode::Esc);
        let at = MenuItem::ALL
            .iter()
            .position(|m| *m == MenuItem::ChooseLesson)
            .unwrap();
        for _ in 0..at {
            press(&mut app, KeyCode::Down);
        }
        press(&mut app, KeyCode::Enter);
        assert_eq!(
            app.picker,
            Some(1),
            "the picker opens on the current lesson"
        );
        press(&mut app, KeyCode::Up);
        let effects = press(&mut app, KeyCode::Enter);
        assert!(
            matches!(effects.as_slice(), [Effect::Save, Effect::SwitchLesson(id)] if id == "other"),
            "{effects:?}"
        );
    }

    fn report(app: &App, index: usize, outcome: Option<crate::checks::Outcome>) -> StepReport {
        StepReport {
            index,
            outcomes: app.lesson.steps[index]
                .checks
                .iter()
                .map(|c| {
                    (
                        c.clone(),
                        outcome
                            .clone()
                            .unwrap_or_else(|| crate::checks::Outcome::pass("ok")),
                    )
                })
                .collect(),
        }
    }

    fn failing(app: &App, index: usize) -> StepReport {
        report(
            app,
            index,
            Some(crate::checks::Outcome::fail(
                "RoleBinding list-pods_demo-sa is gone",
            )),
        )
    }

    fn started_with_nothing_done(app: &mut App) {
        let reports = (0..app.lesson.steps.len())
            .map(|i| failing(app, i))
            .collect();
        update(app, Msg::Engine(EngineUpdate::Started(reports)));
    }

    #[test]
    fn locked_steps_stay_locked_and_a_passing_step_unlocks_the_next() {
        let mut app = app();
        started_with_nothing_done(&mut app);
        assert_eq!(
            app.focus,
            Pane::Lesson,
            "step 1 asks for no YAML: the lesson text has the keys"
        );
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(app.current, 0);
        assert!(app.notice.as_deref().unwrap_or_default().contains("locked"));
        let passed = report(&app, 0, None);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![passed])));
        assert_eq!(
            app.unlocked, 0,
            "holding is not done: step 1 asks a question"
        );
        assert!(app.holds_already(0));
        press(&mut app, KeyCode::Char('1'));
        assert_eq!(app.unlocked, 1);
        assert!(
            app.notice
                .as_deref()
                .unwrap_or_default()
                .contains("Step 1 done. Press n"),
            "{:?}",
            app.notice
        );
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(app.current, 1);
    }

    /// Every act of steps `0..count` done, as a learner who got that far.
    fn acted_through(app: &mut App, count: usize) {
        for index in 0..count {
            let step = &app.lesson.steps[index];
            app.acts[index] = crate::app::StepActs {
                applied: true,
                ran: true,
                answer: step.predict.as_ref().and_then(|p| p.correct()),
            };
        }
    }

    #[test]
    fn the_done_notice_names_the_key_that_works_where_the_focus_is() {
        let mut app = app();
        started_with_nothing_done(&mut app);
        acted_through(&mut app, 6);
        let done: Vec<StepReport> = (0..6).map(|i| report(&app, i, None)).collect();
        update(&mut app, Msg::Engine(EngineUpdate::Steps(done)));
        assert_eq!(app.unlocked, 6);
        app.current = 6;
        app.focus = Pane::Editor;
        let holds = report(&app, 6, None);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![holds])));
        assert_eq!(
            app.notice.as_deref(),
            Some("✓ Step 7 done. Press Ctrl-N for the next step.")
        );
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(app.current, 6, "n in the editor types an n");
    }

    #[test]
    fn a_fresh_namespace_shows_nothing_done_and_what_holds_already_waits_for_the_learner() {
        let mut app = app();
        // Steps 1–3 hold on any cluster (the Service, the default account, a token).
        let mut reports: Vec<StepReport> = (0..app.lesson.steps.len())
            .map(|i| failing(&app, i))
            .collect();
        for (index, report_) in reports.iter_mut().enumerate().take(3) {
            *report_ = report(&app, index, None);
        }
        update(&mut app, Msg::Engine(EngineUpdate::Started(reports)));
        assert_eq!(app.done_count(), 0);
        assert_eq!(app.unlocked, 0);
        assert!((0..3).all(|i| app.holds_already(i)));
        assert!(
            app.notice
                .as_deref()
                .unwrap_or_default()
                .contains("Step 1 holds already: it counts once you answer the question"),
            "{:?}",
            app.notice
        );
    }

    #[test]
    fn a_wrong_prediction_gets_its_feedback_and_the_learner_still_runs_the_call() {
        let mut app = app();
        started_with_nothing_done(&mut app);
        acted_through(&mut app, 4);
        app.unlocked = 4;
        app.current = 4; // the anonymous call
        let effects = press(&mut app, KeyCode::Char('r'));
        assert!(effects.is_empty(), "no run before the prediction");
        assert!(
            app.notice
                .as_deref()
                .unwrap_or_default()
                .contains("First predict")
        );
        press(&mut app, KeyCode::Char('1')); // "200 OK": wrong
        assert_eq!(app.acts[4].answer, Some(0));
        assert!(
            app.notice
                .as_deref()
                .unwrap_or_default()
                .starts_with("✗ Not quite")
        );
        let effects = press(&mut app, KeyCode::Char('r'));
        assert!(
            matches!(
                effects.as_slice(),
                [Effect::Engine(EngineCommand::RunAction(4))]
            ),
            "{effects:?}"
        );
        let holds = report(&app, 4, None);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![holds])));
        assert!(
            !app.done[4],
            "the checks hold, but the learner has not seen the answer"
        );
        let output = crate::engine::ActionOutput {
            title: "GET /api/v1".into(),
            lines: vec!["403 Forbidden".into()],
            step: Some(4),
        };
        update(&mut app, Msg::Engine(EngineUpdate::Action(output)));
        assert!(app.done[4] && app.unlocked == 5);
    }

    #[test]
    fn applying_counts_from_the_editor_and_from_kubectl_but_not_what_was_there_before() {
        let mut app = app();
        let mut reports: Vec<StepReport> = (0..app.lesson.steps.len())
            .map(|i| failing(&app, i))
            .collect();
        reports[6] = report(&app, 6, None); // demo-sa existed before the tutor started
        update(&mut app, Msg::Engine(EngineUpdate::Started(reports)));
        assert!(app.holds_already(6));
        // Re-applied from the editor on that step: now the learner made it.
        app.current = 6;
        let applied = Ok(Vec::new());
        update(&mut app, Msg::Engine(EngineUpdate::Applied(applied)));
        assert!(app.done[6]);
        // Step 8's Role, made with kubectl elsewhere: failing, then holding.
        let role = report(&app, 7, None);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![role])));
        assert!(app.done[7], "seen changing while the tutor watched");
    }

    #[test]
    fn a_step_done_ahead_is_marked_at_once_and_counted_when_its_turn_comes() {
        let mut app = app();
        started_with_nothing_done(&mut app);
        // The RoleBinding, applied with kubectl while the learner reads step 1.
        let ahead = report(&app, 8, None);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![ahead])));
        assert!(app.done[8], "step 9 is marked done");
        assert_eq!(app.unlocked, 0, "but it unlocks nothing yet");
        assert!(
            app.notice
                .as_deref()
                .unwrap_or_default()
                .contains("Step 9 (Bind the Role to demo-sa) is done"),
            "{:?}",
            app.notice
        );
        // Steps 1–8 done: the unlock runs past 9, which already holds.
        acted_through(&mut app, 8);
        let done: Vec<StepReport> = (0..8).map(|i| report(&app, i, None)).collect();
        update(&mut app, Msg::Engine(EngineUpdate::Steps(done)));
        assert_eq!(app.unlocked, 9);
    }

    #[test]
    fn a_done_step_that_breaks_is_regressed_and_said_so_but_an_outage_is_not() {
        let mut app = app();
        started_with_nothing_done(&mut app);
        let done = report(&app, 6, None); // demo-sa, applied while the tutor watched
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![done])));
        let unreachable = report(
            &app,
            6,
            Some(crate::checks::Outcome::undecided("could not reach")),
        );
        update(
            &mut app,
            Msg::Engine(EngineUpdate::Steps(vec![unreachable])),
        );
        assert!(!app.regressed[6], "an undecided check is no regression");
        let broken = failing(&app, 6);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![broken])));
        assert!(app.regressed[6]);
        assert_eq!(
            app.notice.as_deref(),
            Some("! Step 7 no longer holds: RoleBinding list-pods_demo-sa is gone")
        );
    }

    #[test]
    fn a_step_that_cannot_be_decided_does_not_block_the_lesson() {
        let mut app = app();
        let mut reports: Vec<StepReport> = (0..app.lesson.steps.len())
            .map(|i| failing(&app, i))
            .collect();
        reports[0] = report(
            &app,
            0,
            Some(crate::checks::Outcome::undecided(
                "you may not get Service kubernetes in default",
            )),
        );
        update(&mut app, Msg::Engine(EngineUpdate::Started(reports)));
        assert!(app.undecided(0) && !app.passed[0]);
        assert_eq!(
            app.unlocked, 0,
            "the question is still the learner's to answer"
        );
        press(&mut app, KeyCode::Char('2'));
        assert_eq!(
            app.unlocked, 1,
            "answered: the undecided step opens the next"
        );
    }

    #[test]
    fn typing_in_the_editor_asks_for_a_save_and_q_types_a_q() {
        let mut app = app();
        assert!(press(&mut app, KeyCode::Tab).is_empty());
        assert_eq!(app.focus, Pane::Editor);
        let effects = press(&mut app, KeyCode::Char('q'));
        assert!(!app.quitting, "q in the editor is text");
        assert!(matches!(effects.as_slice(), [Effect::Save]));
        assert!(
            app.saved_state()
                .drafts
                .contains_key(&app.lesson.steps[0].id)
        );
    }

    fn ctrl_c(app: &mut App) -> Vec<Effect> {
        update(
            app,
            Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        )
    }

    fn quits(effects: &[Effect]) -> bool {
        effects.iter().any(|e| matches!(e, Effect::Quit))
    }

    fn running_reset(app: &mut App) {
        app.reset = Some(ResetView::Running {
            from: 0,
            objects: vec!["Pod a".into(), "Role b".into(), "ServiceAccount c".into()],
            gone: 1,
            keep_drafts: false,
            lines: Vec::new(),
        });
    }

    #[test]
    fn ctrl_c_during_a_reset_asks_once_then_quits_and_says_what_is_left() {
        let mut app = app();
        running_reset(&mut app);
        assert!(!quits(&ctrl_c(&mut app)), "the first Ctrl-C only asks");
        let notice = app.notice.clone().unwrap();
        assert!(notice.contains("Ctrl-C again"), "{notice}");
        assert!(quits(&ctrl_c(&mut app)));
        let farewell = app.farewell.clone().expect("said on the way out");
        assert!(farewell.contains("deleted 1 of 3 objects"), "{farewell}");
        assert!(farewell.contains("kubetutor reset -n lab"), "{farewell}");
    }

    #[test]
    fn a_signal_during_a_reset_quits_at_once_and_says_what_is_left() {
        let mut app = app();
        running_reset(&mut app);
        assert!(quits(&update(&mut app, Msg::Signal("SIGHUP"))));
        assert!(app.farewell.unwrap().contains("kubetutor reset"));
    }

    #[test]
    fn ctrl_c_during_an_apply_asks_and_after_it_quits_at_once() {
        let mut app = app();
        app.editors[app.current] = new_editor("apiVersion: v1");
        update(
            &mut app,
            Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
        );
        assert!(app.applying);
        assert!(!quits(&ctrl_c(&mut app)));
        assert!(
            app.notice
                .clone()
                .unwrap()
                .contains("an apply was interrupted")
        );
        update(&mut app, Msg::Engine(EngineUpdate::Applied(Ok(Vec::new()))));
        assert!(!app.applying);
        assert!(quits(&ctrl_c(&mut app)));
        assert_eq!(app.farewell, None, "nothing was cut short");
    }
}
