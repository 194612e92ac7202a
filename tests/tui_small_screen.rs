//! The screen at 80×24, in a real terminal (tmux) on the lab, as a learner
//! meets it (issue 22's points 3, 5, 7, 8 and 9): a YAML slip read in the
//! learner's words with the editor's Ln/Col on it; a Pod the scheduler cannot
//! place says why in its check; `r` shows its answer without taking the
//! focus (the Output tab is marked); arriving on a step shows its text; the
//! help scrolls; the code block in view is copied exactly (OSC 52).

mod common;

use std::time::Duration;

use common::tmux::{Tmux, tui_command};
use common::{TestNamespace, lab};

const WAIT: Duration = Duration::from_secs(30);

/// The screen's words, rows joined and pane borders dropped: a message
/// wrapped inside a pane reads whole.
fn words(screen: &str) -> String {
    screen
        .replace(['│', '┃'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The tab bar (the first row) and which tab is highlighted is not in the
/// text; the pane's own title is: "▶" marks the focused pane.
fn tab_bar(screen: &str) -> String {
    screen.lines().next().unwrap_or_default().to_string()
}

#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn at_80x24_a_yaml_slip_is_said_plainly_where_it_is() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "small").await;
    let state = common::temp_dir("tui-small");
    common::learner_did_steps(&state, &ns.name, 6);
    let command = tui_command(&state, &lab().paths.kubeconfig(), &ns.name, "");
    let tmux = Tmux::start(&command, 80, 24);
    tmux.wait_for("connected", WAIT);
    tmux.wait_for("# Name it demo-sa", WAIT);
    tmux.edit_line(4, " demo-sa");
    tmux.keys(&["Enter"]);
    tmux.type_text("namespace:lab");
    tmux.keys(&["C-s"]);
    let advice = "`namespace:lab` needs a space after the first colon: `namespace: lab`";
    let start = std::time::Instant::now();
    let screen = loop {
        let screen = tmux.screen();
        if words(&screen).contains(advice) {
            break screen;
        }
        assert!(start.elapsed() < WAIT, "no advice:\n{screen}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(words(&screen).contains("line 6, column 3"), "{screen}");
    assert!(
        screen.contains("Ln 6, Col 3"),
        "the editor's title agrees:\n{screen}"
    );

    // The slip undone, the step is done.
    tmux.keys(&["End"]);
    for _ in 0.."namespace:lab".len() + 1 {
        tmux.keys(&["BSpace"]);
    }
    tmux.keys(&["C-s"]);
    tmux.wait_for("✓ Step 7 done", WAIT);

    // Arriving on step 8 shows its text, not the editor tab the learner was in.
    tmux.keys(&["C-n"]);
    let screen = tmux.wait_for("8. A Role that may list Pods", WAIT);
    let pane_title = screen.lines().nth(1).unwrap_or_default();
    assert!(
        pane_title.contains("8. A Role that may list Pods") && !pane_title.contains("Editor"),
        "the Lesson pane is the one shown:\n{screen}"
    );

    // The help does not fit 24 rows: it says it scrolls, and scrolls.
    tmux.keys(&["F1"]);
    tmux.wait_for("↑ ↓ scroll (0/", WAIT);
    tmux.keys(&["Down", "Down"]);
    tmux.wait_for("↑ ↓ scroll (2/", WAIT);
    tmux.keys(&["Escape"]);
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
#[allow(clippy::await_holding_lock)]
async fn at_80x24_a_call_answers_in_the_marked_output_tab_and_code_copies_exactly() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "small").await;
    let state = common::temp_dir("tui-small");
    // On step 5, the anonymous call: a question, then `r`.
    common::learner_did_steps(&state, &ns.name, 4);
    let command = tui_command(&state, &lab().paths.kubeconfig(), &ns.name, "");
    let tmux = Tmux::start(&command, 80, 24);
    tmux.wait_for("connected", WAIT);
    tmux.wait_for("5. Calling the API server anon", WAIT);

    // The code block in view (scrolled to it) goes to the clipboard exactly.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let lesson = kubetutor::lesson::Lesson::load(&dir, Some(&ns.name)).unwrap();
    let step = &lesson.steps[4];
    let first_block = step
        .text
        .split("```")
        .nth(1)
        .and_then(|b| b.split_once('\n'))
        .map(|(_, body)| body.to_string())
        .unwrap();
    for _ in 0..12 {
        tmux.keys(&["j"]);
        if tmux
            .screen()
            .contains(first_block.lines().next().unwrap().trim())
        {
            break;
        }
    }
    tmux.keys(&["c"]);
    tmux.wait_for("Copied the code block in view", WAIT);
    assert_eq!(tmux.clipboard(), first_block, "copied as written");

    // The answer, then r: the focus stays on the lesson, the Output tab is marked.
    let right = step.predict.as_ref().unwrap().correct().unwrap() + 1;
    tmux.keys(&[&right.to_string()]);
    tmux.wait_for("Right", WAIT);
    tmux.keys(&["r"]);
    let start = std::time::Instant::now();
    while !tab_bar(&tmux.screen()).contains("Output•") {
        assert!(start.elapsed() < WAIT, "no mark:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        tmux.screen().contains("5. Calling the API server anon"),
        "the lesson is still shown"
    );
    // The learner goes to look: the answer is there and the mark goes.
    // Tab to the Output pane: its title is on the second row.
    while !tmux
        .screen()
        .lines()
        .nth(1)
        .is_some_and(|title| title.contains("Output"))
    {
        tmux.keys(&["Tab"]);
        assert!(start.elapsed() < WAIT, "{}", tmux.screen());
    }
    tmux.wait_for("403", WAIT);
    assert!(
        !tab_bar(&tmux.screen()).contains("Output•"),
        "{}",
        tmux.screen()
    );
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

/// Point 5 at 120×36: a Pod the scheduler cannot place says why in the
/// step's Checks pane (and its cluster row), not "waiting for Running".
#[tokio::test]
#[allow(clippy::await_holding_lock)]
async fn a_stuck_pod_says_why_in_the_checks_pane() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "stuckpty").await;
    let state = common::temp_dir("tui-stuck");
    common::learner_did_steps(&state, &ns.name, 3);
    let command = tui_command(&state, &lab().paths.kubeconfig(), &ns.name, "");
    let tmux = Tmux::start(&command, 120, 36);
    tmux.wait_for("connected", WAIT);
    tmux.wait_for("4. A Pod that uses the default", WAIT);
    let pod = common::seed::pod("pod-default", None).replace(
        "spec:\n",
        "spec:\n  nodeSelector:\n    kubetutor.dev/no-such-node: \"true\"\n",
    );
    lab().apply(&ns.name, &pod);
    let start = std::time::Instant::now();
    loop {
        let said = common::tmux::pane_text(&tmux.screen(), "Checks");
        if said.contains("the scheduler cannot place it")
            && said.contains("didn't match Pod's node affinity/selector")
        {
            break;
        }
        assert!(start.elapsed() < WAIT, "not said:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(200));
    }
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}
