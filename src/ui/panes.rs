//! One renderer per pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::cluster_view;
use crate::app::{App, Pane};
use crate::theme;

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
        Pane::Cluster if app.holdback().is_some() => {
            // What the cluster holds now may be the step's answer.
            let says = app
                .holdback()
                .map(|h| h.says("the cluster"))
                .unwrap_or_default();
            let widget = Paragraph::new(says).wrap(Wrap { trim: false }).block(block(
                app,
                pane,
                " Cluster (live) ".into(),
            ));
            frame.render_widget(widget, area);
        }
        Pane::Cluster => {
            // Only the rows in the window are turned into lines.
            let height = area.height.saturating_sub(2) as usize;
            let total = app.cluster_view.line_count();
            // Scrolled as far as leaves its last line at the top, no further.
            let last = total.saturating_sub(1).min(u16::MAX as usize) as u16;
            app.scroll.cluster.set_max_top(last);
            let first = app.scroll.cluster.top() as usize;
            let mut lines = cluster_view::window(&app.cluster_view, first, height);
            // A long row wraps (a cut value reads as another value: `port 4`),
            // so fewer lines may fit than rows: the title counts those shown.
            let width = area.width.saturating_sub(2);
            let mut rows = 0;
            let fit = lines
                .iter()
                .take_while(|line| {
                    rows += Paragraph::new((*line).clone())
                        .wrap(Wrap { trim: false })
                        .line_count(width);
                    rows <= height
                })
                .count()
                .max(1);
            lines.truncate(fit);
            let title = if total > lines.len() {
                format!(
                    " Cluster (live) {}–{} of {total} ",
                    (first + 1).min(total),
                    (first + lines.len()).min(total)
                )
            } else {
                " Cluster (live) ".into()
            };
            let widget = Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(block(app, pane, title));
            frame.render_widget(widget, area);
        }
        Pane::Checks => checks(frame, app, area),
        Pane::Output => output(frame, app, area),
    }
}

/// The Output pane from its scroll, but never scrolled past its end: a
/// window that would show blank rows starts earlier instead. Its title says
/// what lies above and below the window.
fn output(frame: &mut Frame, app: &App, area: Rect) {
    let inner_width = area.width.saturating_sub(2).max(1) as usize;
    let height = area.height.saturating_sub(2) as usize;
    // Rows as the word wrap below lays them out (more than characters ÷
    // width when words move to the next row): counted short, the newest
    // line fell under the pane's bottom edge.
    let rows = |line: &String| {
        Paragraph::new(line.as_str())
            .wrap(Wrap { trim: false })
            .line_count(inner_width as u16)
            .max(1)
    };
    // The earliest start whose lines still fill the window.
    let mut last_start = app.output.len();
    let mut filled = 0;
    while last_start > 0 && filled + rows(&app.output[last_start - 1]) <= height {
        last_start -= 1;
        filled += rows(&app.output[last_start]);
    }
    let scroll = &app.scroll.output;
    scroll.set_max_top(last_start.min(u16::MAX as usize) as u16);
    let from = scroll.top() as usize;
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
            let (mark, style) = if app.steps[i].regressed {
                ("!", theme::warn())
            } else if app.steps[i].done {
                ("✓", theme::pass())
            } else if app.holds_already(i) {
                ("◇", theme::warn())
            } else if app.undecided(i) {
                ("?", theme::warn())
            } else if app.waiting_for_lab() && i != app.current && !step.checks.is_empty() {
                // Needs the cluster, which is not up yet: waiting, not failing.
                ("⧗", theme::dim())
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
    let title = if app.waiting_for_lab() {
        // ⧗ as on the steps that wait; the status bar says for what.
        format!(" Steps {done}/{} · ⧗ lab ", app.lesson.steps.len())
    } else {
        format!(" Steps {done}/{} ", app.lesson.steps.len())
    };
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
    app.scroll.checks.set_max_top(end);
    let scroll = app.scroll.checks.top();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::first_lesson_app;

    fn drawn(app: &App, pane: Pane, width: u16, height: u16) -> String {
        let backend = ratatui::backend::TestBackend::new(width, height);
        let mut terminal = ratatui::Terminal::new(backend).unwrap();
        terminal.draw(|f| draw(f, app, pane, f.area())).unwrap();
        terminal.backend().to_string()
    }

    #[test]
    fn the_newest_output_line_is_shown_whole_when_its_words_wrap() {
        let mut app = first_lesson_app();
        // 20 characters: two rows of 10 by count, three by words.
        app.output = vec!["first".into(), "aaaaaa bbbbbb cccccc".into()];
        app.scroll.output.to_end();
        let screen = drawn(&app, Pane::Output, 12, 5);
        assert!(screen.contains("cccccc"), "{screen}");
    }

    #[test]
    fn a_long_cluster_row_wraps_instead_of_losing_its_end() {
        use crate::engine::view::{ClusterView, Row, Section, Tone};
        let mut app = first_lesson_app();
        app.current = 3; // no question to hold the pane back
        app.cluster_view = ClusterView {
            sections: vec![Section {
                kind: "Service".into(),
                namespace: "default".into(),
                title: "Services (1)".into(),
                rows: vec![Row {
                    name: "kubernetes".into(),
                    text: "kubernetes: ClusterIP 10.96.0.1, port 443".into(),
                    tone: Tone::Plain,
                    named: false,
                }],
                blind: None,
            }],
        };
        let screen = drawn(&app, Pane::Cluster, 30, 6);
        assert!(screen.contains("port 443"), "{screen}");
    }
}
