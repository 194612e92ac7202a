//! The class board, drawn (pure): a grid of attendees × steps, one
//! attendee's details, or a projector view of everyone's progress.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tokio::time::Instant;

use super::cluster_view;
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

fn on_step(row: &Row, now: Instant, unix_now: i64) -> String {
    if let Some(why) = &row.failed {
        return format!("cannot be followed: {why}");
    }
    // The step on the attendee's own screen, when their tutor says which.
    if let Some(Ok(record)) = &row.record
        && record.lesson == row.lesson.id
        && let Some(i) = row.lesson.step_index(&record.step_id)
    {
        return format!(
            "{}. {}  ({})",
            i + 1,
            row.lesson.steps[i].title,
            duration((unix_now - record.step_since).max(0) as u64)
        );
    }
    match row.standing.current {
        None if row.standing.done == row.reports.len() => "all steps done".into(),
        None => "checking…".into(),
        Some(i) => format!(
            "{}. {}  ({})",
            i + 1,
            row.lesson.steps[i].title,
            duration(now.saturating_duration_since(row.since).as_secs())
        ),
    }
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
    let mut lines = vec![Line::from(vec![
        Span::styled(format!(" Class {} ", board.class), theme::heading()),
        Span::raw(format!(
            "— {title} — {} attendees, {done} finished",
            board.rows.len()
        )),
    ])];
    lines.push(
        match board.longest_on_a_step().filter(|_| !board.presenter) {
            Some(row) => Line::from(vec![
                Span::styled(" Longest on one step: ", theme::dim()),
                Span::styled(
                    format!(
                        "{}, on {}",
                        row.attendee.label(),
                        on_step(row, now, board.unix_now)
                    ),
                    theme::warn(),
                ),
            ]),
            None => Line::from(""),
        },
    );
    Paragraph::new(lines)
}

fn grid(frame: &mut Frame, board: &Board, area: Rect, now: Instant) {
    let steps = board.steps();
    let mut header = vec![Span::styled(
        format!(" {:<22} {:<11}", "attendee", "state"),
        theme::strong(),
    )];
    for s in 0..steps {
        let style = if s == board.column {
            theme::selected()
        } else {
            theme::strong()
        };
        header.push(Span::styled(format!("{:>3}", s + 1), style));
    }
    header.push(Span::styled("   done  on step (for)", theme::strong()));
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
        let (presence, why) = row.presence(board.unix_now, board.limits);
        let mut spans = vec![
            Span::styled(
                format!(" {:02} {:<19}", row.attendee.number, row.attendee.namespace),
                if i == board.row {
                    theme::strong()
                } else {
                    ratatui::style::Style::default()
                },
            ),
            Span::styled(
                format!(" {:<11}", presence.word()),
                presence_style(presence),
            ),
        ];
        for s in 0..steps {
            let c = cell(row, s);
            let mut style = cell_style(c);
            if i == board.row && s == board.column {
                style = style.patch(theme::selected());
            }
            spans.push(Span::raw("  "));
            spans.push(Span::styled(c.mark(), style));
        }
        spans.push(Span::raw(format!(
            "  {:>2}/{:<2} {}",
            row.standing.done,
            steps,
            on_step(row, now, board.unix_now)
        )));
        if let Some(why) = why {
            spans.push(Span::styled(format!("  {why}"), theme::dim()));
        }
        lines.push(Line::from(spans));
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

fn detail(frame: &mut Frame, board: &Board, area: Rect) {
    let Some(row) = board.rows.get(board.row) else {
        return;
    };
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let mut lines = Vec::new();
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
