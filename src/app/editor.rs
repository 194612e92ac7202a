//! The YAML editor of each step: its keys (typing, undo, Enter that keeps
//! the indentation), its search prompt (Ctrl-F), the line an apply error
//! points at, and the buffer put back or replaced from the menu.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Modifier, Style};
use ratatui_textarea::{CursorMove, TextArea};

use super::{App, Effect, Pane, keys::is_ctrl};
use crate::theme;

/// A fresh editor holding `text`.
pub fn new_editor(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut editor = if lines.is_empty() {
        TextArea::default()
    } else {
        TextArea::new(lines)
    };
    editor.set_tab_length(2);
    editor.set_hard_tab_indent(false);
    editor.set_max_histories(500);
    editor.set_line_number_style(theme::dim());
    editor
}

/// The editor shows its cursor only while it has the focus, and a step
/// without YAML says so in its empty editor. Kept on the TextArea itself
/// (set after every update, in constant time) so drawing needs no copy.
pub fn sync_cursor(app: &mut App) {
    let needs_no_yaml = app.step().template.is_none();
    let has_action = !app.step().actions.is_empty();
    let focused = app.focus == Pane::Editor;
    let editor = &mut app.steps[app.current].editor;
    if needs_no_yaml && editor.placeholder_text().is_empty() {
        // Short: it must fit the editor of a presenter or an 80-column
        // terminal; `r` only where there is an action to run.
        editor.set_placeholder_text(if has_action {
            "No YAML in this step: r runs its action."
        } else {
            "No YAML in this step."
        });
    }
    let style = if focused {
        Style::default().add_modifier(Modifier::REVERSED)
    } else {
        Style::default()
    };
    if editor.cursor_style() != style {
        editor.set_cursor_style(style);
    }
}

/// A key while the editor has the focus (keys that work everywhere were
/// taken before): text, undo and redo, Ctrl-F, Ctrl-Home/End.
pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if is_ctrl(&key, 'f') {
        app.search = Some(String::new());
        return Vec::new();
    }
    let editor = &mut app.steps[app.current].editor;
    let with_ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if with_ctrl && key.code == KeyCode::Home {
        editor.move_cursor(CursorMove::Top); // as in most editors
        return Vec::new();
    } else if with_ctrl && key.code == KeyCode::End {
        editor.move_cursor(CursorMove::Bottom);
        return Vec::new();
    }
    let plain_enter = key.code == KeyCode::Enter && key.modifiers.is_empty();
    if plain_enter {
        super::indent::enter(editor);
    } else if is_ctrl(&key, 'z') {
        editor.undo();
    } else if is_ctrl(&key, 'y') {
        editor.redo();
    } else if !editor.input(key) {
        return Vec::new(); // the key changed nothing
    }
    unmark_error_line(editor);
    app.apply_error = None;
    vec![Effect::Save]
}

/// A key while the search prompt is open: the pattern, Enter for the next
/// match, Esc to close.
pub fn on_search_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let pattern = app.search.as_mut().expect("search is open");
    let editor = &mut app.steps[app.current].editor;
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

/// Puts the cursor on the line (and column, when the error names one) of an
/// apply error and marks that line: the editor title's Ln/Col then agree
/// with the message.
pub fn mark_error_line(app: &mut App, line: usize, column: Option<usize>) {
    let editor = &mut app.steps[app.current].editor;
    let row = (line.saturating_sub(1)).min(editor.lines().len().saturating_sub(1));
    let width = editor.lines()[row].chars().count();
    let col = column.map_or(0, |c| c.saturating_sub(1).min(width));
    editor.move_cursor(CursorMove::Jump(row as u16, col as u16));
    editor.set_cursor_line_style(theme::error_line());
}

/// The error's line is marked no more (the text changed, or the error went).
pub fn unmark_error_line(editor: &mut TextArea<'static>) {
    editor.set_cursor_line_style(Style::default());
}

/// Menu → Reveal the solution: into the editor, which takes the focus.
pub fn reveal_solution(app: &mut App) -> Vec<Effect> {
    match app.step().solution.clone() {
        Some(solution) => {
            app.steps[app.current].editor = new_editor(&solution);
            app.focus = Pane::Editor;
            app.notice = Some("Solution revealed into the editor: Ctrl-S applies it.".into());
            vec![Effect::Save]
        }
        None => {
            app.notice = Some("This step has no solution to reveal.".into());
            Vec::new()
        }
    }
}

/// Menu → Template back: the step's starting buffer again.
pub fn template_back(app: &mut App) -> Vec<Effect> {
    let template = app.step().template.clone().unwrap_or_default();
    app.steps[app.current].editor = new_editor(&template);
    vec![Effect::Save]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::press;

    #[test]
    fn typing_in_the_editor_asks_for_a_save_and_q_types_a_q() {
        let mut app = crate::app::first_lesson_app();
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
}
