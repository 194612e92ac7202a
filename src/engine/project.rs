//! What the engine keeps of an object. The objects a lesson names are kept
//! whole (a `field` check may read any path of them), as are RBAC objects
//! (the explainer reads their rules and subjects). Everything else — the
//! thousands of Pods a namespace may hold — is kept as a projection of the
//! fields the checks and the cluster pane read, so memory follows the lesson,
//! not the cluster.

use kube::ResourceExt;
use kube::api::DynamicObject;
use serde_json::{Map, Value, json};

use crate::checks::snapshot::ObjectKey;
use crate::tree::Tree;

/// Kinds kept whole whatever their name: the RBAC explainer reads them.
const WHOLE_KINDS: [&str; 4] = ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"];

/// The key `object` is stored under (as `checks::snapshot::key_of` reads it
/// from the stored tree), from its metadata alone: a deletion needs no
/// projection.
pub fn key(kind: &str, object: &DynamicObject) -> ObjectKey {
    (
        kind.to_string(),
        object.namespace().unwrap_or_default(),
        object.name_any(),
    )
}

/// The object as stored: `kind` set, `managedFields` and the last-applied
/// annotation dropped, and, unless `whole`, only the fields listed here.
pub fn project(kind: &str, object: DynamicObject, whole: bool) -> Tree {
    Tree::from(projected(kind, object, whole))
}

/// The projection, as JSON: built with serde_json's handy indexing, kept as
/// a `Tree` (a tenth of the allocations; see `crate::tree`).
fn projected(kind: &str, mut object: DynamicObject, whole: bool) -> Value {
    object.metadata.managed_fields = None;
    if let Some(annotations) = &mut object.metadata.annotations {
        annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        if annotations.is_empty() {
            object.metadata.annotations = None;
        }
    }
    if whole || WHOLE_KINDS.contains(&kind) {
        let mut value = serde_json::to_value(&object).unwrap_or(Value::Null);
        value["kind"] = kind.into();
        return value;
    }
    let meta = &object.metadata;
    let mut metadata = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value.filter(|v| !v.is_null()) {
            metadata.insert(key.into(), value);
        }
    };
    put("name", meta.name.clone().map(Value::from));
    put("namespace", meta.namespace.clone().map(Value::from));
    put("uid", meta.uid.clone().map(Value::from));
    put("labels", meta.labels.as_ref().map(|l| json!(l)));
    put(
        "ownerReferences",
        meta.owner_references.as_ref().map(|owners| {
            owners
                .iter()
                .map(|o| json!({"kind": o.kind, "name": o.name}))
                .collect()
        }),
    );
    // `newest` in a count picks by it.
    put(
        "creationTimestamp",
        meta.creation_timestamp.as_ref().map(|t| json!(t)),
    );
    put(
        "deletionTimestamp",
        meta.deletion_timestamp.as_ref().map(|t| json!(t)),
    );
    let data = &object.data;
    let mut value = json!({"kind": kind, "metadata": metadata});
    let mut copy = |path: &[&str]| {
        let mut from = data;
        for key in path {
            from = &from[*key];
        }
        if from.is_null() {
            return;
        }
        let mut to = &mut value;
        for key in &path[..path.len() - 1] {
            to = &mut to[*key];
        }
        to[path[path.len() - 1]] = from.clone();
    };
    for path in super::shape::READ_PATHS {
        copy(path);
    }
    match kind {
        "Pod" => {
            copy(&["spec", "serviceAccountName"]);
            copy(&["spec", "nodeName"]);
            copy(&["status", "phase"]);
            // What really runs (a runtime's container ID and image) or why
            // not (ErrImagePull …): the pane says it, per container.
            if let Some(statuses) = data["status"]["containerStatuses"].as_array() {
                value["status"]["containerStatuses"] = statuses
                    .iter()
                    .map(|s| {
                        let mut kept = json!({"name": s["name"], "image": s["image"],
                               "containerID": s["containerID"],
                               "state": {"waiting": {"reason": s["state"]["waiting"]["reason"]}}});
                        // Why it waits, said only while it waits (small, and rare).
                        if !s["state"]["waiting"].is_null() {
                            kept["state"]["waiting"]["message"] =
                                s["state"]["waiting"]["message"].clone();
                            kept["restartCount"] = s["restartCount"].clone();
                            kept["lastState"]["terminated"]["exitCode"] =
                                s["lastState"]["terminated"]["exitCode"].clone();
                        }
                        kept
                    })
                    .collect();
            }
        }
        "Service" => {
            copy(&["spec", "type"]);
            copy(&["spec", "clusterIP"]);
            copy(&["spec", "ports"]);
        }
        _ => {}
    }
    if let Some(endpoints) = data["endpoints"].as_array() {
        // An EndpointSlice's readiness per address is what the pane and a
        // count's `where` usually read; addresses are dropped.
        value["endpoints"] = endpoints
            .iter()
            .map(|e| json!({"conditions": {"ready": e["conditions"]["ready"]}}))
            .collect();
    }
    if let Some(revision) = meta
        .annotations
        .as_ref()
        .and_then(|a| a.get(super::shape::REVISION))
    {
        value["metadata"]["annotations"] = json!({super::shape::REVISION: revision});
    }
    // Type and status of each condition is what a pane reads of them; a Pod
    // the scheduler cannot place keeps its reason and message too (the pane
    // says why).
    if let Some(conditions) = data["status"]["conditions"].as_array() {
        value["status"]["conditions"] = conditions
            .iter()
            .map(|c| {
                if kind == "Pod" && c["type"] == "PodScheduled" && c["status"] == "False" {
                    json!({"type": c["type"], "status": c["status"],
                           "reason": c["reason"], "message": c["message"]})
                } else {
                    json!({"type": c["type"], "status": c["status"]})
                }
            })
            .collect();
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> DynamicObject {
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": "web-1", "namespace": "lab", "uid": "u1", "resourceVersion": "7",
                "labels": {"app": "web"},
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{…}", "note": "x"},
                "managedFields": [{"manager": "kubectl"}],
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "r"}]
            },
            "spec": {"serviceAccountName": "demo-sa", "nodeName": "kwok-node-0",
                     "containers": [{"name": "c", "image": "busybox", "env": [{"name": "A", "value": "B"}]}]},
            "status": {"phase": "Running", "podIP": "10.0.0.1",
                       "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
        }))
        .unwrap()
    }

    #[test]
    fn a_pod_keeps_what_checks_and_the_pane_read_and_nothing_else() {
        let slim = project("Pod", pod(), false);
        assert_eq!(
            slim,
            json!({
                "kind": "Pod",
                "metadata": {"name": "web-1", "namespace": "lab", "uid": "u1",
                             "labels": {"app": "web"},
                             "ownerReferences": [{"kind": "ReplicaSet", "name": "web"}]},
                "spec": {"serviceAccountName": "demo-sa", "nodeName": "kwok-node-0"},
                "status": {"phase": "Running",
                           "conditions": [{"type": "Ready", "status": "True"}]}
            })
        );
    }

    #[test]
    fn a_pod_that_cannot_run_keeps_why() {
        let mut stuck = serde_json::to_value(pod()).unwrap();
        stuck["status"] = json!({"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
             "message": "0/1 nodes are available: 1 Too many pods."}]});
        let slim = project("Pod", serde_json::from_value(stuck).unwrap(), false);
        assert_eq!(
            slim["status"]["conditions"][0]["message"],
            "0/1 nodes are available: 1 Too many pods."
        );
        let mut crashing = serde_json::to_value(pod()).unwrap();
        crashing["status"]["containerStatuses"] = json!([{"name": "c", "image": "busybox",
            "restartCount": 3, "lastState": {"terminated": {"exitCode": 2, "reason": "Error"}},
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}}}]);
        let slim = project("Pod", serde_json::from_value(crashing).unwrap(), false);
        let kept = &slim["status"]["containerStatuses"][0];
        assert_eq!(kept["restartCount"].as_u64(), Some(3));
        assert_eq!(
            kept["lastState"]["terminated"]["exitCode"].as_u64(),
            Some(2)
        );
        assert_eq!(kept["state"]["waiting"]["message"], "back-off 40s");
    }

    #[test]
    fn named_objects_are_whole_but_without_managed_fields() {
        let whole = project("Pod", pod(), true);
        assert_eq!(whole["spec"]["containers"][0]["env"][0]["value"], "B");
        assert_eq!(whole["status"]["podIP"], "10.0.0.1");
        assert!(whole["metadata"]["managedFields"].is_null());
        assert_eq!(whole["metadata"]["annotations"], json!({"note": "x"}));
        assert_eq!(whole["kind"], "Pod");
    }

    #[test]
    fn the_key_from_metadata_is_the_stored_objects_key() {
        let stored = project("Pod", pod(), false);
        assert_eq!(key("Pod", &pod()), crate::checks::snapshot::key_of(&stored));
        let role: DynamicObject = serde_json::from_value(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": {"name": "viewer"}}),
        )
        .unwrap();
        assert_eq!(
            key("ClusterRole", &role),
            ("ClusterRole".into(), String::new(), "viewer".into())
        );
    }

    #[test]
    fn rbac_objects_are_always_whole() {
        let role: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "r", "namespace": "lab"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]
        }))
        .unwrap();
        assert_eq!(project("Role", role, false)["rules"][0]["verbs"][0], "list");
    }
}
