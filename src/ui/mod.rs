//! Pure renderers: `draw(&App)` paints a frame and changes nothing.
//!
//! Wide terminals (at least 120×30) show every pane at once; smaller ones show
//! one pane at a time under a row of tabs (Tab moves between them).

pub mod board;
mod checks;
pub mod cluster_view;
pub mod markdown;
mod overlay;
mod panes;
mod predict;
mod presenter;

pub use panes::draw as draw_pane;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, Connection, Pane, keys};

/// Below this size the panes become tabs.
pub const WIDE_MIN: (u16, u16) = (120, 30);

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let [body, notice, status, footer] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if app.presenter {
        presenter::draw(frame, app, body);
    } else if area.width >= WIDE_MIN.0 && area.height >= WIDE_MIN.1 {
        draw_wide(frame, app, body);
    } else {
        draw_tabs(frame, app, body);
    }
    frame.render_widget(notice_line(app), notice);
    frame.render_widget(status_line(app), status);
    frame.render_widget(footer_line(app, footer.width), footer);
    if let Some(selected) = app.menu {
        overlay::menu(frame, selected);
    }
    if let Some(selected) = app.picker {
        overlay::lesson_picker(frame, app, selected);
    }
    if let Some(view) = &app.reset {
        overlay::reset(frame, view);
    }
    if let Some(text) = &app.pending_paste {
        overlay::paste(frame, app, text);
    }
    if app.show_help {
        overlay::help(frame);
    }
}

/// Where the focus is, then the keys that work there.
fn footer_line(app: &App, width: u16) -> Paragraph<'static> {
    let focus = format!("▶{} ", app.focus.title());
    let (long, short) = if app.focus == Pane::Editor {
        (keys::FOOTER_EDITOR, keys::FOOTER_EDITOR_SHORT)
    } else {
        (keys::FOOTER, keys::FOOTER_SHORT)
    };
    let fits = focus.chars().count() + long.chars().count() <= width as usize;
    Paragraph::new(Line::from(vec![
        Span::styled(focus, theme::focused_border()),
        Span::styled(if fits { long } else { short }, theme::footer()),
    ]))
}

fn draw_wide(frame: &mut Frame, app: &App, area: Rect) {
    for (pane, rect) in wide_layout(area) {
        panes::draw(frame, app, pane, rect);
    }
}

/// Where each pane goes on a wide terminal.
fn wide_layout(area: Rect) -> [(Pane, Rect); 6] {
    let [left, middle, right] = Layout::horizontal([
        Constraint::Length(34),
        Constraint::Percentage(50),
        Constraint::Percentage(50),
    ])
    .areas(area);
    let [steps, checks] =
        Layout::vertical([Constraint::Min(8), Constraint::Percentage(45)]).areas(left);
    let [lesson, output] =
        Layout::vertical([Constraint::Percentage(68), Constraint::Percentage(32)]).areas(middle);
    let [editor, cluster] =
        Layout::vertical([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(right);
    [
        (Pane::Steps, steps),
        (Pane::Checks, checks),
        (Pane::Lesson, lesson),
        (Pane::Output, output),
        (Pane::Editor, editor),
        (Pane::Cluster, cluster),
    ]
}

fn draw_tabs(frame: &mut Frame, app: &App, area: Rect) {
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let mut spans = Vec::new();
    for pane in Pane::ORDER {
        let style = if pane == app.focus {
            theme::selected()
        } else {
            theme::dim()
        };
        spans.push(Span::styled(format!(" {} ", pane.title()), style));
        spans.push(Span::raw(" "));
    }
    // The checks are not on screen: say how the step stands.
    spans.push(Span::raw(format!(
        "│ step {}/{} ",
        app.current + 1,
        app.lesson.steps.len()
    )));
    if let Some(report) = app.report() {
        let failing = report
            .outcomes
            .iter()
            .filter(|(_, o)| !o.passed && !o.undecided)
            .count();
        spans.push(if report.passed() {
            Span::styled("✓", theme::pass())
        } else if failing == 0 {
            Span::styled("?", theme::warn())
        } else {
            Span::styled(format!("✗{failing}"), theme::fail())
        });
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs);
    panes::draw(frame, app, app.focus, body);
}

/// The pane under a mouse click on a wide terminal.
pub fn pane_at(app: &App, area: Rect, column: u16, row: u16) -> Option<Pane> {
    if app.presenter || area.width < WIDE_MIN.0 || area.height < WIDE_MIN.1 {
        return None;
    }
    let body = Rect {
        height: area.height.saturating_sub(3),
        ..area
    };
    wide_layout(body)
        .into_iter()
        .find(|(_, r)| r.contains(ratatui::layout::Position { x: column, y: row }))
        .map(|(pane, _)| pane)
}

fn notice_line(app: &App) -> Paragraph<'static> {
    match (&app.notice, &app.apply_error) {
        (_, Some(error)) => {
            Paragraph::new(Span::styled(format!(" ✗ apply: {error}"), theme::fail()))
        }
        (Some(notice), None) => {
            let style = if notice.starts_with('✓') {
                theme::pass()
            } else {
                theme::warn()
            };
            Paragraph::new(Span::styled(format!(" {notice}"), style))
        }
        (None, None) => Paragraph::new(""),
    }
}

fn status_line(app: &App) -> Paragraph<'static> {
    let connection = match &app.connection {
        Connection::Connecting => "connecting…".to_string(),
        Connection::Link(link) => link.describe(),
        Connection::Unreachable(why) => format!("unreachable: {why}"),
    };
    let text = format!(
        " {} │ {} │ ns {} │ {} ",
        if app.cluster.context.is_empty() {
            "(no context)"
        } else {
            &app.cluster.context
        },
        app.cluster.server,
        app.lesson.namespace,
        connection
    );
    Paragraph::new(Span::styled(text, theme::status_bar()))
}
