//! A LimitRange applied on its own applies to the very next Pod, whoever
//! creates it (issue 26's race, the case `lessons test` found as an
//! attendee: step 4's solution is the LimitRange alone, and step 5's answer
//! created a Pod 0.6 s later that was stored without the defaults, refused by
//! the namespace's quota).
//!
//! The race needs LimitRanger to remember "no LimitRange here": a Pod admitted
//! in the namespace before (here a dry run, as the learner's earlier Pods or
//! our own dry runs do) leaves that in its memory for 30 s, and a Pod created
//! before its informer sees the new LimitRange is stored without the defaults.
//! Without the wait after a LimitRange applied last, 6 of 200 runs here lost
//! the defaults on the quiet lab (2026-12-06); with it, 0 of 200.

mod common;

use common::{TestNamespace, lab};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::PostParams;
use kubetutor::cluster::apply::{ApplyTarget, apply_yaml};
use kubetutor::cluster::kinds::Kinds;

const LIMIT_RANGE: &str = "apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
spec:
  limits:
    - type: Container
      defaultRequest: {cpu: 100m, memory: 64Mi}
      default: {cpu: 500m, memory: 256Mi}
";

/// A Pod that asks for nothing, and is never scheduled: it takes no room
/// on the lab's shared node.
fn plain(name: &str) -> Pod {
    kubetutor::yaml::from_str(&format!(
        "apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  nodeSelector: {{kubetutor.dev/no-such-node: \"true\"}}
  containers:
    - {{name: main, image: busybox, command: [sleep, \"10000\"]}}
"
    ))
    .unwrap()
}

#[tokio::test]
async fn a_limit_range_applied_alone_fills_in_the_next_pod_at_once() {
    let client = lab().client().await;
    let kinds = Kinds::discover(&client).await.unwrap();
    const RUNS: usize = 200;
    let mut without_defaults = Vec::new();
    for run in 0..RUNS {
        let namespace = TestNamespace::create(&client, "lr-settle").await;
        let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace.name);
        // LimitRanger now remembers this namespace has no LimitRange.
        pods.create(
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &plain("before"),
        )
        .await
        .unwrap();
        let target = ApplyTarget {
            namespace: &namespace.name,
            lesson: "quota-limitrange",
        };
        apply_yaml(&kinds, LIMIT_RANGE, &target).await.unwrap();
        // At once, as `lessons test` replays, or a learner's script would.
        let pod = pods
            .create(&PostParams::default(), &plain("next"))
            .await
            .unwrap();
        let requests = pod.spec.unwrap().containers[0]
            .resources
            .as_ref()
            .and_then(|r| r.requests.clone())
            .unwrap_or_default();
        if requests.get("cpu").map(|q| q.0.as_str()) != Some("100m") {
            without_defaults.push(format!("run {run}: requests {requests:?}"));
        }
    }
    assert!(
        without_defaults.is_empty(),
        "{} of {RUNS} Pods created right after the LimitRange was applied were \
         stored without its defaults:\n{}",
        without_defaults.len(),
        without_defaults.join("\n")
    );
}
