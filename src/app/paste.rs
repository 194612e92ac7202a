//! Pasted text (bracketed paste): always text for the editor, never keys. A
//! paste while another pane has the focus asks first, so a pasted `q`, `r`
//! or Tab can never quit, run or move anything.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Effect, Overlay, Pane, editor};

/// YAML forbids tabs in indentation; a tab becomes this many spaces.
const TAB: &str = "  ";

/// A paste arrived.
pub fn on_paste(app: &mut App, text: String) -> Vec<Effect> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if let Some(pattern) = app.search.as_mut() {
        // The search prompt takes one line.
        pattern.push_str(text.lines().next().unwrap_or_default());
        return Vec::new();
    }
    if app.focus == Pane::Editor && app.overlays.is_empty() {
        return insert(app, &text);
    }
    // A second paste before the answer replaces the first question.
    match app.overlays.top() {
        Some(Overlay::Paste(_)) => app.overlays.replace_top(Overlay::Paste(text)),
        _ => app.overlays.open(Overlay::Paste(text)),
    }
    Vec::new()
}

/// A key while the "paste into the editor?" question was on top (it is
/// closed now, whatever the answer).
pub fn on_key(app: &mut App, key: KeyEvent, text: String) -> Vec<Effect> {
    if matches!(key.code, KeyCode::Enter | KeyCode::Char('y')) {
        app.focus = Pane::Editor;
        return insert(app, &text);
    }
    app.notice = Some("Paste discarded: nothing changed.".into());
    Vec::new()
}

/// What the question says: how much text, and where it would go.
pub fn question(app: &App, text: &str) -> Vec<String> {
    let lines = text.lines().count().max(1);
    let mut out = vec![format!(
        "You pasted {lines} line{} while the {} pane had the focus.",
        if lines == 1 { "" } else { "s" },
        app.focus.title()
    )];
    out.push(format!(
        "Put it in the editor of step {} at the cursor?",
        app.current + 1
    ));
    for line in text.lines().take(3) {
        out.push(format!("  │ {}", line.chars().take(60).collect::<String>()));
    }
    if lines > 3 {
        out.push(format!("  │ … {} more", lines - 3));
    }
    out.push(String::new());
    out.push("Enter: paste into the editor · any other key: discard".into());
    out
}

fn insert(app: &mut App, text: &str) -> Vec<Effect> {
    let tabs = text.matches('\t').count();
    let text = text.replace('\t', TAB);
    let lines = text.lines().count().max(1);
    let editor = &mut app.steps[app.current].editor;
    editor.insert_str(&text);
    editor::unmark_error_line(editor);
    app.apply_error = None;
    let plural = if lines == 1 { "" } else { "s" };
    app.notice = Some(
        if tabs > 0 {
        format!(
            "Pasted {lines} line{plural} into the editor; {tabs} tab{} became {} spaces each (YAML forbids tabs in indentation).",
            if tabs == 1 { "" } else { "s" },
            TAB.len()
        )
    } else {
        format!("Pasted {lines} line{plural} into the editor. Ctrl-S applies.")
    }
        .into(),
    );
    vec![Effect::Save]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Msg, update};
    use crossterm::event::KeyModifiers;

    fn app() -> App {
        crate::app::first_lesson_app()
    }

    #[test]
    fn a_paste_in_the_editor_is_text_with_tabs_as_spaces_and_runs_nothing() {
        let mut app = app();
        app.current = 6;
        app.focus = Pane::Editor;
        app.steps[6].editor = crate::app::new_editor("");
        let effects = update(
            &mut app,
            Msg::Paste("kind: Pod\r\nspec:\r\n\tcontainers: []\r\nq\tr".into()),
        );
        assert!(matches!(effects.as_slice(), [Effect::Save]), "{effects:?}");
        assert_eq!(
            app.steps[6].editor.lines(),
            ["kind: Pod", "spec:", "  containers: []", "q  r"]
        );
        assert!(!app.quitting && app.focus == Pane::Editor);
        assert!(
            app.notice
                .as_deref()
                .unwrap()
                .contains("2 tabs became 2 spaces")
        );
    }

    #[test]
    fn a_paste_elsewhere_asks_and_only_enter_puts_it_in_the_editor() {
        let mut app = app();
        app.focus = Pane::Lesson;
        let before = app.steps[0].editor.lines().to_vec();
        update(&mut app, Msg::Paste("q".into()));
        assert!(!app.quitting, "a pasted q is not a key");
        assert!(matches!(app.overlays.top(), Some(Overlay::Paste(_))));
        update(
            &mut app,
            Msg::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)),
        );
        assert!(!app.quitting, "any other key discards");
        assert_eq!(app.steps[0].editor.lines(), before.as_slice());
        update(&mut app, Msg::Paste("name: x".into()));
        update(
            &mut app,
            Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        );
        assert_eq!(app.focus, Pane::Editor);
        assert!(app.steps[0].editor.lines().join("\n").contains("name: x"));
    }
}
