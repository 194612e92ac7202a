//! The room at a glance: five attendees in five states, told apart by
//! `class status` and the board, with the room's answers.

use std::time::Duration;

use super::common::tmux::Tmux;
use super::common::{self, KUBETUTOR, lab};
use super::tutor::Tutor;
use super::{WAIT, admin, as_attendee, class_name};

/// A room of five, each attendee driven through the tutor's own code (its
/// `update`, a real engine and the real publisher, with their own
/// kubeconfig) or the `kubetutor` commands: the instructor's status tells
/// them apart and says why.
#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn the_status_tells_not_started_working_stuck_and_done_apart_with_the_rooms_answers() {
    use crossterm::event::KeyCode;
    let class = class_name("room");
    let out = common::temp_dir("room").join("files");
    let (ok, text) = admin(&[
        "class",
        "create",
        &class,
        "--attendees",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    let file = |n: usize| out.join(format!("attendee-{n:02}.kubeconfig"));
    let ns = |n: usize| format!("{class}-{n:02}");
    let client = lab().client().await;

    // 01 never opens the tutor; their kubeconfig may not publish into 02's namespace.
    let mut intruder = Tutor::open(&file(1), &ns(1), &ns(2)).await;
    let why = tokio::time::timeout(WAIT, intruder.failures.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(why.contains("forbidden"), "{why}");
    drop(intruder);

    // 04 is refused an apply on the demo-sa step, and stays there.
    let mut stuck = Tutor::open(&file(4), &ns(4), &ns(4)).await;
    let demo_sa = stuck.app.lesson.step_index("demo-sa").unwrap();
    (stuck.app.current, stuck.app.unlocked) = (demo_sa, demo_sa);
    stuck
        .apply("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: Demo_SA\n")
        .await;
    assert!(stuck.app.apply_error.is_some());
    stuck.key(KeyCode::Char('x')); // typing on hides the error on screen, not on the board
    stuck.await_published(&client, &ns(4)).await;
    let stuck_since = std::time::Instant::now();
    // 04 has been on their step 14 s longer than 02: "stuck" is set between.
    tokio::time::sleep(Duration::from_secs(14)).await;

    // 02 works on the demo-sa step (a failing check), having answered step 1 right.
    let mut working = Tutor::open(&file(2), &ns(2), &ns(2)).await;
    working.key(KeyCode::Char('1'));
    (working.app.current, working.app.unlocked) = (demo_sa, demo_sa);
    working.key(KeyCode::Down);
    working.await_published(&client, &ns(2)).await;
    let working_since = std::time::Instant::now();
    let stuck_minutes = || {
        let (a, b) = (stuck_since.elapsed(), working_since.elapsed());
        format!("{:.4}", (a + b).as_secs_f64() / 2.0 / 60.0)
    };
    // 03 answers step 1 wrong (6443).
    let mut wrong = Tutor::open(&file(3), &ns(3), &ns(3)).await;
    wrong.key(KeyCode::Char('2'));
    // 05 solves everything, then opens the tutor and answers right.
    let (ok, text) = as_attendee(&file(5), &["solve"]);
    assert!(ok, "{text}");
    let mut done = Tutor::open(&file(5), &ns(5), &ns(5)).await;
    done.key(KeyCode::Char('1'));
    for (tutor, n) in [(&working, 2), (&wrong, 3), (&done, 5)] {
        tutor.await_published(&client, &ns(n)).await;
    }

    let (ok, json) = admin(&[
        "class",
        "status",
        &class,
        "-o",
        "json",
        "--stuck-minutes",
        &stuck_minutes(),
    ]);
    assert!(ok, "{json}");
    let status: serde_json::Value = serde_json::from_str(&json).unwrap();
    let row = |n: usize| status["attendees"][n - 1].clone();
    let states: Vec<&str> = (1..=5)
        .map(|n| status["attendees"][n - 1]["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["not started", "working", "working", "stuck", "done"],
        "{json}"
    );
    assert!(
        row(1)["progress"].is_null() && row(1)["reason"].is_null(),
        "{json}"
    );
    assert!(
        row(2)["reason"].as_str().unwrap().contains("demo-sa"),
        "02's failing check: {json}"
    );
    assert_eq!(row(3)["progress"]["answers"][0]["answer"], "6443");
    assert_eq!(row(3)["progress"]["answers"][0]["right"], false);
    let reason = row(4)["reason"].as_str().unwrap().to_string();
    assert!(reason.contains("Demo_SA"), "04's apply error: {json}");
    assert_eq!(row(4)["progress"]["applyError"]["step"], "demo-sa");
    assert!(!json.contains("eyJ"), "no token in the status");
    let first = &status["predictions"][0];
    assert_eq!(first["step"], "kubernetes-service");
    assert_eq!(first["answered"], 3);
    let counts: Vec<(&str, bool, u64)> = first["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let answer = c["answer"].as_str().unwrap();
            (
                answer,
                c["right"].as_bool().unwrap(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [("443", true, 2), ("6443", false, 1), ("8080", false, 0)]
    );

    // The board in a terminal: the same states and reasons; the answers once
    // revealed; the projector view with counts and no one's name.
    let _one_at_a_time = common::pty_lock();
    let command = format!(
        "KUBECONFIG={} {KUBETUTOR} class board {class} --stuck-minutes {}; echo EXITED $?; sleep 60",
        lab().paths.kubeconfig().display(),
        stuck_minutes()
    );
    let tmux = Tmux::start(&command, 220, 30);
    let line = |screen: &str, n: usize| {
        let row = format!("{n:02} {}", ns(n));
        screen
            .lines()
            .find(|l| l.contains(&row))
            .unwrap_or_default()
            .to_string()
    };
    // Each row settles once its engine has reported.
    let start = std::time::Instant::now();
    let screen = loop {
        let screen = tmux.screen();
        if line(&screen, 5).contains("done") && !screen.contains("  …  ") {
            break screen;
        }
        assert!(
            start.elapsed() < WAIT,
            "the board did not settle:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(line(&screen, 1).contains("not started"), "{screen}");
    assert!(
        line(&screen, 2).contains("working") && line(&screen, 2).contains("demo-sa"),
        "{screen}"
    );
    assert!(line(&screen, 3).contains("working"), "{screen}");
    assert!(
        line(&screen, 4).contains("stuck") && line(&screen, 4).contains("Demo_SA"),
        "{screen}"
    );
    assert!(
        screen.contains("Step 1 · 3 answered · a: reveal"),
        "{screen}"
    );
    assert!(
        !screen.contains("6443"),
        "answers hidden until revealed:\n{screen}"
    );
    tmux.keys(&["a"]);
    tmux.wait_for("443 ✓", WAIT);
    tmux.keys(&["p"]);
    let projector = tmux.wait_for("on it", WAIT);
    assert!(
        projector.contains("1 stuck") && projector.contains("1 done"),
        "{projector}"
    );
    assert!(projector.contains("6443 ▇"), "{projector}");
    for n in 1..=5 {
        assert!(
            !projector.contains(&ns(n)) && !projector.contains(&format!("attendee {n:02}")),
            "no namespace, no name:\n{projector}"
        );
    }
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0", WAIT);

    let (ok, text) = admin(&["class", "delete", &class]);
    assert!(ok, "{text}");
    let _ = std::fs::remove_dir_all(out.parent().unwrap());
}

/// The tutor itself, in a terminal, with an attendee's kubeconfig: its
/// answer reaches the instructor's status within a few seconds, and the
/// same tutor on a kubeconfig of no class publishes nothing.
#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn an_attendees_tutor_publishes_its_answer() {
    let _one_at_a_time = common::pty_lock();
    let class = class_name("pub");
    let out = common::temp_dir("pub").join("files");
    let (ok, text) = admin(&[
        "class",
        "create",
        &class,
        "--attendees",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    let state = common::temp_dir("pub-state");
    let command = format!(
        "KUBECONFIG={} XDG_STATE_HOME={} {KUBETUTOR}",
        out.join("attendee-01.kubeconfig").display(),
        state.display()
    );
    let tmux = Tmux::start(&command, 160, 40);
    tmux.wait_for("connected", WAIT);
    tmux.keys(&["2"]);
    tmux.wait_for("Not quite", WAIT);
    let start = std::time::Instant::now();
    let status = loop {
        let (ok, json) = admin(&["class", "status", &class, "-o", "json"]);
        assert!(ok, "{json}");
        let status: serde_json::Value = serde_json::from_str(&json).unwrap();
        if status["predictions"][0]["choices"][1]["count"] == 1 {
            break status;
        }
        assert!(start.elapsed() < WAIT, "the answer never arrived: {json}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(status["attendees"][0]["state"], "working");
    assert!(!tmux.screen().contains("not shared"), "{}", tmux.screen());
    drop(tmux);
    let (ok, text) = admin(&["class", "delete", &class]);
    assert!(ok, "{text}");
    let _ = std::fs::remove_dir_all(out.parent().unwrap());

    // A learner on their own: the same answer stays on their machine.
    let client = lab().client().await;
    let ns = common::TestNamespace::create(&client, "solo").await;
    let command = common::tmux::tui_command(&state, &lab().paths.kubeconfig(), &ns.name, "");
    let tmux = Tmux::start(&command, 160, 40);
    tmux.wait_for("connected", WAIT);
    tmux.keys(&["2"]);
    tmux.wait_for("Not quite", WAIT);
    std::thread::sleep(Duration::from_millis(1500));
    let found = kubetutor::class::publish::read_all(&client, std::slice::from_ref(&ns.name))
        .await
        .unwrap();
    assert!(found.is_empty(), "{found:?}");
    drop(tmux);
    let _ = std::fs::remove_dir_all(state);
}
