//! The class board's views of the room as a whole (pure): the projector
//! view — counts and charts, never a name, since attendees' mistakes are not
//! for the room to see — and the room's answers to a prediction, hidden
//! until the instructor reveals them (`a`), so the room can be asked first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::class::answers::{self, Tally};
use crate::class::board::Board;
use crate::theme;

/// The room's answers to one prediction: a chart when revealed, else how
/// many answered and the key that reveals them.
pub fn answers_line(board: &Board, tally: &Tally) -> Line<'static> {
    if board.reveal {
        Line::from(Span::styled(
            format!(" {}", answers::line(tally, 12)),
            theme::strong(),
        ))
    } else {
        Line::from(vec![
            Span::styled(
                format!(" Step {} · {} answered", tally.index + 1, tally.answered),
                theme::strong(),
            ),
            Span::styled(" · a: reveal the room's answers", theme::dim()),
        ])
    }
}

/// The projector view: how many attendees are where, per step how many are
/// done, on it, or not there yet, and the answers to every prediction.
pub fn projector(frame: &mut Frame, board: &Board, area: Rect) {
    let counts: Vec<String> = board
        .presence_counts()
        .iter()
        .map(|(p, n)| format!("{n} {}", p.word()))
        .collect();
    let mut lines = vec![
        Line::from(Span::styled(
            format!(" {}", counts.join(" · ")),
            theme::heading(),
        )),
        Line::from(""),
    ];
    let total = board.rows.len().max(1);
    let bar = 24;
    for (step, (done, on, later)) in board.pacing().into_iter().enumerate() {
        let filled = done * bar / total;
        let here = (on * bar / total).min(bar - filled);
        lines.push(Line::from(vec![
            Span::styled(format!(" {:>2} ", step + 1), theme::strong()),
            Span::styled("█".repeat(filled), theme::pass()),
            Span::styled("▒".repeat(here), theme::warn()),
            Span::styled("░".repeat(bar - filled - here), theme::dim()),
            Span::raw(format!(" {done} done · {on} on it · {later} not there yet")),
        ]));
    }
    lines.push(Line::from(""));
    for tally in board.tallies().iter().filter(|t| t.answered > 0) {
        lines.push(answers_line(board, tally));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use tokio::time::Instant;

    use crate::class::board::{Board, BoardMsg, Row, update};
    use crate::class::record::{Answer, Record};
    use crate::class::roster::Attendee;
    use crate::lesson::Lesson;

    /// Three attendees; two answered step 1 (443 right, 6443 wrong).
    fn room() -> Board {
        room_of(3)
    }

    /// `count` attendees; the first two answered step 1.
    fn room_of(count: usize) -> Board {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
        let now = Instant::now();
        let mut rows: Vec<Row> = (1..=count)
            .map(|n| {
                let ns = format!("k8s-{n:02}");
                let lesson = Lesson::load(&dir, Some(&ns)).unwrap();
                let attendee = Attendee {
                    number: n,
                    namespace: ns,
                    lesson: lesson.id.clone(),
                };
                Row::new(attendee, lesson, now)
            })
            .collect();
        for (row, choice) in rows.iter_mut().zip([1, 2]) {
            row.record = Some(Ok(Record {
                lesson: row.lesson.id.clone(),
                step: 1,
                step_id: "kubernetes-service".into(),
                answers: vec![Answer {
                    step: "kubernetes-service".into(),
                    choice,
                    answer: String::new(),
                    right: false,
                }],
                last_seen: 100,
                step_since: 100,
                ..Record::default()
            }));
        }
        let mut board = Board::new("k8s", rows, false);
        board.unix_now = 110;
        board
    }

    fn screen(board: &Board) -> String {
        screen_of(board, 120, 40)
    }

    fn screen_of(board: &Board, width: u16, height: u16) -> String {
        super::super::board::drawn(board, width, height)
    }

    fn press(board: &mut Board, c: char) {
        let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        update(board, BoardMsg::Key(key), Instant::now());
    }

    #[test]
    fn the_rooms_answers_show_only_when_revealed_and_the_projector_names_no_one() {
        let mut board = room();
        let grid = screen(&board);
        assert!(grid.contains("Step 1 · 2 answered · a: reveal"), "{grid}");
        assert!(!grid.contains("6443"), "hidden until revealed:\n{grid}");
        press(&mut board, 'a');
        let grid = screen(&board);
        assert!(
            grid.contains("Step 1 · 443 ✓ ▇▇▇▇▇▇▇▇▇▇▇▇ 1 · 6443 ▇▇▇▇▇▇▇▇▇▇▇▇ 1 · 8080 0"),
            "{grid}"
        );
        press(&mut board, 'p');
        let projector = screen(&board);
        assert!(
            projector.contains("2 working · 1 not started"),
            "{projector}"
        );
        assert!(
            projector.contains(" 1 ") && projector.contains("0 done · 2 on it · 1 not there yet"),
            "{projector}"
        );
        assert!(projector.contains("443 ✓"), "{projector}");
        assert!(
            !projector.contains("Step 2 ·"),
            "unanswered predictions wait:\n{projector}"
        );
        for name in ["attendee 0", "k8s-01", "k8s-02", "k8s-03"] {
            assert!(
                !projector.contains(name),
                "{name} on the projector:\n{projector}"
            );
        }
    }

    #[test]
    fn a_room_that_does_not_fit_says_how_many_rows_are_out_of_sight() {
        let mut board = room_of(30);
        let first = screen_of(&board, 100, 30);
        let shown = |grid: &str| {
            (1..=30)
                .filter(|n| grid.contains(&format!(" {n:02} k8s-{n:02}")))
                .count()
        };
        let visible = shown(&first);
        assert!(visible > 10 && visible < 30, "{first}");
        assert!(
            first.contains(&format!("0 more above · {} more below", 30 - visible)),
            "{first}"
        );
        for _ in 0..29 {
            update(
                &mut board,
                BoardMsg::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)),
                Instant::now(),
            );
        }
        let last = screen_of(&board, 100, 30);
        assert!(last.contains(" 30 k8s-30"), "{last}");
        assert_eq!(shown(&last), visible, "{last}");
        assert!(
            last.contains(&format!("{} more above · 0 more below", 30 - visible)),
            "{last}"
        );
        let room = screen_of(&room_of(3), 100, 30);
        assert!(
            !room.contains("more below"),
            "all fit, nothing said:\n{room}"
        );
    }

    #[test]
    fn o_puts_who_needs_the_instructor_first_and_the_arrows_follow() {
        let mut board = room_of(30);
        // Attendee 25 published long ago: gone.
        board.rows[24].record = Some(Ok(Record {
            lesson: board.rows[24].lesson.id.clone(),
            step: 1,
            step_id: "kubernetes-service".into(),
            last_seen: 110 - 3600,
            step_since: 110 - 3600,
            ..Record::default()
        }));
        let by_number = screen_of(&board, 100, 30);
        assert!(by_number.contains("by number"), "{by_number}");
        assert!(
            !by_number.contains(" 25 k8s-25"),
            "below the fold:\n{by_number}"
        );
        press(&mut board, 'o');
        let stuck_first = screen_of(&board, 100, 30);
        assert!(stuck_first.contains("stuck first"), "{stuck_first}");
        let row_of = |grid: &str, name: &str| grid.lines().position(|l| l.contains(name));
        let gone = row_of(&stuck_first, " 25 k8s-25").expect("the gone attendee shows");
        assert!(
            stuck_first.lines().nth(gone).unwrap().contains("gone"),
            "{stuck_first}"
        );
        assert!(
            gone < row_of(&stuck_first, " 01 k8s-01").unwrap(),
            "gone before working:\n{stuck_first}"
        );
        assert!(
            row_of(&stuck_first, " 01 k8s-01").unwrap()
                < row_of(&stuck_first, " 03 k8s-03").unwrap(),
            "working before not started:\n{stuck_first}"
        );
        // The selection starts on 01; ↑ goes to the row above it in this order.
        update(
            &mut board,
            BoardMsg::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE)),
            Instant::now(),
        );
        assert_eq!(board.row, 24, "↑ from 01 reaches 25, shown above it");
        press(&mut board, 'o');
        press(&mut board, 'o');
        assert!(screen_of(&board, 100, 30).contains("by number"));

        // f: only one state shows; s acts only on a row on screen.
        board.row = 0;
        press(&mut board, 'f');
        let stuck = screen_of(&board, 100, 30);
        assert!(
            stuck.contains("only stuck") && stuck.contains("no attendee is stuck now"),
            "{stuck}"
        );
        press(&mut board, 's');
        assert!(board.confirm.is_none(), "no hidden attendee is solved");
        press(&mut board, 'f');
        let gone = screen_of(&board, 100, 30);
        assert!(
            gone.contains("only gone") && gone.contains(" 25 k8s-25"),
            "{gone}"
        );
        assert!(
            !gone.contains(" 01 k8s-01") && !gone.contains("more below"),
            "{gone}"
        );
        assert_eq!(board.row, 24, "the selection moves onto a row shown");
        for _ in 0..4 {
            press(&mut board, 'f');
        }
        assert!(screen_of(&board, 100, 30).contains("everyone"));
    }

    #[test]
    fn the_status_line_says_why_each_attendee_has_watches_of_their_own() {
        let mut board = room();
        let why = "one engine per attendee: you may not list and watch Pods in every namespace";
        assert!(!screen_of(&board, 120, 30).contains(why));
        board.watching = Some(why.into());
        assert!(screen_of(&board, 120, 30).contains(why));
        // A notice about an attendee takes the line while it is shown.
        board.notice = Some("02: applied Role pod-reader".into());
        let screen = screen_of(&board, 120, 30);
        assert!(screen.contains("applied Role pod-reader") && !screen.contains(why));
    }
}
