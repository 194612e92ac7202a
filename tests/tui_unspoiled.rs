//! A prediction keeps its secret in a real terminal (tmux) on the lab: the
//! first lesson's step 5 asks what an anonymous GET /api/v1 answers, and its
//! check (which the lab answers at once: 403 Forbidden) stays hidden until
//! the learner answers; in presenter mode (100×30) until the instructor
//! reveals it with `v`, after the room's vote is keyed in.

mod common;

use std::path::Path;
use std::time::Duration;

use common::tmux::{Tmux, pane_text, tui_command};
use common::{TestNamespace, lab};
use kubetutor::lesson::Lesson;

const WAIT: Duration = Duration::from_secs(30);
/// What the check says once it may: the answer to the question.
const SPOILER: &str = "answered 403 Forbidden";

/// Progress with every step open and step 5 shown, nothing done.
fn on_step_5(state: &Path, namespace: &str) {
    use kubetutor::app::{SavedState, saved};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let lesson = Lesson::load(&dir, Some(namespace)).unwrap();
    let kubeconfig = kube::config::Kubeconfig::read_from(lab().paths.kubeconfig()).unwrap();
    let server = kubeconfig.clusters[0]
        .cluster
        .as_ref()
        .and_then(|c| c.server.clone())
        .unwrap();
    let progress = SavedState {
        current: 4,
        unlocked: lesson.steps.len() - 1,
        drafts: Default::default(),
        acts: Default::default(),
    };
    let path = saved::path(&state.join("kubetutor"), &server, namespace, &lesson.id);
    saved::store(&path, &progress).unwrap();
}

/// Waits until the pane titled `title` says `text` (wrapping joined).
fn wait_in_pane(tmux: &Tmux, title: &str, text: &str) -> String {
    let start = std::time::Instant::now();
    loop {
        let screen = tmux.screen();
        if pane_text(&screen, title).contains(text) {
            return screen;
        }
        assert!(
            start.elapsed() < WAIT,
            "the {title} pane never said {text:?}:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn the_checks_keep_the_answer_until_it_is_given() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "unspoiled").await;

    // A learner at 120×36: every pane on screen.
    let state = common::temp_dir("tui-unspoiled");
    on_step_5(&state, &ns.name);
    let command = tui_command(&state, &lab().paths.kubeconfig(), &ns.name, "");
    let tmux = Tmux::start(&command, 120, 36);
    tmux.wait_for("connected", WAIT);
    tmux.wait_for("5. Calling the API server anonymously", WAIT);
    // The check was answered by the lab (the step holds already)…
    let screen = wait_in_pane(&tmux, "Checks", "Holds already");
    // …and its result is not on screen: only the choices say 403.
    assert!(
        pane_text(&screen, "Checks").contains("Hidden until you answer the question (1–3)")
            && !screen.contains(SPOILER),
        "the Checks pane gives the answer away:\n{screen}"
    );
    assert!(
        pane_text(&screen, "Cluster").contains("Hidden until you answer"),
        "{screen}"
    );
    tmux.keys(&["3"]);
    let screen = wait_in_pane(&tmux, "Checks", SPOILER);
    assert!(screen.contains("Right."), "{screen}");
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    drop(tmux);
    let _ = std::fs::remove_dir_all(&state);

    // An instructor at 100×30: the room votes, then the reveal.
    let state = common::temp_dir("tui-unspoiled");
    on_step_5(&state, &ns.name);
    let command = tui_command(&state, &lab().paths.kubeconfig(), &ns.name, "")
        .replace(" -n ", " --presenter -n ");
    let tmux = Tmux::start(&command, 100, 30);
    tmux.wait_for("connected", WAIT);
    tmux.wait_for("Calling the API server anonymously", WAIT);
    let screen = tmux.wait_for("Holds already", WAIT);
    assert!(
        screen.contains("Hidden until you answer") && !screen.contains(SPOILER),
        "the projector gives the answer away before the vote:\n{screen}"
    );
    tmux.keys(&["3"]);
    tmux.wait_for("The room's answer: 3", WAIT);
    // Give the engine time to say anything it would.
    std::thread::sleep(Duration::from_secs(2));
    let screen = tmux.screen();
    assert!(
        !screen.contains(SPOILER)
            && !screen.contains("Right.")
            && screen.contains("v (F8) reveals the answer"),
        "voted, not revealed:\n{screen}"
    );
    tmux.keys(&["v"]);
    let screen = tmux.wait_for(SPOILER, WAIT);
    assert!(
        screen.contains("Right.") && !screen.contains("reveals the answer"),
        "{screen}"
    );
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}
