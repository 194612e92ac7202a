//! The progress file is data and has one writer: a saved answer the lesson no
//! longer has is dropped and said (the tutor used to panic on every start),
//! and a second tutor on the same lesson, cluster and namespace opens
//! read-only and says so; `kubetutor reset` while a tutor runs is picked up
//! by that tutor (it writes the file), not undone by its next save.
//! Only the last test needs the lab: the others open on a missing kubeconfig.

mod common;

use std::time::Duration;

use common::tmux::{Tmux, tui_command};
use kubetutor::app::saved;

const WAIT: Duration = Duration::from_secs(15);
const LESSON: &str = "serviceaccount-rbac";

#[test]
fn an_answer_the_lesson_no_longer_has_is_dropped_and_said() {
    let _one_at_a_time = common::pty_lock();
    let state = common::temp_dir("progress-misfit");
    let missing = state.join("no-such-kubeconfig");
    let file = saved::path(&state.join("kubetutor"), "", "scratch", LESSON);
    // Step 1 asks a question with a few choices; a lesson edit removed the 100th.
    let mut saved_state = saved::SavedState::default();
    saved_state.acts.insert(
        "kubernetes-service".into(),
        kubetutor::app::StepActs {
            answer: Some(99),
            ..Default::default()
        },
    );
    saved::store(&file, &saved_state).unwrap();

    let tmux = Tmux::start(&tui_command(&state, &missing, "scratch", ""), 160, 48);
    let screen = tmux.wait_for("no longer fits this lesson", WAIT);
    assert!(
        screen
            .replace('\n', " ")
            .contains("the answer 100 to step 1"),
        "{screen}"
    );
    // The question is open again: an answer is taken.
    tmux.keys(&["2"]);
    tmux.wait_for("why is under the question", WAIT);
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    // Said once: the next start finds nothing to drop.
    let saved_now = saved::load(&file).state.unwrap();
    assert_eq!(saved_now.acts["kubernetes-service"].answer, Some(1));
    let _ = std::fs::remove_dir_all(state);
}

#[test]
fn a_second_tutor_on_the_same_progress_file_is_read_only() {
    let _one_at_a_time = common::pty_lock();
    let state = common::temp_dir("progress-lock");
    let missing = state.join("no-such-kubeconfig");
    let command = tui_command(&state, &missing, "scratch", "");
    let first = Tmux::start(&command, 160, 48);
    first.wait_for("unreachable:", WAIT);

    let second = Tmux::start(&command, 160, 48);
    let screen = second.wait_for("read-only", WAIT);
    assert!(screen.contains("Another kubetutor (pid"), "{screen}");
    second.keys(&["Tab"]);
    second.type_text("typed in the read-only tutor");
    second.wait_for("typed in the read-only tutor", WAIT);
    second.keys(&["C-c"]);
    second.wait_for("EXITED 0", WAIT);
    let file = saved::path(&state.join("kubetutor"), "", "scratch", LESSON);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        !text.contains("typed in the read-only tutor"),
        "the read-only tutor saved: {text}"
    );

    first.keys(&["C-c"]);
    first.wait_for("EXITED 0", WAIT);
    // The first gone, the next tutor writes again.
    let third = Tmux::start(&command, 160, 48);
    third.wait_for("unreachable:", WAIT);
    assert!(!third.screen().contains("read-only"));
    third.keys(&["C-c"]);
    third.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn a_cli_reset_while_a_tutor_runs_is_taken_up_by_the_tutor() {
    let _one_at_a_time = common::pty_lock();
    let client = common::lab().client().await;
    let ns = common::TestNamespace::create(&client, "cli-reset").await;
    let state = common::temp_dir("progress-cli-reset");
    let kubeconfig = common::lab().paths.kubeconfig();
    let tmux = Tmux::start(&tui_command(&state, &kubeconfig, &ns.name, ""), 160, 48);
    tmux.wait_for("connected", WAIT);
    tmux.keys(&["2"]); // step 1's question, answered right: step 1 done
    tmux.wait_for("Step 1 done", WAIT);
    std::thread::sleep(Duration::from_millis(1500)); // saved (500 ms delay)

    let (ok, out) = common::run_on_lab(&["reset", "-n", &ns.name, "--yes"], &state);
    assert!(ok, "{out}");
    assert!(out.contains("it goes back to step 1 itself"), "{out}");
    tmux.wait_for("ran in another terminal", WAIT);
    std::thread::sleep(Duration::from_millis(1500));
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);

    // The tutor's last save holds the reset, not the answer from before it.
    let file = std::fs::read_dir(state.join("kubetutor/progress"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("a progress file");
    let saved_now = saved::load(&file).state.expect("saved");
    assert_eq!(saved_now.unlocked, 0, "{saved_now:?}");
    assert!(
        !saved_now.acts.contains_key("kubernetes-service"),
        "{saved_now:?}"
    );
    let _ = std::fs::remove_dir_all(state);
}
