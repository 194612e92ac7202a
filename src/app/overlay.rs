//! What is open over the panes — help, the menu, the lesson picker, the
//! reset dialog, the paste question — as one stack: keys go to the top
//! overlay, and the renderer draws the stack bottom to top, so the one that
//! answers keys is always the one on top (one order, not two).

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Effect, ResetView, menu, paste, picker, reset};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// The key list; any key closes it.
    Help,
    /// The menu, with its highlighted item.
    Menu(usize),
    /// The lesson picker, with its highlighted row.
    Picker(usize),
    /// A reset started from the menu.
    Reset(ResetView),
    /// Text pasted while the editor did not have the focus, waiting for the
    /// learner to say whether it goes into the editor.
    Paste(String),
    /// F8's question: delete this object and create it again?
    Recreate(super::recreate::Recreate),
    /// Before the lesson acts: what it declares it does beyond its
    /// namespace; accept or decline.
    Consent(crate::lesson::consent::Ask),
}

/// The overlays open, bottom first.
#[derive(Debug, Default)]
pub struct Overlays(Vec<Overlay>);

impl Overlays {
    pub fn open(&mut self, overlay: Overlay) {
        self.0.push(overlay);
    }

    /// Closes the top overlay.
    pub fn close(&mut self) -> Option<Overlay> {
        self.0.pop()
    }

    pub fn top(&self) -> Option<&Overlay> {
        self.0.last()
    }

    /// Replaces the top overlay (a highlight moved, a dialog went on).
    pub fn replace_top(&mut self, overlay: Overlay) {
        match self.0.last_mut() {
            Some(top) => *top = overlay,
            None => self.0.push(overlay),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Bottom to top: the order to draw them in.
    pub fn iter(&self) -> impl Iterator<Item = &Overlay> {
        self.0.iter()
    }

    /// The reset dialog, wherever it is in the stack (the engine's reports
    /// reach it even while a paste question is over it).
    pub fn reset(&self) -> Option<&ResetView> {
        self.0.iter().find_map(|o| match o {
            Overlay::Reset(view) => Some(view),
            _ => None,
        })
    }

    pub fn reset_mut(&mut self) -> Option<&mut ResetView> {
        self.0.iter_mut().find_map(|o| match o {
            Overlay::Reset(view) => Some(view),
            _ => None,
        })
    }

    /// Closes the reset dialog, wherever it is.
    pub fn close_reset(&mut self) {
        self.0.retain(|o| !matches!(o, Overlay::Reset(_)));
    }
}

/// A key for the top overlay; None when no overlay is open.
pub fn on_key(app: &mut App, key: KeyEvent) -> Option<Vec<Effect>> {
    let top = app.overlays.top()?.clone();
    Some(match top {
        Overlay::Help => {
            // On a small terminal the help scrolls; any other key closes it.
            match key.code {
                KeyCode::Down | KeyCode::Char('j') => app.help_scroll += 1,
                KeyCode::Up | KeyCode::Char('k') => {
                    app.help_scroll = app.help_scroll.saturating_sub(1)
                }
                KeyCode::PageDown => app.help_scroll += 10,
                KeyCode::PageUp => app.help_scroll = app.help_scroll.saturating_sub(10),
                _ => {
                    app.overlays.close();
                }
            }
            Vec::new()
        }
        Overlay::Menu(selected) => menu::on_key(app, key, selected),
        Overlay::Picker(selected) => picker::on_key(app, key, selected),
        Overlay::Reset(view) => reset::on_key(app, key, view),
        Overlay::Paste(text) => {
            app.overlays.close();
            paste::on_key(app, key, text)
        }
        Overlay::Recreate(offer) => super::recreate::on_key(app, key, offer),
        Overlay::Consent(ask) => super::consent::on_key(app, key, ask),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Msg, press, update};
    use crossterm::event::KeyCode;

    #[test]
    fn a_paste_over_help_is_asked_on_top_and_the_key_answers_it_not_help() {
        let mut app = crate::app::first_lesson_app();
        press(&mut app, KeyCode::F(1));
        assert_eq!(app.overlays.top(), Some(&Overlay::Help));
        update(&mut app, Msg::Paste("name: x".into()));
        assert!(
            matches!(app.overlays.top(), Some(Overlay::Paste(_))),
            "the question is on top, so it is drawn last"
        );
        press(&mut app, KeyCode::Esc);
        assert_eq!(
            app.notice.as_deref(),
            Some("Paste discarded: nothing changed.")
        );
        assert_eq!(
            app.overlays.top(),
            Some(&Overlay::Help),
            "help, under it, is still open"
        );
        press(&mut app, KeyCode::Esc);
        assert!(app.overlays.is_empty());
    }
}
