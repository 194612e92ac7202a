//! One renderer per pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::{cluster_view, theme};
use crate::app::{App, Pane};

/// A pane's frame. The focused pane is marked three ways, so it shows in
/// any terminal: a thick border, a `▶` before its title, and (colours
/// allowing) cyan; NO_COLOR and a projector keep the first two.
pub fn block(app: &App, pane: Pane, title: String) -> Block<'static> {
    framed(app.focus == pane, title).borders(Borders::ALL)
}

/// A frame marked as focused or not; callers choose the borders.
pub fn framed(focused: bool, title: String) -> Block<'static> {
    if focused {
        Block::default()
            .border_type(BorderType::Thick)
            .border_style(theme::focused_border())
            .title(Span::styled(
                format!("▶{}", title.trim_end()),
                theme::focused_border(),
            ))
    } else {
        Block::default()
            .border_style(theme::border())
            .title(Span::styled(title, theme::border()))
    }
}

pub fn draw(frame: &mut Frame, app: &App, pane: Pane, area: Rect) {
    match pane {
        Pane::Steps => steps(frame, app, area),
        Pane::Lesson => lesson(frame, app, area),
        Pane::Editor => editor(frame, app, area),
        Pane::Cluster => {
            // Only the rows in the window are turned into lines.
            let height = area.height.saturating_sub(2) as usize;
            let lines =
                cluster_view::window(&app.cluster_view, app.cluster_scroll as usize, height);
            let total = app.cluster_view.line_count();
            let title = if total > height {
                format!(
                    " Cluster (live) {}–{} of {total} ",
                    (app.cluster_scroll as usize + 1).min(total),
                    (app.cluster_scroll as usize + height).min(total)
                )
            } else {
                " Cluster (live) ".into()
            };
            let widget = Paragraph::new(lines).block(block(app, pane, title));
            frame.render_widget(widget, area);
        }
        Pane::Checks => checks(frame, app, area),
        Pane::Output => output(frame, app, area),
    }
}

/// The Output pane from `output_scroll`, but never scrolled past its end: a
/// window that would show blank rows starts earlier instead. Its title says
/// what lies above and below the window.
fn output(frame: &mut Frame, app: &App, area: Rect) {
    let inner_width = area.width.saturating_sub(2).max(1) as usize;
    let height = area.height.saturating_sub(2) as usize;
    let rows = |line: &String| line.chars().count().div_ceil(inner_width).max(1);
    // The earliest start whose lines still fill the window.
    let mut last_start = app.output.len();
    let mut filled = 0;
    while last_start > 0 && filled + rows(&app.output[last_start - 1]) <= height {
        last_start -= 1;
        filled += rows(&app.output[last_start]);
    }
    app.output_end.set(last_start.min(u16::MAX as usize) as u16);
    let from = (app.output_scroll as usize).min(last_start);
    let mut shown_rows = 0;
    let shown = app.output[from..]
        .iter()
        .take_while(|line| {
            shown_rows += rows(line);
            shown_rows <= height.max(1)
        })
        .count();
    let below = app.output.len() - from - shown;
    let mut title = " Output ".to_string();
    if from > 0 {
        title = format!(" Output ↑ {from} earlier ");
    }
    let lines: Vec<Line> = app.output[from..]
        .iter()
        .map(|l| Line::from(l.clone()))
        .collect();
    let mut block = block(app, Pane::Output, title);
    if below > 0 {
        block = block.title_bottom(Span::styled(
            format!(" ↓ {below} more (j, PgDn) "),
            theme::strong(),
        ));
    }
    let widget = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false });
    frame.render_widget(widget, area);
}

fn steps(frame: &mut Frame, app: &App, area: Rect) {
    let done = app.done_count();
    let lines: Vec<Line> = app
        .lesson
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let (mark, style) = if app.regressed[i] {
                ("!", theme::warn())
            } else if app.done[i] {
                ("✓", theme::pass())
            } else if app.holds_already(i) {
                ("◇", theme::warn())
            } else if app.undecided(i) {
                ("?", theme::warn())
            } else if i > app.unlocked {
                ("·", theme::dim())
            } else if i == app.current {
                ("▶", theme::strong())
            } else {
                ("○", theme::strong())
            };
            let mut style = style;
            if i == app.current {
                style = style.patch(theme::strong());
            }
            if i == app.steps_cursor && app.focus == Pane::Steps {
                style = style.patch(theme::selected());
            }
            Line::from(Span::styled(
                format!("{mark} {:>2} {}", i + 1, step.title),
                style,
            ))
        })
        .collect();
    let title = format!(" Steps {done}/{} ", app.lesson.steps.len());
    frame.render_widget(
        Paragraph::new(lines).block(block(app, Pane::Steps, title)),
        area,
    );
}

fn lesson(frame: &mut Frame, app: &App, area: Rect) {
    let step = app.step();
    let title = format!(" {}. {} ", app.current + 1, step.title);
    super::predict::draw_text(frame, app, block(app, Pane::Lesson, title), area);
}

fn editor(frame: &mut Frame, app: &App, area: Rect) {
    // Drawn by reference: cloning the TextArea each frame cost tens of
    // milliseconds per key on a 1 MB buffer. Its styles (line numbers,
    // cursor shown only with focus, placeholder) are kept on it by `app`.
    let editor = app.editor();
    let ratatui_textarea::DataCursor(row, column) = editor.cursor();
    let mut title = format!(
        " Editor — step {} — Ln {}, Col {} ",
        app.current + 1,
        row + 1,
        column + 1
    );
    if let Some(pattern) = &app.search {
        title = format!(" Search: {pattern}▏ (Enter next, Esc close) ");
    }
    let block = block(app, Pane::Editor, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(editor, inner);
}

/// The Checks pane scrolls (j/k when focused) and says when more is below.
fn checks(frame: &mut Frame, app: &App, area: Rect) {
    let lines = super::checks::lines(app);
    let mut block = block(app, Pane::Checks, " Checks ".into());
    let inner = block.inner(area);
    let rows = Paragraph::new(lines.clone())
        .wrap(Wrap { trim: false })
        .line_count(inner.width) as u16;
    let end = rows.saturating_sub(inner.height);
    app.checks_end.set(end);
    let scroll = app.checks_scroll.min(end);
    if scroll < end {
        block = block.title_bottom(Span::styled(
            format!(" ↓ {} more (focus, then j) ", end - scroll),
            theme::strong(),
        ));
    }
    let widget = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    frame.render_widget(widget, area);
}
