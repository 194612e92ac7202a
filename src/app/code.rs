//! The lesson's code blocks: never broken across lines (a broken URL or
//! YAML line cannot be copied), so a wide one scrolls sideways (← →), and
//! `c` copies the block in view to the clipboard (OSC 52: it works over SSH
//! and in tmux with `set-clipboard on`), exactly as written.

use std::cell::RefCell;

use crossterm::event::KeyCode;

use super::{App, Effect, Pane};

/// Columns one ← or → moves the code.
const STEP: u16 = 8;
/// As far as code scrolls: longer lines are not written in lessons.
const MAX_SHIFT: u16 = 400;

/// What the Lesson pane's code looks like now: how far it is scrolled
/// sideways, and (noted by the renderer, which alone knows the layout) the
/// text of the code block in view.
#[derive(Debug, Default)]
pub struct CodeView {
    pub shift: u16,
    in_view: RefCell<Option<String>>,
}

impl CodeView {
    /// Noted by the renderer on each frame.
    pub fn set_in_view(&self, text: Option<String>) {
        *self.in_view.borrow_mut() = text;
    }

    pub fn in_view(&self) -> Option<String> {
        self.in_view.borrow().clone()
    }
}

/// ← → and `c` in the Lesson pane; None for other keys and panes.
pub fn on_key(app: &mut App, code: KeyCode) -> Option<Vec<Effect>> {
    if app.focus != Pane::Lesson {
        return None;
    }
    match code {
        KeyCode::Right => app.code.shift = (app.code.shift + STEP).min(MAX_SHIFT),
        KeyCode::Left => app.code.shift = app.code.shift.saturating_sub(STEP),
        KeyCode::Char('c') => return Some(copy(app)),
        _ => return None,
    }
    Some(Vec::new())
}

fn copy(app: &mut App) -> Vec<Effect> {
    let Some(text) = app.code.in_view() else {
        app.notice = Some("No code block in view: scroll to one, then press c.".into());
        return Vec::new();
    };
    let lines = text.lines().count();
    app.notice = Some(
        format!(
            "Copied the code block in view ({lines} line{}) to the clipboard. Nothing arrived? \
             Your terminal must allow OSC 52 (in tmux: set -g set-clipboard on).",
            if lines == 1 { "" } else { "s" }
        )
        .into(),
    );
    vec![Effect::Copy(text)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{first_lesson_app, press};

    #[test]
    fn arrows_scroll_the_code_and_c_copies_the_block_in_view() {
        let mut app = first_lesson_app();
        app.focus = Pane::Lesson;
        press(&mut app, KeyCode::Right);
        press(&mut app, KeyCode::Right);
        assert_eq!(app.code.shift, 16);
        press(&mut app, KeyCode::Left);
        press(&mut app, KeyCode::Left);
        press(&mut app, KeyCode::Left);
        assert_eq!(app.code.shift, 0);

        assert!(press(&mut app, KeyCode::Char('c')).is_empty());
        assert!(
            app.notice
                .as_deref()
                .unwrap()
                .contains("No code block in view")
        );

        app.code.set_in_view(Some("GET /api/v1\nHost: x\n".into()));
        let effects = press(&mut app, KeyCode::Char('c'));
        assert!(
            matches!(&effects[..], [Effect::Copy(text)] if text == "GET /api/v1\nHost: x\n"),
            "{effects:?}"
        );
        assert!(app.notice.as_deref().unwrap().contains("(2 lines)"));
    }

    #[test]
    fn elsewhere_the_keys_keep_their_meaning() {
        let mut app = first_lesson_app();
        app.focus = Pane::Steps;
        press(&mut app, KeyCode::Right);
        assert_eq!(app.code.shift, 0);
    }
}
