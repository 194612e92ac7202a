//! Every prediction of every lesson answered in the TUI, in a real terminal
//! (tmux) on the lab: once with a wrong choice — "Not quite.", its own
//! feedback, and the right answer's — and once with the right one —
//! "Right." and its feedback. Data-driven: the lessons say what to expect.
//! Every step is opened beforehand (as after finishing the lesson), so the
//! test walks them with Ctrl-N and answers with the digit keys.

mod common;

use std::path::Path;
use std::time::Duration;

use common::tmux::{Tmux, pane_text, tui_command};
use common::{TestNamespace, lab};
use kubetutor::lesson::Lesson;

const WAIT: Duration = Duration::from_secs(30);

/// Words, whatever the wrapping.
fn normal(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The start of a feedback text, as much as survives any wrapping intact.
fn start_of(text: &str) -> String {
    normal(text).chars().take(60).collect()
}

/// Progress with every step open and nothing done, as the TUI saves it.
fn open_every_step(state: &Path, namespace: &str, lesson: &Lesson) {
    use kubetutor::app::{SavedState, saved};
    let kubeconfig = kube::config::Kubeconfig::read_from(lab().paths.kubeconfig()).unwrap();
    let server = kubeconfig.clusters[0]
        .cluster
        .as_ref()
        .and_then(|c| c.server.clone())
        .unwrap();
    let progress = SavedState {
        current: 0,
        unlocked: lesson.steps.len() - 1,
        drafts: Default::default(),
        acts: Default::default(),
    };
    let path = saved::path(&state.join("kubetutor"), &server, namespace, &lesson.id);
    saved::store(&path, &progress).unwrap();
}

/// Waits until the Lesson pane of step `number` holds all of `texts`.
fn wait_in_lesson(tmux: &Tmux, number: usize, texts: &[String]) -> String {
    let start = std::time::Instant::now();
    loop {
        let screen = tmux.screen();
        let pane = normal(&pane_text(&screen, &format!("{number}. ")));
        if texts.iter().all(|t| pane.contains(t.as_str())) {
            return pane;
        }
        assert!(
            start.elapsed() < WAIT,
            "step {number}'s Lesson pane lacks {texts:?}:\n{pane}\n\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Opens `id` in the TUI and answers each prediction: the right choice
/// when `right`, else the first wrong one; checks what the pane says.
async fn answer_every_prediction(id: &str, right: bool) {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "predict").await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("lessons")
        .join(id);
    let lesson = Lesson::load(&dir, Some(&ns.name)).unwrap();
    let state = common::temp_dir("tui-predict");
    open_every_step(&state, &ns.name, &lesson);
    let command = tui_command(&state, &lab().paths.kubeconfig(), &ns.name, "")
        .replace(" -n ", &format!(" --lesson {id} -n "));
    let tmux = Tmux::start(&command, 160, 48);
    tmux.wait_for("connected", WAIT);
    let mut answered = 0;
    for (index, step) in lesson.steps.iter().enumerate() {
        let number = index + 1;
        if index > 0 {
            tmux.keys(&["C-n"]);
        }
        wait_in_lesson(&tmux, number, &[normal(&step.title)]);
        let Some(predict) = &step.predict else {
            continue;
        };
        // Digits answer outside the editor only.
        if tmux.screen().contains("▶Editor") {
            tmux.keys(&["Tab"]);
        }
        let correct = predict.correct().unwrap();
        let choice = if right {
            correct
        } else {
            (0..predict.choices.len()).find(|c| *c != correct).unwrap()
        };
        tmux.keys(&[&(choice + 1).to_string()]);
        let picked = &predict.choices[choice];
        let mut expected = vec![start_of(&picked.feedback)];
        if right {
            expected.insert(0, "Right.".into());
        } else {
            expected.insert(0, "Not quite.".into());
            expected.push(start_of(&predict.choices[correct].feedback));
        }
        wait_in_lesson(&tmux, number, &expected);
        answered += 1;
    }
    assert!(answered >= 2, "{id}: only {answered} predictions");
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

fn lessons() -> Vec<String> {
    kubetutor::lesson::catalog::in_learning_order(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons"),
    )
    .into_iter()
    .map(|(id, _)| id)
    .collect()
}

#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn every_prediction_answered_wrong_shows_its_feedback_and_the_right_one() {
    let _one_at_a_time = common::pty_lock();
    for id in lessons() {
        answer_every_prediction(&id, false).await;
    }
}

#[tokio::test]
#[allow(clippy::await_holding_lock)]
async fn every_prediction_answered_right_shows_why() {
    let _one_at_a_time = common::pty_lock();
    for id in lessons() {
        answer_every_prediction(&id, true).await;
    }
}
