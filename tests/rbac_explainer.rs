//! The RBAC explainer against the real API server: equivalent spellings pass
//! the lesson's `access` check, typos fail with the mistake named, and on many
//! generated setups the explainer's allow/deny agrees with SubjectAccessReview.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{TestNamespace, lab};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::{Api, ListParams};
use kubetutor::checks::Snapshot;
use kubetutor::checks::rbac::{self, AccessRequest};
use kubetutor::checks::remote::subject_access_review;
use kubetutor::engine::Engine;
use kubetutor::lesson::Lesson;

fn role(ns: &str, rule: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: list-pods\n  namespace: {ns}\nrules:\n- {rule}\n"
    )
}

fn binding(ns: &str, role_kind: &str, role_name: &str, subject: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: list-pods_demo-sa\n  namespace: {ns}\n\
         roleRef:\n  kind: {role_kind}\n  name: {role_name}\n  apiGroup: rbac.authorization.k8s.io\nsubjects:\n- {subject}\n"
    )
}

const SEED_RULE: &str = "{apiGroups: [''], resources: [pods], verbs: [list]}";

/// Sets up demo-sa plus `manifests` in a fresh namespace and returns the
/// lesson's `rolebinding` step outcome once it settles (Ok = passed).
async fn rolebinding_step(
    prefix: &str,
    manifests: impl Fn(&str) -> String,
) -> Result<String, String> {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, prefix).await;
    lab().apply(&ns.name, common::seed::demo_sa());
    lab().apply(&ns.name, &manifests(&ns.name));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let lesson = Lesson::load(&dir, Some(&ns.name)).unwrap();
    let index = lesson.step_index("rolebinding").unwrap();
    let mut engine = Engine::start(lesson, lab().config().await).await.unwrap();
    let text = |r: kubetutor::engine::StepReport| {
        r.outcomes
            .iter()
            .map(|(_, o)| o.message.clone())
            .collect::<Vec<_>>()
            .join("\n")
    };
    // A failing server check is re-asked after a change, so 3 s is plenty for
    // a passing setup and lets a failing one settle on its final message.
    engine
        .wait_until_passed(index, Duration::from_secs(3))
        .await
        .map(text)
        .map_err(text)
}

#[tokio::test]
async fn equivalent_setups_pass_the_access_check() {
    let wide = |ns: &str| {
        role(
            ns,
            "{apiGroups: [''], resources: [pods], verbs: [get, list, watch]}",
        ) + "---\n"
            + &binding(
                ns,
                "Role",
                "list-pods",
                &format!("{{kind: ServiceAccount, name: demo-sa, namespace: {ns}}}"),
            )
    };
    let cluster_role = |ns: &str| {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: kt-list-pods-{ns}\n  labels: {{kt-test: eq}}\n\
             rules:\n- {SEED_RULE}\n---\n"
        ) + &binding(
            ns,
            "ClusterRole",
            &format!("kt-list-pods-{ns}"),
            &format!("{{kind: ServiceAccount, name: demo-sa, namespace: {ns}}}"),
        )
    };
    let as_user = |ns: &str| {
        role(ns, SEED_RULE)
            + "---\n"
            + &binding(
                ns,
                "Role",
                "list-pods",
                &format!(
                    "{{kind: User, name: 'system:serviceaccount:{ns}:demo-sa', apiGroup: rbac.authorization.k8s.io}}"
                ),
            )
    };
    for (name, setup) in [
        ("wide", &wide as &dyn Fn(&str) -> String),
        ("clusterrole", &cluster_role),
        ("user", &as_user),
    ] {
        let outcome = rolebinding_step(&format!("eq-{name}"), setup).await;
        assert!(outcome.is_ok(), "{name}: {outcome:?}");
    }
    let _ = lab().kubectl(&["delete", "clusterrole", "-l", "kt-test=eq"], None);
}

#[tokio::test]
async fn typos_fail_with_the_mistake_named() {
    let sa = |ns: &str| format!("{{kind: ServiceAccount, name: demo-sa, namespace: {ns}}}");
    type Setup = Box<dyn Fn(&str) -> String>;
    let cases: Vec<(&str, Setup, &str)> = vec![
        (
            "pod",
            Box::new(move |ns| {
                role(ns, "{apiGroups: [''], resources: [pod], verbs: [list]}")
                    + "---\n"
                    + &binding(ns, "Role", "list-pods", &sa(ns))
            }),
            "write \"pods\"",
        ),
        (
            "v1",
            Box::new(move |ns| {
                role(ns, "{apiGroups: ['v1'], resources: [pods], verbs: [list]}")
                    + "---\n"
                    + &binding(ns, "Role", "list-pods", &sa(ns))
            }),
            "\"v1\" is a version, not a group",
        ),
        (
            "verb",
            Box::new(move |ns| {
                role(ns, "{apiGroups: [''], resources: [pods], verbs: [get]}")
                    + "---\n"
                    + &binding(ns, "Role", "list-pods", &sa(ns))
            }),
            "lacks \"list\"",
        ),
        (
            "refname",
            Box::new(move |ns| {
                role(ns, SEED_RULE) + "---\n" + &binding(ns, "Role", "list-pod", &sa(ns))
            }),
            "refers to Role list-pod, which does not exist",
        ),
        (
            "refkind",
            Box::new(move |ns| {
                role(ns, SEED_RULE) + "---\n" + &binding(ns, "ClusterRole", "list-pods", &sa(ns))
            }),
            "set roleRef.kind to Role",
        ),
        (
            "subjns",
            Box::new(move |ns| {
                role(ns, SEED_RULE)
                    + "---\n"
                    + &binding(
                        ns,
                        "Role",
                        "list-pods",
                        "{kind: ServiceAccount, name: demo-sa, namespace: default}",
                    )
            }),
            "of namespace default, but the ServiceAccount is in",
        ),
        (
            "user",
            Box::new(move |ns| {
                role(ns, SEED_RULE)
                    + "---\n"
                    + &binding(
                        ns,
                        "Role",
                        "list-pods",
                        "{kind: User, name: demo-sa, apiGroup: rbac.authorization.k8s.io}",
                    )
            }),
            "binds a User called demo-sa",
        ),
    ];
    for (name, setup, expected) in cases {
        let outcome = rolebinding_step(&format!("typo-{name}"), setup).await;
        let message = outcome.expect_err(&format!("{name} must fail"));
        assert!(
            message.contains(expected),
            "{name}: expected {expected:?} in:\n{message}"
        );
    }
}

fn to_values<T: serde::Serialize>(items: Vec<T>) -> Vec<serde_json::Value> {
    items
        .into_iter()
        .map(|o| serde_json::to_value(o).unwrap())
        .collect()
}

/// A small deterministic generator, so a failing case can be replayed.
struct Lcg(u64);
impl Lcg {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        &items[((self.0 >> 33) % items.len() as u64) as usize]
    }
}

#[tokio::test]
async fn the_explainer_agrees_with_the_api_server_on_60_setups() {
    const SETUPS: usize = 60;
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "agree").await;
    let n = &ns.name;
    let resources = ["[pods]", "[pod]", "['*']", "[pods, services]", "[Pods]"];
    let groups = ["['']", "['v1']", "['*']"];
    let verbs = ["[list]", "[get]", "[get, list, watch]", "['*']", "[create]"];
    let mut rng = Lcg(42);
    let mut yaml = String::new();
    for i in 0..SETUPS {
        // The first setups are deliberately correct ones, so both verdicts occur.
        let correct = i < 8;
        let rule = if correct {
            format!(
                "{{apiGroups: {}, resources: [pods], verbs: {}}}",
                rng.pick(&["['']", "['*']"]),
                rng.pick(&["[list]", "[get, list, watch]", "['*']"])
            )
        } else {
            format!(
                "{{apiGroups: {}, resources: {}, verbs: {}}}",
                rng.pick(&groups),
                rng.pick(&resources),
                rng.pick(&verbs)
            )
        };
        let cluster = *rng.pick(&[false, true]);
        let (role_kind, role_name) = if cluster {
            ("ClusterRole", format!("kt-{n}-{i}"))
        } else {
            ("Role", format!("role-{i}"))
        };
        yaml += &if cluster {
            format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {role_name}\n  labels: {{kt-test: {n}}}\nrules:\n- {rule}\n---\n"
            )
        } else {
            format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {role_name}\n  namespace: {n}\nrules:\n- {rule}\n---\n"
            )
        };
        let ref_kind = if correct {
            role_kind
        } else {
            *rng.pick(&[
                role_kind,
                role_kind,
                if cluster { "Role" } else { "ClusterRole" },
            ])
        };
        let ref_name = if correct {
            role_name.clone()
        } else {
            rng.pick(&[
                role_name.clone(),
                role_name.clone(),
                format!("{role_name}x"),
            ])
            .clone()
        };
        let subject = if correct {
            format!("{{kind: ServiceAccount, name: sa-{i}, namespace: {n}}}")
        } else {
            rng.pick(&[
                format!("{{kind: ServiceAccount, name: sa-{i}, namespace: {n}}}"),
                format!("{{kind: ServiceAccount, name: sa-{i}, namespace: default}}"),
                format!("{{kind: User, name: sa-{i}, apiGroup: rbac.authorization.k8s.io}}"),
                format!("{{kind: User, name: 'system:serviceaccount:{n}:sa-{i}', apiGroup: rbac.authorization.k8s.io}}"),
            ])
            .clone()
        };
        let cluster_binding = !correct && *rng.pick(&[false, false, false, true]);
        yaml += &if cluster_binding {
            format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: kt-{n}-{i}\n  labels: {{kt-test: {n}}}\nroleRef: {{kind: ClusterRole, name: {ref_name}, apiGroup: rbac.authorization.k8s.io}}\nsubjects:\n- {subject}\n---\n"
            )
        } else {
            format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb-{i}\n  namespace: {n}\nroleRef: {{kind: {ref_kind}, name: {ref_name}, apiGroup: rbac.authorization.k8s.io}}\nsubjects:\n- {subject}\n---\n"
            )
        };
    }
    lab().apply(n, &yaml);

    let requests: Vec<AccessRequest> = (0..SETUPS)
        .map(|i| AccessRequest::service_account(n, &format!("sa-{i}"), "list", "", "pods"))
        .collect();
    // The authorizer sees new bindings through its informer; ask until two
    // rounds in a row give the same verdicts.
    let mut verdicts = Vec::new();
    for _ in 0..20 {
        let mut round = Vec::new();
        for request in &requests {
            round.push(subject_access_review(&client, request).await.unwrap());
        }
        if round == verdicts {
            break;
        }
        verdicts = round;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    let mut snapshot = Snapshot::new();
    let params = ListParams::default();
    let mut add = |items: Vec<serde_json::Value>, kind: &str| {
        for mut item in items {
            item["kind"] = kind.into();
            snapshot.insert(item);
        }
    };
    add(
        to_values::<_>(
            Api::<Role>::namespaced(client.clone(), n)
                .list(&params)
                .await
                .unwrap()
                .items,
        ),
        "Role",
    );
    add(
        to_values::<_>(
            Api::<RoleBinding>::namespaced(client.clone(), n)
                .list(&params)
                .await
                .unwrap()
                .items,
        ),
        "RoleBinding",
    );
    add(
        to_values::<_>(
            Api::<ClusterRole>::all(client.clone())
                .list(&params)
                .await
                .unwrap()
                .items,
        ),
        "ClusterRole",
    );
    add(
        to_values::<_>(
            Api::<ClusterRoleBinding>::all(client.clone())
                .list(&params)
                .await
                .unwrap()
                .items,
        ),
        "ClusterRoleBinding",
    );
    let _ = lab().kubectl(
        &[
            "delete",
            "clusterrole,clusterrolebinding",
            "-l",
            &format!("kt-test={n}"),
        ],
        None,
    );

    let mut disagreements = Vec::new();
    for (i, (request, server)) in requests.iter().zip(&verdicts).enumerate() {
        let model = rbac::allows(&snapshot, request);
        if model != *server {
            disagreements.push(format!("setup {i}: server {server}, explainer {model}"));
        }
        if !server {
            assert!(
                !rbac::explain_denial(&snapshot, request).is_empty(),
                "setup {i}: a denial needs a reason"
            );
        }
    }
    let allowed = verdicts.iter().filter(|v| **v).count();
    eprintln!(
        "{SETUPS} setups: {allowed} allowed, {} denied",
        SETUPS - allowed
    );
    assert!(
        allowed >= 8 && SETUPS - allowed >= 20,
        "both verdicts must be well represented"
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
