//! `update`: the only function that changes the app. It routes each message
//! to the part that owns it — the top overlay, the editor's search, the keys
//! that work everywhere, the focused pane — and holds no state of its own.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use super::{
    App, Connection, Effect, Msg, Overlay, Pane, actions, editor, keys::is_ctrl, lab, limited,
    menu, nav, overlay, paste, progress, publish, quit, reset, reveal, scroll, shown_keys,
};
use crate::engine::actor::EngineUpdate;

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let mut effects = route(app, msg);
    if app.waiting_for_lab() {
        lab::hold_back(app, &mut effects);
    }
    if app.focus == Pane::Output {
        app.output_unseen = false;
    }
    editor::sync_cursor(app);
    effects.extend(publish::changed(app));
    effects
}

fn route(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) if key.kind != KeyEventKind::Release => on_key(app, key),
        Msg::Key(_) | Msg::Resize | Msg::Tick => Vec::new(),
        Msg::Lab(phase) => lab::on_phase(app, phase),
        Msg::Mouse(mouse) => scroll::on_mouse(app, mouse),
        Msg::Paste(text) => paste::on_paste(app, text),
        Msg::Focus(pane) => nav::focus(app, pane),
        Msg::Engine(update) => on_engine(app, update),
        Msg::EngineFailed(reason) => {
            app.connection = Connection::Unreachable(reason);
            Vec::new()
        }
        Msg::LessonsLacking(lacking) => {
            app.lessons_lacking = lacking.into_iter().collect();
            Vec::new()
        }
        Msg::Signal(_) => quit::now(app),
        Msg::ShellClosed(message) => {
            app.notice = Some(message.into());
            Vec::new()
        }
        Msg::ActsElsewhere(entries) => reset::on_acts_elsewhere(app, entries),
        Msg::ProgressNotPublished(why) => {
            // Quietly: the lesson works without it; the instructor misses it.
            app.output
                .push(format!("(progress not shared with the class board: {why})"));
            Vec::new()
        }
    }
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
            limited::on_link(app, link);
            Vec::new()
        }
        EngineUpdate::Applied(result) => actions::on_applied(app, result),
        EngineUpdate::Action(output) => actions::on_output(app, output),
        EngineUpdate::ResetPlan(plan) => reset::on_plan(app, plan),
        EngineUpdate::ResetProgress(event) => reset::on_progress(app, event),
        EngineUpdate::ResetDone(result) => reset::on_done(app, result),
    }
}

/// A key goes to the first that wants it: the top overlay, the editor's
/// search prompt, the keys that work everywhere, then the focused pane.
fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    shown_keys::note(app, &key);
    if let Some(effects) = overlay::on_key(app, key) {
        return effects;
    }
    if app.search.is_some() {
        return editor::on_search_key(app, key);
    }
    if let Some(effects) = everywhere(app, &key) {
        return effects;
    }
    if app.focus == Pane::Editor {
        return editor::on_key(app, key);
    }
    outside_editor(app, key)
}

/// Keys that work in every pane, the editor included (Ctrl and F keys).
fn everywhere(app: &mut App, key: &KeyEvent) -> Option<Vec<Effect>> {
    Some(match key.code {
        _ if is_ctrl(key, 's') => actions::apply(app),
        KeyCode::F(5) => actions::apply(app),
        _ if is_ctrl(key, 'c') => quit::asking(app),
        _ if is_ctrl(key, 'n') => nav::go_to(app, app.current + 1),
        _ if is_ctrl(key, 'p') => nav::go_to(app, app.current.saturating_sub(1)),
        KeyCode::F(1) => open_help(app),
        KeyCode::F(2) => toggle_hints(app),
        KeyCode::F(6) => actions::run(app),
        KeyCode::F(7) => actions::shell(app),
        KeyCode::F(8) => reveal::reveal(app),
        KeyCode::F(9) => super::recreate::ask(app),
        KeyCode::Esc | KeyCode::F(10) => menu::open(app),
        KeyCode::Tab | KeyCode::BackTab => nav::on_tab(app, key),
        _ => return None,
    })
}

/// Letter keys, for every pane but the editor (where they are text).
fn outside_editor(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Char('q') => quit::asking(app),
        KeyCode::Char('?') => open_help(app),
        KeyCode::Char('h') => toggle_hints(app),
        KeyCode::Char('n') => nav::go_to(app, app.current + 1),
        KeyCode::Char('p') => nav::go_to(app, app.current.saturating_sub(1)),
        KeyCode::Char('r') => actions::run(app),
        KeyCode::Char('s') => actions::shell(app),
        KeyCode::Char('e') => nav::edit(app),
        KeyCode::Char('v') => reveal::reveal(app),
        KeyCode::Char(digit @ '1'..='9') if app.step().predict.is_some() => {
            if nav::question_hidden(app) {
                nav::show_question(app)
            } else {
                progress::on_answer(app, digit as usize - '1' as usize)
            }
        }
        KeyCode::Enter if app.focus == Pane::Steps => nav::go_to(app, app.steps_cursor),
        _ => super::code::on_key(app, key.code)
            .or_else(|| scroll::on_key(app, &key))
            .unwrap_or_default(),
    }
}

fn open_help(app: &mut App) -> Vec<Effect> {
    app.help_scroll = 0;
    app.overlays.open(Overlay::Help);
    Vec::new()
}

fn toggle_hints(app: &mut App) -> Vec<Effect> {
    app.show_hints = !app.show_hints;
    Vec::new()
}
