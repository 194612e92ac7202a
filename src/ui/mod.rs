//! Pure renderers: `draw(&App)` paints a frame. All it writes is where each
//! scrolling pane ends (`Scroll::set_max_top`), which only it can know.
//!
//! Wide terminals (at least 120×30) show every pane at once; smaller ones show
//! one pane at a time under a row of tabs (Tab moves between them).

pub(crate) mod board;
// The board drawn for a room (its render tests live with the drawing: the
// class layer may not name ui).
#[cfg(test)]
mod board_layout_tests;
mod board_room;
mod checks;
pub(crate) mod cluster_view;
pub mod markdown;
mod overlay;
mod panes;
mod predict;
mod presenter;

pub use panes::draw as draw_pane;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::{App, Connection, Overlay, Pane, keys};
use crate::engine::link::Link;
use crate::theme;

/// Below this size the panes become tabs.
pub const WIDE_MIN: (u16, u16) = (120, 30);

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let [body, notice, status, footer] = screen_rows(app, area);
    if app.presenter {
        presenter::draw(frame, app, body);
    } else if area.width >= WIDE_MIN.0 && area.height >= WIDE_MIN.1 {
        app.narrow.set(false);
        draw_wide(frame, app, body);
    } else {
        app.narrow.set(true);
        draw_tabs(frame, app, body);
    }
    frame.render_widget(notice_line(app), notice);
    frame.render_widget(status_line(app), status);
    frame.render_widget(footer_line(app, footer.width), footer);
    // Bottom to top: the overlay that takes the keys is drawn last.
    for open in app.overlays.iter() {
        match open {
            Overlay::Help => overlay::help(frame, app.help_scroll),
            Overlay::Menu(selected) => overlay::menu(frame, app, *selected),
            Overlay::Picker(selected) => overlay::lesson_picker(frame, app, *selected),
            Overlay::Reset(view) => overlay::reset(frame, view),
            Overlay::Paste(text) => overlay::paste(frame, app, text),
            Overlay::Recreate(offer) => overlay::recreate(frame, offer),
            Overlay::Consent(ask) => overlay::consent(frame, ask),
        }
    }
}

/// The panes, then the rows under them: the notice and the status line, each
/// as tall as its whole text needs when wrapped (a message is never cut at
/// the terminal's width; the notice takes at most a third of the screen,
/// and the Output pane keeps it whole), then the footer.
fn screen_rows(app: &App, area: Rect) -> [Rect; 4] {
    let rows = |paragraph: Paragraph, most: u16| {
        (paragraph.line_count(area.width) as u16).clamp(1, most.max(1))
    };
    let notice = rows(notice_line(app), area.height / 3);
    let status = rows(status_line(app), 2);
    Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(notice),
        Constraint::Length(status),
        Constraint::Length(1),
    ])
    .areas(area)
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
        // Something new there that the learner has not looked at.
        let new = if pane == Pane::Output && app.output_unseen {
            "•"
        } else {
            ""
        };
        spans.push(Span::styled(format!(" {}{new} ", pane.title()), style));
        spans.push(Span::raw(" "));
    }
    // The checks are not on screen: say how the step stands.
    spans.push(Span::raw(format!(
        "│ step {}/{} ",
        app.current + 1,
        app.lesson.steps.len()
    )));
    if let Some((mark, style)) = step_mark(app) {
        spans.push(Span::styled(mark, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs);
    panes::draw(frame, app, app.focus, body);
}

/// How the step shown stands, with the Steps pane's marks: ✓ done, ◇ holds
/// but waits for the learner, ! no longer holds, ? undecided, ✗N failing.
fn step_mark(app: &App) -> Option<(String, ratatui::style::Style)> {
    let report = app.report()?;
    let failing = report
        .outcomes
        .iter()
        .filter(|(_, o)| !o.passed && !o.undecided)
        .count();
    let state = &app.steps[app.current];
    Some(if state.regressed {
        ("!".into(), theme::warn())
    } else if state.done && report.passed() {
        ("✓".into(), theme::pass())
    } else if report.passed() {
        ("◇".into(), theme::warn())
    } else if failing == 0 {
        ("?".into(), theme::warn())
    } else {
        (format!("✗{failing}"), theme::fail())
    })
}

/// The pane under a mouse click on a wide terminal.
pub fn pane_at(app: &App, area: Rect, column: u16, row: u16) -> Option<Pane> {
    if app.presenter || area.width < WIDE_MIN.0 || area.height < WIDE_MIN.1 {
        return None;
    }
    let [body, ..] = screen_rows(app, area);
    wide_layout(body)
        .into_iter()
        .find(|(_, r)| r.contains(ratatui::layout::Position { x: column, y: row }))
        .map(|(pane, _)| pane)
}

/// The style of an outcome's mark: ✓ pass, ✗ fail, ? undecided.
pub fn outcome_style(outcome: &crate::checks::Outcome) -> ratatui::style::Style {
    if outcome.passed {
        theme::pass()
    } else if outcome.undecided {
        theme::warn()
    } else {
        theme::fail()
    }
}

fn notice_line(app: &App) -> Paragraph<'static> {
    match (&app.notice, &app.apply_error) {
        (_, Some(error)) => {
            Paragraph::new(Span::styled(format!(" ✗ apply: {error}"), theme::fail()))
                .wrap(Wrap { trim: false })
        }
        (Some(notice), None) => {
            let style = if notice.starts_with('✓') {
                theme::pass()
            } else {
                theme::warn()
            };
            Paragraph::new(Span::styled(format!(" {notice}"), style)).wrap(Wrap { trim: false })
        }
        (None, None) => Paragraph::new(""),
    }
}

fn status_line(app: &App) -> Paragraph<'static> {
    let connection = match &app.connection {
        // Building or starting, the lab's progress is what there is to say.
        _ if app.waiting_for_lab() => app
            .lab
            .as_ref()
            .map(|lab| lab.line(std::time::Instant::now()))
            .unwrap_or_default(),
        Connection::Connecting => "connecting…".to_string(),
        Connection::Link(link @ Link::Connected { limited }) if !limited.is_empty() => {
            format!("{} (the Output pane says what this means)", link.describe())
        }
        // Connected while the rest of the lab is built or started: both.
        Connection::Link(link) => match app.lab.as_ref().filter(|lab| lab.is_partly_up()) {
            Some(lab) => format!(
                "{} · {}",
                link.describe(),
                lab.line(std::time::Instant::now())
            ),
            None => link.describe(),
        },
        Connection::Unreachable(why) => format!("unreachable: {why}"),
        Connection::NotStarted(why) => why.clone(),
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
    Paragraph::new(Span::styled(text, theme::status_bar())).wrap(Wrap { trim: false })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{first_lesson_app, report};

    #[test]
    fn the_tab_bar_marks_a_step_that_holds_already_as_the_steps_pane_does() {
        let mut app = first_lesson_app();
        app.steps[0].report = Some(report(&app, 0, None));
        assert_eq!(step_mark(&app).unwrap().0, "◇", "holds, not answered yet");
        app.steps[0].done = true;
        assert_eq!(step_mark(&app).unwrap().0, "✓");
    }
}
