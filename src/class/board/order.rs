//! The order of the board's rows, switched with `o`: by attendee number,
//! stuck first (who needs the instructor now: stuck, gone, working, not
//! started, done), or by step (the furthest behind first); and which rows
//! show, switched with `f`: everyone, or one state only. Rows keep their
//! place in `Board::rows` (engines report by that index); only the view and
//! the ↑↓ moves follow the order.

use super::Board;
use crate::class::presence::Presence;

/// The states `f` steps through after "everyone", most urgent first.
const FILTERS: [Presence; 5] = [
    Presence::Stuck,
    Presence::Gone,
    Presence::Working,
    Presence::NotStarted,
    Presence::Done,
];

/// The next filter after `filter` (None: everyone).
pub fn next_filter(filter: Option<Presence>) -> Option<Presence> {
    match filter {
        None => Some(FILTERS[0]),
        Some(p) => FILTERS
            .iter()
            .position(|f| *f == p)
            .and_then(|at| FILTERS.get(at + 1).copied()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Number,
    StuckFirst,
    Step,
}

impl Sort {
    pub fn next(self) -> Sort {
        match self {
            Sort::Number => Sort::StuckFirst,
            Sort::StuckFirst => Sort::Step,
            Sort::Step => Sort::Number,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Sort::Number => "by number",
            Sort::StuckFirst => "stuck first",
            Sort::Step => "by step",
        }
    }
}

/// The indices of the rows shown, in the board's order.
pub fn order(board: &Board) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..board.rows.len())
        .filter(|&i| {
            board.filter.is_none_or(|wanted| {
                board.rows[i].presence(board.unix_now, board.limits).0 == wanted
            })
        })
        .collect();
    match board.sort {
        Sort::Number => {}
        Sort::StuckFirst => indices.sort_by_key(|&i| {
            let (presence, _) = board.rows[i].presence(board.unix_now, board.limits);
            (presence.urgency(), i)
        }),
        Sort::Step => indices.sort_by_key(|&i| (board.rows[i].standing.done, i)),
    }
    indices
}

/// Moves the selection `delta` rows along the order (staying in bounds);
/// onto the first row shown when the selected one is filtered out.
pub fn move_selection(board: &mut Board, delta: isize) {
    let order = order(board);
    let Some(at) = order.iter().position(|&i| i == board.row) else {
        if let Some(&first) = order.first() {
            board.row = first;
        }
        return;
    };
    let to = at
        .saturating_add_signed(delta)
        .min(order.len().saturating_sub(1));
    board.row = order[to];
}

/// Whether the selected row is shown (a filter may hide it): what `s` and
/// `r` act on must be on screen.
pub fn selected_shown(board: &Board) -> bool {
    order(board).contains(&board.row)
}
