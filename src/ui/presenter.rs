//! Presenter mode: for a shared screen or a projector. The step number in big
//! letters beside its title, the lesson text, the editor only on steps that
//! ask for YAML (else the answer of the step's action), then a feedback area
//! that grows to show what failed and how to fix it in full, and the last
//! keys pressed, as words, so the room can follow. No dim text: it vanishes
//! on a projector.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Borders, Paragraph, Wrap};
use tui_big_text::{BigText, PixelSize};

use super::panes::framed;
use crate::app::{App, Pane};
use crate::theme;

/// The feedback area never takes more than this share of the rows under
/// the header (the lesson text keeps the rest).
const FEEDBACK_MAX_PERCENT: u16 = 50;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let [header, rest, keys] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Min(6),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, app, header);
    let feedback = feedback(app);
    let wanted = Paragraph::new(feedback.clone())
        .wrap(Wrap { trim: false })
        .line_count(rest.width) as u16;
    let most = rest.height * FEEDBACK_MAX_PERCENT / 100;
    let [body, feedback_area] = Layout::vertical([
        Constraint::Min(4),
        Constraint::Length(wanted.clamp(2, most)),
    ])
    .areas(rest);
    draw_body(frame, app, body);
    frame.render_widget(
        Paragraph::new(feedback).wrap(Wrap { trim: false }),
        feedback_area,
    );
    frame.render_widget(keys_line(app), keys);
}

/// The lesson text, and beside it the editor (steps with YAML) or the
/// answer of the step's action (steps with one), or nothing.
fn draw_body(frame: &mut Frame, app: &App, body: Rect) {
    let right = if app.step_has_yaml() {
        Some(Pane::Editor)
    } else if !app.step().actions.is_empty() {
        Some(Pane::Output)
    } else {
        None
    };
    let (lesson, side) = match right {
        Some(_) => {
            let [lesson, side] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(body);
            (lesson, Some(side))
        }
        None => (body, None),
    };
    let block = framed(app.focus == Pane::Lesson, " Lesson ".into()).borders(Borders::TOP);
    super::predict::draw_text(frame, app, block, lesson);
    match (right, side) {
        (Some(Pane::Editor), Some(side)) => {
            let block = framed(app.focus == Pane::Editor, " YAML (Ctrl-S applies) ".into())
                .borders(Borders::TOP | Borders::LEFT);
            let inner = block.inner(side);
            frame.render_widget(block, side);
            frame.render_widget(app.editor(), inner);
        }
        (Some(_), Some(side)) => {
            let answer = super::checks::last_action(app);
            let lines: Vec<Line> = if let Some(holdback) = app.holdback() {
                vec![Line::from(holdback.says("the action's answer"))]
            } else if answer.is_empty() {
                vec![Line::from("Press r to run this step's action.")]
            } else {
                answer.iter().map(|l| Line::from(l.clone())).collect()
            };
            let block =
                framed(false, " Answer (r runs) ".into()).borders(Borders::TOP | Borders::LEFT);
            frame.render_widget(
                Paragraph::new(lines)
                    .block(block)
                    .wrap(Wrap { trim: false }),
                side,
            );
        }
        _ => {}
    }
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let number = format!("Step {}", app.current + 1);
    // Quadrant pixels: four columns a letter.
    let big_width = number.chars().count() as u16 * 4 + 2;
    let [big, title] =
        Layout::horizontal([Constraint::Length(big_width), Constraint::Min(10)]).areas(area);
    let banner = BigText::builder()
        .pixel_size(PixelSize::Quadrant)
        .style(Style::default().add_modifier(Modifier::BOLD))
        .lines(vec![number.into()])
        .build();
    frame.render_widget(banner, big);
    let done = app.done_count();
    let lines = vec![
        Line::from(Span::styled(
            app.step().title.clone(),
            theme::heading().add_modifier(Modifier::UNDERLINED),
        )),
        Line::from(Span::raw(format!(
            "{} · {done}/{} steps done · namespace {}",
            app.lesson.title,
            app.lesson.steps.len(),
            app.lesson.namespace
        ))),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), title);
}

/// What the room needs to read after each act: the apply's error in full,
/// the checks (failing ones with their whole message, hints when shown),
/// and on steps that show the editor, the action's answer too.
fn feedback(app: &App) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(error) = &app.apply_error {
        lines.push(Line::from(Span::styled(
            format!("✗ apply: {error}"),
            theme::fail(),
        )));
    }
    let mut checks = super::checks::lines(app);
    if let Some(first) = checks.first_mut() {
        first
            .spans
            .insert(0, Span::styled("Checks: ", theme::strong()));
    }
    lines.extend(checks);
    if app.step_has_yaml() && !app.step().actions.is_empty() {
        lines.extend(
            super::checks::last_action(app)
                .iter()
                .map(|l| Line::from(l.clone())),
        );
    }
    lines
}

fn keys_line(app: &App) -> Paragraph<'static> {
    let keys: Vec<String> = app.last_keys.iter().map(|k| format!("[{k}]")).collect();
    Paragraph::new(Line::from(vec![
        Span::styled(" keys: ", theme::strong()),
        Span::styled(keys.join(" "), theme::strong()),
    ]))
}
