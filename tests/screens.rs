//! The README's pictures, recorded from real sessions of the TUI on the lab:
//! a learner on the RoleBinding step after a typo, presenter mode on the same
//! step, and the reset dialog. Regenerate them (the lab must be up) with
//!
//!     cargo test --test screens -- --ignored
//!
//! They are written to assets/screens/*.svg. The SVG drawing itself is
//! tested without the lab.

mod common;
#[path = "screens/svg.rs"]
mod svg;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::lab;
use common::tmux::{Tmux, tui_command};

const WAIT: Duration = Duration::from_secs(20);
/// A namespace name that reads well in a picture.
const NAMESPACE: &str = "workshop";

fn out_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/screens")
}

fn save(tmux: &Tmux, name: &str, cols: usize, rows: usize, title: &str) {
    // Let the last frame settle (the cluster pane is rebuilt at most 5×/s).
    std::thread::sleep(Duration::from_millis(600));
    let picture = svg::render(&tmux.screen_with_colours(), cols, rows, title);
    std::fs::write(out_dir().join(format!("{name}.svg")), picture).unwrap();
}

#[test]
#[ignore = "records the README's pictures: cargo test --test screens -- --ignored"]
fn record_the_readme_screens() {
    let _one_at_a_time = common::pty_lock();
    let kubeconfig = lab().paths.kubeconfig();
    let _ = lab().kubectl(&["delete", "namespace", NAMESPACE, "--wait=true"], None);
    let out = lab().kubectl(&["create", "namespace", NAMESPACE], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state = common::temp_dir("screens");
    // The learner has done steps 1–8; a default ServiceAccount comes first.
    while !lab()
        .kubectl(&["get", "serviceaccount", "default", "-n", NAMESPACE], None)
        .status
        .success()
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let (ok, text) = common::run_on_lab(&["solve", "-n", NAMESPACE, "--through", "role"], &state);
    assert!(ok, "{text}");
    common::learner_did_steps(&state, NAMESPACE, 8);
    std::fs::create_dir_all(out_dir()).unwrap();

    // The learner: the binding typed with a typo, applied, and explained.
    let tmux = Tmux::start(&tui_command(&state, &kubeconfig, NAMESPACE, ""), 120, 36);
    tmux.wait_for("9. Bind the Role", WAIT);
    tmux.wait_for("connected", WAIT);
    tmux.edit_line(8, " list-pod");
    tmux.edit_line(12, " demo-sa");
    tmux.keys(&["C-s"]);
    tmux.wait_for("does not exist", WAIT);
    save(
        &tmux,
        "learner",
        120,
        36,
        "kubetutor: a learner on the RoleBinding step",
    );

    // Reset, as the menu shows it before anything is deleted.
    // Step 9 offers: the solution, solve, presenter mode, reset the lab.
    tmux.keys(&["F10", "Down", "Down", "Down", "Enter"]);
    tmux.wait_for("will be deleted", WAIT);
    save(
        &tmux,
        "reset",
        120,
        36,
        "kubetutor: resetting the lab from the menu",
    );
    tmux.keys(&["Escape", "C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    drop(tmux);

    // Presenter mode on the same step, as a room sees it.
    let presenter =
        tui_command(&state, &kubeconfig, NAMESPACE, "").replace(" -n ", " --presenter -n ");
    let tmux = Tmux::start(&presenter, 100, 30);
    tmux.wait_for("connected", WAIT);
    tmux.wait_for("Bind the Role to demo-sa", WAIT);
    save(
        &tmux,
        "presenter",
        100,
        30,
        "kubetutor in presenter mode at 100×30",
    );
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    drop(tmux);

    let _ = lab().kubectl(&["delete", "namespace", NAMESPACE, "--wait=false"], None);
    let _ = std::fs::remove_dir_all(state);
}
