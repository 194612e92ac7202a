//! The class board drawn for a room (pure: ratatui's TestBackend, no
//! cluster): 200 attendees at 160×48 and 30 at 100×30. Every row on screen
//! carries its reason (whole, or cut with "…"), "N more above · N more below"
//! counts what is out of sight, the orders and filters hold, Enter shows a
//! reason whole, and the projector view names no one.

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::time::Instant;

use crate::class::board::{Board, BoardMsg, Row, update};
use crate::class::record::{ApplyFailure, Record};
use crate::class::roster::Attendee;
use crate::engine::StepReport;
use crate::engine::actor::EngineUpdate;
use crate::lesson::Lesson;

/// Unix seconds the board judges presence at.
const NOW: i64 = 10_000;

/// Five kinds of attendee, by number: what each one's row should say.
fn reason(n: usize) -> String {
    match n % 5 {
        0 => "no tutor seen, nothing made".into(),
        1 => format!("No RoleBinding list-pods_demo-sa in k8s-{n:02}: step 9 binds the Role"),
        2 => {
            format!("line 3: unknown field \"metdata\" in ServiceAccount demo-sa (attendee {n:02})")
        }
        3 => "last seen 2h30m ago".into(),
        _ => "every step holds".into(),
    }
}

fn state(n: usize) -> &'static str {
    ["not started", "working", "stuck", "gone", "done"][n % 5]
}

fn room(count: usize) -> Board {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let now = Instant::now();
    let rows: Vec<Row> = (1..=count)
        .map(|n| {
            let namespace = crate::class::namespace("k8s", n);
            let lesson = Lesson::load(&dir, Some(&namespace)).unwrap();
            let attendee = Attendee {
                number: n,
                namespace,
                lesson: lesson.id.clone(),
            };
            Row::new(attendee, lesson, now)
        })
        .collect();
    let mut board = Board::new("k8s", rows, false);
    for i in 0..count {
        let n = i + 1;
        let lesson = board.rows[i].lesson.clone();
        let bind = lesson.step_index("rolebinding").unwrap();
        let (through, message) = match n % 5 {
            0 => (0, "not yet".to_string()),
            4 => (lesson.steps.len(), String::new()),
            _ => (bind, reason(n)),
        };
        let started = EngineUpdate::Started(StepReport::all_through(&lesson, through, |_| {
            message.clone()
        }));
        update(&mut board, BoardMsg::Engine(i, started), now);
        let record = |last_seen: i64, step_since: i64| Record {
            lesson: lesson.id.clone(),
            step: bind + 1,
            step_id: "rolebinding".into(),
            last_seen,
            step_since,
            ..Record::default()
        };
        board.rows[i].record = match n % 5 {
            1 => Some(Ok(record(NOW - 5, NOW - 100))),
            2 => Some(Ok(Record {
                apply_error: Some(ApplyFailure {
                    step: "rolebinding".into(),
                    text: reason(n),
                }),
                ..record(NOW - 5, NOW - 1000)
            })),
            3 => Some(Ok(record(NOW - 9000, NOW - 9000))),
            _ => None,
        };
    }
    update(&mut board, BoardMsg::Tick(NOW), now);
    board
}

fn screen(board: &Board, width: u16, height: u16) -> String {
    super::board::drawn(board, width, height)
}

fn press(board: &mut Board, code: KeyCode, times: usize) {
    for _ in 0..times {
        let key = BoardMsg::Key(KeyEvent::new(code, KeyModifiers::NONE));
        update(board, key, Instant::now());
    }
}

/// The attendees whose rows are on screen, top to bottom, with their lines.
fn rows_shown(screen: &str, count: usize) -> Vec<(usize, String)> {
    let width = count.to_string().len().max(2);
    screen
        .lines()
        .filter_map(|line| {
            let n =
                (1..=count).find(|n| line.starts_with(&format!("│ {n:0width$} k8s-{n:02} ")))?;
            Some((n, line.to_string()))
        })
        .collect()
}

/// The row ends with the attendee's reason: whole, or a prefix of it (at
/// least `least` characters) cut with "…"; and shows their state.
fn assert_reason(n: usize, line: &str, least: usize, screen: &str) {
    let text = line.trim_end_matches('│').trim_end();
    let why = reason(n);
    let cut = (least..why.chars().count()).any(|k| {
        let kept: String = why.chars().take(k).collect();
        text.ends_with(&format!("{}…", kept.trim_end()))
    });
    assert!(
        text.ends_with(&why) || cut,
        "row {n} does not end with its reason {why:?}:\n{screen}"
    );
    assert!(
        line.contains(state(n)),
        "row {n} is {}:\n{screen}",
        state(n)
    );
}

/// "N more above · N more below" as two numbers.
fn out_of_sight(screen: &str) -> (usize, usize) {
    let line = screen
        .lines()
        .find(|l| l.contains("more below"))
        .unwrap_or_else(|| panic!("no \"more below\":\n{screen}"));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

fn assert_no_names(projector: &str, count: usize) {
    for n in 1..=count {
        let namespace = format!("k8s-{n:02}");
        assert!(
            !projector.contains(&namespace) && !projector.contains(&format!("attendee {n:02}")),
            "{namespace} on the projector:\n{projector}"
        );
    }
}

#[test]
fn two_hundred_attendees_at_160_by_48() {
    let mut board = room(200);
    let first = screen(&board, 160, 48);
    let shown = rows_shown(&first, 200);
    assert!(shown.len() >= 35, "{} rows shown:\n{first}", shown.len());
    for (n, line) in &shown {
        assert_reason(*n, line, 30, &first);
    }
    assert!(
        shown
            .iter()
            .any(|(_, l)| l.trim_end_matches('│').trim_end().ends_with('…')),
        "some reason is long enough to be cut:\n{first}"
    );
    assert_eq!(out_of_sight(&first), (0, 200 - shown.len()), "{first}");
    // The heading names the one stuck longest (002, on step 9 for 16m),
    // never a non-starter, and says when every row has reported.
    assert!(
        first.contains("Longest on one step: attendee 02, on 9. Bind the Role to demo-sa  (16m)"),
        "{first}"
    );
    assert!(!first.contains("checking"), "{first}");

    // Halfway down: what is above and below adds up to what is not shown.
    press(&mut board, KeyCode::Down, 100);
    let middle = screen(&board, 160, 48);
    let visible = rows_shown(&middle, 200);
    assert!(visible.iter().any(|(n, _)| *n == 101), "{middle}");
    let (above, below) = out_of_sight(&middle);
    assert_eq!(above + visible.len() + below, 200, "{middle}");
    assert_eq!(visible[0].0, above + 1, "{middle}");

    // Stuck first: the 40 stuck attendees fill the screen.
    press(&mut board, KeyCode::Char('o'), 1);
    board.row = 1; // attendee 002, the first stuck
    let stuck_first = screen(&board, 160, 48);
    let shown = rows_shown(&stuck_first, 200);
    assert!(shown.iter().all(|(n, _)| n % 5 == 2), "{stuck_first}");
    for (n, line) in &shown {
        assert_reason(*n, line, 30, &stuck_first);
    }
    // Only the stuck: 40 of them, so exactly 40 minus the rows shown below.
    press(&mut board, KeyCode::Char('f'), 1);
    let only_stuck = screen(&board, 160, 48);
    let shown = rows_shown(&only_stuck, 200);
    assert!(only_stuck.contains("only stuck"), "{only_stuck}");
    assert_eq!(
        out_of_sight(&only_stuck),
        (0, 40 - shown.len()),
        "{only_stuck}"
    );
    press(&mut board, KeyCode::Char('f'), 5);
    assert!(screen(&board, 160, 48).contains("everyone"));

    // By step: the furthest behind first (not started, then on step 9, then done).
    press(&mut board, KeyCode::Char('o'), 1);
    board.row = 4; // attendee 005, the first not started
    let by_step = screen(&board, 160, 48);
    assert!(by_step.contains("by step"), "{by_step}");
    let shown = rows_shown(&by_step, 200);
    assert!(shown.iter().all(|(n, _)| n % 5 == 0), "{by_step}");

    // Enter: the selected attendee's reason whole, though cut in the grid.
    board.row = 1; // attendee 002, stuck on an apply error
    press(&mut board, KeyCode::Enter, 1);
    let detail = screen(&board, 160, 48);
    assert!(
        detail.contains(&format!("stuck: {}", reason(2))),
        "{detail}"
    );
    press(&mut board, KeyCode::Esc, 1);

    press(&mut board, KeyCode::Char('p'), 1);
    let projector = screen(&board, 160, 48);
    assert!(
        projector.contains("40 stuck · 40 gone · 40 working · 40 not started · 40 done"),
        "{projector}"
    );
    assert_no_names(&projector, 200);
}

#[test]
fn thirty_attendees_at_100_by_30() {
    let mut board = room(30);
    let first = screen(&board, 100, 30);
    let shown = rows_shown(&first, 30);
    assert!(shown.len() >= 15, "{first}");
    for (n, line) in &shown {
        assert_reason(*n, line, 20, &first);
    }
    assert_eq!(out_of_sight(&first), (0, 30 - shown.len()), "{first}");
    press(&mut board, KeyCode::Down, 29);
    let last = screen(&board, 100, 30);
    let shown = rows_shown(&last, 30);
    assert_eq!(shown.last().map(|(n, _)| *n), Some(30), "{last}");
    for (n, line) in &shown {
        assert_reason(*n, line, 20, &last);
    }
    assert_eq!(out_of_sight(&last), (30 - shown.len(), 0), "{last}");

    press(&mut board, KeyCode::Char('p'), 1);
    let projector = screen(&board, 100, 30);
    assert!(
        projector.contains("6 stuck · 6 gone · 6 working · 6 not started · 6 done"),
        "{projector}"
    );
    assert_no_names(&projector, 30);
}
