//! Resetting a lesson: find exactly what the lesson made — the objects it owns
//! and those kubetutor labelled for it — delete them with foreground
//! propagation, and confirm each deletion through a watch. Anything else in
//! the namespace, the namespace itself, the default ServiceAccount and the
//! `kubernetes` Service are never touched.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use kube::api::{Api, DeleteParams, DynamicObject, ListParams};
use kube::discovery::ApiResource;
use kube::runtime::wait::{await_condition, conditions};
use kube::{Client, ResourceExt};

use super::apply::{LESSON_LABEL, NAMESPACE_LABEL, server_message};
use super::kinds::Kinds;
use crate::lesson::Lesson;

/// One object a reset will delete.
#[derive(Debug, Clone)]
pub struct Doomed {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub uid: String,
    resource: ApiResource,
}

impl std::fmt::Display for Doomed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

/// What happens during a reset, for progress display.
#[derive(Debug, Clone)]
pub enum ResetEvent {
    Deleting(String),
    Gone {
        object: String,
        seconds: f64,
    },
    /// Still there after a moment because of these finalizers.
    HeldBy {
        object: String,
        finalizers: Vec<String>,
    },
    /// Something of the namespace put back as the lesson found it (a label).
    Restored(String),
}

/// Objects no reset may delete, whatever a lesson says.
fn protected(kind: &str, name: &str, namespace: &str) -> bool {
    matches!(
        (kind, name, namespace),
        ("ServiceAccount", "default", _)
            | ("Service", "kubernetes", "default")
            | ("ConfigMap", "kube-root-ca.crt", _)
    ) || kind == "Namespace"
}

/// (kind, name) of the objects written in the YAML of these steps' solutions and templates.
fn named_in_steps(lesson: &Lesson, from: usize) -> BTreeSet<(String, String)> {
    let mut named = BTreeSet::new();
    for step in &lesson.steps[from..] {
        for doc in step_documents(step) {
            if let (Some(kind), Some(name)) =
                (doc["kind"].as_str(), doc["metadata"]["name"].as_str())
            {
                named.insert((kind.to_string(), name.to_string()));
            }
        }
    }
    named
}

/// kind → the apiVersion the lesson's YAML writes it with (the first one), so
/// a kind two API groups serve resolves to the group the lesson used.
fn written_versions(lesson: &Lesson) -> std::collections::BTreeMap<String, String> {
    let mut versions = std::collections::BTreeMap::new();
    for doc in lesson.steps.iter().flat_map(step_documents) {
        if let (Some(kind), Some(version)) = (doc["kind"].as_str(), doc["apiVersion"].as_str()) {
            versions
                .entry(kind.to_string())
                .or_insert_with(|| version.to_string());
        }
    }
    versions
}

fn step_documents(step: &crate::lesson::Step) -> Vec<serde_json::Value> {
    step.solution
        .iter()
        .chain(step.template.iter())
        .chain(step.setup.iter())
        .flat_map(|text| crate::yaml::documents(text).unwrap_or_default())
        .collect()
}

/// Whether a listed object is the lesson's: named in its `owns` or labelled
/// with its id; and, when cluster-scoped, labelled with this namespace too —
/// another learner's copy of the same lesson is not ours to delete.
fn is_ours(
    labels: &std::collections::BTreeMap<String, String>,
    owned_by_name: bool,
    namespaced: bool,
    lesson: &str,
    namespace: &str,
) -> bool {
    let label = |key: &str| labels.get(key).map(String::as_str);
    let lessons = owned_by_name || label(LESSON_LABEL) == Some(lesson);
    lessons && (namespaced || label(NAMESPACE_LABEL) == Some(namespace))
}

/// What a reset of `lesson` (from step `from`, 0 = all) would delete, in
/// reverse creation order (pods before bindings before roles before accounts).
pub async fn plan(
    client: &Client,
    kinds: &Kinds,
    lesson: &Lesson,
    from: usize,
) -> Result<Vec<Doomed>, String> {
    plan_keeping(client, kinds, lesson, from)
        .await
        .map(|plan| plan.doomed)
}

/// What a reset deletes, and what it keeps though the lesson names it.
#[derive(Debug, Default)]
pub struct Plan {
    pub doomed: Vec<Doomed>,
    /// Objects `owns:` names that kubetutor did not make (no label of it),
    /// in a namespace not made for the lesson: "Kind name", kept.
    pub kept: Vec<String>,
}

/// As `plan`, with what is kept. A lesson's `owns:` is a name, not a proof:
/// in a namespace the lesson shares, an object of that name kubetutor did
/// not make (no label) may be the learner's or anyone's, and stays.
pub async fn plan_keeping(
    client: &Client,
    kinds: &Kinds,
    lesson: &Lesson,
    from: usize,
) -> Result<Plan, String> {
    let ns = lesson.namespace.as_str();
    let mut kept = Vec::new();
    let later = named_in_steps(lesson, from);
    let versions = written_versions(lesson);
    // In a namespace made for this lesson, every object of the kinds it
    // manages beyond admin (quotas, limit ranges) is the learner's work for
    // it, however made (kubectl included); elsewhere only those kubetutor
    // labelled or the lesson names.
    let own_namespace = made_for(client, ns).await.as_deref() == Some(lesson.id.as_str());
    let managed: BTreeSet<String> = if from == 0 {
        lesson
            .rights
            .iter()
            .flat_map(|r| r.manage.clone())
            .collect()
    } else {
        BTreeSet::new()
    };
    // Elsewhere (a shared namespace): those the namespace did not hold when
    // the lesson began, as the lesson recorded it.
    let mut before: std::collections::BTreeMap<String, Option<BTreeSet<String>>> =
        Default::default();
    for kind in &managed {
        let uids = if own_namespace {
            Some(BTreeSet::new())
        } else {
            super::namespace_labels::there_before(client, ns, &lesson.id, kind).await
        };
        before.insert(kind.clone(), uids);
    }
    // ClusterRoles and bindings named after the namespace are the learner's
    // (a class attendee can make no others).
    let prefixed_cluster_roles =
        from == 0 && lesson.rights.iter().any(|r| r.cluster_roles.is_some());
    let mut candidate_kinds: Vec<String> = lesson.owns.iter().map(|o| o.kind.clone()).collect();
    candidate_kinds.extend(managed.iter().cloned());
    if prefixed_cluster_roles {
        candidate_kinds.extend(
            crate::lesson::rights::CLUSTER_ROLE_KINDS
                .iter()
                .map(|k| k.to_string()),
        );
    }
    candidate_kinds.extend(later.iter().map(|(k, _)| k.clone()));
    let mut seen = BTreeSet::new();
    let mut doomed = Vec::new();
    for kind in candidate_kinds {
        if !seen.insert(kind.clone()) {
            continue;
        }
        let written = versions.get(&kind).map(String::as_str);
        let Some((resource, capabilities)) = kinds.by_kind_as_written(&kind, written) else {
            continue;
        };
        let namespaced = Kinds::is_namespaced(&capabilities);
        let api: Api<DynamicObject> = if namespaced {
            Api::namespaced_with(client.clone(), ns, &resource)
        } else {
            Api::all_with(client.clone(), &resource)
        };
        let owned_names: BTreeSet<&str> = lesson
            .owns
            .iter()
            .filter(|o| o.kind == kind && o.namespace.as_deref().unwrap_or(ns) == ns)
            .map(|o| o.name.as_str())
            .collect();
        let listed = api
            .list(&ListParams::default())
            .await
            .map_err(|e| format!("listing {kind} in {ns}: {}", server_message(&e)))?;
        for object in listed.items {
            let name = object.name_any();
            let owned = owned_names.contains(name.as_str());
            let made_by_us = object.labels().get(LESSON_LABEL) == Some(&lesson.id);
            let in_scope = from == 0 || later.contains(&(kind.clone(), name.clone()));
            // By name alone only where the namespace was made for the lesson.
            let owned = owned && (made_by_us || own_namespace);
            if owned_names.contains(name.as_str()) && !owned && in_scope {
                kept.push(format!("{kind} {name}"));
            }
            let ours = is_ours(object.labels(), owned, namespaced, &lesson.id, ns)
                || before.get(&kind).is_some_and(|was| {
                    was.as_ref()
                        .is_some_and(|uids| !uids.contains(&object.uid().unwrap_or_default()))
                })
                || (prefixed_cluster_roles
                    && !namespaced
                    && crate::lesson::rights::CLUSTER_ROLE_KINDS.contains(&kind.as_str())
                    && name.starts_with(&crate::k8s_names::cluster_prefix(ns)));
            if ours && in_scope && !protected(&kind, &name, ns) {
                doomed.push(Doomed {
                    kind: kind.clone(),
                    namespace: object.namespace().unwrap_or_default(),
                    uid: object.uid().unwrap_or_default(),
                    name,
                    resource: resource.clone(),
                });
            }
        }
    }
    if from == 0 {
        doomed.extend(labelled_of_other_kinds(client, kinds, lesson, &seen).await);
    }
    let order = |kind: &str| match kind {
        "Pod" => 0,
        "RoleBinding" | "ClusterRoleBinding" => 1,
        "Role" | "ClusterRole" => 2,
        "ServiceAccount" => 4,
        _ => 3,
    };
    doomed.sort_by_key(|d| (order(&d.kind), d.name.clone()));
    // Kept unless deleted for another reason (a manage: kind made there).
    kept.retain(|k| !doomed.iter().any(|d| &d.to_string() == k));
    Ok(Plan { doomed, kept })
}

/// The lesson a namespace was made for (its `made-for-lesson` label), if any.
async fn made_for(client: &Client, namespace: &str) -> Option<String> {
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    namespaces
        .get_opt(namespace)
        .await
        .ok()
        .flatten()?
        .metadata
        .labels?
        .get(super::apply::MADE_FOR_LABEL)
        .cloned()
}

/// Objects kubetutor labelled for this lesson (and, cluster-scoped, for this
/// namespace) whose kinds the lesson does not name: what the learner applied
/// from the editor beyond the lesson's own YAML. Asked by label, so each
/// kind costs one small list; a kind the user may not list is skipped (what
/// they could not list they could not have made).
async fn labelled_of_other_kinds(
    client: &Client,
    kinds: &Kinds,
    lesson: &Lesson,
    named_kinds: &BTreeSet<String>,
) -> Vec<Doomed> {
    use futures::StreamExt;
    let ns = lesson.namespace.as_str();
    let lists = kinds
        .deletable()
        .into_iter()
        .filter(|(resource, _)| !named_kinds.contains(&resource.kind))
        .map(|(resource, capabilities)| async move {
            let namespaced = Kinds::is_namespaced(&capabilities);
            let (api, selector): (Api<DynamicObject>, String) = if namespaced {
                (
                    Api::namespaced_with(client.clone(), ns, &resource),
                    format!("{LESSON_LABEL}={}", lesson.id),
                )
            } else {
                (
                    Api::all_with(client.clone(), &resource),
                    format!("{LESSON_LABEL}={},{NAMESPACE_LABEL}={ns}", lesson.id),
                )
            };
            match api.list(&ListParams::default().labels(&selector)).await {
                Ok(listed) => (resource, listed.items),
                Err(err) => {
                    tracing::debug!(
                        "reset: not listing {}: {}",
                        resource.kind,
                        server_message(&err)
                    );
                    (resource, Vec::new())
                }
            }
        });
    // A few at a time: one round trip per kind would add up on a remote
    // cluster, all at once would be a burst the server need not take.
    let listed: Vec<_> = futures::stream::iter(lists).buffered(8).collect().await;
    let mut found = Vec::new();
    for (resource, objects) in listed {
        for object in objects {
            let name = object.name_any();
            if protected(&resource.kind, &name, ns) || managed_copy(&resource.kind, &object) {
                continue;
            }
            found.push(Doomed {
                kind: resource.kind.clone(),
                namespace: object.namespace().unwrap_or_default(),
                uid: object.uid().unwrap_or_default(),
                name,
                resource: resource.clone(),
            });
        }
    }
    found
}

/// An object a controller made from one of the lesson's and labelled with
/// its labels (EndpointSlices of a Service, a Deployment's ReplicaSets): it
/// goes with its owner, and a learner may not delete it (a namespace admin
/// may not delete EndpointSlices). Endpoints are the Service's legacy mirror.
fn managed_copy(kind: &str, object: &DynamicObject) -> bool {
    kind == "Endpoints"
        || object
            .owner_references()
            .iter()
            .any(|o| o.controller == Some(true))
}

/// Deletes `doomed` (foreground propagation) and waits, through watches, until
/// each is gone. Objects still there after `timeout` are returned by name with
/// why (finalizers), never skipped silently.
pub async fn execute(
    client: &Client,
    doomed: &[Doomed],
    timeout: Duration,
    progress: &mut (dyn FnMut(ResetEvent) + Send),
) -> Result<(), Vec<String>> {
    let mut failures = Vec::new();
    let mut waits = Vec::new();
    for object in doomed {
        let api: Api<DynamicObject> = if object.namespace.is_empty() {
            Api::all_with(client.clone(), &object.resource)
        } else {
            Api::namespaced_with(client.clone(), &object.namespace, &object.resource)
        };
        progress(ResetEvent::Deleting(object.to_string()));
        match api.delete(&object.name, &DeleteParams::foreground()).await {
            Ok(_) => waits.push((object, api)),
            Err(kube::Error::Api(status)) if status.code == 404 => progress(ResetEvent::Gone {
                object: object.to_string(),
                seconds: 0.0,
            }),
            Err(err) => failures.push(format!(
                "{object}: the API server refused the delete: {}",
                server_message(&err)
            )),
        }
    }
    let started = Instant::now();
    for (object, api) in waits {
        let gone = await_condition(
            api.clone(),
            &object.name,
            conditions::is_deleted(&object.uid),
        );
        let mut gone = std::pin::pin!(gone);
        // Say early when finalizers hold an object, then keep waiting.
        let early = Duration::from_secs(2).min(timeout);
        if tokio::time::timeout(early, &mut gone).await.is_err() {
            if let Ok(Some(current)) = api.get_opt(&object.name).await {
                let finalizers = current.finalizers().to_vec();
                if !finalizers.is_empty() {
                    progress(ResetEvent::HeldBy {
                        object: object.to_string(),
                        finalizers,
                    });
                }
            }
            let remaining = timeout.saturating_sub(started.elapsed());
            if tokio::time::timeout(remaining, &mut gone).await.is_err() {
                let finalizers = api
                    .get_opt(&object.name)
                    .await
                    .ok()
                    .flatten()
                    .map(|o| o.finalizers().to_vec())
                    .unwrap_or_default();
                failures.push(if finalizers.is_empty() {
                    format!("{object} is still being deleted after {} s", timeout.as_secs())
                } else {
                    format!(
                        "{object} is held by finalizers {}: whatever owns them has not let go; remove them with \
                         `kubectl patch {} {} -n {} --type=merge -p '{{\"metadata\":{{\"finalizers\":null}}}}'` if you are sure",
                        finalizers.join(", "),
                        object.kind.to_lowercase(),
                        object.name,
                        object.namespace
                    )
                });
                continue;
            }
        }
        progress(ResetEvent::Gone {
            object: object.to_string(),
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_account_the_kubernetes_service_and_namespaces_are_protected() {
        assert!(protected("ServiceAccount", "default", "lab"));
        assert!(protected("Service", "kubernetes", "default"));
        assert!(protected("Namespace", "lab", ""));
        assert!(protected("ConfigMap", "kube-root-ca.crt", "lab"));
        assert!(!protected("ServiceAccount", "demo-sa", "lab"));
        assert!(!protected("Service", "kubernetes", "lab"));
    }

    #[test]
    fn cluster_scoped_objects_are_ours_only_when_labelled_with_our_namespace() {
        let labels = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let mine = labels(&[(LESSON_LABEL, "l"), (NAMESPACE_LABEL, "alice")]);
        let theirs = labels(&[(LESSON_LABEL, "l"), (NAMESPACE_LABEL, "bob")]);
        let unlabelled = labels(&[(LESSON_LABEL, "l")]);
        assert!(is_ours(&mine, false, false, "l", "alice"));
        assert!(!is_ours(&theirs, false, false, "l", "alice"));
        assert!(
            !is_ours(&theirs, true, false, "l", "alice"),
            "same name, other learner"
        );
        assert!(!is_ours(&unlabelled, false, false, "l", "alice"));
        assert!(!is_ours(&mine, false, false, "other-lesson", "alice"));
        // Namespaced objects were listed in our namespace already.
        assert!(is_ours(&unlabelled, false, true, "l", "alice"));
        assert!(is_ours(&labels(&[]), true, true, "l", "alice"));
        assert!(!is_ours(&labels(&[]), false, true, "l", "alice"));
    }

    #[test]
    fn step_resets_cover_the_objects_of_that_step_and_later_ones() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
        let lesson = Lesson::load(&dir, Some("lab")).unwrap();
        let from_role = named_in_steps(&lesson, lesson.step_index("role").unwrap());
        assert!(from_role.contains(&("Role".into(), "list-pods".into())));
        assert!(from_role.contains(&("Pod".into(), "pod-demo-sa".into())));
        assert!(!from_role.contains(&("ServiceAccount".into(), "demo-sa".into())));
        assert!(!from_role.contains(&("Pod".into(), "pod-default".into())));
    }
}
