//! Checks answered from a snapshot alone: pure functions, unit-tested with fixtures.

use serde_json::Value;

use super::outcome::Outcome;
use super::rbac;
use super::snapshot::{Snapshot, name_of};
use super::{fields, select};
use crate::k8s_names::object_namespace;
use crate::lesson::model::{Check, FieldCheck, GrantsCheck, ObjectCheck, PodCheck};
use crate::syntax::path;
use crate::tree::Tree;

/// Evaluates `check` over `snapshot`; None for checks that must ask the server.
pub fn evaluate(check: &Check, snapshot: &Snapshot, namespace: &str) -> Option<Outcome> {
    Some(match check {
        Check::Exists(c) => exists(c, snapshot, namespace),
        Check::Absent(c) => absent(c, snapshot, namespace),
        Check::Field(c) => field(c, snapshot, namespace),
        Check::Pod(c) => pod(c, snapshot, namespace),
        Check::Grants(c) => grants(c, snapshot, namespace),
        Check::Count(c) => select::count(
            c,
            snapshot,
            object_namespace(&c.kind, c.namespace.as_deref(), namespace),
        ),
        Check::Events(c) => select::events(
            c,
            snapshot,
            object_namespace(&c.kind, c.namespace.as_deref(), namespace),
        ),
        Check::AnyOf(checks) => {
            // All alternatives answered from the store, or none here.
            let outcomes: Option<Vec<Outcome>> = checks
                .iter()
                .map(|c| evaluate(c, snapshot, namespace))
                .collect();
            let outcomes = outcomes?;
            match outcomes.iter().find(|o| o.passed) {
                Some(pass) => pass.clone(),
                None => Outcome::fail(
                    outcomes
                        .into_iter()
                        .map(|o| o.message)
                        .collect::<Vec<_>>()
                        .join(" — nor: "),
                ),
            }
        }
        Check::Access(_)
        | Check::Request(_)
        | Check::Token(_)
        | Check::Rejected(_)
        | Check::Exec(_) => return None,
    })
}

fn where_(ns: &str) -> String {
    if ns.is_empty() {
        String::new()
    } else {
        format!(" in {ns}")
    }
}

fn exists(c: &ObjectCheck, snapshot: &Snapshot, lesson_ns: &str) -> Outcome {
    let ns = object_namespace(&c.kind, c.namespace.as_deref(), lesson_ns);
    match snapshot.get(&c.kind, ns, &c.name) {
        Some(_) => Outcome::pass(format!("{} {} exists{}", c.kind, c.name, where_(ns))),
        None => Outcome::fail(format!("No {} named {}{} yet", c.kind, c.name, where_(ns))),
    }
}

fn absent(c: &ObjectCheck, snapshot: &Snapshot, lesson_ns: &str) -> Outcome {
    let ns = object_namespace(&c.kind, c.namespace.as_deref(), lesson_ns);
    match snapshot.get(&c.kind, ns, &c.name) {
        Some(_) => Outcome::fail(format!("{} {} still exists{}", c.kind, c.name, where_(ns))),
        None => Outcome::pass(format!("{} {} is gone{}", c.kind, c.name, where_(ns))),
    }
}

/// Does `actual` meet `equals` / `contains`? Returns the failure sentence if not.
pub fn expect_value(
    actual: Option<&Tree>,
    equals: Option<&Value>,
    contains: Option<&str>,
    what: &str,
) -> Result<String, String> {
    let Some(actual) = actual else {
        return Err(format!("{what} is not set"));
    };
    if let Some(expected) = equals
        && !fields::loosely_equal(actual, expected)
    {
        return Err(format!(
            "{what} is {}, expected {}",
            actual.display(),
            path::display(expected)
        ));
    }
    if let Some(needle) = contains {
        let text = actual.display();
        if !text.contains(needle) {
            return Err(format!(
                "{what} is {text:?}, which does not contain {needle:?}"
            ));
        }
    }
    Ok(format!("{what} is {}", actual.display()))
}

fn field(c: &FieldCheck, snapshot: &Snapshot, lesson_ns: &str) -> Outcome {
    let ns = object_namespace(&c.kind, c.namespace.as_deref(), lesson_ns);
    let Some(object) = snapshot.get(&c.kind, ns, &c.name) else {
        return Outcome::fail(format!("No {} named {}{} yet", c.kind, c.name, where_(ns)));
    };
    match fields::test(object, &c.test(), &format!("{} {}", c.kind, c.name)) {
        Ok(message) => Outcome::pass(message),
        Err(message) => Outcome::fail(message),
    }
}

fn pod(c: &PodCheck, snapshot: &Snapshot, ns: &str) -> Outcome {
    let Some(pod) = snapshot.get("Pod", ns, &c.name) else {
        return Outcome::fail(format!("No Pod named {} in {ns} yet", c.name));
    };
    if pod["metadata"]["deletionTimestamp"].is_string() {
        return Outcome::fail(format!("Pod {} is being deleted", c.name));
    }
    if let Some(expected) = &c.service_account {
        let actual = pod["spec"]["serviceAccountName"]
            .as_str()
            .unwrap_or("default");
        if actual != expected {
            return Outcome::fail(format!(
                "Pod {} runs as ServiceAccount {actual}, not {expected}; serviceAccountName cannot \
                 change on an existing Pod: delete it and create it again",
                c.name
            ));
        }
    }
    let phase = pod["status"]["phase"].as_str().unwrap_or("Pending");
    if let Some(expected) = &c.phase
        && phase != expected
    {
        let scheduled = pod["spec"]["nodeName"]
            .as_str()
            .map_or(" (not scheduled yet)".to_string(), |_| String::new());
        let why = super::pod_trouble::of(pod)
            .map(|trouble| format!(": {}", trouble.sentence))
            .unwrap_or_default();
        return Outcome::fail(format!(
            "Pod {} is {phase}{scheduled}, waiting for {expected}{why}",
            c.name
        ));
    }
    if let Some(expected) = c.ready {
        let ready = pod["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|cond| cond["type"] == "Ready" && cond["status"] == "True");
        if ready != expected {
            let state = if ready { "Ready" } else { "not Ready" };
            return Outcome::fail(format!("Pod {} is {state}", c.name));
        }
    }
    let sa = pod["spec"]["serviceAccountName"]
        .as_str()
        .unwrap_or("default");
    Outcome::pass(format!("Pod {} is {phase} as ServiceAccount {sa}", c.name))
}

/// "list pods", "list deployments.apps".
fn verb_on(c: &GrantsCheck) -> String {
    if c.group.is_empty() {
        format!("{} {}", c.verb, c.resource)
    } else {
        format!("{} {}.{}", c.verb, c.resource, c.group)
    }
}

/// Any Role of the namespace, or a ClusterRole made for the lesson: one that
/// a RoleBinding of the namespace refers to (on a shared cluster, another
/// learner's ClusterRole must not count), and not a built-in one (`view`,
/// `edit`…, labelled as the API server's bootstrap defaults), which would
/// make the step free.
fn grants_any(c: &GrantsCheck, snapshot: &Snapshot, ns: &str) -> Outcome {
    let what = verb_on(c);
    let allows = |role: &&Tree| {
        role["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| rbac::rule_allows(r, &c.verb, &c.group, &c.resource))
    };
    if let Some(role) = snapshot.in_namespace("Role", ns).find(allows) {
        return Outcome::pass(format!("Role {} allows {what}", name_of(role)));
    }
    let built_in = |role: &&Tree| {
        role["metadata"]["labels"]["kubernetes.io/bootstrapping"] == "rbac-defaults"
            || name_of(role).starts_with("system:")
    };
    let binding_here = |cluster_role: &str| {
        snapshot
            .in_namespace("RoleBinding", ns)
            .find(|b| b["roleRef"]["kind"] == "ClusterRole" && b["roleRef"]["name"] == cluster_role)
            .map(|b| name_of(b).to_string())
    };
    // Only this namespace's learner's ClusterRoles may be named as "made but
    // not bound": on a shared cluster others' roles are none of their business.
    let made_here = |role: &&Tree| {
        role["metadata"]["labels"]["kubetutor.dev/namespace"] == ns
            || name_of(role).starts_with(&crate::k8s_names::cluster_prefix(ns))
    };
    let mut unbound = None;
    for role in snapshot
        .of_kind("ClusterRole")
        .filter(|r| !built_in(r))
        .filter(allows)
    {
        match binding_here(name_of(role)) {
            Some(binding) => {
                return Outcome::pass(format!(
                    "ClusterRole {} allows {what}, bound here by RoleBinding {binding} \
                     (a namespaced Role would be narrower)",
                    name_of(role)
                ));
            }
            None if made_here(&role) => unbound = Some(name_of(role).to_string()),
            None => {}
        }
    }
    let near: Vec<String> = snapshot
        .in_namespace("Role", ns)
        .flat_map(|role| {
            let name = name_of(role).to_string();
            role["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| rbac::explain_rule(r, &c.verb, &c.group, &c.resource))
                .map(move |why| format!("Role {name}: {why}"))
                .collect::<Vec<_>>()
        })
        .collect();
    if near.is_empty() {
        if let Some(cluster_role) = unbound {
            return Outcome::fail(format!(
                "No Role{} allows {what} yet; ClusterRole {cluster_role} does, but no RoleBinding{} refers to it",
                where_(ns),
                where_(ns)
            ));
        }
        Outcome::fail(format!("No Role{} allows {what} yet", where_(ns)))
    } else {
        Outcome::fail(format!(
            "No Role{} allows {what} yet: {}",
            where_(ns),
            near.join("; ")
        ))
    }
}

fn grants(c: &GrantsCheck, snapshot: &Snapshot, ns: &str) -> Outcome {
    let Some(name) = &c.role else {
        return grants_any(c, snapshot, ns);
    };
    let (kind, role_ns) = if c.cluster_role {
        ("ClusterRole", "")
    } else {
        ("Role", ns)
    };
    let Some(role) = snapshot.get(kind, role_ns, name) else {
        return Outcome::fail(format!("No {kind} named {name}{} yet", where_(role_ns)));
    };
    let rules = role["rules"].as_array().unwrap_or_default();
    let what = verb_on(c);
    if rules
        .iter()
        .any(|r| rbac::rule_allows(r, &c.verb, &c.group, &c.resource))
    {
        return Outcome::pass(format!("{kind} {} allows {what}", name));
    }
    let near: Vec<String> = rules
        .iter()
        .filter_map(|r| rbac::explain_rule(r, &c.verb, &c.group, &c.resource))
        .collect();
    if near.is_empty() {
        Outcome::fail(format!("{kind} {} has no rule allowing {what}", name))
    } else {
        Outcome::fail(format!(
            "{kind} {} does not allow {what}: {}",
            name,
            near.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(yaml: &str) -> Check {
        crate::yaml::from_str(yaml).unwrap()
    }

    fn pod_fixture(name: &str, sa: &str, phase: &str) -> Value {
        json!({"kind": "Pod", "metadata": {"name": name, "namespace": "lab"},
               "spec": {"serviceAccountName": sa, "nodeName": "kwok-node-0"},
               "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True"}]}})
    }

    #[test]
    fn exists_and_absent() {
        let s = Snapshot::new().with(
            json!({"kind": "ServiceAccount", "metadata": {"name": "demo-sa", "namespace": "lab"}}),
        );
        let exists = check("exists: {kind: ServiceAccount, name: demo-sa}");
        assert!(evaluate(&exists, &s, "lab").unwrap().passed);
        let outcome = evaluate(&exists, &s, "other").unwrap();
        assert_eq!(
            outcome,
            Outcome::fail("No ServiceAccount named demo-sa in other yet")
        );
        let absent = check("absent: {kind: ServiceAccount, name: demo-sa}");
        assert!(!evaluate(&absent, &s, "lab").unwrap().passed);
    }

    #[test]
    fn field_compares_values_at_a_path() {
        let s = Snapshot::new().with(
            json!({"kind": "Service", "metadata": {"name": "kubernetes", "namespace": "default"},
            "spec": {"ports": [{"port": 443}]}}),
        );
        let ok = check(
            "field: {kind: Service, name: kubernetes, namespace: default, path: 'spec.ports[0].port', equals: 443}",
        );
        assert!(evaluate(&ok, &s, "lab").unwrap().passed);
        let wrong = check(
            "field: {kind: Service, name: kubernetes, namespace: default, path: 'spec.ports[0].port', equals: 80}",
        );
        assert_eq!(
            evaluate(&wrong, &s, "lab").unwrap().message,
            "Service kubernetes: spec.ports[0].port is 443, expected 80"
        );
    }

    #[test]
    fn pod_checks_phase_and_service_account() {
        let c = check("pod: {name: pod-demo-sa, phase: Running, serviceAccount: demo-sa}");
        let s = Snapshot::new().with(pod_fixture("pod-demo-sa", "demo-sa", "Running"));
        assert!(evaluate(&c, &s, "lab").unwrap().passed);
        let s = Snapshot::new().with(pod_fixture("pod-demo-sa", "default", "Running"));
        let outcome = evaluate(&c, &s, "lab").unwrap();
        assert!(
            !outcome.passed
                && outcome
                    .message
                    .contains("runs as ServiceAccount default, not demo-sa"),
            "{outcome:?}"
        );
        let s = Snapshot::new().with(pod_fixture("pod-demo-sa", "demo-sa", "Pending"));
        assert_eq!(
            evaluate(&c, &s, "lab").unwrap().message,
            "Pod pod-demo-sa is Pending, waiting for Running"
        );
        assert!(!evaluate(&c, &Snapshot::new(), "lab").unwrap().passed);
    }

    #[test]
    fn grants_accepts_equivalent_rules_and_names_typos() {
        let c = check("grants: {role: list-pods, verb: list, resource: pods}");
        let role = |rules: Value| {
            Snapshot::new().with(json!({"kind": "Role", "metadata": {"name": "list-pods", "namespace": "lab"}, "rules": rules}))
        };
        assert!(evaluate(&c, &role(json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}])), "lab").unwrap().passed);
        let typo = evaluate(
            &c,
            &role(json!([{"apiGroups": [""], "resources": ["pod"], "verbs": ["list"]}])),
            "lab",
        )
        .unwrap();
        assert!(
            !typo.passed && typo.message.contains("write \"pods\""),
            "{typo:?}"
        );
    }

    #[test]
    fn server_checks_are_not_evaluated_locally() {
        let c = check(
            "access: {as: {serviceAccount: demo-sa}, verb: list, resource: pods, allowed: true}",
        );
        assert_eq!(evaluate(&c, &Snapshot::new(), "lab"), None);
    }

    #[test]
    fn grants_without_a_name_takes_any_role_of_the_namespace_or_a_lesson_made_cluster_role() {
        let c = check("grants: {verb: list, resource: pods}");
        let rule =
            json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]);
        let role = |kind: &str, name: &str, ns: Option<&str>, labels: Value| {
            json!({"kind": kind, "metadata": {"name": name, "namespace": ns, "labels": labels},
                   "rules": rule})
        };
        let none = Snapshot::new();
        assert_eq!(
            evaluate(&c, &none, "lab").unwrap(),
            Outcome::fail("No Role in lab allows list pods yet")
        );
        let renamed = Snapshot::new().with(role("Role", "pod-reader", Some("lab"), json!({})));
        assert_eq!(
            evaluate(&c, &renamed, "lab").unwrap(),
            Outcome::pass("Role pod-reader allows list pods")
        );
        let elsewhere = Snapshot::new().with(role("Role", "pod-reader", Some("other"), json!({})));
        assert!(!evaluate(&c, &elsewhere, "lab").unwrap().passed);
        let built_in = Snapshot::new().with(role(
            "ClusterRole",
            "view",
            None,
            json!({"kubernetes.io/bootstrapping": "rbac-defaults"}),
        ));
        assert!(
            !evaluate(&c, &built_in, "lab").unwrap().passed,
            "view would make it free"
        );
        // A stranger's ClusterRole is neither counted nor named.
        let stranger = Snapshot::new().with(role("ClusterRole", "pod-lister", None, json!({})));
        let outcome = evaluate(&c, &stranger, "lab").unwrap();
        assert_eq!(
            outcome,
            Outcome::fail("No Role in lab allows list pods yet")
        );
        let unbound = Snapshot::new().with(role(
            "ClusterRole",
            "pod-lister",
            None,
            json!({"kubetutor.dev/namespace": "lab"}),
        ));
        let outcome = evaluate(&c, &unbound, "lab").unwrap();
        assert!(
            !outcome.passed
                && outcome.message.contains(
                    "ClusterRole pod-lister does, but no RoleBinding in lab refers to it"
                ),
            "the learner's own ClusterRole is named, and does not count unbound: {outcome:?}"
        );
        let bound = unbound.with(json!({"kind": "RoleBinding",
            "metadata": {"name": "demo-can-list", "namespace": "lab"},
            "roleRef": {"kind": "ClusterRole", "name": "pod-lister"}}));
        let outcome = evaluate(&c, &bound, "lab").unwrap();
        assert!(
            outcome.passed
                && outcome
                    .message
                    .contains("ClusterRole pod-lister allows list pods, bound here"),
            "{outcome:?}"
        );
        let typo = Snapshot::new().with(json!({"kind": "Role",
            "metadata": {"name": "list-pods", "namespace": "lab"},
            "rules": [{"apiGroups": ["v1"], "resources": ["pods"], "verbs": ["list"]}]}));
        let outcome = evaluate(&c, &typo, "lab").unwrap();
        assert!(
            !outcome.passed && outcome.message.contains("Role list-pods:"),
            "{outcome:?}"
        );
    }
}
