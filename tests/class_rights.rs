//! A lesson's `rights:` granted to an attendee, on the lab: the attendee can
//! do what the lesson needs (label their namespace's Pod Security level,
//! create LimitRanges, make read-only ClusterRoles named after their
//! namespace and bind them to their own ServiceAccounts), and the admission
//! policies refuse every way out tried here (privileged, other labels,
//! Secrets, another name, aggregating the built-in roles, binding
//! cluster-admin, someone else's ServiceAccount).

mod common;

use std::collections::BTreeMap;

use common::{TestNamespace, lab};
use kube::api::{DynamicObject, Patch, PatchParams, PostParams};
use kube::discovery::ApiResource;
use kube::{Api, Client};
use kubetutor::class::rights::{Grantee, grant};
use kubetutor::cluster::kinds::Kinds;
use kubetutor::cluster::request::{Identity, client_for};
use kubetutor::lesson::model::Right;
use serde_json::{Value, json};

async fn attendee_with(rights: &str) -> (TestNamespace, Client, Client) {
    let admin = lab().client().await;
    let ns = TestNamespace::create(&admin, "rights").await;
    kubetutor::cluster::scoped_user::ensure_namespace_admin(
        &admin,
        &ns.name,
        "attendee",
        &BTreeMap::new(),
    )
    .await
    .unwrap();
    let kinds = Kinds::discover(&admin).await.unwrap();
    let rights: Vec<Right> = kubetutor::yaml::from_str(rights).unwrap();
    let grantee = Grantee {
        namespace: &ns.name,
        account: "attendee",
    };
    let said = grant(&admin, &kinds, &grantee, &rights, true, &BTreeMap::new())
        .await
        .unwrap();
    assert_eq!(said.len(), rights.len(), "{said:?}");
    let token = kubetutor::cluster::token::request(&admin, &ns.name, "attendee", 600, None)
        .await
        .unwrap();
    let config = lab().config().await;
    let client = client_for(&config, &Identity::Bearer(token)).unwrap();
    (ns, admin, client)
}

/// The server's refusal, or "" when it accepted.
async fn refusal(result: kube::Result<impl Sized>) -> String {
    match result {
        Ok(_) => String::new(),
        Err(kube::Error::Api(status)) => status.message,
        Err(other) => panic!("not an answer: {other}"),
    }
}

async fn label(client: &Client, ns: &str, labels: Value) -> String {
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    refusal(
        namespaces
            .patch(
                ns,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": labels})),
            )
            .await,
    )
    .await
}

#[tokio::test]
async fn an_attendee_may_set_safe_pod_security_levels_on_their_namespace_only() {
    let (ns, admin, attendee) = attendee_with(
        "- labelNamespace: {pod-security.kubernetes.io/enforce: [baseline, restricted], pod-security.kubernetes.io/warn: [restricted]}
  why: test",
    )
    .await;
    let n = ns.name.as_str();
    let psa = |level: &str| json!({"labels": {"pod-security.kubernetes.io/enforce": level}});
    assert_eq!(label(&attendee, n, psa("baseline")).await, "");
    assert_eq!(label(&attendee, n, psa("restricted")).await, "");
    let privileged = label(&attendee, n, psa("privileged")).await;
    assert!(
        privileged.contains("baseline or restricted only"),
        "{privileged}"
    );
    let other = label(&attendee, n, json!({"labels": {"team": "x"}})).await;
    assert!(
        other.contains("only the pod-security.kubernetes.io/ labels"),
        "{other}"
    );
    assert_eq!(
        label(&admin, n, json!({"labels": {"team": "blue"}})).await,
        ""
    );
    let removing = label(&attendee, n, json!({"labels": {"team": null}})).await;
    assert!(
        removing.contains("only the pod-security.kubernetes.io/ labels"),
        "{removing}"
    );
    let annotation = label(&attendee, n, json!({"annotations": {"a": "b"}})).await;
    assert!(annotation.contains("annotations"), "{annotation}");
    // Another namespace: RBAC says no before the policy is asked.
    let elsewhere = label(&attendee, "default", psa("baseline")).await;
    assert!(elsewhere.contains("forbidden"), "{elsewhere}");
    // The admin is not bound by the attendees' policy.
    assert_eq!(label(&admin, n, json!({"labels": {"team": "x"}})).await, "");
    // And the levels the attendee set stay as set.
    let namespace = Api::<k8s_openapi::api::core::v1::Namespace>::all(admin.clone())
        .get(n)
        .await
        .unwrap();
    assert_eq!(
        namespace.metadata.labels.unwrap()["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
}

#[tokio::test]
async fn an_attendee_may_write_the_kinds_a_lesson_manages() {
    let (ns, _admin, attendee) =
        attendee_with("- {manage: [LimitRange, ResourceQuota], why: test}").await;
    let ranges: Api<k8s_openapi::api::core::v1::LimitRange> =
        Api::namespaced(attendee.clone(), &ns.name);
    let range = serde_json::from_value(json!({"metadata": {"name": "defaults"},
        "spec": {"limits": [{"type": "Container", "defaultRequest": {"cpu": "100m"}}]}}))
    .unwrap();
    assert_eq!(
        refusal(ranges.create(&PostParams::default(), &range).await).await,
        ""
    );
    // Not in another namespace.
    let elsewhere: Api<k8s_openapi::api::core::v1::LimitRange> =
        Api::namespaced(attendee.clone(), "default");
    let refused = refusal(elsewhere.create(&PostParams::default(), &range).await).await;
    assert!(refused.contains("forbidden"), "{refused}");
}

fn rbac(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: "rbac.authorization.k8s.io".into(),
        version: "v1".into(),
        api_version: "rbac.authorization.k8s.io/v1".into(),
        kind: kind.into(),
        plural: plural.into(),
    }
}

async fn create(client: &Client, kind: &str, object: Value) -> String {
    let (resource, what) = match kind {
        "ClusterRole" => (rbac("ClusterRole", "clusterroles"), "ClusterRole"),
        _ => (
            rbac("ClusterRoleBinding", "clusterrolebindings"),
            "ClusterRoleBinding",
        ),
    };
    let mut object = object;
    object["apiVersion"] = "rbac.authorization.k8s.io/v1".into();
    object["kind"] = what.into();
    let object: DynamicObject = serde_json::from_value(object).unwrap();
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
    refusal(api.create(&PostParams::default(), &object).await).await
}

#[tokio::test]
async fn an_attendee_may_make_read_only_cluster_roles_of_their_own_and_nothing_more() {
    let (ns, admin, attendee) =
        attendee_with("- {clusterRoles: {reads: [pods, services]}, why: test}").await;
    let n = ns.name.as_str();
    let reader = |name: &str, rules: Value| json!({"metadata": {"name": name}, "rules": rules});
    let pods =
        json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]);
    assert_eq!(
        create(
            &attendee,
            "ClusterRole",
            reader(&format!("{n}.reader"), pods.clone())
        )
        .await,
        ""
    );

    let refused = [
        (reader("reader", pods.clone()), "are named"),
        // Not another namespace's prefix that merely starts like theirs.
        (reader(&format!("{n}-2.reader"), pods.clone()), "are named"),
        (
            reader(
                &format!("{n}.secrets"),
                json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]),
            ),
            "may only get, list and watch",
        ),
        (
            reader(
                &format!("{n}.deleter"),
                json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}]),
            ),
            "may only get, list and watch",
        ),
        (
            json!({"metadata": {"name": format!("{n}.sneaky"),
                   "labels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}}, "rules": pods}),
            "rbac.authorization.k8s.io/ labels",
        ),
        (
            json!({"metadata": {"name": format!("{n}.everything")},
                   "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"kubernetes.io/bootstrapping": "rbac-defaults"}}]}}),
            "their own roles only",
        ),
    ];
    for (object, words) in refused {
        let said = create(&attendee, "ClusterRole", object.clone()).await;
        assert!(said.contains(words), "{object}: {said}");
    }
    let aggregated = json!({"metadata": {"name": format!("{n}.monitoring")},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"kubetutor.dev/aggregate-to": format!("{n}.monitoring")}}]}});
    assert_eq!(create(&attendee, "ClusterRole", aggregated).await, "");

    let binding = |name: &str, role: &str, subject_ns: &str| {
        json!({"metadata": {"name": name},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
               "subjects": [{"kind": "ServiceAccount", "name": "auditor", "namespace": subject_ns}]})
    };
    assert_eq!(
        create(
            &attendee,
            "ClusterRoleBinding",
            binding(&format!("{n}.b"), &format!("{n}.reader"), n)
        )
        .await,
        ""
    );
    let admin_binding = create(
        &attendee,
        "ClusterRoleBinding",
        binding(&format!("{n}.root"), "cluster-admin", n),
    )
    .await;
    assert!(
        admin_binding.contains("bind their own ClusterRoles"),
        "{admin_binding}"
    );
    let other_subject = create(
        &attendee,
        "ClusterRoleBinding",
        binding(&format!("{n}.c"), &format!("{n}.reader"), "default"),
    )
    .await;
    assert!(
        other_subject.contains("ServiceAccounts of"),
        "{other_subject}"
    );
    // cluster-admin brought into their namespace by a RoleBinding: refused;
    // their own ClusterRole, or view, is fine.
    let role_binding = |name: &str, role: &str| {
        serde_json::from_value::<k8s_openapi::api::rbac::v1::RoleBinding>(json!({"metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": "auditor", "namespace": n}]}))
        .unwrap()
    };
    let bindings_here: Api<k8s_openapi::api::rbac::v1::RoleBinding> =
        Api::namespaced(attendee.clone(), n);
    let root = refusal(
        bindings_here
            .create(
                &PostParams::default(),
                &role_binding("root", "cluster-admin"),
            )
            .await,
    )
    .await;
    assert!(
        root.contains("refer to a Role, to admin, edit or view"),
        "{root}"
    );
    for (name, role) in [
        ("own", format!("{n}.reader")),
        ("viewer", "view".to_string()),
    ] {
        let said = refusal(
            bindings_here
                .create(&PostParams::default(), &role_binding(name, &role))
                .await,
        )
        .await;
        assert_eq!(said, "", "{role}");
    }
    // Someone else's ClusterRole: neither changed nor deleted.
    let view: Api<DynamicObject> =
        Api::all_with(attendee.clone(), &rbac("ClusterRole", "clusterroles"));
    let changed = refusal(
        view.patch(
            "view",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
        )
        .await,
    )
    .await;
    assert!(changed.contains("are named"), "{changed}");
    let deleted = refusal(view.delete("edit", &Default::default()).await).await;
    assert!(deleted.contains("are named"), "{deleted}");

    // Leave nothing cluster-wide behind.
    let grantee = Grantee {
        namespace: n,
        account: "attendee",
    };
    kubetutor::class::rights::revoke(&admin, &grantee)
        .await
        .unwrap();
    let roles: Api<DynamicObject> =
        Api::all_with(admin.clone(), &rbac("ClusterRole", "clusterroles"));
    let bindings: Api<DynamicObject> = Api::all_with(
        admin.clone(),
        &rbac("ClusterRoleBinding", "clusterrolebindings"),
    );
    for name in ["reader", "monitoring"] {
        let _ = roles
            .delete(&format!("{n}.{name}"), &Default::default())
            .await;
    }
    let _ = bindings
        .delete(&format!("{n}.b"), &Default::default())
        .await;
}

/// The lesson picker's marks: a namespace admin lacks what the lessons that
/// declare rights need (each named with the sentence the learner reads), and
/// nothing for the others; the lab's admin lacks nothing.
#[tokio::test]
async fn the_picker_marks_exactly_the_lessons_whose_rights_a_namespace_admin_lacks() {
    let (ns, admin, attendee) = attendee_with("[]").await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let lessons: Vec<kubetutor::lesson::Lesson> =
        kubetutor::lesson::catalog::in_learning_order(&root)
            .into_iter()
            .map(|(_, dir)| kubetutor::lesson::Lesson::load(&dir, Some(&ns.name)).unwrap())
            .collect();
    let declaring: Vec<&str> = lessons
        .iter()
        .filter(|l| !l.rights.is_empty())
        .map(|l| l.id.as_str())
        .collect();
    assert!(declaring.contains(&"pod-security"), "{declaring:?}");

    let lacking = kubetutor::engine::rights::lessons_lacking(&attendee, &lessons).await;
    let marked: Vec<&str> = lacking.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(marked, declaring, "{lacking:#?}");
    for (id, sentence) in &lacking {
        assert!(
            sentence.contains("your kubeconfig may not"),
            "{id}: {sentence}"
        );
        assert!(
            sentence.contains(&format!("--lesson {id}")),
            "{id}: {sentence}"
        );
    }

    let as_admin = kubetutor::engine::rights::lessons_lacking(&admin, &lessons).await;
    assert!(as_admin.is_empty(), "{as_admin:#?}");
}
