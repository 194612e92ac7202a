//! Scrolling. Each pane that scrolls has one `Scroll`: where the learner
//! asked it to start, and the last start that still fills the pane, which
//! the renderer notes on each frame (it alone knows the wrapped height), so
//! scrolling stops at the end instead of running into blank space. One type
//! and one clamp for every pane (as gitui's `VerticalScroll`).

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};

use super::{App, Effect, Pane};

/// Rows a wheel notch moves.
const WHEEL: i32 = 3;
/// Rows PgUp/PgDn move.
const PAGE: i32 = 10;

#[derive(Debug)]
pub struct Scroll {
    /// The first row asked for; `u16::MAX` asks for the end.
    top: u16,
    /// The last first row that still fills the pane, as last drawn.
    max_top: Cell<u16>,
}

impl Default for Scroll {
    fn default() -> Scroll {
        Scroll {
            top: 0,
            // Until a frame says otherwise, nothing is known to end.
            max_top: Cell::new(u16::MAX),
        }
    }
}

impl Scroll {
    /// The first row to show: the one asked for, never past the end.
    pub fn top(&self) -> u16 {
        self.top.min(self.max_top.get())
    }

    /// Noted by the renderer: the last first row that still fills the pane.
    pub fn set_max_top(&self, max_top: u16) {
        self.max_top.set(max_top);
    }

    /// Moves by `delta` rows, between the first row and the end.
    pub fn by(&mut self, delta: i32) {
        let moved = (self.top() as i32 + delta).max(0) as u16;
        self.top = moved.min(self.max_top.get());
    }

    /// The first row of the last window, as the last frame found it.
    pub fn top_at_end(&self) -> u16 {
        self.max_top.get()
    }

    pub fn to(&mut self, top: u16) {
        self.top = top;
    }

    pub fn to_top(&mut self) {
        self.top = 0;
    }

    /// Shows the end, wherever the next frame finds it.
    pub fn to_end(&mut self) {
        self.top = u16::MAX;
    }
}

/// The scrolling panes.
#[derive(Debug, Default)]
pub struct Scrolls {
    /// The lesson text (the mouse wheel over the editor scrolls it too).
    pub lesson: Scroll,
    pub output: Scroll,
    pub checks: Scroll,
    pub cluster: Scroll,
}

/// ↑ ↓ j k PgUp PgDn outside the editor; None for any other key.
pub fn on_key(app: &mut App, key: &KeyEvent) -> Option<Vec<Effect>> {
    let delta = match key.code {
        KeyCode::Down | KeyCode::Char('j') => 1,
        KeyCode::Up | KeyCode::Char('k') => -1,
        KeyCode::PageDown => PAGE,
        KeyCode::PageUp => -PAGE,
        _ => return None,
    };
    by(app, delta);
    Some(Vec::new())
}

/// The wheel scrolls the focused pane; other mouse events change nothing
/// (a click is turned into `Msg::Focus` by the runtime, which knows the layout).
pub fn on_mouse(app: &mut App, mouse: MouseEvent) -> Vec<Effect> {
    match mouse.kind {
        MouseEventKind::ScrollDown => by(app, WHEEL),
        MouseEventKind::ScrollUp => by(app, -WHEEL),
        _ => {}
    }
    Vec::new()
}

/// Scrolls the focused pane; in the Steps pane, moves the step cursor.
fn by(app: &mut App, delta: i32) {
    match app.focus {
        Pane::Lesson | Pane::Editor => app.scroll.lesson.by(delta),
        Pane::Output => app.scroll.output.by(delta),
        Pane::Checks => app.scroll.checks.by(delta),
        Pane::Cluster => app.scroll.cluster.by(delta),
        Pane::Steps => {
            let last = app.lesson.steps.len() as i32 - 1;
            app.steps_cursor = (app.steps_cursor as i32 + delta).clamp(0, last) as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scroll_stops_at_the_end_the_renderer_noted_and_at_the_top() {
        let mut scroll = Scroll::default();
        scroll.by(-1);
        assert_eq!(scroll.top(), 0);
        scroll.set_max_top(5);
        scroll.by(PAGE);
        assert_eq!(scroll.top(), 5, "not into blank rows");
        scroll.by(-1);
        assert_eq!(
            scroll.top(),
            4,
            "one up from the end, wherever it was asked"
        );
        scroll.to_end();
        assert_eq!(scroll.top(), 5);
        scroll.set_max_top(8); // the pane got shorter: more rows below
        assert_eq!(
            scroll.top(),
            8,
            "the end is wherever the last frame found it"
        );
    }
}
