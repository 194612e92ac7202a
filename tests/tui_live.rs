//! Every step's mark tells the truth about the cluster, whichever step the
//! learner is reading: work done with kubectl in another terminal is marked
//! done at once, and a step that breaks again is marked regressed.

mod common;

use std::time::{Duration, Instant};

use common::tmux::{step_line, wait_for_mark};

use common::tmux::{Tmux, tui_command};
use common::{TestNamespace, lab, seed};

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn a_binding_made_with_kubectl_marks_step_9_while_the_learner_reads_step_1() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "ahead").await;
    let state = common::temp_dir("tui");
    let tmux = Tmux::start(
        &tui_command(&state, &lab().paths.kubeconfig(), &ns.name, ""),
        160,
        48,
    );
    tmux.wait_for("connected", WAIT);
    let screen = tmux.screen();
    assert!(
        step_line(&screen, 9).starts_with('·'),
        "step 9 is locked and not done:\n{screen}"
    );

    lab().apply(&ns.name, seed::demo_sa());
    lab().apply(&ns.name, &seed::role_list_pods(&ns.name));
    let applied = Instant::now();
    lab().apply(&ns.name, &seed::role_binding_list_pods(&ns.name));
    let screen = wait_for_mark(&tmux, WAIT, 9, '✓');
    eprintln!(
        "step 9 marked ✓ {} ms after kubectl apply returned (see BENCHMARKS.md for the measured latency)",
        applied.elapsed().as_millis()
    );
    assert!(
        step_line(&screen, 7).starts_with('✓'),
        "demo-sa's step too:\n{screen}"
    );
    assert!(
        step_line(&screen, 8).starts_with('✓'),
        "the Role's step too:\n{screen}"
    );
    assert!(
        screen.contains("1. The API server behind the kubernetes Service"),
        "the learner is still on step 1:\n{screen}"
    );
    assert!(
        screen.contains("is done: seen in the cluster"),
        "the learner is told:\n{screen}"
    );
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn deleting_demo_sa_on_step_11_marks_the_steps_that_needed_it_regressed() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "regress").await;
    let state = common::temp_dir("tui");
    let kubeconfig = lab().paths.kubeconfig();
    let out = common::kubetutor(
        &["solve", "-n", &ns.name],
        &[("KUBECONFIG", kubeconfig.to_str().unwrap())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::learner_did_everything(&state, &ns.name);
    let tmux = Tmux::start(&tui_command(&state, &kubeconfig, &ns.name, ""), 160, 48);
    tmux.wait_for("connected", WAIT);
    tmux.wait_for("Steps 12/12", WAIT);
    for _ in 0..10 {
        tmux.keys(&["C-n"]);
    }
    tmux.wait_for("11. The same call, now allowed", WAIT);

    let out = lab().kubectl(
        &["delete", "serviceaccount", "demo-sa", "-n", &ns.name],
        None,
    );
    assert!(out.status.success());
    let screen = wait_for_mark(&tmux, WAIT, 7, '!');
    let screen = if step_line(&screen, 9).starts_with('!') {
        screen
    } else {
        wait_for_mark(&tmux, WAIT, 9, '!')
    };
    assert!(
        screen.contains("no longer holds"),
        "the learner is told a step broke:\n{screen}"
    );
    assert!(
        step_line(&screen, 8).starts_with('✓'),
        "the Role's step does not depend on demo-sa:\n{screen}"
    );
    // Put it back: the marks come back.
    lab().apply(&ns.name, seed::demo_sa());
    wait_for_mark(&tmux, WAIT, 7, '✓');
    wait_for_mark(&tmux, WAIT, 9, '✓');
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

/// The learner predicts in the tutor, then runs the step's call with
/// `kubetutor call` in another terminal: the tutor counts it within a second.
#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn a_call_run_in_another_terminal_counts_for_the_step() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "elsewhere").await;
    let state = common::temp_dir("tui");
    lab().apply(&ns.name, &seed::pod("pod-default", None));
    common::learner_did_steps(&state, &ns.name, 4);
    let tmux = Tmux::start(
        &tui_command(&state, &lab().paths.kubeconfig(), &ns.name, ""),
        160,
        48,
    );
    tmux.wait_for("Step 5 holds already", WAIT);
    tmux.keys(&["3"]);
    tmux.wait_for("✓ Right", WAIT);
    let (ok, out) = common::run_on_lab(
        &[
            "call",
            "--as",
            "anonymous",
            "GET",
            "/api/v1",
            "-n",
            &ns.name,
        ],
        &state,
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("counted as running step 5"),
        "the command says what it counted:\n{out}"
    );
    let screen = wait_for_mark(&tmux, WAIT, 5, '✓');
    assert!(screen.contains("Steps 5/12"), "{screen}");
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}
