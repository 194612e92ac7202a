//! Where an attendee stands, from their steps' reports (pure): each step
//! done, failing (the step they are on), not started, or undecided.

use crate::engine::StepReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Done,
    /// The first step that does not hold: where the attendee is.
    Failing,
    /// Not reached yet.
    NotStarted,
    /// Cannot be checked (the report says why).
    Undecided,
    /// No report yet.
    Checking,
}

impl Cell {
    pub fn mark(self) -> &'static str {
        match self {
            Cell::Done => "✓",
            Cell::Failing => "✗",
            Cell::NotStarted => "·",
            Cell::Undecided => "?",
            Cell::Checking => "…",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Cell::Done => "done",
            Cell::Failing => "failing",
            Cell::NotStarted => "not started",
            Cell::Undecided => "undecided",
            Cell::Checking => "checking",
        }
    }
}

/// An attendee's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub cells: Vec<Cell>,
    pub done: usize,
    /// The step they are on; None when every step holds (or none is known yet).
    pub current: Option<usize>,
}

pub fn standing(reports: &[Option<StepReport>]) -> Standing {
    let current = reports
        .iter()
        .position(|r| r.as_ref().is_none_or(|r| !r.passed() && !r.undecided()))
        .filter(|i| reports[*i].is_some());
    let cells = reports
        .iter()
        .enumerate()
        .map(|(i, report)| match report {
            None => Cell::Checking,
            Some(r) if r.passed() => Cell::Done,
            Some(r) if r.undecided() => Cell::Undecided,
            Some(_) if Some(i) == current => Cell::Failing,
            Some(_) => Cell::NotStarted,
        })
        .collect::<Vec<_>>();
    Standing {
        done: cells.iter().filter(|c| **c == Cell::Done).count(),
        cells,
        current,
    }
}

/// The first failing check of a report, in words (for a selected cell).
pub fn reason(report: &StepReport) -> Option<&str> {
    report
        .outcomes
        .iter()
        .find(|(_, o)| !o.passed)
        .map(|(_, o)| o.message.as_str())
}

/// "<1m", "3m", "1h02m": whole minutes, which is what an instructor
/// reads off a board (who has been on a step for long), and what lets an
/// idle board of 200 redraw a few times a minute instead of every second.
pub fn duration(seconds: u64) -> String {
    match seconds {
        s if s < 60 => "<1m".to_string(),
        s if s < 3600 => format!("{}m", s / 60),
        s => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Outcome;

    fn report(index: usize, outcome: Outcome) -> Option<StepReport> {
        let check = crate::yaml::from_str("exists: {kind: Pod, name: p}").unwrap();
        Some(StepReport {
            index,
            outcomes: vec![(check, outcome)],
        })
    }

    #[test]
    fn the_first_step_that_does_not_hold_is_where_the_attendee_is() {
        let reports = vec![
            report(0, Outcome::undecided("may not read Service kubernetes")),
            report(1, Outcome::pass("ok")),
            report(2, Outcome::fail("No Pod named p yet")),
            report(3, Outcome::pass("done ahead")),
            report(4, Outcome::fail("not yet")),
            None,
        ];
        let s = standing(&reports);
        assert_eq!(
            s.cells,
            [
                Cell::Undecided,
                Cell::Done,
                Cell::Failing,
                Cell::Done,
                Cell::NotStarted,
                Cell::Checking
            ]
        );
        assert_eq!((s.done, s.current), (2, Some(2)));
        assert_eq!(
            reason(reports[2].as_ref().unwrap()),
            Some("No Pod named p yet")
        );
    }

    #[test]
    fn all_done_means_no_current_step() {
        let s = standing(&[
            report(0, Outcome::pass("ok")),
            report(1, Outcome::pass("ok")),
        ]);
        assert_eq!((s.done, s.current), (2, None));
        assert_eq!(duration(59), "<1m");
        assert_eq!(duration(185), "3m");
        assert_eq!(duration(3720), "1h02m");
    }
}
