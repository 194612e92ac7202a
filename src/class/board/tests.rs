//! The board's update, without a terminal or a cluster.

use super::*;
use crate::class::roster::Attendee;
use crate::lesson::Lesson;
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
    StepReport::all_through(&board.rows[0].lesson, done_through, |index| {
        format!("step {} not yet", index + 1)
    })
}

fn key(code: KeyCode) -> BoardMsg {
    BoardMsg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// What a tutor publishes: on step index `step` (0-based) since
/// `step_since`, last written at `last_seen`.
fn published(lesson: &Lesson, step: usize, last_seen: i64, step_since: i64) -> Record {
    Record {
        lesson: lesson.id.clone(),
        step: step + 1,
        step_id: lesson.steps[step].id.clone(),
        last_seen,
        step_since,
        ..Record::default()
    }
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
    // No tutor published and nothing made: no one has started, no one is named.
    assert!(board.longest_on_a_step(later).is_none());
    // Attendees 1 and 2 publish; 2 has been on their step longer. 3 has not started.
    for (row, since) in [(0, 150), (1, 100)] {
        board.rows[row].record = Some(Ok(published(&board.rows[row].lesson, 4, 195, since)));
    }
    update(&mut board, BoardMsg::Tick(200), later);
    let longest = board.longest_on_a_step(later).unwrap();
    assert_eq!(longest.attendee.number, 2);
    assert_eq!(longest.seconds_on_step(later, 200), 100);
}

#[test]
fn published_records_reach_their_rows_and_judge_them() {
    let mut board = board(2);
    let t0 = Instant::now();
    let r = reports(&board, 6);
    update(
        &mut board,
        BoardMsg::Engine(0, EngineUpdate::Started(r)),
        t0,
    );
    let record = published(&board.rows[0].lesson, 6, 1000, 100);
    let records = [(board.rows[0].attendee.namespace.clone(), Ok(record))].into();
    update(&mut board, BoardMsg::Records(records), t0);
    update(&mut board, BoardMsg::Tick(1010), t0);
    let (presence, why) = board.rows[0].presence(board.unix_now, board.limits);
    assert_eq!(presence, Presence::Stuck);
    assert_eq!(why.as_deref(), Some("step 7 not yet"));
    let (presence, why) = board.rows[1].presence(board.unix_now, board.limits);
    assert_eq!((presence, why), (Presence::NotStarted, None));
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
            EngineUpdate::ResetPlan(Ok((vec!["ServiceAccount demo-sa".into()], Vec::new()))),
        ),
        now,
    );
    assert!(matches!(&board.confirm, Some(Confirm::Reset { objects, .. }) if objects.len() == 1));
    assert!(update(&mut board, key(KeyCode::Esc), now).is_empty());
    assert_eq!(board.confirm, None);
}

/// Whether the update asked for a frame (and takes the request, as the
/// runtime does when it draws).
fn drew(board: &mut Board) -> bool {
    std::mem::take(&mut board.dirty)
}

#[test]
fn an_idle_board_draws_when_a_shown_minute_or_a_record_moves_not_on_every_tick() {
    let mut board = board(2);
    let t0 = Instant::now();
    let r = reports(&board, 6);
    update(
        &mut board,
        BoardMsg::Engine(0, EngineUpdate::Started(r)),
        t0,
    );
    assert!(drew(&mut board), "an engine's report is drawn");
    let lesson = board.rows[0].lesson.clone();
    let record = |last_seen: i64, step: usize| published(&lesson, step, last_seen, 1000);
    let ns = board.rows[0].attendee.namespace.clone();
    update(
        &mut board,
        BoardMsg::Record(ns.clone(), Some(Ok(record(1000, 6)))),
        t0,
    );
    assert!(drew(&mut board), "a first record is drawn");

    update(&mut board, BoardMsg::Tick(1010), t0);
    assert!(drew(&mut board), "the first tick after a change draws");
    // 1010 → 1050: still "<1m" on the step, nothing moves.
    for unix in [1015, 1020, 1050] {
        update(&mut board, BoardMsg::Tick(unix), t0);
        assert!(
            !drew(&mut board),
            "tick at {unix} drew the same screen again"
        );
    }
    // A heartbeat (only last_seen moves) draws nothing; a changed record does.
    update(
        &mut board,
        BoardMsg::Record(ns.clone(), Some(Ok(record(1055, 6)))),
        t0,
    );
    assert!(!drew(&mut board), "a heartbeat drew");
    update(&mut board, BoardMsg::Tick(1061), t0);
    assert!(drew(&mut board), "a minute on the step is shown");
    assert_eq!(
        crate::class::progress::duration(board.rows[0].seconds_on_step(t0, board.unix_now)),
        "1m"
    );
    update(
        &mut board,
        BoardMsg::Record(ns.clone(), Some(Ok(record(1062, 7)))),
        t0,
    );
    assert!(drew(&mut board), "a record on another step is drawn");
    // Gone: ten minutes without a heartbeat is shown when it happens.
    update(&mut board, BoardMsg::Tick(1062 + 601), t0);
    assert!(drew(&mut board));
    assert_eq!(
        board.rows[0].presence(board.unix_now, board.limits).0,
        Presence::Gone
    );
    // A listing that says what the board holds already draws nothing.
    let same = [(ns, Ok(record(1062, 7)))].into();
    update(&mut board, BoardMsg::Records(same), t0);
    assert!(!drew(&mut board), "the same listing drew");
    update(&mut board, key(KeyCode::Down), t0);
    assert!(drew(&mut board), "a key is drawn");
}
