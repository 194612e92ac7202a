//! The class board's state and its one place of change, `update` (The Elm
//! Architecture, as the learner's TUI): a row per attendee, a column per
//! step, fed by one engine per attendee namespace.

pub mod run;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tokio::time::Instant;

use super::progress::{self, Cell, Standing};
use super::roster::Attendee;
use crate::engine::StepReport;
use crate::engine::actor::{EngineCommand, EngineUpdate};
use crate::engine::link::Link;
use crate::engine::view::ClusterView;
use crate::lesson::Lesson;

/// One attendee's row.
pub struct Row {
    pub attendee: Attendee,
    pub lesson: Lesson,
    pub reports: Vec<Option<StepReport>>,
    pub link: Option<Link>,
    /// The engine could not start: why.
    pub failed: Option<String>,
    pub view: ClusterView,
    pub standing: Standing,
    /// Since when the attendee has been on `standing.current`.
    pub since: Instant,
}

impl Row {
    pub fn new(attendee: Attendee, lesson: Lesson, now: Instant) -> Row {
        let steps = lesson.steps.len();
        Row {
            attendee,
            lesson,
            reports: vec![None; steps],
            link: None,
            failed: None,
            view: ClusterView::default(),
            standing: progress::standing(&vec![None; steps]),
            since: now,
        }
    }

    fn record(&mut self, report: StepReport, now: Instant) {
        let index = report.index;
        if index < self.reports.len() {
            self.reports[index] = Some(report);
        }
        let standing = progress::standing(&self.reports);
        if standing.current != self.standing.current {
            self.since = now;
        }
        self.standing = standing;
    }
}

/// What the instructor is asked before acting on an attendee's namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    Solve {
        row: usize,
        step: usize,
    },
    /// Waiting for the engine's plan of what a reset deletes.
    Planning {
        row: usize,
        step: usize,
    },
    Reset {
        row: usize,
        step: usize,
        objects: Vec<String>,
    },
}

pub struct Board {
    pub class: String,
    pub rows: Vec<Row>,
    pub row: usize,
    pub column: usize,
    /// One attendee's checks and objects, opened with Enter.
    pub detail: bool,
    pub confirm: Option<Confirm>,
    pub presenter: bool,
    pub notice: Option<String>,
    pub quitting: bool,
}

#[derive(Debug)]
pub enum BoardMsg {
    Key(KeyEvent),
    Engine(usize, EngineUpdate),
    EngineFailed(usize, String),
    /// A second passed: the "on this step for" times move.
    Tick,
    Resize,
    Signal,
}

#[derive(Debug)]
pub enum BoardEffect {
    Engine(usize, EngineCommand),
    Quit,
}

impl Board {
    pub fn new(class: &str, rows: Vec<Row>, presenter: bool) -> Board {
        Board {
            class: class.into(),
            rows,
            row: 0,
            column: 0,
            detail: false,
            confirm: None,
            presenter,
            notice: None,
            quitting: false,
        }
    }

    pub fn steps(&self) -> usize {
        self.rows.first().map_or(0, |r| r.lesson.steps.len())
    }

    /// The attendee who has been on one (unfinished) step the longest.
    pub fn longest_on_a_step(&self) -> Option<&Row> {
        self.rows
            .iter()
            .filter(|r| r.standing.current.is_some() && r.failed.is_none())
            .min_by_key(|r| r.since)
    }

    /// The selected cell's report.
    pub fn selected_report(&self) -> Option<&StepReport> {
        self.rows.get(self.row)?.reports.get(self.column)?.as_ref()
    }
}

pub fn update(board: &mut Board, msg: BoardMsg, now: Instant) -> Vec<BoardEffect> {
    match msg {
        BoardMsg::Key(key) if key.kind != KeyEventKind::Release => on_key(board, key),
        BoardMsg::Key(_) | BoardMsg::Resize | BoardMsg::Tick => Vec::new(),
        BoardMsg::Signal => {
            board.quitting = true;
            vec![BoardEffect::Quit]
        }
        BoardMsg::EngineFailed(row, why) => {
            if let Some(r) = board.rows.get_mut(row) {
                r.failed = Some(why);
            }
            Vec::new()
        }
        BoardMsg::Engine(row, update) => {
            let Some(r) = board.rows.get_mut(row) else {
                return Vec::new();
            };
            match update {
                EngineUpdate::Started(reports) | EngineUpdate::Steps(reports) => {
                    for report in reports {
                        r.record(report, now);
                    }
                }
                EngineUpdate::Link(link) => r.link = Some(link),
                EngineUpdate::Cluster(view) => r.view = view,
                EngineUpdate::Applied(Err(err)) => {
                    board.notice = Some(format!("{}: apply failed: {err}", r.attendee.label()));
                }
                EngineUpdate::Applied(Ok(applied)) => {
                    let names: Vec<String> = applied.iter().map(ToString::to_string).collect();
                    board.notice = Some(format!(
                        "{}: applied {}",
                        r.attendee.label(),
                        names.join(", ")
                    ));
                }
                EngineUpdate::Action(output) => {
                    board.notice = Some(format!("{}: ran {}", r.attendee.label(), output.title));
                }
                EngineUpdate::ResetPlan(plan) => {
                    if let Some(Confirm::Planning { row: at, step }) = board.confirm.clone()
                        && at == row
                    {
                        board.confirm = match plan {
                            Ok(objects) => Some(Confirm::Reset { row, step, objects }),
                            Err(why) => {
                                board.notice = Some(format!("cannot reset: {why}"));
                                None
                            }
                        };
                    }
                }
                EngineUpdate::ResetProgress(_) => {}
                EngineUpdate::ResetDone(result) => {
                    board.notice = Some(match result {
                        Ok(()) => format!("{}: reset done", r.attendee.label()),
                        Err(left) => {
                            format!("{}: reset left {}", r.attendee.label(), left.join("; "))
                        }
                    });
                }
            }
            Vec::new()
        }
    }
}

fn on_key(board: &mut Board, key: KeyEvent) -> Vec<BoardEffect> {
    let ctrl_c = key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
    if ctrl_c {
        board.quitting = true;
        return vec![BoardEffect::Quit];
    }
    if let Some(confirm) = board.confirm.clone() {
        return on_confirm_key(board, key, confirm);
    }
    let rows = board.rows.len().max(1);
    let steps = board.steps().max(1);
    match key.code {
        KeyCode::Char('q') => {
            board.quitting = true;
            return vec![BoardEffect::Quit];
        }
        KeyCode::Down | KeyCode::Char('j') => board.row = (board.row + 1).min(rows - 1),
        KeyCode::Up | KeyCode::Char('k') => board.row = board.row.saturating_sub(1),
        KeyCode::Right | KeyCode::Char('l') => board.column = (board.column + 1).min(steps - 1),
        KeyCode::Left | KeyCode::Char('h') => board.column = board.column.saturating_sub(1),
        KeyCode::Home => board.column = 0,
        KeyCode::End => board.column = steps - 1,
        KeyCode::Char('c') => {
            // Jump to the step the selected attendee is on.
            if let Some(current) = board.rows.get(board.row).and_then(|r| r.standing.current) {
                board.column = current;
            }
        }
        KeyCode::Enter => board.detail = true,
        KeyCode::Esc => board.detail = false,
        KeyCode::Char('p') => board.presenter = !board.presenter,
        KeyCode::Char('s') if !board.rows.is_empty() => {
            board.confirm = Some(Confirm::Solve {
                row: board.row,
                step: board.column,
            });
        }
        KeyCode::Char('r') if !board.rows.is_empty() => {
            board.confirm = Some(Confirm::Planning {
                row: board.row,
                step: board.column,
            });
            return vec![BoardEffect::Engine(
                board.row,
                EngineCommand::PlanReset(board.column),
            )];
        }
        _ => {}
    }
    Vec::new()
}

fn on_confirm_key(board: &mut Board, key: KeyEvent, confirm: Confirm) -> Vec<BoardEffect> {
    let yes = matches!(key.code, KeyCode::Char('y') | KeyCode::Enter);
    let no = matches!(key.code, KeyCode::Char('n') | KeyCode::Esc);
    if no {
        board.confirm = None;
        board.notice = Some("Nothing was done.".into());
        return Vec::new();
    }
    if !yes {
        return Vec::new();
    }
    board.confirm = None;
    match confirm {
        Confirm::Planning { .. } => Vec::new(),
        Confirm::Solve { row, step } => {
            let Some(r) = board.rows.get(row) else {
                return Vec::new();
            };
            let spec = &r.lesson.steps[step];
            let mut effects = Vec::new();
            if let Some(solution) = &spec.solution {
                effects.push(BoardEffect::Engine(
                    row,
                    EngineCommand::Apply(solution.clone()),
                ));
            }
            if !spec.actions.is_empty() {
                effects.push(BoardEffect::Engine(row, EngineCommand::RunAction(step)));
            }
            if effects.is_empty() {
                board.notice = Some(format!(
                    "Step {} has no solution or action to run: it needs the attendee.",
                    step + 1
                ));
            }
            effects
        }
        Confirm::Reset { row, .. } => vec![BoardEffect::Engine(row, EngineCommand::ExecuteReset)],
    }
}

/// The cell a row shows for a step.
pub fn cell(row: &Row, step: usize) -> Cell {
    row.standing
        .cells
        .get(step)
        .copied()
        .unwrap_or(Cell::Checking)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Outcome;
    use std::path::Path;

    fn board(attendees: usize) -> Board {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
        let now = Instant::now();
        let rows = (1..=attendees)
            .map(|n| {
                let ns = super::super::namespace("k8s", n);
                let lesson = Lesson::load(&dir, Some(&ns)).unwrap();
                let attendee = Attendee {
                    number: n,
                    namespace: ns,
                    lesson: lesson.id.clone(),
                };
                Row::new(attendee, lesson, now)
            })
            .collect();
        Board::new("k8s", rows, false)
    }

    fn reports(board: &Board, done_through: usize) -> Vec<StepReport> {
        let lesson = &board.rows[0].lesson;
        (0..lesson.steps.len())
            .map(|index| StepReport {
                index,
                outcomes: lesson.steps[index]
                    .checks
                    .iter()
                    .map(|c| {
                        let o = if index < done_through {
                            Outcome::pass("ok")
                        } else {
                            Outcome::fail(format!("step {} not yet", index + 1))
                        };
                        (c.clone(), o)
                    })
                    .collect(),
            })
            .collect()
    }

    fn key(code: KeyCode) -> BoardMsg {
        BoardMsg::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn rows_follow_their_engines_and_the_longest_on_a_step_is_found() {
        let mut board = board(3);
        let t0 = Instant::now();
        for (row, done) in [(0, 3), (1, 6), (2, 6)] {
            let r = reports(&board, done);
            update(
                &mut board,
                BoardMsg::Engine(row, EngineUpdate::Started(r)),
                t0,
            );
        }
        assert_eq!(board.rows[0].standing.current, Some(3));
        assert_eq!(cell(&board.rows[1], 5), Cell::Done);
        assert_eq!(cell(&board.rows[1], 6), Cell::Failing);
        assert_eq!(cell(&board.rows[1], 7), Cell::NotStarted);
        // Attendee 1 moves on a minute later; attendee 2 has been stuck longest.
        let later = t0 + std::time::Duration::from_secs(60);
        let moved = reports(&board, 4).remove(3);
        update(
            &mut board,
            BoardMsg::Engine(0, EngineUpdate::Steps(vec![moved])),
            later,
        );
        assert_eq!(board.rows[0].standing.current, Some(4));
        assert_eq!(board.longest_on_a_step().unwrap().attendee.number, 2);
    }

    #[test]
    fn solving_an_attendees_step_asks_first_then_applies_and_runs() {
        let mut board = board(2);
        let now = Instant::now();
        update(&mut board, key(KeyCode::Down), now);
        for _ in 0..6 {
            update(&mut board, key(KeyCode::Right), now);
        }
        assert!(update(&mut board, key(KeyCode::Char('s')), now).is_empty());
        assert_eq!(board.confirm, Some(Confirm::Solve { row: 1, step: 6 }));
        let effects = update(&mut board, key(KeyCode::Char('y')), now);
        assert!(
            matches!(effects.as_slice(), [BoardEffect::Engine(1, EngineCommand::Apply(yaml))] if yaml.contains("demo-sa")),
            "{effects:?}"
        );
        // A reset is planned, shown, and done only on yes.
        let effects = update(&mut board, key(KeyCode::Char('r')), now);
        assert!(matches!(
            effects.as_slice(),
            [BoardEffect::Engine(1, EngineCommand::PlanReset(6))]
        ));
        update(
            &mut board,
            BoardMsg::Engine(
                1,
                EngineUpdate::ResetPlan(Ok(vec!["ServiceAccount demo-sa".into()])),
            ),
            now,
        );
        assert!(
            matches!(&board.confirm, Some(Confirm::Reset { objects, .. }) if objects.len() == 1)
        );
        assert!(update(&mut board, key(KeyCode::Esc), now).is_empty());
        assert_eq!(board.confirm, None);
    }
}
