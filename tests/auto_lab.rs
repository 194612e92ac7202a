//! `kubetutor` with no kubeconfig at all and no `--lab`: when the local lab
//! runs, it is used, and the tutor says so (a printed line, the status bar);
//! a kubeconfig the user names always wins.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::tmux::Tmux;
use common::{TestNamespace, lab};

const USING_LAB: &str = "using the local lab";

/// kubetutor with HOME in `home` (no ~/.kube/config) and no $KUBECONFIG.
fn without_kubeconfig(args: &[&str], home: &Path, lab_dir: &Path) -> Output {
    Command::new(common::KUBETUTOR)
        .args(args)
        .current_dir(home)
        .env_remove("KUBECONFIG")
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("KUBETUTOR_LAB_DIR", lab_dir)
        .output()
        .unwrap()
}

#[test]
fn with_no_kubeconfig_a_running_lab_is_used_and_said_so() {
    let lab = lab();
    let home = common::temp_dir("nokube");
    let out = without_kubeconfig(&["verify", "-n", "default"], &home, lab.paths.root());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stderr.contains(USING_LAB)
            && stderr.contains(&lab.paths.kubeconfig().display().to_string()),
        "{stderr}"
    );
    assert!(stdout.contains("— namespace default"), "{stdout}{stderr}");
    std::fs::remove_dir_all(&home).unwrap();
}

#[test]
fn with_no_kubeconfig_and_no_lab_running_the_error_says_how_to_start_it() {
    let home = common::temp_dir("nolab");
    let stopped_lab = home.join("lab");
    let out = without_kubeconfig(&["verify"], &home, &stopped_lab);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(!stderr.contains(USING_LAB), "{stderr}");
    assert!(stderr.contains("kubetutor lab up"), "{stderr}");
    std::fs::remove_dir_all(&home).unwrap();
}

#[test]
fn a_kubeconfig_the_user_names_wins_over_the_running_lab() {
    let lab = lab();
    let home = common::temp_dir("named");
    let out = Command::new(common::KUBETUTOR)
        .args(["verify", "-n", "default"])
        .current_dir(&home)
        .env("KUBECONFIG", lab.paths.kubeconfig())
        .env("HOME", &home)
        .env("XDG_STATE_HOME", home.join("state"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(USING_LAB), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("— namespace default"));
    std::fs::remove_dir_all(&home).unwrap();
}

#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn the_tui_with_no_kubeconfig_names_the_lab_in_its_status_bar() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "autolab").await;
    let home = common::temp_dir("tui-nokube");
    let command = format!(
        "cd {home} && env -u KUBECONFIG HOME={home} XDG_STATE_HOME={home}/state \
         KUBETUTOR_LAB_DIR={lab} {bin} -n {ns}; echo EXITED $?; sleep 60",
        home = home.display(),
        lab = lab().paths.root().display(),
        bin = common::KUBETUTOR,
        ns = ns.name,
    );
    let tmux = Tmux::start(&command, 140, 34);
    let screen = tmux.wait_for("connected", Duration::from_secs(15));
    assert!(
        screen.contains("kubetutor-lab (the local lab: you have no kubeconfig)"),
        "{screen}"
    );
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("EXITED 0", Duration::from_secs(15));
    assert!(
        screen.contains(USING_LAB),
        "the printed line stays:\n{screen}"
    );
    let _ = std::fs::remove_dir_all(home);
}
