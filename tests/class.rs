//! A class on the shared lab: attendee namespaces and kubeconfigs that reach
//! only their own namespace (plus what the lesson needs to read), status for
//! scripts, the live board, and a delete that leaves no trace.

mod common;
#[path = "class/publisher.rs"]
mod publisher;
#[path = "class/room.rs"]
mod room;
#[path = "class/safety.rs"]
mod safety;
#[path = "class/support.rs"]
mod support;
#[path = "class/tutor.rs"]
mod tutor;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use common::tmux::Tmux;
use common::{KUBETUTOR, kubetutor, lab};
use support::{kubectl_with_stdin, may, token_times};

const WAIT: Duration = Duration::from_secs(20);

fn class_name(prefix: &str) -> String {
    format!("{prefix}{:06x}", rand::random::<u32>() & 0xff_ffff)
}

fn admin(args: &[&str]) -> (bool, String) {
    let kubeconfig = lab().paths.kubeconfig();
    let out = kubetutor(args, &[("KUBECONFIG", kubeconfig.to_str().unwrap())]);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn as_attendee(kubeconfig: &Path, args: &[&str]) -> (bool, String) {
    let state = common::temp_dir("attendee");
    let out = kubetutor(
        args,
        &[
            ("KUBECONFIG", kubeconfig.to_str().unwrap()),
            ("XDG_STATE_HOME", state.to_str().unwrap()),
        ],
    );
    let _ = std::fs::remove_dir_all(state);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The lab's kubectl with an attendee's kubeconfig: (success, output).
fn kubectl_as(kubeconfig: &Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(lab().bin_dir.join("kubectl"))
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test]
async fn a_class_gets_its_namespaces_and_kubeconfigs_each_reaching_only_its_own() {
    let class = class_name("cls");
    let out = common::temp_dir("class").join("files");
    let (ok, text) = admin(&[
        "class",
        "create",
        &class,
        "--attendees",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    assert!(
        text.contains("read Service kubernetes in default — step 1 checks the kubernetes Service"),
        "what is granted outside the namespace, and why, is said:\n{text}"
    );
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let file = |n: usize| out.join(format!("attendee-{n:02}.kubeconfig"));
    for n in 1..=5 {
        assert_eq!(
            std::fs::metadata(file(n)).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let (iat, exp, first_token) = token_times(&file(1));
    assert!(
        (exp - iat - 8 * 3600).abs() <= 60,
        "an 8 h token: {}",
        exp - iat
    );

    // An attendee lands in the lesson, in their namespace, with nothing to name.
    let (_, verify) = as_attendee(&file(2), &["verify"]);
    assert!(
        verify.contains(&format!("namespace {class}-02")),
        "{verify}"
    );
    assert!(
        verify.contains("✓  1. The API server behind the kubernetes Service"),
        "the class's extra grant lets step 1 be checked:\n{verify}"
    );
    assert!(
        verify.contains("limited view: ClusterRoles, ClusterRoleBindings"),
        "{verify}"
    );

    // …and reaches nothing else.
    let other = format!("{class}-02");
    for args in [
        vec!["get", "pods", "-n", other.as_str()],
        vec!["get", "namespaces"],
        vec!["get", "nodes"],
        vec!["get", "secrets", "-n", "default"],
        vec!["get", "services", "-n", "default"],
        vec!["create", "configmap", "x", "-n", "default"],
    ] {
        let (ok, text) = kubectl_as(&file(1), &args);
        assert!(
            !ok && text.to_lowercase().contains("forbidden"),
            "kubectl {args:?} as attendee 01:\n{text}"
        );
    }
    let (ok, text) = kubectl_as(&file(1), &["get", "service", "kubernetes", "-n", "default"]);
    assert!(ok, "the one object the lesson needs outside: {text}");
    let (ok, text) = kubectl_as(&file(1), &["create", "configmap", "mine"]);
    assert!(ok, "admin in their own namespace: {text}");
    let client = lab().client().await;
    let user = format!("system:serviceaccount:{class}-01:attendee");
    assert!(
        may(
            &client,
            &user,
            "create",
            "pods",
            Some(&format!("{class}-01"))
        )
        .await
    );
    assert!(!may(&client, &user, "list", "pods", Some(&other)).await);
    assert!(!may(&client, &user, "delete", "namespaces", None).await);
    assert!(!may(&client, &user, "create", "clusterrolebindings", None).await);

    // Two attendees at different steps.
    let (ok, text) = as_attendee(&file(2), &["solve", "--through", "demo-sa"]);
    assert!(ok, "{text}");
    let (ok, text) = as_attendee(&file(3), &["solve"]);
    assert!(ok, "{text}");
    let (ok, json) = admin(&["class", "status", &class, "-o", "json"]);
    assert!(ok, "{json}");
    let status: serde_json::Value = serde_json::from_str(&json).unwrap();
    let attendees = status["attendees"].as_array().unwrap();
    assert_eq!(attendees.len(), 5);
    assert_eq!(attendees[1]["current"]["id"], "role", "{json}");
    assert_eq!(attendees[1]["cells"][6]["state"], "done");
    assert_eq!(attendees[1]["cells"][7]["state"], "failing");
    assert_eq!(attendees[1]["cells"][8]["state"], "not started");
    assert!(
        attendees[1]["cells"][7]["reason"]
            .as_str()
            .unwrap()
            .contains("allows list pods yet")
    );
    assert_eq!(attendees[2]["done"], 12);
    assert!(attendees[2]["current"].is_null());
    assert_eq!(attendees[0]["current"]["id"], "pod-default");
    let (ok, table) = admin(&["class", "status", &class]);
    assert!(
        ok && table.contains(&format!("attendee 03  {class}-03"))
            && table.contains("all steps done"),
        "{table}"
    );

    // Again with one more: the new one is added, every token renewed and
    // the old ones revoked.
    let old_file = out
        .parent()
        .unwrap()
        .join("attendee-01-before-renewal.kubeconfig");
    std::fs::copy(file(1), &old_file).unwrap();
    let (ok, text) = kubectl_as(&old_file, &["get", "configmap", "mine"]);
    assert!(ok, "the first file works before the renewal: {text}");
    let (ok, text) = admin(&[
        "class",
        "create",
        &class,
        "--attendees",
        "6",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok && text.contains("6 attendees (1 new)"), "{text}");
    assert!(
        text.contains("handed out before to 5 attendees")
            && text.contains(&format!("{class}-01"))
            && text.contains("no longer work"),
        "the instructor is told the old files are dead: {text}"
    );
    assert!(file(6).exists());
    assert_ne!(token_times(&file(1)).2, first_token, "tokens are renewed");
    let (ok, text) = kubectl_as(&old_file, &["get", "configmap", "mine"]);
    assert!(
        !ok && text.contains("Unauthorized"),
        "the file handed out before the renewal gets 401: {text}"
    );
    let (ok, text) = kubectl_as(&file(1), &["get", "configmap", "mine"]);
    assert!(ok, "the renewed file works: {text}");
    let (ok, text) = as_attendee(&file(6), &["verify"]);
    assert!(
        !ok && text.contains(&format!("namespace {class}-06")),
        "{text}"
    );

    // Delete: every namespace and grant, nothing else.
    lab().apply(
        "default",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-the-classes\n",
    );
    let (ok, text) = admin(&["class", "delete", &class]);
    assert!(ok, "{text}");
    let left = lab().kubectl(
        &[
            "get",
            "namespaces,roles,rolebindings",
            "-A",
            "-l",
            &format!("kubetutor.dev/class={class}"),
            "-o",
            "name",
        ],
        None,
    );
    assert_eq!(
        String::from_utf8_lossy(&left.stdout).trim(),
        "",
        "nothing of the class is left"
    );
    let kept = lab().kubectl(
        &["get", "configmap", "not-the-classes", "-n", "default"],
        None,
    );
    assert!(
        kept.status.success(),
        "delete touched nothing else: {}",
        String::from_utf8_lossy(&kept.stderr)
    );
    let (ok, text) = kubectl_as(&file(1), &["get", "pods"]);
    assert!(!ok, "the deleted attendee's token no longer works: {text}");
    let _ = lab().kubectl(
        &["delete", "configmap", "not-the-classes", "-n", "default"],
        None,
    );
    let _ = std::fs::remove_dir_all(out.parent().unwrap());
}

#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn an_attendees_apply_turns_their_cell_green_on_the_board() {
    let _one_at_a_time = common::pty_lock();
    let class = class_name("brd");
    let out = common::temp_dir("board").join("files");
    let (ok, text) = admin(&[
        "class",
        "create",
        &class,
        "--attendees",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    let attendee = out.join("attendee-02.kubeconfig");
    let (ok, text) = as_attendee(&attendee, &["solve", "--through", "role"]);
    assert!(ok, "{text}");

    let command = format!(
        "KUBECONFIG={} {KUBETUTOR} class board {class}; echo EXITED $?; sleep 60",
        lab().paths.kubeconfig().display()
    );
    let tmux = Tmux::start(&command, 160, 30);
    let row = format!("02 {class}-02");
    tmux.wait_for(&row, WAIT);
    tmux.wait_for("9. Bind the Role to demo-sa", WAIT);

    let binding = common::seed::role_binding_list_pods(&format!("{class}-02"));
    let (ok, text) = kubectl_with_stdin(&attendee, &binding);
    assert!(ok, "{text}");
    let start = std::time::Instant::now();
    loop {
        let screen = tmux.screen();
        let line = screen
            .lines()
            .find(|l| l.contains(&row))
            .unwrap_or_default()
            .to_string();
        if line.contains("10. A Pod that runs as demo-sa") {
            let marks: Vec<char> = line
                .chars()
                .filter(|c| matches!(c, '✓' | '✗' | '·'))
                .collect();
            assert_eq!(marks[8], '✓', "step 9 is green: {line}");
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "the cell did not turn green:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!tmux.screen().contains("eyJ"), "no token on the board");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0", WAIT);
    let (ok, text) = admin(&["class", "delete", &class]);
    assert!(ok, "{text}");
    let _ = std::fs::remove_dir_all(out.parent().unwrap());
}
