//! One renderer per pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{cluster_view, theme};
use crate::app::{App, Pane};

fn block(app: &App, pane: Pane, title: String) -> Block<'static> {
    let style = if app.focus == pane {
        theme::focused_border()
    } else {
        theme::border()
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(title, style))
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
        Pane::Output => {
            let from = (app.output_scroll as usize).min(app.output.len());
            let lines: Vec<Line> = app.output[from..]
                .iter()
                .map(|l| Line::from(l.clone()))
                .collect();
            let more = if from > 0 {
                format!(" Output (↑ {from} earlier lines) ")
            } else {
                " Output ".to_string()
            };
            let widget = Paragraph::new(lines)
                .block(block(app, pane, more))
                .wrap(Wrap { trim: false });
            frame.render_widget(widget, area);
        }
    }
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

fn checks(frame: &mut Frame, app: &App, area: Rect) {
    let mut lines = Vec::new();
    if app.holds_already(app.current) {
        lines.push(Line::from(Span::styled(
            format!(
                "◇ Holds already — counts once you {}.",
                app.acts_missing(app.current).join(", then ")
            ),
            theme::warn(),
        )));
    } else if !app.done[app.current] && app.report().is_some_and(|r| !r.passed()) {
        let missing = app.acts_missing(app.current);
        if !missing.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("To do: {}.", missing.join(", then ")),
                theme::dim(),
            )));
        }
    }
    match app.report() {
        None => lines.push(Line::from(Span::styled("checking…", theme::dim()))),
        Some(report) if report.outcomes.is_empty() => lines.push(Line::from(Span::styled(
            "✓ Nothing to check: read on.",
            theme::pass(),
        ))),
        Some(report) => {
            for (check, outcome) in &report.outcomes {
                lines.push(Line::from(vec![
                    Span::styled(format!("{} ", outcome.mark()), theme::outcome(outcome)),
                    Span::raw(outcome.message.clone()),
                ]));
                if !outcome.passed
                    && app.show_hints
                    && let Some(hint) = check.hint()
                {
                    lines.push(Line::from(Span::styled(
                        format!("  hint: {hint}"),
                        theme::warn(),
                    )));
                }
            }
            if !report.passed()
                && !app.show_hints
                && report
                    .outcomes
                    .iter()
                    .any(|(c, o)| !o.passed && c.hint().is_some())
            {
                lines.push(Line::from(Span::styled("(h: show hints)", theme::dim())));
            }
        }
    }
    let widget = Paragraph::new(lines)
        .block(block(app, Pane::Checks, " Checks ".into()))
        .wrap(Wrap { trim: false });
    frame.render_widget(widget, area);
}
