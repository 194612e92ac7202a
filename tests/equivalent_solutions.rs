//! Outcomes over spellings, on the lab: solutions that differ from the seed's
//! YAML but give demo-sa the same right pass exactly the steps the seed's
//! YAML passes (8, the Role; 9, the binding; 11, the call), and broken ones
//! fail with the explainer's reason. Each variant is applied with kubectl, as
//! a learner in another terminal would.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{TestNamespace, lab};
use kubetutor::engine::{Engine, StepReport};
use kubetutor::lesson::Lesson;

const PASS_WITHIN: Duration = Duration::from_secs(20);
/// How long a step that must keep failing is watched.
const STAYS_FAILING: Duration = Duration::from_secs(3);

const ROLE: usize = 7;
const BINDING: usize = 8;
const CALL: usize = 10;

fn messages(report: &StepReport) -> String {
    let all: Vec<String> = report
        .outcomes
        .iter()
        .map(|(_, o)| o.message.clone())
        .collect();
    all.join("\n")
}

/// A namespace where steps 1–7 are solved (pod-default, demo-sa) and the
/// engine watches it; `pod-demo-sa` runs too, so step 11's call can be made.
async fn ready_for_rbac(prefix: &str) -> (TestNamespace, Engine) {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, prefix).await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let lesson = Lesson::load(&dir, Some(&ns.name)).unwrap();
    let engine = Engine::start(lesson.clone(), lab().config().await)
        .await
        .unwrap();
    for id in ["pod-default", "demo-sa", "pod-demo-sa"] {
        let step = &lesson.steps[lesson.step_index(id).unwrap()];
        engine.apply(step.solution.as_ref().unwrap()).await.unwrap();
    }
    (ns, engine)
}

async fn passes(engine: &mut Engine, step: usize) -> String {
    match engine.wait_until_passed(step, PASS_WITHIN).await {
        Ok(report) => messages(&report),
        Err(report) => panic!("step {} does not pass:\n{}", step + 1, messages(&report)),
    }
}

async fn fails(engine: &mut Engine, step: usize) -> String {
    match engine.wait_until_passed(step, STAYS_FAILING).await {
        Ok(report) => panic!("step {} passes:\n{}", step + 1, messages(&report)),
        Err(report) => messages(&report),
    }
}

#[tokio::test]
async fn a_cluster_role_bound_by_a_differently_named_role_binding_passes() {
    let (ns, mut engine) = ready_for_rbac("eqcr").await;
    let cluster_role = format!("pod-lister-{}", ns.name);
    lab().apply(
        &ns.name,
        &format!(
            "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {cluster_role}}}
rules:
  - {{apiGroups: [''], resources: [pods], verbs: [list]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: demo-can-list}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {cluster_role}}}
subjects:
  - {{kind: ServiceAccount, name: demo-sa}}
"
        ),
    );
    let role = passes(&mut engine, ROLE).await;
    assert!(
        role.contains(&format!("ClusterRole {cluster_role} allows list pods")),
        "{role}"
    );
    let binding = passes(&mut engine, BINDING).await;
    assert!(
        binding.contains("RoleBinding demo-can-list"),
        "the binding found is named: {binding}"
    );
    passes(&mut engine, CALL).await;
    lab().kubectl(&["delete", "clusterrole", &cluster_role], None);
}

#[tokio::test]
async fn several_rules_extra_verbs_and_a_binding_with_two_subjects_pass() {
    let (ns, mut engine) = ready_for_rbac("eqrules").await;
    lab().apply(
        &ns.name,
        "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader}
rules:
  - {apiGroups: [''], resources: [configmaps], verbs: [get]}
  - {apiGroups: [''], resources: [pods, pods/log], verbs: [get, watch, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
  - {kind: ServiceAccount, name: default}
  - {kind: ServiceAccount, name: demo-sa}
",
    );
    let role = passes(&mut engine, ROLE).await;
    assert!(role.contains("Role pod-reader allows list pods"), "{role}");
    let mut binding = passes(&mut engine, BINDING).await;
    // The API server may say "allowed" before the watch has brought the
    // binding itself: the step passes at once, and its message names the
    // binding as soon as the engine has seen it.
    if !binding.contains("RoleBinding readers") {
        binding = messages(&engine.report_after(BINDING, Duration::from_secs(2)).await);
    }
    assert!(binding.contains("RoleBinding readers"), "{binding}");
    passes(&mut engine, CALL).await;
}

#[tokio::test]
async fn broken_solutions_fail_with_the_explainers_reason() {
    let (ns, mut engine) = ready_for_rbac("eqbroken").await;
    // `pod` for `pods`: no Role allows it, and the near miss is named.
    lab().apply(
        &ns.name,
        "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: list-pods}
rules:
  - {apiGroups: [''], resources: [pod], verbs: [list]}
",
    );
    let role = fails(&mut engine, ROLE).await;
    assert!(
        role.contains("Role list-pods:") && role.contains("pod"),
        "{role}"
    );
    lab().apply(
        &ns.name,
        "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: list-pods}
rules:
  - {apiGroups: [''], resources: [pods], verbs: [list]}
",
    );
    passes(&mut engine, ROLE).await;

    // The subject in another namespace.
    lab().apply(
        &ns.name,
        "apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: list-pods_demo-sa}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: list-pods}
subjects:
  - {kind: ServiceAccount, name: demo-sa, namespace: elsewhere}
",
    );
    let binding = fails(&mut engine, BINDING).await;
    assert!(
        binding.contains("elsewhere"),
        "the explainer names the namespace: {binding}"
    );
    let out = lab().kubectl(
        &["delete", "rolebinding", "list-pods_demo-sa", "-n", &ns.name],
        None,
    );
    assert!(out.status.success());

    // roleRef to a Role that does not exist.
    lab().apply(
        &ns.name,
        "apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: list-pods_demo-sa}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: list-pod}
subjects:
  - {kind: ServiceAccount, name: demo-sa}
",
    );
    let binding = fails(&mut engine, BINDING).await;
    assert!(
        binding.contains("refers to Role list-pod, which does not exist"),
        "{binding}"
    );
    let call = fails(&mut engine, CALL).await;
    assert!(call.contains("403"), "{call}");
}
