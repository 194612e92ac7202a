//! The class board's state and its one place of change, `update` (The Elm
//! Architecture, as the learner's TUI): a row per attendee, a column per
//! step, fed by one engine per attendee namespace (sharing one set of
//! watches for the class). Its runtime is
//! `tui::board`, beside the tutor's.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tokio::time::Instant;

pub mod columns;
pub mod order;
mod row;

pub use row::{Row, cell};

use super::presence::{Limits, Presence};
use super::progress::Cell;
use super::record::Record;
use crate::engine::StepReport;
use crate::engine::actor::{EngineCommand, EngineUpdate};

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
    /// When attendees count as stuck or gone.
    pub limits: Limits,
    /// Unix seconds at the last tick: what presence is judged at.
    pub unix_now: i64,
    /// The room's answers are shown (hidden until the instructor presses
    /// `a`, so the room can be asked first).
    pub reveal: bool,
    /// The rows' order on screen (`o` switches).
    pub sort: order::Sort,
    /// Only the attendees in this state show (`f` switches; None: everyone).
    pub filter: Option<Presence>,
    /// Why each attendee's namespace is watched by an engine of its own
    /// instead of one set of watches for the class (the status line says it).
    pub watching: Option<String>,
    /// Something on screen may have changed since the last frame: the
    /// runtime draws only then.
    pub dirty: bool,
    /// What the clock and the heartbeats move, as last drawn (`clock_face`);
    /// None after any other change.
    face: Option<Vec<Face>>,
}

/// One row's part of the screen that changes with time alone: its
/// presence, the reason shown and the time on its step, as shown.
type Face = (Presence, Option<String>, String);

#[derive(Debug)]
pub enum BoardMsg {
    Key(KeyEvent),
    Engine(usize, EngineUpdate),
    EngineFailed(usize, String),
    /// Time passed (unix seconds now): the "on this step for" times move.
    Tick(i64),
    /// What every attendee's tutor published, by namespace (a listing).
    Records(std::collections::BTreeMap<String, Result<Record, String>>),
    /// What one attendee's tutor published (a change, or a heartbeat that
    /// only says it is still there), by namespace; None when removed.
    Record(String, Option<Result<Record, String>>),
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
            limits: Limits::default(),
            unix_now: 0,
            reveal: false,
            sort: order::Sort::default(),
            filter: None,
            watching: None,
            dirty: true,
            face: None,
        }
    }

    /// Each row's `Face` at `now`: compared on a tick or a listing, so an
    /// idle board draws when a shown minute or a presence moves, not every
    /// second.
    fn clock_face(&self, now: Instant) -> Vec<Face> {
        self.rows
            .iter()
            .map(|row| self.row_face(row, now))
            .collect()
    }

    fn row_face(&self, row: &Row, now: Instant) -> Face {
        let (presence, why) = row.presence(self.unix_now, self.limits);
        let on_step = row
            .on_step()
            .map(|_| super::progress::duration(row.seconds_on_step(now, self.unix_now)))
            .unwrap_or_default();
        (presence, why, on_step)
    }

    fn row_of(&self, namespace: &str) -> Option<usize> {
        self.rows
            .iter()
            .position(|row| row.attendee.namespace == namespace)
    }

    /// Rows still waiting for a report, out of sight or not: the room is
    /// not decided until this is 0.
    pub fn checking(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.failed.is_none() && r.reports.iter().any(Option::is_none))
            .count()
    }

    pub fn steps(&self) -> usize {
        self.rows.first().map_or(0, |r| r.lesson.steps.len())
    }

    /// The attendee who has been on one step the longest, among those
    /// working or stuck: never one who has not started, is gone or is done.
    pub fn longest_on_a_step(&self, now: Instant) -> Option<&Row> {
        self.rows
            .iter()
            .filter(|r| r.failed.is_none() && r.on_step().is_some())
            .filter(|r| {
                let (presence, _) = r.presence(self.unix_now, self.limits);
                matches!(presence, Presence::Working | Presence::Stuck)
            })
            .max_by_key(|r| {
                let seconds = r.seconds_on_step(now, self.unix_now);
                (seconds, std::cmp::Reverse(r.attendee.number))
            })
    }

    /// The room's answers to each prediction.
    pub fn tallies(&self) -> Vec<super::answers::Tally> {
        let Some(first) = self.rows.first() else {
            return Vec::new();
        };
        let records = self
            .rows
            .iter()
            .filter_map(|r| r.record.as_ref()?.as_ref().ok());
        super::answers::tally(&first.lesson, records)
    }

    /// How many attendees are in each presence, most urgent first.
    pub fn presence_counts(&self) -> Vec<(Presence, usize)> {
        let mut counts: std::collections::BTreeMap<u8, (Presence, usize)> = Default::default();
        for row in &self.rows {
            let (p, _) = row.presence(self.unix_now, self.limits);
            counts.entry(p.urgency()).or_insert((p, 0)).1 += 1;
        }
        counts.into_values().collect()
    }

    /// Per step, for pacing: (done, on it now, not there yet). Done is the
    /// tutor's word when it published (a prediction holds in the cluster
    /// for everyone, answered or not); an attendee not started is nowhere.
    pub fn pacing(&self) -> Vec<(usize, usize, usize)> {
        let mut counts = vec![(0, 0, 0); self.steps()];
        for row in &self.rows {
            let (presence, _) = row.presence(self.unix_now, self.limits);
            let record = match &row.record {
                Some(Ok(r)) if r.lesson == row.lesson.id => Some(r),
                _ => None,
            };
            for (step, count) in counts.iter_mut().enumerate() {
                let done = match record {
                    Some(r) => r.done.contains(&row.lesson.steps[step].id),
                    None => presence != Presence::NotStarted && cell(row, step) == Cell::Done,
                };
                if done {
                    count.0 += 1;
                } else if presence != Presence::NotStarted && row.on_step() == Some(step) {
                    count.1 += 1;
                } else {
                    count.2 += 1;
                }
            }
        }
        counts
    }

    /// The selected cell's report.
    pub fn selected_report(&self) -> Option<&StepReport> {
        self.rows.get(self.row)?.reports.get(self.column)?.as_ref()
    }
}

/// What a message may move on screen.
enum Reach {
    /// Only the clock's part of every row (a tick, a listing of heartbeats).
    Clock,
    /// Only the clock's part of this row (one tutor's heartbeat).
    ClockOf(usize),
    /// Anything.
    Anything,
}

pub fn update(board: &mut Board, msg: BoardMsg, now: Instant) -> Vec<BoardEffect> {
    // A tick, and most records (each tutor's heartbeat once a minute: three
    // a second for a room of 200), move nothing but the clock's part of
    // the screen; everything else may move anything.
    let reach = match &msg {
        BoardMsg::Tick(_) => Reach::Clock,
        BoardMsg::Records(records)
            if board
                .rows
                .iter()
                .all(|row| only_seen_again(&row.record, records.get(&row.attendee.namespace))) =>
        {
            Reach::Clock
        }
        BoardMsg::Record(namespace, record) => match board.row_of(namespace) {
            Some(i) if only_seen_again(&board.rows[i].record, record.as_ref()) => Reach::ClockOf(i),
            Some(_) => Reach::Anything,
            None => Reach::Clock,
        },
        _ => Reach::Anything,
    };
    let effects = apply(board, msg, now);
    match reach {
        // One heartbeat is one row's face to compare, not the room's.
        Reach::ClockOf(i) if board.face.is_some() => {
            let row = board.row_face(&board.rows[i], now);
            if let Some(face) = &mut board.face
                && face[i] != row
            {
                face[i] = row;
                board.dirty = true;
            }
        }
        Reach::Clock | Reach::ClockOf(_) => {
            let face = board.clock_face(now);
            if board.face.as_ref() != Some(&face) {
                board.face = Some(face);
                board.dirty = true;
            }
        }
        Reach::Anything => {
            board.face = None;
            board.dirty = true;
        }
    }
    effects
}

/// Whether `new` says no more than `old` did, apart from when it was
/// written (a heartbeat).
fn only_seen_again(
    old: &Option<Result<Record, String>>,
    new: Option<&Result<Record, String>>,
) -> bool {
    match (old, new) {
        (Some(Ok(old)), Some(Ok(new))) => {
            Record {
                last_seen: new.last_seen,
                ..old.clone()
            } == *new
        }
        (Some(Err(old)), Some(Err(new))) => old == new,
        (None, None) => true,
        _ => false,
    }
}

fn apply(board: &mut Board, msg: BoardMsg, now: Instant) -> Vec<BoardEffect> {
    match msg {
        BoardMsg::Key(key) if key.kind != KeyEventKind::Release => on_key(board, key),
        BoardMsg::Key(_) | BoardMsg::Resize => Vec::new(),
        BoardMsg::Tick(unix) => {
            board.unix_now = unix;
            Vec::new()
        }
        BoardMsg::Records(mut records) => {
            for row in &mut board.rows {
                row.record = records.remove(&row.attendee.namespace);
            }
            Vec::new()
        }
        BoardMsg::Record(namespace, record) => {
            if let Some(i) = board.row_of(&namespace) {
                board.rows[i].record = record;
            }
            Vec::new()
        }
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
                            Ok((objects, _kept)) => Some(Confirm::Reset { row, step, objects }),
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
    let steps = board.steps().max(1);
    match key.code {
        KeyCode::Char('q') => {
            board.quitting = true;
            return vec![BoardEffect::Quit];
        }
        KeyCode::Down | KeyCode::Char('j') => order::move_selection(board, 1),
        KeyCode::Up | KeyCode::Char('k') => order::move_selection(board, -1),
        KeyCode::Char('o') => board.sort = board.sort.next(),
        KeyCode::Char('f') => {
            board.filter = order::next_filter(board.filter);
            order::move_selection(board, 0);
        }
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
        KeyCode::Char('a') => board.reveal = !board.reveal,
        KeyCode::Char('s') if order::selected_shown(board) => {
            board.confirm = Some(Confirm::Solve {
                row: board.row,
                step: board.column,
            });
        }
        KeyCode::Char('r') if order::selected_shown(board) => {
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

#[cfg(test)]
mod tests;
