//! The TUI in a real terminal (tmux): the first lesson's editor steps done by
//! typing YAML and applying it, drafts surviving SIGKILL, and the terminal
//! restored after SIGTERM and after a panic.

mod common;

use std::time::Duration;

use common::tmux::{Tmux, pane_text, tui_command};
use common::{TestNamespace, lab};

const WAIT: Duration = Duration::from_secs(15);

/// The instructor's view: jump ahead (no locks in presenter mode), solve the
/// step from the menu, watch it turn green.
#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn an_instructor_jumps_ahead_and_solves_a_step_in_presenter_mode() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "presenter").await;
    let state = common::temp_dir("tui");
    let command = tui_command(&state, &lab().paths.kubeconfig(), &ns.name, "")
        .replace(" -n ", " --presenter -n ");
    let tmux = Tmux::start(&command, 100, 30);
    tmux.wait_for("connected", WAIT);
    for _ in 0..6 {
        tmux.keys(&["C-n"]);
    }
    let screen = tmux.wait_for("Create the demo-sa ServiceAccount", WAIT);
    assert!(
        !screen.contains("locked"),
        "presenter mode has no locks:\n{screen}"
    );
    tmux.wait_for("No ServiceAccount named demo-sa", WAIT);
    tmux.keys(&["F10", "Down", "Enter"]); // "Solve this step"
    let screen = tmux.wait_for("✓ Step 7 done", WAIT);
    assert!(
        screen.contains("keys: ") && screen.contains("[menu: Solve this step]"),
        "the menu choice is shown by name:\n{screen}"
    );
    assert!(
        screen.contains("name: demo-sa"),
        "the solution is in the editor:\n{screen}"
    );

    // Tokens stay masked, even when asked for.
    for _ in 0..4 {
        tmux.keys(&["C-p"]);
    }
    tmux.wait_for("A token for the default ServiceAccount", WAIT);
    tmux.keys(&["F10", "Down", "Down", "Enter"]); // solve, run, show the token
    tmux.wait_for("Tokens stay masked in presenter mode", WAIT);
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

/// Resetting the lab from the menu: what will go is shown first, progress
/// while it goes, and the lesson starts over.
#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn the_lab_is_reset_from_the_menu() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "menureset").await;
    let state = common::temp_dir("tui");
    let kubeconfig = lab().paths.kubeconfig();
    let out = common::kubetutor(
        &["solve", "-n", &ns.name],
        &[("KUBECONFIG", kubeconfig.to_str().unwrap())],
    );
    assert!(out.status.success());
    lab().apply(
        &ns.name,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-the-lessons\n",
    );

    let tmux = Tmux::start(&tui_command(&state, &kubeconfig, &ns.name, ""), 160, 48);
    tmux.wait_for("connected", WAIT);
    // Step 1 offers presenter mode, then "Reset the lab".
    tmux.keys(&["F10", "Down", "Enter"]);
    let screen = tmux.wait_for("These 5 objects will be deleted", WAIT);
    assert!(
        screen.contains("Pod pod-demo-sa") && screen.contains("ServiceAccount demo-sa"),
        "{screen}"
    );
    assert!(!screen.contains("not-the-lessons"), "{screen}");
    tmux.keys(&["Enter"]);
    // Progress starts over: no step is done (the ones that hold by themselves
    // wait for the learner's answer and run again).
    let screen = tmux.wait_for("✓ Reset done", WAIT);
    assert!(screen.contains("Steps 0/12"), "{screen}");
    for step in 1..=12 {
        let line = common::tmux::step_line(&screen, step);
        assert!(
            !line.starts_with('✓') && !line.starts_with('!'),
            "step {step}: {line}\n{screen}"
        );
    }

    let left = lab().kubectl(
        &[
            "get",
            "serviceaccounts,pods,roles,rolebindings,configmaps",
            "-n",
            &ns.name,
            "-o",
            "name",
        ],
        None,
    );
    let left = String::from_utf8_lossy(&left.stdout).into_owned();
    assert!(
        !left.contains("demo-sa") && !left.contains("pod/") && !left.contains("list-pods"),
        "{left}"
    );
    assert!(
        left.contains("configmap/not-the-lessons") && left.contains("serviceaccount/default"),
        "{left}"
    );
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

fn apply_and_expect_done(tmux: &Tmux, step: usize) -> String {
    tmux.keys(&["C-s"]);
    tmux.wait_for(&format!("✓ Step {step} done"), WAIT)
}

#[tokio::test]
// The lock serialises whole pty tests; each test has its own runtime, so
// holding it across awaits cannot deadlock.
#[allow(clippy::await_holding_lock)]
async fn a_learner_completes_the_editor_steps_by_typing_yaml() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "tui").await;
    let state = common::temp_dir("tui");
    let tmux = Tmux::start(
        &tui_command(&state, &lab().paths.kubeconfig(), &ns.name, ""),
        160,
        48,
    );

    let screen = tmux.wait_for("connected", WAIT);
    assert!(
        screen.contains("1. The API server behind the kubernetes Service"),
        "{screen}"
    );
    // A fresh namespace: nothing is done, though steps 1–3 hold already.
    let screen = tmux.wait_for("Step 1 holds already", WAIT);
    assert!(screen.contains("Steps 0/12"), "{screen}");
    tmux.keys(&["C-n"]);
    tmux.wait_for("Step 2 is locked", WAIT);
    // Step 1: predict (443), step 2: predict (the default account).
    tmux.keys(&["1"]);
    tmux.wait_for("✓ Step 1 done", WAIT);
    tmux.keys(&["C-n"]);
    tmux.wait_for("2. Every namespace", WAIT);
    tmux.keys(&["2"]);
    tmux.wait_for("✓ Step 2 done", WAIT);
    // Step 3: the run is refused before the prediction, a wrong one gets its
    // feedback, and the run then counts.
    tmux.keys(&["C-n"]);
    tmux.wait_for("3. A token", WAIT);
    tmux.keys(&["F6"]);
    tmux.wait_for("First predict what it will answer", WAIT);
    tmux.keys(&["2"]);
    let screen = tmux.wait_for("✗ Not quite", WAIT);
    assert!(
        screen.contains("The issuer says who signed the token"),
        "{screen}"
    );
    tmux.keys(&["F6"]);
    tmux.wait_for("✓ Step 3 done", WAIT);
    tmux.keys(&["C-n"]);
    tmux.wait_for("4. A Pod", WAIT);
    wait_for_pane(&tmux, "Checks", "No Pod named pod-default");
    let screen = tmux.screen();
    assert!(
        screen.contains("  6   name:"),
        "the template is in the editor:\n{screen}"
    );

    // Arriving on a step keeps the focus where it was (Output, after the
    // token's run): `e` puts it in the editor.
    tmux.keys(&["e"]);
    tmux.edit_line(5, " pod-default");
    let screen = apply_and_expect_done(&tmux, 4);
    assert!(screen.contains("applied Pod pod-default"), "{screen}");
    // The cluster pane follows within a fraction of a second (it is rebuilt
    // at most five times a second; the step marks are never held back).
    tmux.wait_for("pod-default      Running   sa default", WAIT);

    // 5 (anonymous call) and 6 (default token): predicted, then run.
    // Their checks keep the answer until the learner has given theirs.
    tmux.keys(&["C-n"]);
    tmux.wait_for("Step 5 holds already", WAIT);
    wait_for_pane(&tmux, "Checks", "Hidden until you answer the question");
    tmux.keys(&["3"]);
    wait_for_pane(
        &tmux,
        "Checks",
        "as anonymous (no token) answered 403 Forbidden",
    );
    tmux.keys(&["F6"]);
    wait_for_pane(&tmux, "Output", "403 Forbidden");
    tmux.wait_for("✓ Step 5 done", WAIT);
    tmux.keys(&["C-n"]);
    wait_for_pane(&tmux, "Checks", "Hidden until you answer the question");
    tmux.keys(&["2"]);
    wait_for_pane(&tmux, "Checks", "(ServiceAccount default) answered 200 OK");
    tmux.keys(&["F6"]);
    tmux.wait_for("✓ Step 6 done", WAIT);
    wait_for_pane(&tmux, "Output", "GET /api/v1/namespaces/");
    // The newest answer is at the top of the pane; GET /api/v1's is above it.
    let screen = tmux.screen();
    assert!(screen.contains("earlier"), "both requests ran:\n{screen}");

    tmux.keys(&["C-n"]);
    wait_for_pane(&tmux, "Checks", "No ServiceAccount named");
    tmux.keys(&["e"]);
    tmux.edit_line(4, " demo-sa");
    apply_and_expect_done(&tmux, 7);
    let screen = tmux.wait_for(&format!("ServiceAccounts in {} (2)", ns.name), WAIT);
    assert!(screen.contains("  demo-sa"), "{screen}");

    tmux.keys(&["C-n"]);
    wait_for_pane(&tmux, "Checks", "allows list pods yet");
    tmux.edit_line(11, "pods");
    tmux.edit_line(13, "list");
    apply_and_expect_done(&tmux, 8);
    // The cluster pane is rebuilt at most five times a second: it may show the
    // Role a moment after the step's mark.
    tmux.wait_for("list-pods: list pods", WAIT);

    // A typo first: the explainer names it, and the step stays locked.
    tmux.keys(&["C-n"]);
    wait_for_pane(&tmux, "Checks", "may not list pods");
    tmux.edit_line(8, " list-pod");
    tmux.edit_line(12, " demo-sa");
    tmux.keys(&["C-s"]);
    wait_for_pane(
        &tmux,
        "Checks",
        "refers to Role list-pod, which does not exist",
    );
    // roleRef cannot change: the apply says so, F9 asks by name and
    // re-creates the binding from the editor.
    tmux.edit_line(8, "s");
    tmux.keys(&["C-s"]);
    tmux.wait_for("roleRef cannot change once the RoleBinding exists", WAIT);
    tmux.keys(&["F9"]);
    tmux.wait_for("Delete RoleBinding list-pods_demo-sa", WAIT);
    tmux.keys(&["y"]);
    tmux.wait_for("✓ Step 9 done", WAIT);
    tmux.wait_for("ServiceAccount demo-sa → Role list-pods", WAIT);

    tmux.keys(&["C-n"]);
    wait_for_pane(&tmux, "Checks", "No Pod named pod-demo-sa");
    tmux.edit_line(6, ""); // the end of "spec:"
    tmux.keys(&["Enter"]); // the new line is indented under spec: already
    tmux.type_text("serviceAccountName: demo-sa");
    apply_and_expect_done(&tmux, 10);
    tmux.wait_for("pod-demo-sa      Running   sa demo-sa", WAIT);

    // Step 11 holds as soon as pod-demo-sa runs; it counts once predicted and run.
    tmux.keys(&["C-n"]);
    tmux.keys(&["1"]);
    wait_for_pane(&tmux, "Checks", "answered 200 OK (PodList");
    tmux.keys(&["F6"]);
    tmux.wait_for("✓ Step 11 done", WAIT);
    wait_for_pane(
        &tmux,
        "Output",
        "200 OK (PodList: pod-default, pod-demo-sa)",
    );
    let screen = tmux.screen();
    assert!(!screen.contains("eyJ"), "no token on screen:\n{screen}");

    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0 MODE icanon END", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

#[test]
fn a_draft_survives_sigkill_and_the_tutor_opens_without_a_cluster() {
    let _one_at_a_time = common::pty_lock();
    let state = common::temp_dir("tui");
    // No cluster: the tutor still opens and says why.
    let missing = state.join("no-such-kubeconfig");
    let command = tui_command(&state, &missing, "scratch", "");
    let tmux = Tmux::start(&command, 160, 48);
    let screen = tmux.wait_for("unreachable:", WAIT);
    assert!(
        screen.contains("kubetutor lab up"),
        "it says how to get a cluster:\n{screen}"
    );

    tmux.keys(&["Tab"]); // step 1 opens on the lesson text; the editor is next
    tmux.type_text("draft typed before a crash");
    tmux.wait_for("draft typed before a crash", WAIT);
    std::thread::sleep(Duration::from_millis(1500)); // the save delay is 500 ms
    let pid = child_of(tmux.pane_pid());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    tmux.wait_for("EXITED 137", WAIT); // SIGKILL: nothing could restore the terminal
    drop(tmux);

    let tmux = Tmux::start(&command, 160, 48);
    tmux.wait_for("unreachable:", WAIT);
    let screen = tmux.wait_for("draft typed before a crash", WAIT);
    assert!(screen.contains("Editor"), "{screen}");
    let _ = std::fs::remove_dir_all(state);
}

#[test]
fn a_damaged_progress_file_is_moved_aside_said_and_its_backup_restored() {
    use kubetutor::app::saved;
    let _one_at_a_time = common::pty_lock();
    let state = common::temp_dir("tui");
    let missing = state.join("no-such-kubeconfig");
    // What the tutor saved twice (the second save keeps the first as .bak),
    // then a crash elsewhere cut the file short.
    let file = saved::path(
        &state.join("kubetutor"),
        "",
        "scratch",
        "serviceaccount-rbac",
    );
    let with_draft = |text: &str| saved::SavedState {
        drafts: [("kubernetes-service".to_string(), text.to_string())].into(),
        ..Default::default()
    };
    saved::store(&file, &with_draft("draft from the backup")).unwrap();
    saved::store(&file, &with_draft("draft of the newest save")).unwrap();
    let whole = std::fs::read(&file).unwrap();
    std::fs::write(&file, &whole[..whole.len() - 10]).unwrap();

    let tmux = Tmux::start(&tui_command(&state, &missing, "scratch", ""), 160, 48);
    tmux.wait_for("unreachable:", WAIT);
    let screen = tmux.wait_for("could not be read", WAIT);
    assert!(screen.contains("restored the previous save"), "{screen}");
    tmux.keys(&["Tab"]);
    tmux.wait_for("draft from the backup", WAIT);
    let aside = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".corrupt-")
        })
        .count();
    assert_eq!(aside, 1, "the damaged file is kept aside");
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

/// SIGHUP (the terminal closed, an ssh link dropped) right after typing —
/// sooner than the 500 ms autosave — saves the draft and restores the
/// terminal, as SIGINT and SIGTERM do; so does closing the terminal itself.
#[test]
fn sighup_while_typing_saves_the_draft_and_restores_the_terminal() {
    use kubetutor::app::saved;
    let _one_at_a_time = common::pty_lock();
    let state = common::temp_dir("tui");
    let missing = state.join("no-such-kubeconfig");
    let command = tui_command(&state, &missing, "scratch", "");
    let file = saved::path(
        &state.join("kubetutor"),
        "",
        "scratch",
        "serviceaccount-rbac",
    );
    let draft_in_file = |text: &str| {
        saved::load(&file)
            .state
            .is_some_and(|s| s.drafts.values().any(|d| d.contains(text)))
    };

    let tmux = Tmux::start(&command, 160, 48);
    tmux.wait_for("unreachable:", WAIT);
    tmux.keys(&["Tab"]);
    tmux.type_text("typed just before the hangup");
    tmux.wait_for("typed just before the hangup", WAIT);
    let pid = child_of(tmux.pane_pid());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGHUP,
    )
    .unwrap();
    let screen = tmux.wait_for("END", WAIT);
    assert!(
        screen.contains("EXITED 0 MODE icanon END"),
        "exit 0, cooked mode back:\n{screen}"
    );
    assert!(draft_in_file("typed just before the hangup"));
    drop(tmux);

    // The terminal itself goes away: the tutor gets SIGHUP and a dead tty.
    let tmux = Tmux::start(&command, 160, 48);
    tmux.wait_for("typed just before the hangup", WAIT);
    tmux.keys(&["Tab"]);
    tmux.type_text(" and more before the window closed");
    tmux.wait_for("and more before the window closed", WAIT);
    let pid = child_of(tmux.pane_pid());
    drop(tmux); // kills the tmux server: every pane's terminal hangs up
    let gone = std::time::Instant::now();
    while nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok() {
        assert!(
            gone.elapsed() < WAIT,
            "kubetutor {pid} outlived its terminal"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(draft_in_file("and more before the window closed"));
    let _ = std::fs::remove_dir_all(state);
}

#[test]
fn the_terminal_is_restored_after_sigterm_and_after_a_panic() {
    let _one_at_a_time = common::pty_lock();
    let state = common::temp_dir("tui");
    let kubeconfig = lab().paths.kubeconfig();

    let tmux = Tmux::start(&tui_command(&state, &kubeconfig, "default", ""), 120, 40);
    tmux.wait_for("Tab pane", WAIT);
    assert!(tmux.mouse_tracking(), "the TUI takes the mouse");
    let pid = child_of(tmux.pane_pid());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let screen = tmux.wait_for("END", WAIT);
    assert!(
        screen.contains("EXITED 0 MODE icanon END"),
        "exit 0, cooked mode back:\n{screen}"
    );
    assert!(
        !screen.contains("Tab pane"),
        "the alternate screen is gone:\n{screen}"
    );
    assert!(!tmux.mouse_tracking(), "the mouse is given back");
    drop(tmux);

    let tmux = Tmux::start(
        &tui_command(
            &state,
            &kubeconfig,
            "default",
            "KUBETUTOR_TEST_PANIC=1 RUST_BACKTRACE=0",
        ),
        120,
        40,
    );
    let screen = tmux.wait_for("END", WAIT);
    assert!(
        screen.contains("EXITED 101 MODE icanon END"),
        "panic exit code, cooked mode back:\n{screen}"
    );
    assert!(
        screen.contains("panicking on purpose"),
        "the panic message is readable:\n{screen}"
    );
    assert!(
        !tmux.mouse_tracking(),
        "the mouse is given back after a panic"
    );
    let _ = std::fs::remove_dir_all(state);
}

/// Waits until the pane titled `pane` says `text`.
fn wait_for_pane(tmux: &Tmux, pane: &str, text: &str) {
    let start = std::time::Instant::now();
    loop {
        let said = pane_text(&tmux.screen(), pane);
        if said.contains(text) {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "the {pane} pane never said {text:?}; it says: {said}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The kubetutor process under the pane's shell.
fn child_of(shell: i32) -> i32 {
    for _ in 0..50 {
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"));
        if let Some(pid) = children.unwrap_or_default().split_whitespace().next() {
            return pid.parse().unwrap();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no child process under the pane's shell {shell}");
}

#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn the_shell_key_suspends_and_resumes_the_tutor() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "shell").await;
    lab().apply(&ns.name, &common::seed::pod("pod-default", None));
    let state = common::temp_dir("tui");
    let tmux = Tmux::start(
        &tui_command(&state, &lab().paths.kubeconfig(), &ns.name, ""),
        160,
        48,
    );
    tmux.wait_for("connected", WAIT);
    // Step 1's question first: until then the cluster pane holds back.
    tmux.keys(&["1"]);
    tmux.wait_for("pod-default      Running", WAIT);

    tmux.keys(&["F7"]);
    let screen = tmux.wait_for(
        "This shell runs on your machine, not in Pod pod-default",
        WAIT,
    );
    assert!(
        !screen.contains("Tab pane"),
        "the TUI is suspended:\n{screen}"
    );
    tmux.type_text("echo \"ns=$NAMESPACE token-length=${#TOKEN}\"");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(&format!("ns={}", ns.name), WAIT);
    assert!(
        !screen.contains("token-length=0"),
        "the Pod's token is in the environment:\n{screen}"
    );
    tmux.type_text("exit");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Back from the shell of Pod pod-default", WAIT);
    assert!(
        screen.contains("Tab pane") && screen.contains("┌ Steps"),
        "the screen is redrawn:\n{screen}"
    );
    assert!(
        !screen.contains("This shell runs"),
        "nothing of the shell is left on screen:\n{screen}"
    );

    // Keys work again.
    tmux.keys(&["?"]);
    tmux.wait_for("Keys (any key closes this)", WAIT);
    tmux.keys(&["Escape"]);
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}
