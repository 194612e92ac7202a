//! Each new lesson's first step done in the TUI by typing into its template
//! in a real terminal (tmux), on the lab: the step turns green only when the
//! cluster says so, and the cluster pane shows the lesson's own kinds.

mod common;

use std::time::Duration;

use common::tmux::{Tmux, tui_command};
use common::{TestNamespace, lab};

const WAIT: Duration = Duration::from_secs(30);

/// Moves to line `down` (0-based) of the editor, to just before its last
/// character (inside `[]`, `{}` or `""`), and types `text` there.
fn type_inside(tmux: &Tmux, down: usize, text: &str) {
    tmux.keys(&["C-Home"]);
    for _ in 0..down {
        tmux.keys(&["Down"]);
    }
    tmux.keys(&["End", "Left"]);
    tmux.type_text(text);
}

/// Starts the TUI on `lesson` in a fresh namespace and waits for step 1.
async fn open(lesson: &str, first_step: &str) -> (Tmux, TestNamespace, std::path::PathBuf) {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "pty").await;
    let state = common::temp_dir("tui-lessons");
    let command = tui_command(&state, &lab().paths.kubeconfig(), &ns.name, "")
        .replace(" -n ", &format!(" --lesson {lesson} -n "));
    let tmux = Tmux::start(&command, 160, 48);
    tmux.wait_for("connected", WAIT);
    tmux.wait_for(first_step, WAIT);
    (tmux, ns, state)
}

/// Answers step 1's prediction rightly (the lesson says which choice) from
/// outside the editor, then puts the focus back in the editor.
fn answer_step_one(tmux: &Tmux, lesson: &str) {
    answer_step(tmux, lesson, 0);
}

/// Answers the prediction of step `index` (shown) rightly, as above.
fn answer_step(tmux: &Tmux, lesson: &str, index: usize) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("lessons")
        .join(lesson);
    let lesson = kubetutor::lesson::Lesson::load(&dir, None).unwrap();
    let predict = lesson.steps[index].predict.as_ref().expect("the step asks");
    if tmux.screen().contains("▶Editor") {
        tmux.keys(&["Tab"]);
    }
    tmux.keys(&[&(predict.correct().unwrap() + 1).to_string()]);
    tmux.wait_for("✓ Right", WAIT);
    tmux.keys(&["e"]);
}

fn apply_and_expect_done(tmux: &Tmux) -> String {
    tmux.keys(&["C-s"]);
    tmux.wait_for("✓ Step 1 done", WAIT)
}

fn close(tmux: &Tmux, state: std::path::PathBuf) {
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn clusterrole_aggregation_first_step_by_typing() {
    let _one_at_a_time = common::pty_lock();
    let (tmux, ns, state) = open(
        "clusterrole-aggregation",
        "A ClusterRole that may read Pods",
    )
    .await;
    // The checks wait for the answer (they would give it away).
    answer_step_one(&tmux, "clusterrole-aggregation");
    tmux.wait_for("No ClusterRole named", WAIT);
    type_inside(&tmux, 7, "\"\"");
    type_inside(&tmux, 8, "pods");
    type_inside(&tmux, 9, "get, list, watch");
    apply_and_expect_done(&tmux);
    // The pane shows the lesson's own ClusterRole, summed up by its rules.
    tmux.wait_for("get,list,watch pods", WAIT);
    close(&tmux, state);
    // Cluster-scoped: it outlives the namespace, and other tests' `grants`
    // checks would see it.
    let role = format!("{}.pod-reader", ns.name);
    let out = lab().kubectl(&["delete", "clusterrole", &role], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
#[allow(clippy::await_holding_lock)]
async fn quota_limitrange_first_step_by_typing() {
    let _one_at_a_time = common::pty_lock();
    let (tmux, ns, state) = open("quota-limitrange", "A Pod that requests nothing").await;
    tmux.edit_line(5, " early");
    apply_and_expect_done(&tmux);
    // The pane lists the lesson's kinds, LimitRanges among them.
    tmux.wait_for(&format!("LimitRanges in {}", ns.name), WAIT);
    close(&tmux, state);
}

#[tokio::test]
#[allow(clippy::await_holding_lock)]
async fn labels_owners_first_step_by_typing() {
    let _one_at_a_time = common::pty_lock();
    let (tmux, ns, state) = open("labels-owners", "Label the shop's Pods").await;
    answer_step_one(&tmux, "labels-owners");
    // Answered, the pane lists the kinds step 2's setup will make; none yet.
    tmux.wait_for(&format!("Services in {} (0)", ns.name), WAIT);
    type_inside(&tmux, 6, "app: shop, tier: web");
    type_inside(&tmux, 17, "app: shop, tier: web");
    type_inside(&tmux, 28, "app: shop, tier: db");
    apply_and_expect_done(&tmux);
    // Step 2 starts with its broken Service.
    tmux.keys(&["C-n"]);
    tmux.wait_for("created Service shop-web", WAIT);
    // The cluster pane waits for step 2's answer (it would give it away).
    answer_step(&tmux, "labels-owners", 1);
    tmux.wait_for(&format!("Services in {} (1)", ns.name), WAIT);
    close(&tmux, state);
}

#[tokio::test]
#[allow(clippy::await_holding_lock)]
async fn deployments_first_step_by_typing() {
    let _one_at_a_time = common::pty_lock();
    let (tmux, ns, state) = open("deployments", "A Deployment with two replicas").await;
    answer_step_one(&tmux, "deployments");
    type_inside(&tmux, 15, "nginx:1.27");
    apply_and_expect_done(&tmux);
    // The pane's summary of a Deployment: ready/desired and its revision.
    tmux.wait_for("web: 2/2 ready · revision 1", WAIT);
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    // `kubetutor lessons` shows how far the learner got, from the saved progress.
    let (ok, out) = common::run_on_lab(&["lessons", "-n", &ns.name], &state);
    assert!(ok, "{out}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/deployments");
    let lesson = kubetutor::lesson::Lesson::load(&dir, None).unwrap();
    assert!(
        out.contains(&format!(
            "you: step 2 of {} in {}",
            lesson.steps.len(),
            ns.name
        )),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
#[allow(clippy::await_holding_lock)]
async fn jobs_first_step_by_typing() {
    let _one_at_a_time = common::pty_lock();
    let (tmux, _ns, state) = open("jobs-cronjobs", "A Job that runs to completion").await;
    // Always is refused by the API server: the learner reads why, then fixes it.
    tmux.keys(&["C-s"]);
    tmux.wait_for("restartPolicy needs another value", WAIT);
    tmux.wait_for("valid values: \"OnFailure\", \"Never\"", WAIT);
    // To the template's restartPolicy line, found as the learner would
    // find it; its value (and the comment after it) erased, Never typed.
    let template = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("lessons/jobs-cronjobs/templates/hello.yaml"),
    )
    .unwrap();
    let (row, line) = template
        .lines()
        .enumerate()
        .find(|(_, line)| line.contains("restartPolicy:"))
        .unwrap();
    let value = line.split_once("restartPolicy: ").unwrap().1;
    tmux.keys(&["C-Home"]);
    for _ in 0..row {
        tmux.keys(&["Down"]);
    }
    tmux.keys(&["End"]);
    for _ in value.chars() {
        tmux.keys(&["BSpace"]);
    }
    tmux.type_text("Never");
    // The step counts once its question is answered too.
    answer_step_one(&tmux, "jobs-cronjobs");
    apply_and_expect_done(&tmux);
    tmux.wait_for("hello: 1/1 succeeded, 0 failed", WAIT);
    close(&tmux, state);
}

#[tokio::test]
#[allow(clippy::await_holding_lock)]
async fn pod_security_first_step_by_answering_running_and_applying() {
    let _one_at_a_time = common::pty_lock();
    let (tmux, _ns, state) = open("pod-security", "Warn about Pods that are not restricted").await;
    // Out of the editor; the prediction first (the right answer is the
    // second), then the label.
    tmux.keys(&["Tab", "2", "F6"]);
    tmux.wait_for("pod-security.kubernetes.io/warn=restricted", WAIT);
    tmux.keys(&["C-s"]);
    tmux.wait_for("✓ Step 1 done", WAIT);
    close(&tmux, state);
}
