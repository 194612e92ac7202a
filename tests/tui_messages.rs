//! No message loses its end, in a real terminal (tmux) on the lab: the
//! likeliest typo of the ServiceAccount step (`namspace:`) is refused by the
//! API server, and its whole answer, advice included, is on screen at 80×24,
//! 100×30 (presenter mode) and 120×36 without a key pressed.

mod common;

use std::time::{Duration, Instant};

use common::tmux::{Tmux, tui_command};
use common::{TestNamespace, lab};

const WAIT: Duration = Duration::from_secs(30);
const MESSAGE: &str =
    "line 6, column 3: metadata.namspace is not a field of metadata (did you mean namespace?)";

/// The screen's words, rows joined: a message wrapped over rows reads whole.
fn words(screen: &str) -> String {
    screen.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn a_refused_apply_is_read_whole_at_every_size() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "messages").await;
    for (width, height, presenter) in [(80, 24, false), (100, 30, true), (120, 36, false)] {
        let state = common::temp_dir("tui-messages");
        // Steps 1–6 done: the learner is on step 7, the ServiceAccount.
        common::learner_did_steps(&state, &ns.name, 6);
        let mut command = tui_command(&state, &lab().paths.kubeconfig(), &ns.name, "");
        if presenter {
            command = command.replace(" -n ", " --presenter -n ");
        }
        let tmux = Tmux::start(&command, width, height);
        tmux.wait_for("connected", WAIT);
        // Step 7 opens in its editor (a tab of its own at 80×24).
        tmux.wait_for("# Name it demo-sa", WAIT);
        tmux.edit_line(4, " demo-sa");
        tmux.keys(&["Enter"]);
        tmux.type_text("namspace: nowhere");
        tmux.keys(&["C-s"]);
        let start = Instant::now();
        loop {
            let screen = tmux.screen();
            if words(&screen).contains(MESSAGE) {
                break;
            }
            assert!(
                start.elapsed() < WAIT,
                "{width}x{height} (presenter: {presenter}): {MESSAGE:?} is not whole:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        tmux.keys(&["C-c"]);
        tmux.wait_for("EXITED 0", WAIT);
        drop(tmux);
        let _ = std::fs::remove_dir_all(state);
    }
}
