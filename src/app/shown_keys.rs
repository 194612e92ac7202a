//! The presenter's strip of the last keys, as a room reads it: text typed
//! into the editor as one word (`"pod-default"`), a menu choice by its name
//! (`menu: Solve this step`), never `[Esc] [Down] [Down] [Enter]`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Overlay, Pane};

/// How many entries the strip keeps.
const SHOWN: usize = 6;
/// A typed word longer than this shows its end only.
const WORD_MAX: usize = 24;
/// The entry pushed when the menu opens, replaced by the choice.
const MENU_OPEN: &str = "menu…";

/// Notes a key before it is handled. Keys inside the menu or the lesson
/// picker are not shown one by one: the choice is (`chosen`). Whichever
/// overlay is on top takes the key (and is drawn last): only when that is
/// the menu or the picker is the key theirs, not when one lies beneath a
/// paste question.
pub fn note(app: &mut App, key: &KeyEvent) {
    let choosing = matches!(
        app.overlays.top(),
        Some(Overlay::Menu(_) | Overlay::Picker(_))
    );
    if choosing {
        return;
    }
    let typing = app.focus == Pane::Editor || app.search.is_some();
    // Help, a reset or a paste question: the key answers it, it is not text.
    let overlay = !app.overlays.is_empty();
    match typed_char(key) {
        Some(c) if typing && !overlay => type_char(app, c),
        _ if matches!(key.code, KeyCode::Esc | KeyCode::F(10))
            && !overlay
            && app.search.is_none() =>
        {
            push(app, MENU_OPEN.to_string())
        }
        _ => push(app, label(key)),
    }
}

/// The menu closed: with this choice, or none.
pub fn chosen(app: &mut App, what: Option<&str>) {
    let entry = match what {
        Some(what) => format!("menu: {what}"),
        None => "menu closed".to_string(),
    };
    match app.last_keys.back_mut() {
        Some(last) if last == MENU_OPEN => *last = entry,
        _ => push(app, entry),
    }
}

fn push(app: &mut App, entry: String) {
    app.last_keys.push_back(entry);
    while app.last_keys.len() > SHOWN {
        app.last_keys.pop_front();
    }
}

fn type_char(app: &mut App, c: char) {
    match app.last_keys.back_mut() {
        Some(last) if is_word(last) => {
            let mut word: String = last[1..last.len() - 1].to_string();
            word.push(c);
            let count = word.chars().count();
            if count > WORD_MAX {
                word = format!(
                    "…{}",
                    word.chars().skip(count - WORD_MAX + 1).collect::<String>()
                );
            }
            *last = format!("\"{word}\"");
        }
        _ => push(app, format!("\"{c}\"")),
    }
}

fn is_word(entry: &str) -> bool {
    entry.len() >= 2 && entry.starts_with('"') && entry.ends_with('"')
}

fn typed_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// A key as the audience should read it: "Ctrl-S", "Tab", "n".
pub fn label(key: &KeyEvent) -> String {
    let name = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        KeyCode::BackTab => "Shift-Tab".into(),
        other => format!("{other:?}"),
    };
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        // Ctrl-S, but Ctrl-End (not Ctrl-END).
        let name = if name.chars().count() == 1 {
            name.to_uppercase()
        } else {
            name
        };
        format!("Ctrl-{name}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use crate::app::{Msg, Overlay, press, update};
    use crossterm::event::KeyCode;

    #[test]
    fn the_key_that_answers_a_paste_over_the_menu_is_shown_as_the_top_overlay_takes_it() {
        let mut app = crate::app::first_lesson_app();
        press(&mut app, KeyCode::Esc);
        assert!(matches!(app.overlays.top(), Some(Overlay::Menu(_))));
        update(&mut app, Msg::Paste("name: x".into()));
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(
            app.notice.as_deref(),
            Some("Paste discarded: nothing changed."),
            "the question on top took the key"
        );
        assert_eq!(app.last_keys.back().map(String::as_str), Some("n"));
        assert!(
            matches!(app.overlays.top(), Some(Overlay::Menu(_))),
            "the menu under it is still open, and drawn"
        );
    }
}
