//! The class board, drawn (pure): a grid of attendees × steps, one
//! attendee's details, or a projector view of everyone's progress.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tokio::time::Instant;

use super::cluster_view;
use crate::class::board::columns::{self, Columns, FOR, STATE, cut};
use crate::class::board::{Board, Confirm, Row, cell};
use crate::class::presence::Presence;
use crate::class::progress::{Cell, duration, reason};
use crate::theme;

const KEYS: &str = "↑↓←→ move · o order · f filter · c their step · Enter details · Esc back · s solve · r reset · a answers · p projector · q quit";

fn cell_style(c: Cell) -> ratatui::style::Style {
    match c {
        Cell::Done => theme::pass(),
        Cell::Failing => theme::fail(),
        Cell::Undecided => theme::warn(),
        Cell::NotStarted | Cell::Checking => theme::dim(),
    }
}

fn presence_style(p: Presence) -> ratatui::style::Style {
    match p {
        Presence::Done => theme::pass(),
        Presence::Stuck => theme::fail(),
        Presence::Gone => theme::warn(),
        Presence::Working => ratatui::style::Style::default(),
        Presence::NotStarted => theme::dim(),
    }
}

/// For tests: the board drawn at `width`×`height`, as text (one line per row).
#[cfg(test)]
pub fn drawn(board: &Board, width: u16, height: u16) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| draw(frame, board, Instant::now()))
        .unwrap();
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
                + "\n"
        })
        .collect()
}

pub fn draw(frame: &mut Frame, board: &Board, now: Instant) {
    let [head, body, selected, notice, keys] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(heading(board, now), head);
    if board.presenter {
        super::board_room::projector(frame, board, body);
    } else if board.detail {
        detail(frame, board, body);
    } else {
        grid(frame, board, body, now);
    }
    // The projector names no one: no selection, no notice about an attendee.
    if !board.presenter {
        frame.render_widget(
            Paragraph::new(selection(board)).wrap(Wrap { trim: true }),
            selected,
        );
    }
    if let Some(text) = board.notice.as_ref().filter(|_| !board.presenter) {
        frame.render_widget(
            Paragraph::new(Span::styled(format!(" {text}"), theme::warn())),
            notice,
        );
    } else if let Some(why) = &board.watching {
        // Said until a notice takes the line: the board costs the API
        // server a set of watches per attendee.
        frame.render_widget(
            Paragraph::new(Span::styled(format!(" {why}"), theme::dim())),
            notice,
        );
    }
    frame.render_widget(Paragraph::new(Span::styled(KEYS, theme::dim())), keys);
    if let Some(confirm) = &board.confirm {
        dialog(frame, board, confirm);
    }
}

fn heading(board: &Board, now: Instant) -> Paragraph<'static> {
    let title = board
        .rows
        .first()
        .map(|r| r.lesson.title.clone())
        .unwrap_or_default();
    let done = board
        .rows
        .iter()
        .filter(|r| r.standing.done == r.reports.len())
        .count();
    let checking = match board.checking() {
        0 => String::new(),
        n => format!(", {n} checking…"),
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!(" Class {} ", board.class), theme::heading()),
        Span::raw(format!(
            "— {title} — {} attendees, {done} finished{checking}",
            board.rows.len()
        )),
    ])];
    lines.push(
        match board.longest_on_a_step(now).filter(|_| !board.presenter) {
            Some(row) => Line::from(vec![
                Span::styled(" Longest on one step: ", theme::dim()),
                Span::styled(
                    match place(row, now, board.unix_now) {
                        Some((step, seconds)) => format!(
                            "{}, on {}. {}  ({})",
                            row.attendee.label(),
                            step + 1,
                            row.lesson.steps[step].title,
                            duration(seconds)
                        ),
                        None => row.attendee.label(),
                    },
                    theme::warn(),
                ),
            ]),
            None => Line::from(""),
        },
    );
    Paragraph::new(lines)
}

/// Where a row's attendee is: the step (on their screen when their tutor
/// says, else the first that does not hold) and for how long, in seconds.
fn place(row: &Row, now: Instant, unix_now: i64) -> Option<(usize, u64)> {
    let step = row.on_step()?;
    Some((step, row.seconds_on_step(now, unix_now)))
}

fn grid(frame: &mut Frame, board: &Board, area: Rect, now: Instant) {
    let steps = board.steps();
    let columns = grid_columns(board, area.width.saturating_sub(2) as usize);
    let c = &columns;
    let mut header = vec![Span::styled(
        format!(
            " {:<w$} {:<STATE$}",
            "attendee",
            "state",
            w = c.number + 1 + c.name
        ),
        theme::strong(),
    )];
    for s in 0..steps {
        let style = if s == board.column {
            theme::selected()
        } else {
            theme::strong()
        };
        header.push(Span::styled(c.step_heading(s), style));
    }
    header.push(Span::styled(
        format!(
            "  {:>dw$} {:<sw$} {:>FOR$}  why",
            "done",
            "step",
            "for",
            dw = c.done,
            sw = c.step
        ),
        theme::strong(),
    ));
    let mut lines = vec![Line::from(header)];
    // Borders and the header take three lines; when the room does not fit,
    // one more says how many rows are out of sight, so no one is missed.
    let capacity = area.height.saturating_sub(3) as usize;
    let order = crate::class::board::order::order(board);
    let overflows = order.len() > capacity;
    let height = if overflows {
        capacity.saturating_sub(1)
    } else {
        capacity
    };
    let at = order.iter().position(|&i| i == board.row).unwrap_or(0);
    let first = at.saturating_sub(height.saturating_sub(1));
    for (i, row) in order
        .iter()
        .skip(first)
        .take(height)
        .map(|&i| (i, &board.rows[i]))
    {
        lines.push(grid_row(board, c, i, row, now));
    }
    if let (true, Some(state)) = (order.is_empty(), board.filter) {
        lines.push(Line::from(Span::styled(
            format!(" no attendee is {} now (f: next filter)", state.word()),
            theme::dim(),
        )));
    }
    if overflows {
        let below = order.len().saturating_sub(first + height);
        lines.push(Line::from(Span::styled(
            format!(" {first} more above · {below} more below (↑↓ to scroll)"),
            theme::dim(),
        )));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::focused_border())
        .title(Span::styled(
            format!(
                " Board (live) · {} · {} ",
                board.sort.word(),
                board
                    .filter
                    .map_or("everyone".to_string(), |p| format!("only {}", p.word()))
            ),
            theme::focused_border(),
        ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The columns for this room at `width` (see `class::board::columns`).
fn grid_columns(board: &Board, width: usize) -> Columns {
    let last = board.rows.iter().map(|r| r.attendee.number).max();
    let name = board
        .rows
        .iter()
        .map(|r| r.attendee.namespace.chars().count())
        .max();
    let step = board.rows.first().map_or(0, |r| {
        r.lesson
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {}", i + 1, s.title).chars().count())
            .max()
            .unwrap_or(0)
    });
    Columns::fit(
        width,
        board.steps(),
        last.unwrap_or(0),
        name.unwrap_or(0),
        step,
    )
}

/// One attendee's row: who, state, a mark per step, how many done, the
/// step they are on and for how long, and why (cut to its column).
fn grid_row(board: &Board, c: &Columns, i: usize, row: &Row, now: Instant) -> Line<'static> {
    let (presence, why) = row.presence(board.unix_now, board.limits);
    let mut spans = vec![
        Span::styled(
            format!(
                " {:0nw$} {:<w$}",
                row.attendee.number,
                row.attendee.namespace,
                nw = c.number,
                w = c.name
            ),
            if i == board.row {
                theme::strong()
            } else {
                ratatui::style::Style::default()
            },
        ),
        Span::styled(
            format!(" {:<STATE$}", presence.word()),
            presence_style(presence),
        ),
    ];
    for s in 0..c.steps {
        let mark = cell(row, s);
        let mut style = cell_style(mark);
        if i == board.row && s == board.column {
            style = style.patch(theme::selected());
        }
        spans.push(Span::raw(" ".repeat(c.cell - 1)));
        spans.push(Span::styled(mark.mark(), style));
    }
    let place = place(row, now, board.unix_now).filter(|_| row.failed.is_none());
    let label = match place {
        Some((s, _)) if c.titled => format!("{}. {}", s + 1, row.lesson.steps[s].title),
        Some((s, _)) => format!("{}.", s + 1),
        None if row.standing.done == row.reports.len() && c.titled => "all steps done".into(),
        None if row.standing.done == row.reports.len() => "✓".into(),
        // Every step reported, none failing, some undecided (a read refused).
        None if row.reports.iter().all(Option::is_some) => "?".into(),
        None => "…".into(),
    };
    let time = place.map(|(_, secs)| duration(secs)).unwrap_or_default();
    let done = format!("{}/{}", row.standing.done, c.steps);
    spans.push(Span::raw(format!(
        "  {done:>dw$} {:<sw$} {time:>FOR$}  ",
        cut(&label, c.step),
        dw = c.done,
        sw = c.step
    )));
    let reason = columns::reason(row, presence, why);
    spans.push(Span::styled(cut(&reason, c.reason), theme::dim()));
    Line::from(spans)
}

fn detail(frame: &mut Frame, board: &Board, area: Rect) {
    let Some(row) = board.rows.get(board.row) else {
        return;
    };
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    // The reason whole, which the grid cuts to its column.
    let (presence, why) = row.presence(board.unix_now, board.limits);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{}: ", presence.word()), presence_style(presence)),
            Span::raw(columns::reason(row, presence, why)),
        ]),
        Line::from(""),
    ];
    for (s, step) in row.lesson.steps.iter().enumerate() {
        let c = cell(row, s);
        let mut style = cell_style(c);
        if s == board.column {
            style = style.patch(theme::selected());
        }
        lines.push(Line::from(Span::styled(
            format!("{} {:>2} {}", c.mark(), s + 1, step.title),
            style,
        )));
        if s == board.column
            && let Some(report) = &row.reports[s]
        {
            for (_, outcome) in &report.outcomes {
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("    {} ", outcome.mark()),
                        super::outcome_style(outcome),
                    ),
                    Span::raw(outcome.message.clone()),
                ]));
            }
        }
    }
    let link = row
        .link
        .as_ref()
        .map(|l| l.describe())
        .unwrap_or_else(|| "connecting…".into());
    let title = format!(
        " {} — {} — {} ",
        row.attendee.label(),
        row.attendee.namespace,
        link
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::focused_border())
        .title(Span::styled(title, theme::focused_border()));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        left,
    );
    let height = right.height.saturating_sub(2) as usize;
    let objects = cluster_view::window(&row.view, 0, height);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::border())
        .title(" Objects (live) ");
    frame.render_widget(Paragraph::new(objects).block(block), right);
}

fn selection(board: &Board) -> Vec<Line<'static>> {
    let answers = board
        .tallies()
        .into_iter()
        .find(|t| t.index == board.column)
        .map(|t| super::board_room::answers_line(board, &t));
    let mut lines = vec![selected_cell(board)];
    lines.extend(answers);
    lines
}

fn selected_cell(board: &Board) -> Line<'static> {
    let Some(row) = board.rows.get(board.row) else {
        return Line::from("");
    };
    let Some(step) = row.lesson.steps.get(board.column) else {
        return Line::from("");
    };
    let c = cell(row, board.column);
    let why = board
        .selected_report()
        .filter(|_| c != Cell::Done)
        .and_then(reason)
        .map(|r| format!(" — {r}"))
        .unwrap_or_default();
    Line::from(vec![
        Span::styled(
            format!(
                " {}, step {} ({}): ",
                row.attendee.label(),
                board.column + 1,
                step.title
            ),
            theme::strong(),
        ),
        Span::styled(format!("{}{why}", c.word()), cell_style(c)),
    ])
}

fn dialog(frame: &mut Frame, board: &Board, confirm: &Confirm) {
    let (row, step) = match confirm {
        Confirm::Solve { row, step }
        | Confirm::Planning { row, step }
        | Confirm::Reset { row, step, .. } => (*row, *step),
    };
    let Some(r) = board.rows.get(row) else {
        return;
    };
    let who = format!("{} ({})", r.attendee.label(), r.attendee.namespace);
    let mut lines = match confirm {
        Confirm::Solve { .. } => vec![
            Line::from(format!("Solve step {} for {who}?", step + 1)),
            Line::from("This applies the step's solution in their namespace and runs its action."),
        ],
        Confirm::Planning { .. } => vec![Line::from("Finding what a reset would delete …")],
        Confirm::Reset { objects, .. } => {
            let mut lines = vec![Line::from(format!(
                "Reset {who} to step {}? These go:",
                step + 1
            ))];
            lines.extend(objects.iter().map(|o| Line::from(format!("  {o}"))));
            if objects.is_empty() {
                lines.push(Line::from("  (nothing: the step made no objects yet)"));
            }
            lines
        }
    };
    lines.push(Line::from(Span::styled(
        "y: yes · n / Esc: no",
        theme::strong(),
    )));
    let area = frame.area();
    let width = area.width.min(84);
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::focused_border())
        .title(" Confirm ");
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        rect,
    );
}
