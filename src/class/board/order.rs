//! The order of the board's rows, switched with `o`: by attendee number,
//! stuck first (who needs the instructor now: stuck, gone, working, not
//! started, done), or by step (the furthest behind first). Rows keep their
//! place in `Board::rows` (engines report by that index); only the view and
//! the ↑↓ moves follow the order.

use super::Board;

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

/// The rows' indices in the board's order.
pub fn order(board: &Board) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..board.rows.len()).collect();
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

/// Moves the selection `delta` rows along the order (staying in bounds).
pub fn move_selection(board: &mut Board, delta: isize) {
    let order = order(board);
    let Some(at) = order.iter().position(|&i| i == board.row) else {
        return;
    };
    let to = at
        .saturating_add_signed(delta)
        .min(order.len().saturating_sub(1));
    board.row = order[to];
}
