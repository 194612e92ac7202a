//! Reset in a shared cluster: two learners run the same lesson in two
//! namespaces; the ClusterRoles each made carry their namespace, and one
//! learner's reset deletes only their own. A kind served by two API groups
//! resolves the same way every time: the YAML's apiVersion, else the core
//! group first. On the real lab.

mod common;

use std::fs;

use common::{TestNamespace, lab};
use kubetutor::cluster::apply::{ApplyTarget, NAMESPACE_LABEL, apply_yaml};
use kubetutor::cluster::kinds::Kinds;
use kubetutor::cluster::reset;
use kubetutor::lesson::Lesson;

const LESSON: &str = "id: shared-reader
title: A ClusterRole per learner
namespace: default
rights:
  - {clusterRoles: {reads: [pods]}, why: each learner makes a ClusterRole}
steps:
  - id: reader
    title: A ClusterRole that reads Pods
    text: steps/reader.md
    solution: solutions/reader.yaml
";

const CLUSTER_ROLE: &str = "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ${NAMESPACE}.kt-reader
rules:
  - {apiGroups: [''], resources: [pods], verbs: [get]}
";

fn lesson_dir() -> std::path::PathBuf {
    let root = common::temp_dir("shared");
    let dir = root.join("shared-reader");
    fs::create_dir_all(dir.join("steps")).unwrap();
    fs::create_dir_all(dir.join("solutions")).unwrap();
    fs::write(dir.join("lesson.yaml"), LESSON).unwrap();
    fs::write(dir.join("steps/reader.md"), "# Reader\n").unwrap();
    fs::write(dir.join("solutions/reader.yaml"), CLUSTER_ROLE).unwrap();
    dir
}

#[tokio::test]
async fn a_reset_deletes_only_the_cluster_scoped_objects_of_its_own_namespace() {
    let client = lab().client().await;
    let alice = TestNamespace::create(&client, "alice").await;
    let bob = TestNamespace::create(&client, "bob").await;
    let kinds = Kinds::discover(&client).await.unwrap();
    let dir = lesson_dir();
    let for_alice = Lesson::load(&dir, Some(&alice.name)).unwrap();
    let for_bob = Lesson::load(&dir, Some(&bob.name)).unwrap();
    for lesson in [&for_alice, &for_bob] {
        let target = ApplyTarget {
            namespace: &lesson.namespace,
            lesson: &lesson.id,
        };
        let solution = lesson.steps[0].solution.as_deref().unwrap();
        apply_yaml(&kinds, solution, &target).await.unwrap();
    }
    let out = lab().kubectl(
        &[
            "get",
            "clusterrole",
            &format!("{}.kt-reader", alice.name),
            "-o",
            "jsonpath={.metadata.labels.kubetutor\\.dev/namespace}",
        ],
        None,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        alice.name,
        "{NAMESPACE_LABEL}"
    );

    let doomed = reset::plan(&client, &kinds, &for_alice, 0).await.unwrap();
    let names: Vec<String> = doomed.iter().map(ToString::to_string).collect();
    assert_eq!(names, [format!("ClusterRole {}.kt-reader", alice.name)]);
    reset::execute(
        &client,
        &doomed,
        std::time::Duration::from_secs(20),
        &mut |_| {},
    )
    .await
    .unwrap();
    let left = lab().kubectl(&["get", "clusterroles", "-o", "name"], None);
    let left = String::from_utf8_lossy(&left.stdout);
    assert!(
        !left.contains(&format!("{}.kt-reader", alice.name)),
        "{left}"
    );
    assert!(
        left.contains(&format!("{}.kt-reader", bob.name)),
        "bob's stays: {left}"
    );

    let doomed = reset::plan(&client, &kinds, &for_bob, 0).await.unwrap();
    reset::execute(
        &client,
        &doomed,
        std::time::Duration::from_secs(20),
        &mut |_| {},
    )
    .await
    .unwrap();
    let _ = fs::remove_dir_all(dir.parent().unwrap());
}

/// A custom resource named like a core kind: discovery's map order must not
/// decide which one `ConfigMap` means.
#[tokio::test]
async fn a_kind_two_groups_serve_resolves_to_the_written_group_else_the_core_group() {
    let client = lab().client().await;
    let group = format!("kt-shadow-{:08x}.example.com", rand::random::<u32>());
    let crd = format!(
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: configmaps.{group}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: configmaps, singular: configmap, kind: ConfigMap, listKind: ConfigMapList}}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}
"
    );
    lab().apply("default", &crd);
    let name = format!("customresourcedefinitions/configmaps.{group}");
    let waited = lab().kubectl(
        &[
            "wait",
            "--for=condition=Established",
            &name,
            "--timeout=30s",
        ],
        None,
    );
    assert!(waited.status.success());

    // Each discovery has its own hash map order: ask several times.
    for _ in 0..8 {
        let kinds = Kinds::discover(&client).await.unwrap();
        let (resource, _) = kinds.by_kind("ConfigMap").unwrap();
        assert_eq!(
            (resource.group.as_str(), resource.version.as_str()),
            ("", "v1")
        );
        let (resource, _) = kinds
            .by_kind_as_written("ConfigMap", Some(&format!("{group}/v1")))
            .unwrap();
        assert_eq!(resource.group, group);
        let (resource, _) = kinds.by_kind_as_written("ConfigMap", Some("v1")).unwrap();
        assert_eq!(resource.group, "");
    }
    let deleted = lab().kubectl(&["delete", &name, "--wait=false"], None);
    assert!(deleted.status.success());
}

/// What the learner applied from the editor beyond the lesson's own YAML
/// (kinds the lesson never names) is found by its labels and reset too;
/// unlabelled objects and other namespaces' are not.
#[tokio::test]
async fn a_full_reset_finds_labelled_objects_of_kinds_the_lesson_does_not_name() {
    let client = lab().client().await;
    let mine = TestNamespace::create(&client, "extra").await;
    let other = TestNamespace::create(&client, "extra-other").await;
    let kinds = Kinds::discover(&client).await.unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let lesson = Lesson::load(&dir, Some(&mine.name)).unwrap();
    let extra = |ns: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata: {{a: b}}\n---\n\
             apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: kt-extra-{ns}\nrules: []\n"
        )
    };
    for ns in [&mine.name, &other.name] {
        let target = ApplyTarget {
            namespace: ns,
            lesson: &lesson.id,
        };
        apply_yaml(&kinds, &extra(ns), &target).await.unwrap();
    }
    lab().apply(
        &mine.name,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: made-with-kubectl\nstringData: {a: b}\n",
    );

    let doomed = reset::plan(&client, &kinds, &lesson, 0).await.unwrap();
    let names: Vec<String> = doomed.iter().map(ToString::to_string).collect();
    assert!(names.contains(&"ConfigMap notes".to_string()), "{names:?}");
    assert!(
        names.contains(&format!("ClusterRole kt-extra-{}", mine.name)),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.contains(&other.name) || n.contains("made-with-kubectl")),
        "{names:?}"
    );
    // Only the objects of the lesson's own kinds may be listed in a step reset.
    let from_role = lesson.step_index("role").unwrap();
    let step = reset::plan(&client, &kinds, &lesson, from_role)
        .await
        .unwrap();
    assert!(!step.iter().any(|d| d.kind == "ConfigMap"), "{step:?}");

    reset::execute(
        &client,
        &doomed,
        std::time::Duration::from_secs(20),
        &mut |_| {},
    )
    .await
    .unwrap();
    let other_lesson = Lesson::load(&dir, Some(&other.name)).unwrap();
    let theirs = reset::plan(&client, &kinds, &other_lesson, 0)
        .await
        .unwrap();
    assert_eq!(
        theirs.len(),
        2,
        "the other namespace's are still there: {theirs:?}"
    );
    reset::execute(
        &client,
        &theirs,
        std::time::Duration::from_secs(20),
        &mut |_| {},
    )
    .await
    .unwrap();
}

/// In a namespace shared by several lessons (a class attendee's), a reset
/// deletes the quotas and limit ranges that came with the lesson, made with
/// kubectl (unlabelled) too, and keeps those the namespace held before it
/// began (a class's own quota); the Pod Security labels it changed go back.
#[tokio::test]
async fn a_reset_in_a_shared_namespace_keeps_what_was_there_before_the_lesson() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "found").await;
    let n = ns.name.as_str();
    lab().apply(
        n,
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: class-quota}\nspec: {hard: {pods: '50'}}\n",
    );
    let labelled = lab().kubectl(
        &[
            "label",
            "namespace",
            n,
            "pod-security.kubernetes.io/enforce=baseline",
        ],
        None,
    );
    assert!(labelled.status.success());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let quota = Lesson::load(&root.join("quota-limitrange"), Some(n)).unwrap();
    let security = Lesson::load(&root.join("pod-security"), Some(n)).unwrap();
    // Starting the lessons records the namespace as they find it.
    for lesson in [&quota, &security] {
        drop(
            kubetutor::engine::Engine::start(lesson.clone(), lab().config().await)
                .await
                .unwrap(),
        );
    }
    // The learner's work, with kubectl: a quota under a name of their own,
    // and the namespace enforcing restricted.
    let out = lab().kubectl(
        &["create", "quota", "budget", "--hard=cpu=4", "-n", n],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = lab().kubectl(
        &[
            "label",
            "namespace",
            n,
            "pod-security.kubernetes.io/enforce=restricted",
            "--overwrite",
        ],
        None,
    );
    assert!(out.status.success());

    let kinds = Kinds::discover(&client).await.unwrap();
    let doomed = reset::plan(&client, &kinds, &quota, 0).await.unwrap();
    let names: Vec<String> = doomed.iter().map(ToString::to_string).collect();
    assert!(
        names.contains(&"ResourceQuota budget".to_string()),
        "{names:?}"
    );
    assert!(
        !names.contains(&"ResourceQuota class-quota".to_string()),
        "the class's quota was there before: {names:?}"
    );
    let said = kubetutor::cluster::namespace_labels::restore(
        &client,
        n,
        &security.id,
        &security.namespace_label_keys(0),
        true,
    )
    .await
    .unwrap();
    assert!(
        said.iter().any(|s| s.contains("enforce=baseline put back")),
        "{said:?}"
    );
    let enforce = lab().kubectl(
        &[
            "get",
            "namespace",
            n,
            "-o",
            "jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}",
        ],
        None,
    );
    assert_eq!(String::from_utf8_lossy(&enforce.stdout), "baseline");
}
