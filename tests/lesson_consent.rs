//! A lesson that reaches beyond its namespace asks before it acts, on the
//! lab: the tutor shows what it declares and creates (a ClusterRole its step
//! setup makes) before anything is applied; a no creates nothing (checked
//! with the API), a yes creates it and is remembered for that version of
//! the lesson; the headless commands refuse until the lesson is accepted
//! and say how; `lessons --show-rights` prints each lesson's declarations.
//! The pty test must run alone: `-- --test-threads=1`.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::lab;
use common::tmux::Tmux;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::ClusterRole;
use kube::Api;

const WAIT: Duration = Duration::from_secs(60);

const LESSON: &str = "id: cluster-reader
title: A ClusterRole made for you
rights:
  - clusterRoles: {reads: [pods]}
    why: \"step 1's setup makes a ClusterRole that reads Pods\"
owns:
  - {kind: ClusterRole, name: \"${NAMESPACE}.pod-reader\"}
steps:
  - id: reader
    title: Look at the ClusterRole
    text: steps/reader.md
    setup: [setup/reader.yaml]
    checks:
      - exists: {kind: ClusterRole, name: \"${NAMESPACE}.pod-reader\"}
";

const SETUP: &str = "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ${NAMESPACE}.pod-reader
rules:
  - {apiGroups: [\"\"], resources: [pods], verbs: [get, list, watch]}
";

/// A lessons folder holding `cluster-reader` only.
fn lessons_root() -> PathBuf {
    let root = common::temp_dir("consent-lessons");
    let dir = root.join("cluster-reader");
    std::fs::create_dir_all(dir.join("steps")).unwrap();
    std::fs::create_dir_all(dir.join("setup")).unwrap();
    std::fs::write(dir.join("lesson.yaml"), LESSON).unwrap();
    std::fs::write(dir.join("steps/reader.md"), "# The reader\n\nRead it.\n").unwrap();
    std::fs::write(dir.join("setup/reader.yaml"), SETUP).unwrap();
    root
}

fn namespace_name() -> String {
    format!("kt-consent-{:08x}", rand::random::<u32>())
}

/// The TUI on the lab, in `namespace`, with the lessons of `root`.
fn tutor(state: &Path, root: &Path, namespace: &str) -> Tmux {
    let command = format!(
        "XDG_STATE_HOME={state} KUBECONFIG={kubeconfig} {bin} --lessons-dir {root} \
         --lesson cluster-reader -n {namespace}; echo \"EXITED $? END\"; sleep 60",
        state = state.display(),
        kubeconfig = lab().paths.kubeconfig().display(),
        bin = common::KUBETUTOR,
        root = root.display(),
    );
    Tmux::start(&command, 140, 45)
}

async fn cluster_role_exists(namespace: &str) -> bool {
    let roles: Api<ClusterRole> = Api::all(lab().client().await);
    roles
        .get_opt(&format!("{namespace}.pod-reader"))
        .await
        .unwrap()
        .is_some()
}

async fn namespace_exists(namespace: &str) -> bool {
    let namespaces: Api<Namespace> = Api::all(lab().client().await);
    namespaces.get_opt(namespace).await.unwrap().is_some()
}

/// The lesson's ClusterRole and namespace, whichever the test made.
fn delete_what_the_lesson_made(namespace: &str) {
    let role = format!("{namespace}.pod-reader");
    let _ = lab().kubectl(
        &["delete", "clusterrole", &role, "--ignore-not-found"],
        None,
    );
    let _ = lab().kubectl(
        &[
            "delete",
            "namespace",
            namespace,
            "--wait=false",
            "--ignore-not-found",
        ],
        None,
    );
}

fn quit(tmux: &Tmux) {
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0 END", WAIT);
}

#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
#[tokio::test]
async fn the_tutor_asks_before_a_lesson_reaching_beyond_its_namespace_acts() {
    let _pty = common::pty_lock();
    let root = lessons_root();
    let state = common::temp_dir("consent-state");
    let namespace = namespace_name();

    // Asked first, with the object the step's setup would create; a no
    // creates nothing, not even the namespace.
    let tmux = tutor(&state, &root, &namespace);
    let screen = tmux.wait_for("Before this lesson acts", WAIT);
    assert!(
        screen
            .replace('\n', "")
            .contains(&format!("ClusterRole {namespace}.pod-reader")),
        "the dialog lists the object:\n{screen}"
    );
    assert!(screen.contains("create ClusterRoles"), "{screen}");
    // The engine waits for the answer: nothing was created meanwhile.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!cluster_role_exists(&namespace).await);
    tmux.keys(&["n"]);
    let screen = tmux.wait_for("nothing was created on the cluster", WAIT);
    assert!(screen.contains("you declined"), "{screen}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !cluster_role_exists(&namespace).await,
        "declined: no ClusterRole"
    );
    assert!(
        !namespace_exists(&namespace).await,
        "declined: no namespace"
    );
    quit(&tmux);
    drop(tmux);

    // A no is not remembered: asked again; a yes creates the ClusterRole.
    let tmux = tutor(&state, &root, &namespace);
    tmux.wait_for("Before this lesson acts", WAIT);
    tmux.keys(&["y"]);
    let start = Instant::now();
    while !cluster_role_exists(&namespace).await {
        assert!(
            start.elapsed() < WAIT,
            "accepted: the ClusterRole is created:\n{}",
            tmux.screen()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    quit(&tmux);
    drop(tmux);

    // Reopened: the yes was remembered for this version; not asked again.
    let tmux = tutor(&state, &root, &namespace);
    let screen = tmux.wait_for("Look at the ClusterRole", WAIT);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let screen = format!("{screen}{}", tmux.screen());
    assert!(
        !screen.contains("Before this lesson acts"),
        "asked again:\n{screen}"
    );
    quit(&tmux);
    drop(tmux);

    // An edit makes a new version, which is asked about again.
    let lesson_file = root.join("cluster-reader/lesson.yaml");
    std::fs::write(&lesson_file, format!("{LESSON}# edited\n")).unwrap();
    let tmux = tutor(&state, &root, &namespace);
    tmux.wait_for("Before this lesson acts", WAIT);
    tmux.keys(&["Escape"]);
    quit(&tmux);
    drop(tmux);

    delete_what_the_lesson_made(&namespace);
    let _ = std::fs::remove_dir_all(root);
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
async fn headless_commands_refuse_until_the_lesson_is_accepted() {
    let root = lessons_root();
    let state = common::temp_dir("consent-headless");
    let namespace = namespace_name();
    let root_arg = root.to_str().unwrap();
    let lesson = ["--lessons-dir", root_arg, "--lesson", "cluster-reader"];
    let with = |command: &str, extra: &[&str]| -> Vec<String> {
        [command]
            .iter()
            .chain(&lesson)
            .chain(&["-n", namespace.as_str()])
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };
    for command in ["verify", "solve", "reset"] {
        let args = with(command, &["--yes"][..usize::from(command == "reset")]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, said) = common::run_on_lab(&args, &state);
        assert!(!ok, "{command} ran:\n{said}");
        assert!(
            said.contains("--accept-rights")
                && said.contains(&format!("ClusterRole {namespace}.pod-reader")),
            "{command} says what the lesson declares and how to accept it:\n{said}"
        );
    }
    assert!(!cluster_role_exists(&namespace).await);
    assert!(!namespace_exists(&namespace).await);

    // `class create` refuses the same, before it touches the cluster.
    let out_dir = common::temp_dir("consent-class");
    let (ok, said) = common::run_on_lab(
        &[
            "class",
            "create",
            "kt-consent",
            "--attendees",
            "1",
            "--lessons-dir",
            root_arg,
            "--lesson",
            "cluster-reader",
            "--out",
            out_dir.join("files").to_str().unwrap(),
        ],
        &state,
    );
    assert!(!ok && said.contains("--accept-rights"), "{said}");
    assert!(!namespace_exists("kt-consent-01").await);

    // Accepted once with the flag (and said), then remembered.
    let args = with("verify", &["--accept-rights"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, said) = common::run_on_lab(&args, &state);
    assert!(said.contains("accepted (--accept-rights)"), "{said}");
    let args = with("verify", &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, said) = common::run_on_lab(&args, &state);
    assert!(
        !said.contains("--accept-rights") && said.contains("A ClusterRole made for you"),
        "remembered:\n{said}"
    );

    delete_what_the_lesson_made(&namespace);
    let _ = std::fs::remove_dir_all(root);
    let _ = std::fs::remove_dir_all(state);
    let _ = std::fs::remove_dir_all(out_dir);
}

/// `class status` evaluates every attendee's lesson with the instructor's
/// credentials, and the lesson id comes from the cluster: it runs only a
/// version accepted on this machine (by `class create --accept-rights`), and
/// on another machine (another state folder) it refuses and says how.
#[tokio::test]
async fn class_status_evaluates_only_a_lesson_accepted_on_this_machine() {
    let root = lessons_root();
    let accepted_state = common::temp_dir("consent-class-accepted");
    let other_state = common::temp_dir("consent-class-other");
    let out_dir = common::temp_dir("consent-class-files");
    let class = format!("ktcs{:06x}", rand::random::<u32>() & 0xff_ffff);
    let root_arg = root.to_str().unwrap();
    let (ok, said) = common::run_on_lab(
        &[
            "class",
            "create",
            &class,
            "--attendees",
            "1",
            "--lessons-dir",
            root_arg,
            "--lesson",
            "cluster-reader",
            "--accept-rights",
            "--allow-risky-rights",
            "--out",
            out_dir.join("files").to_str().unwrap(),
        ],
        &accepted_state,
    );
    assert!(ok, "class create with --accept-rights:\n{said}");

    let status = |state: &Path| {
        common::run_on_lab(
            &["class", "status", &class, "--lessons-dir", root_arg],
            state,
        )
    };
    let (ok, said) = status(&other_state);
    assert!(
        !ok && said.contains("--accept-rights") && said.contains("A ClusterRole made for you"),
        "not accepted here: refused, saying what the lesson declares and how to accept it:\n{said}"
    );
    let (ok, said) = status(&accepted_state);
    assert!(ok, "accepted on this machine: status runs:\n{said}");

    let (ok, said) = common::run_on_lab(&["class", "delete", &class], &accepted_state);
    assert!(ok, "{said}");
    delete_what_the_lesson_made(&format!("{class}-01"));
    for dir in [root, accepted_state, other_state, out_dir] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn show_rights_prints_each_lessons_declarations_and_whether_it_is_accepted() {
    let root = lessons_root();
    let state = common::temp_dir("consent-show");
    let show = || {
        let out = common::kubetutor(
            &[
                "lessons",
                "--lessons-dir",
                root.to_str().unwrap(),
                "--show-rights",
            ],
            &[("XDG_STATE_HOME", state.to_str().unwrap())],
        );
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let shown = show();
    for expected in [
        "cluster-reader — A ClusterRole made for you",
        "not accepted yet",
        "create ClusterRoles and ClusterRoleBindings named cluster-reader.…",
        "step 1's setup makes a ClusterRole that reads Pods",
        "when step 1 (reader) opens: ClusterRole cluster-reader.pod-reader (cluster-scoped",
    ] {
        assert!(shown.contains(expected), "{expected:?} missing:\n{shown}");
    }

    // The shipped lessons: reviewed, their declarations shown all the same.
    let out = common::kubetutor(
        &["lessons", "--show-rights"],
        &[("XDG_STATE_HOME", state.to_str().unwrap())],
    );
    let shipped = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    let quota = shipped
        .split("\n\n")
        .find(|block| block.starts_with("quota-limitrange"))
        .unwrap_or_else(|| panic!("quota-limitrange missing:\n{shipped}"));
    assert!(
        quota.contains("shipped with kubetutor (reviewed)") && quota.contains("LimitRanges"),
        "{quota}"
    );
    let _ = std::fs::remove_dir_all(root);
    let _ = std::fs::remove_dir_all(state);
}
