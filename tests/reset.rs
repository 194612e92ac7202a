//! `kubetutor reset` deletes exactly what the lesson made: after a full lesson
//! and a reset the namespace holds what it held before; a step reset goes back
//! to that step; an object held by a finalizer is named, never skipped.

mod common;

use std::collections::BTreeSet;
use std::time::Instant;

use common::{TestNamespace, lab};

const KINDS: &str = "serviceaccounts,pods,roles,rolebindings,configmaps,services,secrets";

fn inventory(namespace: &str) -> BTreeSet<String> {
    let out = lab().kubectl(&["get", KINDS, "-n", namespace, "-o", "name"], None);
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn a_full_reset_leaves_the_namespace_as_it_was() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "reset").await;
    let n = ns.name.as_str();
    let state = common::temp_dir("reset");
    // Someone else's objects, some with names like the lesson's kinds.
    lab().apply(
        n,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unrelated\ndata:\n  a: b\n",
    );
    lab().apply(
        n,
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: someone-else\n",
    );
    lab().apply(n, &common::seed::pod("bystander", None));
    let before = inventory(n);

    let (ok, out) = common::run_on_lab(&["solve", "-n", n], &state);
    assert!(ok, "{out}");
    assert_ne!(inventory(n), before);

    let started = Instant::now();
    let (ok, out) = common::run_on_lab(&["reset", "-n", n, "--yes"], &state);
    eprintln!(
        "reset of the whole lesson took {:.2} s",
        started.elapsed().as_secs_f64()
    );
    assert!(ok, "{out}");
    assert!(out.contains("These 5 objects will be deleted"), "{out}");
    assert!(out.contains("5/5"), "progress is shown:\n{out}");
    assert!(
        !out.contains("bystander") && !out.contains("someone-else") && !out.contains("unrelated"),
        "{out}"
    );
    assert_eq!(inventory(n), before, "exactly what was there before");

    let (ok, out) = common::run_on_lab(&["verify", "-n", n], &state);
    assert!(!ok);
    assert!(
        out.contains("current step: 4. A Pod that uses the default ServiceAccount"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
async fn a_step_reset_goes_back_to_that_step() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "stepreset").await;
    let n = ns.name.as_str();
    let state = common::temp_dir("reset");
    let (ok, out) = common::run_on_lab(&["solve", "-n", n], &state);
    assert!(ok, "{out}");

    let (ok, out) = common::run_on_lab(&["reset", "-n", n, "--step", "role", "--yes"], &state);
    assert!(ok, "{out}");
    let left = inventory(n);
    for gone in [
        "role.rbac.authorization.k8s.io/list-pods",
        "rolebinding.rbac.authorization.k8s.io/list-pods_demo-sa",
        "pod/pod-demo-sa",
    ] {
        assert!(!left.contains(gone), "{gone} must be gone: {left:?}");
    }
    for kept in [
        "serviceaccount/demo-sa",
        "pod/pod-default",
        "serviceaccount/default",
    ] {
        assert!(
            left.contains(kept),
            "{kept} belongs to earlier steps: {left:?}"
        );
    }
    let (_, out) = common::run_on_lab(&["verify", "-n", n], &state);
    assert!(
        out.contains("current step: 8. A Role that may list Pods"),
        "{out}"
    );

    // The saved progress is back at that step, later steps locked again.
    // The progress file itself, not the .bak of the save before it.
    let files: Vec<_> = std::fs::read_dir(state.join("kubetutor/progress"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(files[0].path()).unwrap()).unwrap();
    assert_eq!(
        (saved["current"].as_u64(), saved["unlocked"].as_u64()),
        (Some(7), Some(7))
    );
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
async fn an_object_held_by_a_finalizer_is_named() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "finalizer").await;
    let n = ns.name.as_str();
    let state = common::temp_dir("reset");
    lab().apply(
        n,
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: held-sa\n  labels: {kubetutor.dev/lesson: serviceaccount-rbac}\n  finalizers: [kubetutor.dev/test-hold]\n",
    );
    let (ok, out) = common::run_on_lab(&["reset", "-n", n, "--yes", "--timeout", "4"], &state);
    assert!(!ok, "the reset is not complete:\n{out}");
    assert!(
        out.contains("ServiceAccount held-sa is held by finalizers kubetutor.dev/test-hold"),
        "{out}"
    );
    assert!(out.contains("Progress was not reset"), "{out}");
    let patch = lab().kubectl(
        &[
            "patch",
            "serviceaccount",
            "held-sa",
            "-n",
            n,
            "--type=merge",
            "-p",
            r#"{"metadata":{"finalizers":null}}"#,
        ],
        None,
    );
    assert!(patch.status.success());
    let _ = std::fs::remove_dir_all(state);
}

/// `owns:` names demo-sa; one the learner made with kubectl in a namespace
/// the lesson shares carries no kubetutor label: the reset lists it as kept
/// and leaves it, while what kubetutor applied goes.
#[tokio::test]
async fn an_owned_name_kubetutor_did_not_make_is_kept_and_said() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "kept").await;
    let n = ns.name.as_str();
    let state = common::temp_dir("reset");
    lab().apply(
        n,
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: demo-sa\n",
    );
    lab().apply(
        n,
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: list-pods\n  labels: {kubetutor.dev/lesson: serviceaccount-rbac}\nrules: []\n",
    );
    let (ok, out) = common::run_on_lab(&["reset", "-n", n, "--yes"], &state);
    assert!(ok, "{out}");
    assert!(
        out.contains("ServiceAccount demo-sa: not made by kubetutor: kept"),
        "{out}"
    );
    assert!(out.contains("Role list-pods"), "{out}");
    let left = inventory(n);
    assert!(left.contains("serviceaccount/demo-sa"), "{left:?}");
    assert!(
        !left.contains("role.rbac.authorization.k8s.io/list-pods"),
        "{left:?}"
    );
    let _ = std::fs::remove_dir_all(state);
}
