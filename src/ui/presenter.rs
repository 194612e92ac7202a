//! Presenter mode: for a shared screen or a projector. The step number in big
//! letters, the lesson text and the editor first, few borders, high contrast,
//! the checks in one line, and the last keys pressed so the room can follow.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use tui_big_text::{BigText, PixelSize};

use super::theme;
use crate::app::App;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let [header, body, checks, keys] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Min(6),
        Constraint::Length(2),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, app, header);
    let [lesson, editor] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(" Lesson ", theme::strong()));
    super::predict::draw_text(frame, app, block, lesson);
    let mut buffer = app.editor().clone();
    buffer.set_block(
        Block::default()
            .borders(Borders::TOP | Borders::LEFT)
            .title(Span::styled(" YAML (Ctrl-S applies) ", theme::strong())),
    );
    buffer.set_line_number_style(theme::dim());
    frame.render_widget(&buffer, editor);
    frame.render_widget(checks_line(app), checks);
    frame.render_widget(keys_line(app), keys);
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let [big, title] =
        Layout::horizontal([Constraint::Length(36), Constraint::Min(10)]).areas(area);
    let number = BigText::builder()
        .pixel_size(PixelSize::Quadrant)
        .style(Style::default().add_modifier(Modifier::BOLD))
        .lines(vec![format!("Step {}", app.current + 1).into()])
        .build();
    frame.render_widget(number, big);
    let done = app.done_count();
    let lines = vec![
        Line::from(Span::styled(app.step().title.clone(), theme::heading())),
        Line::from(Span::styled(
            format!(
                "{} · {done}/{} steps done · namespace {}",
                app.lesson.title,
                app.lesson.steps.len(),
                app.lesson.namespace
            ),
            theme::dim(),
        )),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), title);
}

fn checks_line(app: &App) -> Paragraph<'static> {
    let mut spans = vec![Span::styled(" Checks: ", theme::strong())];
    match app.report() {
        None => spans.push(Span::styled("checking…", theme::dim())),
        Some(report) if report.outcomes.is_empty() => {
            spans.push(Span::styled("✓ nothing to check", theme::pass()))
        }
        Some(report) => {
            for (_, outcome) in &report.outcomes {
                spans.push(Span::styled(
                    format!("{} ", outcome.mark()),
                    theme::outcome(outcome),
                ));
                spans.push(Span::raw(format!("{}   ", outcome.message)));
            }
        }
    }
    Paragraph::new(Line::from(spans)).wrap(Wrap { trim: true })
}

fn keys_line(app: &App) -> Paragraph<'static> {
    let keys: Vec<String> = app.last_keys.iter().map(|k| format!("[{k}]")).collect();
    Paragraph::new(Line::from(vec![
        Span::styled(" keys: ", theme::dim()),
        Span::styled(keys.join(" "), theme::strong()),
    ]))
}
