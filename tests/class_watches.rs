//! A class's engines share one set of watches: a class of 6 holds as many
//! watches open on the API server as a class of 2 (issue 25). Counted by
//! `class status -o json` from the watch streams the process opened, while
//! every engine is evaluating (the board is built the same way).

mod common;

use common::{kubetutor, lab};

fn class_name(prefix: &str) -> String {
    format!("{prefix}{:06x}", rand::random::<u32>() & 0xff_ffff)
}

/// Runs kubetutor as the lab's admin (the instructor): success, stdout, stderr.
fn admin(args: &[&str]) -> (bool, String, String) {
    let kubeconfig = lab().paths.kubeconfig();
    let out = kubetutor(args, &[("KUBECONFIG", kubeconfig.to_str().unwrap())]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Creates a class of `attendees`, reads its status, deletes it: the
/// status's JSON.
fn status_of_a_class_of(attendees: usize) -> serde_json::Value {
    let class = class_name("wch");
    let files = common::temp_dir("class-watches").join("files");
    let (ok, out, err) = admin(&[
        "class",
        "create",
        &class,
        "--attendees",
        &attendees.to_string(),
        "--out",
        files.to_str().unwrap(),
    ]);
    assert!(ok, "{out}{err}");
    let (ok, json, err) = admin(&["class", "status", &class, "-o", "json"]);
    let (deleted, out, delete_err) = admin(&["class", "delete", &class]);
    let _ = std::fs::remove_dir_all(files.parent().unwrap());
    assert!(ok, "class status: {json}{err}");
    assert!(deleted, "class delete: {out}{delete_err}");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

#[test]
fn the_watches_of_a_class_do_not_grow_with_its_attendees() {
    let two = status_of_a_class_of(2);
    let six = status_of_a_class_of(6);
    for status in [&two, &six] {
        assert!(
            status["watchesNotShared"].is_null(),
            "the lab's admin may watch every kind in every namespace: {status}"
        );
        // Every attendee was evaluated, not failed.
        for attendee in status["attendees"].as_array().unwrap() {
            assert!(attendee["error"].is_null(), "{attendee}");
            assert_eq!(attendee["steps"], 12, "{attendee}");
        }
    }
    assert_eq!(two["attendees"].as_array().unwrap().len(), 2);
    assert_eq!(six["attendees"].as_array().unwrap().len(), 6);
    let watches = two["watches"].as_u64().expect("a count of watches");
    assert!(watches > 0, "the engines watch something: {two}");
    assert_eq!(
        six["watches"], two["watches"],
        "a class of 6 holds as many watches as a class of 2"
    );
}

/// What the status says of each attendee, without how it was watched.
fn attendees_of(status: &serde_json::Value) -> Vec<serde_json::Value> {
    status["attendees"].as_array().unwrap().clone()
}

/// RBAC for an instructor who may read the class's namespaces (admin in
/// each) but not list Pods, Roles… in every namespace: the board's engines
/// then each watch their own namespace, as before one set was shared.
fn limited_instructor_rbac(user_ns: &str, class: &str, attendees: usize) -> String {
    let subject =
        format!("subjects: [{{kind: ServiceAccount, name: attendee, namespace: {user_ns}}}]");
    let mut yaml = format!(
        "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {user_ns}-instructor}}
rules:
- {{apiGroups: [''], resources: [namespaces], verbs: [get, list]}}
- {{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles, clusterrolebindings], verbs: [get, list, watch]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {user_ns}-instructor}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {user_ns}-instructor}}
{subject}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: {user_ns}-instructor, namespace: default}}
rules:
- {{apiGroups: [''], resources: [services], verbs: [get, list, watch]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: {user_ns}-instructor, namespace: default}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: {user_ns}-instructor}}
{subject}
"
    );
    for n in 1..=attendees {
        yaml.push_str(&format!(
            "---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: {user_ns}-instructor, namespace: {class}-{n:02}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}}
{subject}
"
        ));
    }
    yaml
}

#[tokio::test]
async fn an_instructor_who_may_not_watch_every_namespace_gets_an_engine_per_attendee() {
    let class = class_name("wcl");
    let files = common::temp_dir("class-watches-limited").join("files");
    let (ok, out, err) = admin(&[
        "class",
        "create",
        &class,
        "--attendees",
        "2",
        "--out",
        files.to_str().unwrap(),
    ]);
    assert!(ok, "{out}{err}");
    let attendee = files.join("attendee-02.kubeconfig");
    let solved = kubetutor(
        &["solve", "--through", "role"],
        &[("KUBECONFIG", attendee.to_str().unwrap())],
    );
    assert!(solved.status.success(), "{solved:?}");
    let (instructor_ns, instructor, instructor_dir) =
        common::attendee("class-watches", "wcli").await;
    let rbac = limited_instructor_rbac(&instructor_ns.name, &class, 2);
    let applied = lab().kubectl(&["apply", "-f", "-"], Some(&rbac));
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );

    let (ok, json, err) = admin(&["class", "status", &class, "-o", "json"]);
    assert!(ok, "{json}{err}");
    let by_admin: serde_json::Value = serde_json::from_str(&json).unwrap();
    let limited = kubetutor(
        &["class", "status", &class, "-o", "json"],
        &[("KUBECONFIG", instructor.to_str().unwrap())],
    );
    let text = String::from_utf8_lossy(&limited.stdout).into_owned();

    let _ = lab().kubectl(&["delete", "-f", "-", "--wait=false"], Some(&rbac));
    let (deleted, out, delete_err) = admin(&["class", "delete", &class]);
    let _ = std::fs::remove_dir_all(files.parent().unwrap());
    let _ = std::fs::remove_dir_all(instructor_dir);
    assert!(deleted, "class delete: {out}{delete_err}");
    assert!(
        limited.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&limited.stderr)
    );
    let by_limited: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(by_admin["watchesNotShared"].is_null(), "{by_admin}");
    let why = by_limited["watchesNotShared"].as_str().unwrap_or_default();
    assert!(
        why.contains("may not list and watch Pods in every namespace"),
        "{by_limited}"
    );
    // The engines of their own see what the shared watches see.
    assert_eq!(attendees_of(&by_limited), attendees_of(&by_admin));
    // Attendee 02 solved through the Role: the binding is next.
    assert_eq!(by_admin["attendees"][1]["current"]["id"], "rolebinding");
}
