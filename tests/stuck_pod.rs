//! A Pod that does not run says why, on the lab: the scheduler's reason (a
//! nodeSelector no node matches) reaches the step's check, with what to do,
//! instead of "waiting for Running" for ever.

mod common;

use std::time::Duration;

use common::{TestNamespace, lab, run_on_lab, seed, temp_dir};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::runtime::wait::await_condition;

#[tokio::test]
async fn a_pod_the_scheduler_cannot_place_says_why_in_its_check() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "stuck").await;
    // pod-default as step 4 of the first lesson asks, but pinned to a node
    // label no node has: the scheduler says so in the Pod's status.
    let pod = seed::pod("pod-default", None).replace(
        "spec:\n",
        "spec:\n  nodeSelector:\n    kubetutor.dev/no-such-node: \"true\"\n",
    );
    lab().apply(&ns.name, &pod);
    let pods: Api<Pod> = Api::namespaced(client, &ns.name);
    let unschedulable = await_condition(pods, "pod-default", |pod: Option<&Pod>| {
        pod.and_then(|p| p.status.as_ref())
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| {
                c.iter()
                    .any(|c| c.type_ == "PodScheduled" && c.status == "False")
            })
    });
    tokio::time::timeout(Duration::from_secs(30), unschedulable)
        .await
        .expect("the scheduler marks pod-default unschedulable within 30 s")
        .unwrap();

    let state = temp_dir("stuck");
    let (_, out) = run_on_lab(
        &["verify", "--lesson", "serviceaccount-rbac", "-n", &ns.name],
        &state,
    );
    let step = out
        .lines()
        .skip_while(|l| !l.contains("(pod-default)"))
        .take(3)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(step.contains("the scheduler cannot place it"), "{out}");
    assert!(
        step.contains("didn't match Pod's node affinity/selector"),
        "{out}"
    );
    assert!(step.contains("fix them, or label a node"), "{out}");
    let _ = std::fs::remove_dir_all(state);
}
