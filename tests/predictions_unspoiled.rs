//! No screen gives a prediction's answer away before it is given: for every
//! step of every shipped lesson with a question, the whole screen at 80×24
//! (every tab), 120×36 (every pane) and in presenter mode at 100×30, drawn
//! from the real App state with ratatui's TestBackend.
//!
//! The answer is the correct choice's text, read from the lesson. The worst
//! case is staged: every check of the step reports that text (as the real
//! ones do: "GET /api/v1 as anonymous (no token) answered 403 Forbidden"
//! under "what will it answer?") and the cluster pane has a row saying it.
//! The choices themselves are the one place it may be seen, so they are
//! renamed "(choice A)"…; then the answer must appear nowhere. After the
//! learner answers, the checks say it (the hold is lifted); in presenter
//! mode only after the reveal key.

mod common;

use std::path::Path;

use common::fixture::fixture;
use kubetutor::app::{App, ClusterLabel, Msg, Pane, SavedState, update};
use kubetutor::checks::Outcome;
use kubetutor::engine::StepReport;
use kubetutor::engine::actor::EngineUpdate;
use kubetutor::engine::view::{ClusterView, Row, Section, Tone};
use kubetutor::lesson::Lesson;
use ratatui::layout::Rect;

/// A step with a question, ready to draw.
struct Case {
    lesson: String,
    number: usize,
    answer: String,
}

/// Box drawing and scroll marks, which are not words.
const FRAME: &[char] = &[
    '│', '┃', '─', '━', '┌', '┐', '└', '┘', '┏', '┓', '┗', '┛', '▶', '▸', '↓', '↑',
];

fn normal(text: &str) -> String {
    text.replace(FRAME, " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// How often `needle` occurs in `text` as whole words (a "3" inside "1–3"
/// counts; one inside "30" does not).
fn occurrences(text: &str, needle: &str) -> usize {
    let boundary = |c: Option<char>| !c.is_some_and(char::is_alphanumeric);
    text.match_indices(needle)
        .filter(|(at, _)| {
            boundary(text[..*at].chars().next_back())
                && boundary(text[at + needle.len()..].chars().next())
        })
        .count()
}

/// The text of each pane drawn, whitespace-normalised (a wrapped phrase
/// reads whole), plus each screen row on its own. Side by side panes are
/// told apart with `pane_at`, so words of two panes are never joined.
fn texts(app: &App, width: u16, height: u16) -> Vec<String> {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| kubetutor::ui::draw(frame, app))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    let area = Rect::new(0, 0, width, height);
    let mut panes: Vec<(Option<Pane>, String)> = Vec::new();
    let mut rows = Vec::new();
    for y in 0..height {
        let mut row = String::new();
        for x in 0..width {
            let symbol = buffer[(x, y)].symbol();
            row.push_str(symbol);
            let pane = kubetutor::ui::pane_at(app, area, x, y);
            match panes.iter_mut().find(|(p, _)| *p == pane) {
                Some((_, text)) => text.push_str(symbol),
                None => panes.push((pane, symbol.to_string())),
            }
        }
        for (_, text) in panes.iter_mut() {
            text.push('\n');
        }
        rows.push(normal(&row));
    }
    panes
        .into_iter()
        .map(|(_, text)| normal(&text))
        .chain(rows)
        .collect()
}

/// Every screen of the step: each tab at 80×24, 120×36, presenter at
/// 100×30; each with the lesson text scrolled from top to end, by a few rows
/// at a time (a phrase shorter than a page is whole on one of them).
fn screens(app: &mut App) -> Vec<String> {
    let mut all = Vec::new();
    let (focus, presenter, top) = (app.focus, app.presenter, app.scroll.lesson.top());
    let mut sizes = vec![];
    if presenter {
        sizes.push((Pane::Lesson, 100, 30));
    } else {
        sizes.extend(Pane::ORDER.map(|pane| (pane, 80, 24)));
        sizes.push((Pane::Lesson, 120, 36));
    }
    for (pane, width, height) in sizes {
        app.focus = pane;
        app.scroll.lesson.to_top();
        all.extend(texts(app, width, height));
        if pane != Pane::Lesson {
            continue; // the lesson text is not on this tab
        }
        // The first frame noted where the text ends.
        let end = app.scroll.lesson.top_at_end();
        let mut at = 0;
        while at < end {
            at = (at + 4).min(end);
            app.scroll.lesson.to(at);
            all.extend(texts(app, width, height));
        }
    }
    app.focus = focus;
    app.scroll.lesson.to(top);
    all
}

/// Lesson `id` open on step `index` (every step open), the choices renamed,
/// every check of the step reporting `said` and a cluster row saying it.
fn app_on(id: &str, index: usize, said: &str, presenter: bool) -> App {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("lessons")
        .join(id);
    let mut lesson = Lesson::load(&dir, Some("lab")).unwrap();
    let last = lesson.steps.len() - 1;
    let predict = lesson.steps[index].predict.as_mut().unwrap();
    for (i, choice) in predict.choices.iter_mut().enumerate() {
        choice.answer = format!("(choice {})", (b'A' + i as u8) as char);
    }
    let saved = SavedState {
        current: index,
        unlocked: last,
        drafts: Default::default(),
        acts: Default::default(),
    };
    let mut app = App::new(lesson, ClusterLabel::default(), Some(saved));
    app.presenter = presenter;
    let reports = (0..app.lesson.steps.len())
        .map(|i| StepReport {
            index: i,
            outcomes: app.lesson.steps[i]
                .checks
                .iter()
                .map(|c| {
                    let message = if i == index {
                        format!("the cluster answered: {said}")
                    } else {
                        "holds".to_string()
                    };
                    (c.clone(), Outcome::pass(message))
                })
                .collect(),
        })
        .collect();
    update(&mut app, Msg::Engine(EngineUpdate::Started(reports)));
    let view = ClusterView {
        sections: vec![Section {
            kind: "Pod".into(),
            namespace: "lab".into(),
            title: "Pods in lab (1)".into(),
            rows: vec![Row {
                name: "seen".into(),
                text: format!("seen: {said}"),
                tone: Tone::Plain,
                named: true,
            }],
            blind: None,
        }],
    };
    update(&mut app, Msg::Engine(EngineUpdate::Cluster(view)));
    app
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let mut cases = Vec::new();
    for (id, _) in kubetutor::lesson::catalog::in_learning_order(&root) {
        let lesson = Lesson::load(&root.join(&id), Some("lab")).unwrap();
        for (index, step) in lesson.steps.iter().enumerate() {
            if let Some(predict) = &step.predict {
                let right = predict.correct().expect("a question has a right answer");
                cases.push(Case {
                    lesson: id.clone(),
                    number: index + 1,
                    answer: normal(&predict.choices[right].answer),
                });
            }
        }
    }
    cases
}

fn press(app: &mut App, c: char) {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    app.focus = Pane::Lesson; // digits answer outside the editor
    update(
        app,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
    );
}

fn count(screens: &[String], answer: &str) -> usize {
    screens.iter().map(|t| occurrences(t, answer)).sum()
}

/// The answers that occur on the screen for reasons of their own, checked
/// by comparison (with a neutral report and cluster) instead of absence:
/// jobs-cronjobs' "3" (completions) is also in "(1–3)" and "step 3/7".
const COMMON: &[(&str, usize)] = &[("jobs-cronjobs", 2), ("jobs-cronjobs", 3)];

#[test]
fn no_screen_shows_the_answer_before_it_is_given() {
    let cases = cases();
    assert!(cases.len() >= 30, "only {} questions", cases.len());
    let mut compared = Vec::new();
    let mut spoilers = Vec::new();
    for case in &cases {
        let Case {
            lesson,
            number,
            answer,
        } = case;
        let index = number - 1;
        for presenter in [false, true] {
            let mut spoiled = app_on(lesson, index, answer, presenter);
            let mut neutral = app_on(lesson, index, "nothing to see", presenter);
            let before = count(&screens(&mut spoiled), answer);
            let baseline = count(&screens(&mut neutral), answer);
            let common = COMMON.contains(&(lesson.as_str(), *number));
            if before != baseline || (baseline > 0 && !common) {
                spoilers.push(format!(
                    "{lesson} step {number} (presenter: {presenter}): {answer:?} on the \
                     unanswered screen {before} times ({baseline} with checks and cluster silent)"
                ));
            }
            if baseline > 0 {
                compared.push((lesson.as_str(), *number));
            }
        }
    }
    assert!(spoilers.is_empty(), "{}", spoilers.join("\n"));
    compared.dedup();
    assert_eq!(
        compared, COMMON,
        "answers found on the neutral screen too (each must be explained in COMMON)"
    );
}

#[test]
fn once_answered_the_checks_say_what_the_cluster_said() {
    for Case {
        lesson,
        number,
        answer,
    } in cases()
    {
        let mut app = app_on(&lesson, number - 1, &answer, false);
        let checked = !app.step().checks.is_empty();
        press(&mut app, '1');
        for (pane, says) in [(Pane::Checks, answer.as_str()), (Pane::Cluster, "seen:")] {
            if pane == Pane::Checks && !checked {
                continue; // a recap question: nothing to check
            }
            app.focus = pane;
            let shown = texts(&app, 80, 24);
            assert!(
                count(&shown, says) > 0 && !shown.iter().any(|t| t.contains("Hidden until")),
                "{lesson} step {number}: answered, the {} tab still holds back {says:?}:\n{shown:#?}",
                pane.title()
            );
        }
        app.focus = Pane::Lesson;
        let shown = texts(&app, 120, 36);
        assert!(
            !shown.iter().any(|t| t.contains("Hidden until")),
            "{lesson} step {number}: answered, every pane shows its content:\n{shown:#?}"
        );
    }
}

#[test]
fn in_presenter_mode_the_results_wait_for_the_reveal_key() {
    for Case {
        lesson,
        number,
        answer,
    } in cases()
    {
        let mut app = app_on(&lesson, number - 1, &answer, true);
        let mut silent = app_on(&lesson, number - 1, "nothing", true);
        // The room votes 2.
        press(&mut app, '2');
        press(&mut silent, '2');
        let neutral = count(&screens(&mut silent), &answer);
        let voted = screens(&mut app);
        assert_eq!(
            count(&voted, &answer),
            neutral,
            "{lesson} step {number}: the room voted, nothing is revealed yet:\n{voted:#?}"
        );
        assert!(
            voted.iter().any(|t| t.contains("v (F8) reveals")),
            "{lesson} step {number}: the projector says how to reveal:\n{voted:#?}"
        );
        press(&mut app, 'v');
        let revealed = screens(&mut app);
        assert!(
            !revealed.iter().any(|t| t.contains("reveals the answer")),
            "{lesson} step {number}: revealed, nothing waits:\n{revealed:#?}"
        );
        if app.step().checks.is_empty() {
            continue; // a recap question: nothing to check
        }
        assert!(
            count(&revealed, &answer) > neutral,
            "{lesson} step {number}: revealed, the feedback area shows {answer:?}:\n{revealed:#?}"
        );
    }
}

/// The fixture's learner, halfway through the first lesson, answered the
/// steps they did: those show their results at once.
#[test]
fn answered_steps_show_their_results_to_a_learner() {
    let mut app = fixture();
    app.current = 4;
    app.focus = Pane::Checks;
    assert!(app.holdback().is_none());
    let shown = texts(&app, 80, 24).join("\n");
    assert!(shown.contains("✓ holds"), "{shown}");
}
