//! Colours and emphasis. With NO_COLOR set, only bold, dim, reverse and
//! underline are used (https://no-color.org). A leaf: the renderers use it,
//! and so does `app`, which keeps the editor's styles on its TextArea.

use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};

fn no_color() -> bool {
    static NO_COLOR: OnceLock<bool> = OnceLock::new();
    *NO_COLOR.get_or_init(|| std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()))
}

fn color(style: Style, color: Color) -> Style {
    if no_color() { style } else { style.fg(color) }
}

pub fn heading() -> Style {
    color(Style::default().add_modifier(Modifier::BOLD), Color::Cyan)
}
pub fn strong() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}
pub fn emphasis() -> Style {
    Style::default().add_modifier(Modifier::ITALIC)
}
pub fn code() -> Style {
    color(Style::default(), Color::Yellow)
}
pub fn dim() -> Style {
    Style::default().add_modifier(Modifier::DIM)
}
pub fn pass() -> Style {
    color(Style::default().add_modifier(Modifier::BOLD), Color::Green)
}
pub fn fail() -> Style {
    color(Style::default().add_modifier(Modifier::BOLD), Color::Red)
}
pub fn warn() -> Style {
    color(Style::default().add_modifier(Modifier::BOLD), Color::Yellow)
}
pub fn focused_border() -> Style {
    color(Style::default().add_modifier(Modifier::BOLD), Color::Cyan)
}
pub fn border() -> Style {
    Style::default()
}
pub fn selected() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}
pub fn error_line() -> Style {
    if no_color() {
        Style::default().add_modifier(Modifier::REVERSED | Modifier::UNDERLINED)
    } else {
        Style::default().bg(Color::Red).fg(Color::White)
    }
}
/// The key list under everything: plain, not dim, so it reads on a projector.
pub fn footer() -> Style {
    Style::default()
}
pub fn status_bar() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}
