//! The lesson picker (menu → Choose a lesson): its keys, and the switch to
//! the lesson chosen (progress saved first).

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Effect, Overlay};

/// Opens the picker on the current lesson, or on the next one once the
/// current is complete.
pub fn open(app: &mut App) -> Vec<Effect> {
    let current = app
        .lessons
        .iter()
        .position(|(id, _)| *id == app.lesson.id)
        .unwrap_or(0);
    let complete = app.steps.last().is_some_and(|s| s.done);
    let at = match next_lesson(app) {
        Some(_) if complete => current + 1,
        _ => current,
    };
    app.overlays.open(Overlay::Picker(at));
    Vec::new()
}

/// The lesson after this one in learning order (the picker's order).
pub fn next_lesson(app: &App) -> Option<&(String, String)> {
    let current = app
        .lessons
        .iter()
        .position(|(id, _)| *id == app.lesson.id)?;
    app.lessons.get(current + 1)
}

/// A key while the picker is on top, `selected` highlighted.
pub fn on_key(app: &mut App, key: KeyEvent, selected: usize) -> Vec<Effect> {
    let count = app.lessons.len().max(1);
    match key.code {
        KeyCode::Esc => {
            app.overlays.close();
        }
        KeyCode::Down | KeyCode::Char('j') => {
            app.overlays
                .replace_top(Overlay::Picker((selected + 1) % count));
        }
        KeyCode::Up | KeyCode::Char('k') => {
            app.overlays
                .replace_top(Overlay::Picker((selected + count - 1) % count));
        }
        KeyCode::Enter => {
            app.overlays.close();
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
