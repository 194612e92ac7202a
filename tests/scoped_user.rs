//! A workshop attendee whose kubeconfig reaches only their own namespace (a
//! ServiceAccount bound to `admin` there): every command works, nothing
//! hangs, and what cannot be seen is named rather than failed.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{KUBETUTOR, lab};

/// `verify` must answer within this, whatever the user's rights.
const VERIFY_LIMIT: Duration = Duration::from_secs(10);

/// Runs kubetutor as the attendee; kills it (and fails) past `limit`.
fn run_as(kubeconfig: &Path, state: &Path, args: &[&str], limit: Duration) -> (i32, String) {
    let mut child = Command::new(KUBETUTOR)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("XDG_STATE_HOME", state)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("kubetutor {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    (status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn a_namespace_admin_verifies_solves_calls_and_resets_with_what_it_cannot_see_named() {
    let (ns, kubeconfig, state) = common::attendee("scoped", "scoped").await;
    let n = ns.name.as_str();

    let (code, out) = run_as(&kubeconfig, &state, &["verify", "-n", n], VERIFY_LIMIT);
    assert_eq!(code, 1, "steps are still to do:\n{out}");
    assert!(
        out.contains(
            "connected · limited view: ClusterRoles, ClusterRoleBindings, Service kubernetes in default"
        ),
        "what the attendee may not see is named:\n{out}"
    );
    assert!(
        out.contains("?  1. The API server behind the kubernetes Service")
            && out.contains("you may not get, list or watch Service kubernetes in default"),
        "the step it cannot decide says why:\n{out}"
    );
    assert!(
        out.contains("✓  2. Every namespace has a default ServiceAccount"),
        "{out}"
    );
    assert!(
        out.contains("✓  3. A token for the default ServiceAccount"),
        "{out}"
    );
    assert!(
        out.contains("✗  7. Create the demo-sa ServiceAccount"),
        "{out}"
    );

    let (code, out) = run_as(
        &kubeconfig,
        &state,
        &["solve", "-n", n],
        Duration::from_secs(60),
    );
    assert_eq!(code, 0, "solve works for a namespace admin:\n{out}");
    assert!(
        out.contains("The API server says ServiceAccount demo-sa may list pods"),
        "the access review is asked in the namespace (LocalSubjectAccessReview):\n{out}"
    );

    let (code, out) = run_as(&kubeconfig, &state, &["verify", "-n", n], VERIFY_LIMIT);
    assert_eq!(code, 3, "nothing fails, one step cannot be checked:\n{out}");
    assert!(
        out.contains("11 of 12 steps pass, 0 fail, 1 cannot be checked"),
        "{out}"
    );

    let path = format!("/api/v1/namespaces/{n}/pods");
    let (code, out) = run_as(
        &kubeconfig,
        &state,
        &["call", "--as", "pod:pod-demo-sa", "-n", n, "GET", &path],
        VERIFY_LIMIT,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("200 OK") && out.contains("PodList"), "{out}");
    assert!(
        !out.contains("exec into Pod"),
        "a kwok Pod is known to run no container, without reading its Node:\n{out}"
    );

    let (code, out) = run_as(
        &kubeconfig,
        &state,
        &["token", "demo-sa", "-n", n],
        VERIFY_LIMIT,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("system:serviceaccount:{n}:demo-sa")),
        "{out}"
    );

    let (code, out) = run_as(
        &kubeconfig,
        &state,
        &["reset", "-n", n, "--yes"],
        Duration::from_secs(60),
    );
    assert_eq!(code, 0, "{out}");
    let (_, out) = run_as(&kubeconfig, &state, &["verify", "-n", n], VERIFY_LIMIT);
    assert!(
        out.contains("✗  7. Create the demo-sa ServiceAccount"),
        "reset took demo-sa:\n{out}"
    );
    // The attendee's own account and binding are not the lesson's: still there.
    let accounts = lab().kubectl(&["get", "sa,rolebinding", "-n", n, "-o", "name"], None);
    let names = String::from_utf8_lossy(&accounts.stdout);
    assert!(
        names.contains("serviceaccount/attendee")
            && names.contains("rolebinding.rbac.authorization.k8s.io/attendee-admin"),
        "{names}"
    );
    let _ = std::fs::remove_dir_all(state);
}
