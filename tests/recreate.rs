//! Delete and re-create, on the lab: changing a RoleBinding's roleRef (the
//! first lesson's likeliest typo) is refused with the field named, where it
//! is written, and the way out; the way out (F9's engine command) deletes
//! exactly that binding and applies the editor, and refuses a cluster-scoped
//! object that is not the lesson's. And an attendee's RBAC mistakes, refused
//! by the API server where an admin's are stored, read as an admin's do.

mod common;

use common::{TestNamespace, lab};
use k8s_openapi::api::rbac::v1::{ClusterRole, RoleBinding};
use kube::Api;
use kubetutor::cluster::apply::ApplyError;
use kubetutor::engine::Engine;

fn binding(namespace: &str, role: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: list-pods_demo-sa
roleRef:
  kind: Role
  name: {role}
  apiGroup: rbac.authorization.k8s.io
subjects:
  - kind: ServiceAccount
    name: default
    namespace: {namespace}
"
    )
}

#[tokio::test]
async fn a_fixed_roleref_is_named_and_recreating_the_binding_changes_it() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "recreate").await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let lesson = kubetutor::lesson::Lesson::load(&dir, Some(&ns.name)).unwrap();
    let engine = Engine::start(lesson, lab().config().await).await.unwrap();
    for role in ["list-pod", "list-pods"] {
        engine
            .apply(&format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {role}\nrules:\n  - apiGroups: [\"\"]\n    resources: [pods]\n    verbs: [list]\n"
            ))
            .await
            .unwrap();
    }
    engine.apply(&binding(&ns.name, "list-pod")).await.unwrap();

    let fixed = binding(&ns.name, "list-pods");
    let err = engine.apply(&fixed).await.unwrap_err();
    let ApplyError::Immutable {
        line,
        kind,
        name,
        message,
        ..
    } = &err
    else {
        panic!("not an immutable-field error: {err:?}");
    };
    assert_eq!(
        (kind.as_str(), name.as_str()),
        ("RoleBinding", "list-pods_demo-sa")
    );
    assert_eq!(*line, 5, "the line of roleRef: {err}");
    assert!(
        message.contains("roleRef cannot change once the RoleBinding exists"),
        "{message}"
    );
    assert!(message.contains("F9"), "{message}");

    engine
        .recreate("RoleBinding", "list-pods_demo-sa", &fixed)
        .await
        .unwrap();
    let bindings: Api<RoleBinding> = Api::namespaced(client.clone(), &ns.name);
    let now = bindings.get("list-pods_demo-sa").await.unwrap();
    assert_eq!(now.role_ref.name, "list-pods");

    // Not the lesson's: a built-in ClusterRole is never deleted.
    let err = engine
        .recreate("ClusterRole", "view", "kind: ClusterRole")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not this lesson's"), "{err}");
    let cluster_roles: Api<ClusterRole> = Api::all(client);
    assert!(cluster_roles.get_opt("view").await.unwrap().is_some());
}

/// The same RBAC mistakes get the same words whatever the learner's rights:
/// an attendee (namespace admin), whose apply the API server refuses where
/// an admin's is stored, reads the mistake named, not the server's raw words.
#[tokio::test]
async fn an_attendees_rbac_mistakes_are_explained_as_an_admins() {
    let (ns, kubeconfig, dir) = common::attendee("explainer", "expl").await;
    let text = std::fs::read_to_string(&kubeconfig).unwrap();
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&text).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let lesson = kubetutor::lesson::Lesson::load(&root, Some(&ns.name)).unwrap();
    let engine = Engine::start(lesson, config).await.unwrap();

    // `Pod` for `pods`: refused to an attendee (they hold no right on a
    // resource called "Pod"), explained as the spelling mistake it is.
    let err = engine
        .apply("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: list-pods\nrules:\n  - apiGroups: [\"\"]\n    resources: [Pod]\n    verbs: [list]\n")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"Pod\""), "{err}");
    assert!(err.contains("pods"), "{err}");
    assert!(
        !err.contains("attempting to grant RBAC permissions"),
        "raw words: {err}"
    );

    // A roleRef to a Role that does not exist: refused to an attendee, named.
    let err = engine
        .apply(&binding(&ns.name, "list-pod"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("roleRef names Role list-pod, which does not exist"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
