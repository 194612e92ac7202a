//! The terminal guard the tutor and the board share: it enters raw mode and
//! the alternate screen (and the input modes a runtime asks for: mouse
//! reports, bracketed paste), suspends and resumes them around a shell, and
//! gives everything back on exit — also when dropped, on a panic (ratatui's
//! hook, with the input modes added) and so on the way out after a signal.

use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use ratatui::DefaultTerminal;

/// What a runtime asks of the terminal beyond raw mode and the alternate screen.
#[derive(Debug, Clone, Copy, Default)]
pub struct InputModes {
    /// Clicks and the wheel arrive as mouse events.
    pub mouse: bool,
    /// A paste arrives as text, never as keys (a pasted q or Tab must not
    /// quit or move the focus).
    pub paste: bool,
}

/// The terminal while a runtime holds it.
pub struct Terminal {
    terminal: DefaultTerminal,
    modes: InputModes,
    entered: bool,
}

impl Terminal {
    /// Takes the terminal. Call it once everything that can fail for a plain
    /// reason has been tried: errors before it print on a normal screen.
    pub fn enter(modes: InputModes) -> Terminal {
        let terminal = ratatui::init();
        take_input_modes(modes);
        release_input_modes_on_panic(modes);
        Terminal {
            terminal,
            modes,
            entered: true,
        }
    }

    pub fn draw(&mut self, paint: impl FnOnce(&mut ratatui::Frame)) -> std::io::Result<()> {
        self.terminal.draw(paint).map(drop)
    }

    pub fn size(&self) -> std::io::Result<ratatui::layout::Size> {
        self.terminal.size()
    }

    /// Gives the terminal to a child (a shell): input modes off, raw mode and
    /// the alternate screen left, and a fresh screen with the cursor at the
    /// top, not the last child's output under this one's banner.
    pub fn suspend(&mut self) {
        self.exit();
        let _ = execute!(
            std::io::stdout(),
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
            crossterm::cursor::MoveTo(0, 0)
        );
    }

    /// Takes the terminal back after `suspend`: raw mode, the alternate
    /// screen and the input modes again, the screen repainted whole, and keys
    /// typed while the child closed discarded.
    pub fn resume(&mut self) {
        let _ = crossterm::terminal::enable_raw_mode();
        let _ = execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen);
        take_input_modes(self.modes);
        self.entered = true;
        // A blank frame overwrites every cell the last frame drew, so the next
        // draw paints the whole screen. (Terminal::clear would ask the terminal
        // for the cursor position, an answer that can be lost while input
        // changes hands.)
        let _ = self
            .terminal
            .draw(|frame| frame.render_widget(ratatui::widgets::Clear, frame.area()));
        while crossterm::event::poll(Duration::ZERO).unwrap_or(false) {
            let _ = crossterm::event::read();
        }
    }

    /// Gives the terminal back: input modes, raw mode, the alternate screen.
    pub fn exit(&mut self) {
        if self.entered {
            release_input_modes(self.modes);
            ratatui::restore();
            self.entered = false;
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.exit();
    }
}

fn take_input_modes(modes: InputModes) {
    let mut out = std::io::stdout();
    if modes.mouse {
        let _ = execute!(out, EnableMouseCapture);
    }
    if modes.paste {
        let _ = execute!(out, EnableBracketedPaste);
    }
}

fn release_input_modes(modes: InputModes) {
    let mut out = std::io::stdout();
    if modes.mouse {
        let _ = execute!(out, DisableMouseCapture);
    }
    if modes.paste {
        let _ = execute!(out, DisableBracketedPaste);
    }
}

/// ratatui's panic hook gives back raw mode and the alternate screen; the
/// input modes must be given back too, or the shell receives an escape
/// sequence for every mouse move after a crash.
fn release_input_modes_on_panic(modes: InputModes) {
    let restore_terminal = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        release_input_modes(modes);
        restore_terminal(info);
    }));
}

/// Puts `text` on the clipboard of the terminal the tutor runs in, with the
/// OSC 52 escape (the terminal, not this machine, holds the clipboard: it
/// works over SSH; tmux passes it on with `set-clipboard on`). A terminal
/// that does not allow it ignores the sequence.
pub fn copy_to_clipboard(text: &str) {
    use base64::Engine;
    use std::io::Write;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07");
    let _ = out.flush();
}
