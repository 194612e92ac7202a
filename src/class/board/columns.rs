//! The board's columns at the terminal's width (pure), so that every row
//! keeps a reason column (the failing check or the last apply error) at 100
//! columns as well as wider: the step cells narrow first, then the step's
//! title goes (its number stays), and the reason takes what is left, cut
//! with "…" (whole in the details, on Enter).

use super::Row;
use crate::class::presence::Presence;

/// "not started", the longest state word.
pub const STATE: usize = 11;
/// "23h59m", the longest time on a step the board shows below a day.
pub const FOR: usize = 6;
/// Below this the step cells narrow from three columns to two.
const WIDE_REASON: usize = 40;
/// Below this (title and reason together) the step's title goes.
const WITH_TITLE: usize = 60;

/// Widths, in terminal columns, of a row's parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// The attendee's number, zero-padded ("07", "153").
    pub number: usize,
    /// Their namespace.
    pub name: usize,
    /// One step's cell: its mark, right-aligned.
    pub cell: usize,
    pub steps: usize,
    /// "7/12".
    pub done: usize,
    /// The step they are on: "7. Create the demo-sa…", or "7." alone.
    pub step: usize,
    /// Whether `step` holds the title or the number alone.
    pub titled: bool,
    pub reason: usize,
}

impl Columns {
    /// The columns of a board `width` columns wide (inside its borders) for
    /// `steps` steps, attendees numbered up to `last_number`, namespaces up
    /// to `longest_name` long and "N. title" labels up to `longest_step`.
    pub fn fit(
        width: usize,
        steps: usize,
        last_number: usize,
        longest_name: usize,
        longest_step: usize,
    ) -> Columns {
        let digits = |n: usize| n.max(1).to_string().len();
        let mut columns = Columns {
            number: digits(last_number).max(2),
            name: longest_name,
            cell: 3,
            steps,
            done: 2 * digits(steps) + 1,
            step: digits(steps) + 1,
            titled: false,
            reason: 0,
        };
        let rest = |c: &Columns| width.saturating_sub(c.fixed());
        if rest(&columns) < WIDE_REASON + columns.step + 1 {
            columns.cell = 2;
        }
        let rest = rest(&columns);
        if rest >= WITH_TITLE {
            // The title gets up to two fifths, never more than the longest needs.
            columns.step = longest_step.min(rest * 2 / 5).max(columns.step);
            columns.titled = true;
        }
        columns.reason = rest.saturating_sub(columns.step + 1);
        columns
    }

    /// Everything but the step's label and the reason, with the gaps.
    fn fixed(&self) -> usize {
        let name = 1 + self.number + 1 + self.name + 1 + STATE;
        let cells = self.steps * self.cell;
        let done = 2 + self.done + 1;
        let time = 1 + FOR + 2;
        name + cells + done + time
    }

    /// A step's number in the header, in its cell: the whole number when
    /// it fits with a space before it, else its last digit.
    pub fn step_heading(&self, step: usize) -> String {
        let number = (step + 1).to_string();
        let shown = if number.len() < self.cell {
            number
        } else {
            number[number.len() - 1..].to_string()
        };
        format!("{shown:>width$}", width = self.cell)
    }
}

/// `text` in at most `width` characters: cut with "…" when longer (never
/// right after a space, so a cut never looks like a gap).
pub fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let kept: String = text.chars().take(width - 1).collect();
    format!("{}…", kept.trim_end())
}

/// What a row's reason column says: "checking…" until every step has
/// reported (so "checking" on screen means a row is not decided yet), then
/// why the attendee is held (the last apply error or the failing check,
/// from `Row::presence`), else what their state means: no row's reason is
/// blank.
pub fn reason(row: &Row, presence: Presence, why: Option<String>) -> String {
    if let Some(failed) = &row.failed {
        return format!("cannot be followed: {failed}");
    }
    if row.reports.iter().any(Option::is_none) {
        return "checking…".into();
    }
    if let Some(why) = why {
        return why;
    }
    match presence {
        Presence::NotStarted => "no tutor seen, nothing made".into(),
        Presence::Done => "every step holds".into(),
        Presence::Working | Presence::Stuck | Presence::Gone => {
            "nothing failing: reading or answering".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_100_columns_the_cells_narrow_and_the_title_goes_so_the_reason_keeps_room() {
        // 30 attendees "demo-NN", 12 steps, inside a 100-column board.
        let c = Columns::fit(98, 12, 30, 7, 45);
        assert_eq!((c.cell, c.titled, c.step), (2, false, 3));
        assert_eq!(c.reason, 98 - c.fixed() - 4);
        assert!(c.reason >= 30, "{c:?}");
        // 200 attendees at 160: wide cells, a title, and a reason of 40 or more.
        let c = Columns::fit(158, 12, 200, 13, 45);
        assert_eq!((c.number, c.cell, c.titled), (3, 3, true));
        assert!(c.step >= 30 && c.reason >= 40, "{c:?}");
        assert_eq!(c.fixed() + c.step + 1 + c.reason, 158);
        // Wider: the title stops at the longest one needs.
        let c = Columns::fit(300, 12, 30, 7, 45);
        assert_eq!(c.step, 45);
        // Too narrow for anything: nothing overflows into a negative width.
        let c = Columns::fit(20, 12, 30, 7, 45);
        assert_eq!(c.reason, 0);
    }

    #[test]
    fn headings_keep_numbers_that_fit_and_cuts_say_so() {
        let narrow = Columns::fit(98, 12, 30, 7, 45);
        let heading: String = (0..12).map(|s| narrow.step_heading(s)).collect();
        assert_eq!(heading, " 1 2 3 4 5 6 7 8 9 0 1 2");
        let wide = Columns::fit(158, 12, 30, 7, 45);
        assert_eq!(wide.step_heading(9), " 10");
        assert_eq!(cut("No RoleBinding yet", 18), "No RoleBinding yet");
        assert_eq!(cut("No RoleBinding yet", 10), "No RoleBi…");
        assert_eq!(cut("unknown field x", 9), "unknown…", "no space before …");
        assert_eq!(cut("anything", 0), "");
    }
}
