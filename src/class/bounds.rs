//! What an attendee namespace may hold and use: a ResourceQuota that counts
//! objects and a LimitRange that bounds each container, besides Pod Security.
//! `class create` and the attendee proof (`lessons test --as attendee`) both
//! make a namespace's bounds here, so the proof runs the lessons under the
//! very policy a class gets.
//!
//! Sized for the shipped lessons: the most Pods one makes at once is well
//! under ten (a Deployment of 3 during a rollout, a Job's retries, a
//! CronJob's history), so the counts leave a wide margin while stopping an
//! attendee from creating objects without bound. The quota counts objects
//! only, never CPU or memory: a quota on `requests.cpu` makes the API server
//! refuse every Pod that states no request, which would change what the
//! lessons' Pods do. The LimitRange gives a container that says nothing
//! small requests (so the scheduler still places every attendee's Pods) and
//! a limit, and caps what one container may ask for.
//!
//! A lesson that manages ResourceQuotas or LimitRanges itself (`manage:` in
//! its rights: the quota-limitrange lesson) gets no class object of that
//! kind: the right it needs is the right to change or delete the class's
//! one, so it would bound nothing; and that lesson teaches what a quota and
//! a LimitRange's defaults do to Pods, which a second one in the namespace
//! would change (the class's default requests would make its first step's
//! BestEffort Pod Burstable, and its refusals would no longer be its own
//! quota's).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{LimitRange, ResourceQuota};
use kube::api::{Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

use crate::cluster::apply::server_message;
use crate::lesson::model::Right;
use crate::lesson::rights::Need;

/// Name of the class's ResourceQuota and LimitRange in an attendee namespace.
pub const NAME: &str = "kubetutor-class";
const MANAGER: &str = "kubetutor-class";

/// The ResourceQuota's default counts.
pub const QUOTA: &[(&str, &str)] = &[
    ("pods", "30"),
    ("services", "10"),
    ("configmaps", "30"),
    ("secrets", "30"),
    ("persistentvolumeclaims", "5"),
    // A LoadBalancer or NodePort Service reaches beyond the namespace (a
    // cloud load balancer, a port on every node): no lesson needs one.
    ("services.loadbalancers", "0"),
    ("services.nodeports", "0"),
    ("count/deployments.apps", "10"),
    ("count/replicasets.apps", "50"),
    ("count/jobs.batch", "20"),
    ("count/cronjobs.batch", "5"),
];

/// The LimitRange's default values, per container.
pub const LIMITS: &[(&str, &str)] = &[
    ("defaultRequest.cpu", "10m"),
    ("defaultRequest.memory", "32Mi"),
    ("default.cpu", "500m"),
    ("default.memory", "256Mi"),
    ("max.cpu", "1"),
    ("max.memory", "1Gi"),
];

/// What the instructor chose (`--quota`, `--limit-range`); the defaults
/// when not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sizes {
    /// None: no ResourceQuota.
    pub quota: Option<BTreeMap<String, String>>,
    /// None: no LimitRange.
    pub limits: Option<BTreeMap<String, String>>,
}

impl Default for Sizes {
    fn default() -> Self {
        let owned = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        Sizes {
            quota: Some(owned(QUOTA)),
            limits: Some(owned(LIMITS)),
        }
    }
}

impl Sizes {
    /// The defaults changed by `--quota` and `--limit-range`: `none`, or
    /// `KEY=VALUE,…` (each replaces the default of its key; a quota key may
    /// be new, a LimitRange key must be one of `LIMITS`').
    pub fn from_flags(quota: Option<&str>, limits: Option<&str>) -> anyhow::Result<Sizes> {
        let mut sizes = Sizes::default();
        if let Some(flag) = quota {
            sizes.quota = changed(sizes.quota.take(), flag, "--quota", |key| {
                !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "./-".contains(c))
            })?;
        }
        if let Some(flag) = limits {
            sizes.limits = changed(sizes.limits.take(), flag, "--limit-range", |key| {
                LIMITS.iter().any(|(k, _)| *k == key)
            })?;
        }
        Ok(sizes)
    }
}

fn changed(
    defaults: Option<BTreeMap<String, String>>,
    flag: &str,
    name: &str,
    valid_key: impl Fn(&str) -> bool,
) -> anyhow::Result<Option<BTreeMap<String, String>>> {
    if flag.trim() == "none" {
        return Ok(None);
    }
    let mut values = defaults.unwrap_or_default();
    for pair in flag.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            anyhow::bail!("{name} {flag:?}: {pair:?} is not KEY=VALUE (or give `none`)");
        };
        let (key, value) = (key.trim(), value.trim());
        anyhow::ensure!(
            valid_key(key) && !value.is_empty(),
            "{name} {flag:?}: {pair:?} — {}",
            if name == "--limit-range" {
                format!(
                    "the keys are {}",
                    LIMITS
                        .iter()
                        .map(|(k, _)| *k)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                "a key is a ResourceQuota resource (pods, count/jobs.batch, …) and needs a value"
                    .to_string()
            }
        );
        values.insert(key.to_string(), value.to_string());
    }
    Ok(Some(values))
}

/// The bounds of an attendee namespace of a class taking these lessons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    /// Pod Security labels; None when a lesson sets them itself.
    pub pod_security: Option<BTreeMap<String, String>>,
    pub quota: Option<BTreeMap<String, String>>,
    pub limits: Option<BTreeMap<String, String>>,
}

impl Bounds {
    pub fn for_lessons(rights: &[Right], sizes: &Sizes) -> Bounds {
        let manages = |kind: &str| {
            rights
                .iter()
                .any(|r| matches!(r.need(), Some(Need::Manage(kinds)) if kinds.iter().any(|k| k == kind)))
        };
        Bounds {
            pod_security: pod_security_labels(rights),
            quota: sizes.quota.clone().filter(|_| !manages("ResourceQuota")),
            limits: sizes.limits.clone().filter(|_| !manages("LimitRange")),
        }
    }

    /// In words, for `class create`'s report.
    pub fn describe(&self, sizes: &Sizes) -> Vec<String> {
        let list = |values: &BTreeMap<String, String>| {
            values
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut lines = vec![match &self.pod_security {
            Some(_) => "Pod Security: baseline enforced, restricted warned, in every attendee \
                        namespace"
                .to_string(),
            None => "Pod Security: NOT enforced in the attendee namespaces, because a lesson of \
                     this class has attendees set it themselves (baseline or restricted, never \
                     privileged); until they do, a Pod of any privilege is admitted there"
                .to_string(),
        }];
        let lesson_manages = "because a lesson of this class manages them itself (an attendee \
                              may change or delete any there)";
        lines.push(match (&self.quota, &sizes.quota) {
            (Some(q), _) => format!("ResourceQuota {NAME} in each: {} (--quota)", list(q)),
            (None, Some(_)) => {
                format!("No ResourceQuota in the attendee namespaces, {lesson_manages}")
            }
            (None, None) => "No ResourceQuota in the attendee namespaces (--quota none)".into(),
        });
        lines.push(match (&self.limits, &sizes.limits) {
            (Some(l), _) => format!(
                "LimitRange {NAME} in each, per container: {} (--limit-range)",
                list(l)
            ),
            (None, Some(_)) => {
                format!("No LimitRange in the attendee namespaces, {lesson_manages}")
            }
            (None, None) => "No LimitRange in the attendee namespaces (--limit-range none)".into(),
        });
        lines
    }
}

/// The Pod Security labels of an attendee namespace: baseline enforced (no
/// privileged or host-reaching Pods), restricted warned. None when a lesson
/// of the class sets them itself (its `labelNamespace` right names them).
pub fn pod_security_labels(rights: &[Right]) -> Option<BTreeMap<String, String>> {
    let lesson_sets_them = rights.iter().any(|r| {
        matches!(r.need(), Some(Need::LabelNamespace(keys))
            if keys.iter().any(|k| k.starts_with("pod-security.kubernetes.io/")))
    });
    (!lesson_sets_them).then(|| {
        [
            ("pod-security.kubernetes.io/enforce", "baseline"),
            ("pod-security.kubernetes.io/enforce-version", "latest"),
            ("pod-security.kubernetes.io/warn", "restricted"),
            ("pod-security.kubernetes.io/warn-version", "latest"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    })
}

/// One object `apply` made or updated: (kind, UID).
pub type Applied = (&'static str, String);

/// Makes (or updates) the namespace's ResourceQuota and LimitRange as
/// `bounds` say; returns what is there now. Removing one that `bounds` no
/// longer wants is the caller's (it knows, by its record, which is its own).
pub async fn apply(
    client: &Client,
    namespace: &str,
    bounds: &Bounds,
    labels: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<Applied>> {
    let params = PatchParams::apply(MANAGER).force();
    let mut applied = Vec::new();
    if let Some(hard) = &bounds.quota {
        let quota = Api::<ResourceQuota>::namespaced(client.clone(), namespace)
            .patch(
                NAME,
                &params,
                &Patch::Apply(json!({
                    "apiVersion": "v1", "kind": "ResourceQuota",
                    "metadata": {"name": NAME, "labels": labels},
                    "spec": {"hard": hard},
                })),
            )
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "creating ResourceQuota {NAME} in {namespace} (--quota): {}",
                    server_message(&e)
                )
            })?;
        counted(client, namespace, hard).await?;
        applied.push(("ResourceQuota", quota.uid().unwrap_or_default()));
    }
    if let Some(limits) = &bounds.limits {
        let mut item = serde_json::Map::new();
        item.insert("type".into(), json!("Container"));
        for (key, value) in limits {
            let (field, resource) = key.split_once('.').unwrap_or((key, ""));
            item.entry(field.to_string())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("an object")
                .insert(resource.to_string(), json!(value));
        }
        let range = Api::<LimitRange>::namespaced(client.clone(), namespace)
            .patch(
                NAME,
                &params,
                &Patch::Apply(json!({
                    "apiVersion": "v1", "kind": "LimitRange",
                    "metadata": {"name": NAME, "labels": labels},
                    "spec": {"limits": [item]},
                })),
            )
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "creating LimitRange {NAME} in {namespace} (--limit-range): {}",
                    server_message(&e)
                )
            })?;
        applied.push(("LimitRange", range.uid().unwrap_or_default()));
    }
    Ok(applied)
}

/// Waits until the quota controller has counted the namespace against the
/// quota (its status holds these limits): until then the API server refuses
/// every object the quota counts ("status unknown for quota").
async fn counted(
    client: &Client,
    namespace: &str,
    hard: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let quotas = Api::<ResourceQuota>::namespaced(client.clone(), namespace);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let quota = quotas.get(NAME).await.map_err(|e| {
            anyhow::anyhow!(
                "reading ResourceQuota {NAME} in {namespace}: {}",
                server_message(&e)
            )
        })?;
        let status = quota.status.unwrap_or_default();
        let (counted, used) = (
            status.hard.unwrap_or_default(),
            status.used.unwrap_or_default(),
        );
        // By key: the server writes quantities in its own form ("1000m" as "1").
        if hard
            .keys()
            .all(|k| counted.contains_key(k) && used.contains_key(k))
        {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "ResourceQuota {NAME} in {namespace} is not counted after 30 s (is the \
             controller-manager running?): the API server refuses Pods there until it is"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_change_the_defaults_key_by_key_or_remove_them() {
        let sizes = Sizes::from_flags(Some("pods=5, count/jobs.batch=2"), None).unwrap();
        let quota = sizes.quota.unwrap();
        assert_eq!(quota["pods"], "5");
        assert_eq!(quota["count/jobs.batch"], "2");
        assert_eq!(quota["services"], "10", "the other defaults stay");
        assert_eq!(sizes.limits, Sizes::default().limits);
        let none = Sizes::from_flags(Some("none"), Some("none")).unwrap();
        assert_eq!((none.quota, none.limits), (None, None));
        let err = Sizes::from_flags(None, Some("max.gpu=1")).unwrap_err();
        assert!(err.to_string().contains("the keys are"), "{err}");
        assert!(Sizes::from_flags(Some("pods"), None).is_err());
        assert!(Sizes::from_flags(Some("po ds=1"), None).is_err());
    }

    fn lesson_rights(yaml: &str) -> Vec<Right> {
        crate::yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn a_lesson_that_manages_a_kind_gets_no_class_object_of_it() {
        let sizes = Sizes::default();
        let plain = Bounds::for_lessons(&[], &sizes);
        assert!(plain.quota.is_some() && plain.limits.is_some() && plain.pod_security.is_some());
        let managing = Bounds::for_lessons(
            &lesson_rights("- {manage: [LimitRange, ResourceQuota], why: x}"),
            &sizes,
        );
        assert_eq!((managing.quota, managing.limits), (None, None));
        assert!(managing.pod_security.is_some());
        let one = Bounds::for_lessons(&lesson_rights("- {manage: [LimitRange], why: x}"), &sizes);
        assert!(one.quota.is_some() && one.limits.is_none());
    }
}
