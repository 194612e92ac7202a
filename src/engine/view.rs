//! The cluster pane's content, built by the engine from its store: one
//! section per kind the lesson shows, with a count, the objects the lesson
//! names first, then the rest by name. It is built at most a few times a
//! second while the cluster is busy, off the UI's path; the renderer then
//! draws only the rows in its window.

use std::collections::BTreeSet;

use crate::tree::Tree;

use super::scope::Scope;
pub use super::shape::Tone;
use crate::checks::Snapshot;
use crate::checks::snapshot::{ObjectKey, name_of};
use crate::k8s_names::plural;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    pub text: String,
    pub tone: Tone,
    /// Named by the lesson.
    pub named: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: String,
    /// The scope's namespace ("" for cluster-wide kinds).
    pub namespace: String,
    pub title: String,
    pub rows: Vec<Row>,
    /// Said instead of rows when the scope cannot be seen.
    pub blind: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterView {
    pub sections: Vec<Section>,
}

impl ClusterView {
    /// Lines the pane would need to show everything (a heading per section).
    pub fn line_count(&self) -> usize {
        self.sections.iter().map(|s| 1 + s.rows.len().max(1)).sum()
    }

    /// The first object of `kind` shown (the lesson's own first).
    pub fn first_of(&self, kind: &str) -> Option<&str> {
        self.sections
            .iter()
            .filter(|s| s.kind == kind)
            .flat_map(|s| &s.rows)
            .map(|r| r.name.as_str())
            .next()
    }
}

/// Kinds in the order a learner meets them; others follow alphabetically.
const ORDER: [&str; 6] = [
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "Pod",
    "Service",
    "ConfigMap",
];

fn rank(kind: &str) -> usize {
    ORDER.iter().position(|k| *k == kind).unwrap_or(ORDER.len())
}

/// Builds the view of `pane` scopes; `blind` says why a scope cannot be seen.
pub fn build(
    snapshot: &Snapshot,
    pane: &[Scope],
    named: &BTreeSet<ObjectKey>,
    blind: &dyn Fn(&Scope) -> Option<String>,
) -> ClusterView {
    let mut scopes: Vec<&Scope> = pane.iter().collect();
    scopes.sort_by_key(|s| (s.name.is_some(), rank(&s.kind), s.kind.clone()));
    let sections = scopes
        .into_iter()
        .map(|scope| {
            let mut rows: Vec<Row> = snapshot
                .in_namespace(&scope.kind, &scope.namespace)
                .filter(|o| scope.name.as_deref().is_none_or(|n| n == name_of(o)))
                .map(|object| {
                    let name = name_of(object).to_string();
                    let key = (scope.kind.clone(), scope.namespace.clone(), name.clone());
                    let (text, tone) = summary(&scope.kind, object, &scope.namespace);
                    Row {
                        named: named.contains(&key),
                        name,
                        text,
                        tone,
                    }
                })
                .collect();
            // Stable: within each group the names stay sorted.
            rows.sort_by_key(|r| !r.named);
            let title = match &scope.name {
                Some(name) if scope.namespace.is_empty() => format!("{} {name}", scope.kind),
                Some(name) => format!("{} {}/{name}", scope.kind, scope.namespace),
                None => format!(
                    "{} in {} ({})",
                    plural(&scope.kind),
                    scope.namespace,
                    rows.len()
                ),
            };
            Section {
                kind: scope.kind.clone(),
                namespace: scope.namespace.clone(),
                title,
                rows,
                blind: blind(scope),
            }
        })
        .collect();
    ClusterView { sections }
}

/// One line about an object, and its tone.
fn summary(kind: &str, object: &Tree, namespace: &str) -> (String, Tone) {
    let name = name_of(object);
    if object["metadata"]["deletionTimestamp"].is_string() {
        return (format!("{name}  (being deleted)"), Tone::Waiting);
    }
    match kind {
        "Role" | "ClusterRole" => (format!("{name}: {}", rules_summary(object)), Tone::Plain),
        "RoleBinding" | "ClusterRoleBinding" => (
            format!("{name}: {}", binding_summary(object, namespace)),
            Tone::Plain,
        ),
        "Pod" => {
            let phase = object["status"]["phase"].as_str().unwrap_or("Pending");
            let tone = if phase == "Running" || phase == "Succeeded" {
                Tone::Good
            } else {
                Tone::Waiting
            };
            let account = object["spec"]["serviceAccountName"]
                .as_str()
                .unwrap_or("default");
            (
                format!("{name:<16} {phase:<9} sa {account}{}", container(object)),
                tone,
            )
        }
        "Service" => {
            let ip = object["spec"]["clusterIP"].as_str().unwrap_or("?");
            let ports: Vec<String> = object["spec"]["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p["port"].to_string())
                .collect();
            (
                format!("{name}: ClusterIP {ip}, port {}", ports.join(",")),
                Tone::Plain,
            )
        }
        _ => match (super::shape::summary(object), ready(object)) {
            (Some((text, tone)), _) => (format!("{name}: {text}"), tone),
            (None, Some(true)) => (format!("{name}  Ready"), Tone::Good),
            (None, Some(false)) => (format!("{name}  not Ready"), Tone::Waiting),
            (None, None) => (name.to_string(), Tone::Plain),
        },
    }
}

/// The first container as its runtime reports it: the image that really
/// runs (only where a runtime started it: kwok's fake containers have no ID,
/// and then nothing is said), or why it does not run yet.
fn container(pod: &Tree) -> String {
    if let Some(trouble) = crate::checks::pod_trouble::of(pod) {
        return format!("  {}", trouble.short);
    }
    let first = &pod["status"]["containerStatuses"][0];
    let image = first["image"].as_str().unwrap_or("?");
    if let Some(reason) = first["state"]["waiting"]["reason"].as_str() {
        return format!("  {reason} ({image})");
    }
    if first["containerID"]
        .as_str()
        .is_some_and(|id| !id.is_empty())
    {
        return format!("  runs {image}");
    }
    String::new()
}

fn ready(object: &Tree) -> Option<bool> {
    object["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready")
        .map(|c| c["status"] == "True")
}

fn binding_summary(binding: &Tree, namespace: &str) -> String {
    let subjects: Vec<String> = binding["subjects"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let ns = s["namespace"]
                .as_str()
                .filter(|n| *n != namespace)
                .map(|n| format!("{n}/"))
                .unwrap_or_default();
            format!(
                "{} {ns}{}",
                s["kind"].as_str().unwrap_or("?"),
                s["name"].as_str().unwrap_or("?")
            )
        })
        .collect();
    format!(
        "{} → {} {}",
        if subjects.is_empty() {
            "(no subjects)".to_string()
        } else {
            subjects.join(", ")
        },
        binding["roleRef"]["kind"].as_str().unwrap_or("?"),
        binding["roleRef"]["name"].as_str().unwrap_or("?")
    )
}

/// "list pods; get, watch secrets"
fn rules_summary(role: &Tree) -> String {
    let rules: Vec<String> = role["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rule| {
            let join = |field: &str| {
                rule[field]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Tree::as_str)
                            .map(|s| if s.is_empty() { "\"\"" } else { s })
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default()
            };
            let groups = join("apiGroups");
            let group = if groups == "\"\"" || groups.is_empty() {
                String::new()
            } else {
                format!(" (group {groups})")
            };
            format!("{} {}{group}", join("verbs"), join("resources"))
        })
        .collect();
    if rules.is_empty() {
        "no rules".into()
    } else {
        rules.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, phase: &str) -> serde_json::Value {
        json!({"kind": "Pod", "metadata": {"name": name, "namespace": "lab"},
               "spec": {"serviceAccountName": "demo-sa"}, "status": {"phase": phase}})
    }

    #[test]
    fn a_pod_says_which_image_really_runs_and_never_for_kwoks_fake_containers() {
        let mut real = pod("pod-default", "Running");
        real["status"]["containerStatuses"] = json!([{"image": "kubetutor.local/toolbox:busybox-curl-1",
            "containerID": "containerd://abc"}]);
        assert_eq!(
            summary("Pod", &Tree::from(real), "lab").0,
            "pod-default      Running   sa demo-sa  runs kubetutor.local/toolbox:busybox-curl-1"
        );
        let mut pulling = pod("pod-default", "Pending");
        pulling["status"]["containerStatuses"] =
            json!([{"image": "alpine:3.15", "state": {"waiting": {"reason": "ErrImagePull"}}}]);
        assert!(
            summary("Pod", &Tree::from(pulling), "lab")
                .0
                .ends_with("  ErrImagePull (alpine:3.15)")
        );
        let mut full = pod("pod-default", "Pending");
        full["status"]["conditions"] = json!([{"type": "PodScheduled", "status": "False",
            "reason": "Unschedulable", "message": "0/1 nodes are available: 1 Too many pods."}]);
        assert!(
            summary("Pod", &Tree::from(full.clone()), "lab")
                .0
                .ends_with("  Unschedulable: 0/1 nodes are available: 1 Too many pods."),
            "{:?}",
            summary("Pod", &Tree::from(full.clone()), "lab")
        );
        let mut kwok = pod("pod-default", "Running");
        kwok["status"]["containerStatuses"] = json!([{"image": "alpine:3.15"}]);
        assert_eq!(
            summary("Pod", &Tree::from(kwok), "lab").0,
            "pod-default      Running   sa demo-sa"
        );
    }

    #[test]
    fn sections_count_objects_and_put_the_lessons_own_first() {
        let mut snapshot = Snapshot::new()
            .with(json!({"kind": "ServiceAccount", "metadata": {"name": "demo-sa", "namespace": "lab"}}))
            .with(json!({"kind": "Role", "metadata": {"name": "list-pods", "namespace": "lab"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]}))
            .with(json!({"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "lab"},
                "roleRef": {"kind": "Role", "name": "list-pods"},
                "subjects": [{"kind": "ServiceAccount", "name": "demo-sa", "namespace": "lab"}]}));
        for i in 0..50 {
            snapshot.insert(pod(&format!("a-web-{i:02}"), "Pending"));
        }
        snapshot.insert(pod("pod-demo-sa", "Running"));
        let pane = vec![
            Scope::all("Pod", "lab"),
            Scope::all("RoleBinding", "lab"),
            Scope::all("Role", "lab"),
            Scope::all("ServiceAccount", "lab"),
        ];
        let named = BTreeSet::from([("Pod".into(), "lab".into(), "pod-demo-sa".into())]);
        let view = build(&snapshot, &pane, &named, &|_| None);
        let titles: Vec<&str> = view.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "ServiceAccounts in lab (1)",
                "Roles in lab (1)",
                "RoleBindings in lab (1)",
                "Pods in lab (51)"
            ]
        );
        let pods = &view.sections[3].rows;
        assert_eq!(pods[0].name, "pod-demo-sa", "the lesson's pod comes first");
        assert_eq!(pods[0].tone, Tone::Good);
        assert_eq!(pods[1].name, "a-web-00");
        assert_eq!(view.sections[1].rows[0].text, "list-pods: list pods");
        assert_eq!(
            view.sections[2].rows[0].text,
            "b: ServiceAccount demo-sa → Role list-pods"
        );
        assert_eq!(view.first_of("Pod"), Some("pod-demo-sa"));
        assert_eq!(view.line_count(), 4 + 1 + 1 + 1 + 51);
    }

    #[test]
    fn a_scope_that_cannot_be_seen_says_why() {
        let pane = vec![Scope::named("Service", "default", "kubernetes")];
        let view = build(&Snapshot::new(), &pane, &BTreeSet::new(), &|_| {
            Some("you may not get Service kubernetes in default".into())
        });
        assert_eq!(view.sections[0].title, "Service default/kubernetes");
        assert!(
            view.sections[0]
                .blind
                .as_deref()
                .unwrap()
                .contains("may not get")
        );
    }
}
