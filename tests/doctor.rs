//! `kubetutor doctor` on the lab (all fine, exit 0), with no cluster at all
//! (the kubeconfig line blocks and says how to start the lab, exit 1), and as
//! a namespace-scoped attendee (it names what that user may not read).

mod common;

use std::path::Path;
use std::process::Command;

use common::{KUBETUTOR, lab};

/// `kubetutor doctor ARGS` with these variables: (exit code, stdout).
fn doctor(args: &[&str], home: &Path, env: &[(&str, &Path)]) -> (i32, String) {
    let mut command = Command::new(KUBETUTOR);
    command
        .arg("doctor")
        .args(args)
        .current_dir(home)
        .env_remove("KUBECONFIG")
        .env("HOME", home)
        .env_remove("XDG_CACHE_HOME");
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), text)
}

/// The report's line for `topic` (and its "→" line when there is one).
fn line<'a>(report: &'a str, topic: &str) -> &'a str {
    report
        .lines()
        .find(|l| {
            l.get(6..)
                .is_some_and(|rest| rest.starts_with(&format!("{topic:<11} ")))
        })
        .unwrap_or_else(|| panic!("no {topic} line in:\n{report}"))
}

#[test]
fn on_the_lab_everything_is_fine() {
    let lab = lab();
    let home = common::temp_dir("doctor-lab");
    let (code, report) = doctor(
        &["-n", "default"],
        &home,
        &[
            ("KUBECONFIG", &lab.paths.kubeconfig()),
            ("KUBETUTOR_LAB_DIR", lab.paths.root()),
        ],
    );
    assert_eq!(code, 0, "{report}");
    assert!(!report.contains("BLOCK"), "{report}");
    for topic in [
        "go",
        "lab",
        "kubeconfig",
        "reach",
        "read",
        "create",
        "terminal",
    ] {
        assert!(
            line(&report, topic).starts_with("ok "),
            "{topic}:\n{report}"
        );
    }
    assert!(
        line(&report, "lab").contains("all 5 components serve"),
        "{report}"
    );
    assert!(
        line(&report, "reach").contains("Kubernetes v1."),
        "{report}"
    );
    assert!(
        line(&report, "kubeconfig").contains(&lab.paths.kubeconfig().display().to_string()),
        "{report}"
    );
    std::fs::remove_dir_all(&home).unwrap();
}

#[test]
fn with_no_cluster_the_kubeconfig_blocks_and_says_what_to_do() {
    let home = common::temp_dir("doctor-none");
    let (code, report) = doctor(&[], &home, &[("KUBETUTOR_LAB_DIR", &home.join("lab"))]);
    assert_eq!(code, 1, "{report}");
    assert!(line(&report, "kubeconfig").starts_with("BLOCK"), "{report}");
    assert!(
        report.contains("→ start the local lab with `kubetutor lab up`"),
        "{report}"
    );
    assert!(
        line(&report, "lab").starts_with("warn") && line(&report, "lab").contains("not running")
    );
    assert!(
        report.lines().last().unwrap().contains("something blocks"),
        "{report}"
    );
    std::fs::remove_dir_all(&home).unwrap();
}

#[tokio::test]
async fn a_namespace_scoped_user_is_told_what_it_may_not_read() {
    let (ns, kubeconfig, home) = common::attendee("doctor", "doctor").await;
    let (code, report) = tokio::task::spawn_blocking(move || {
        let result = doctor(
            &[],
            &home,
            &[
                ("KUBECONFIG", &kubeconfig),
                ("KUBETUTOR_LAB_DIR", lab().paths.root()),
            ],
        );
        std::fs::remove_dir_all(&home).unwrap();
        result
    })
    .await
    .unwrap();
    // Limited, not blocked: the lesson runs with `?` on what it cannot see.
    assert_eq!(code, 0, "{report}");
    let read = line(&report, "read");
    assert!(read.starts_with("warn"), "{report}");
    for hidden in [
        "ClusterRoles",
        "ClusterRoleBindings",
        "Service kubernetes in default",
    ] {
        assert!(read.contains(hidden), "{hidden} not named:\n{report}");
    }
    assert!(
        !read.contains(&format!("in {}", ns.name)),
        "their own namespace is readable:\n{report}"
    );
    assert!(report.contains("kubetutor class create"), "{report}");
    assert!(
        line(&report, "lesson").contains(&format!("namespace {}", ns.name)),
        "{report}"
    );
    assert!(line(&report, "create").starts_with("ok "), "{report}");
    assert!(
        line(&report, "access").contains("LocalSubjectAccessReview"),
        "{report}"
    );
}
