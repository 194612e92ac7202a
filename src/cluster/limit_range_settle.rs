//! Waiting, after a LimitRange is created, until the API server's admission
//! applies it, before creating the objects that depend on it (the Pods after
//! it in the same apply).
//!
//! Why: the LimitRanger admission plugin reads LimitRanges from its informer;
//! when that shows none in the namespace it asks etcd and remembers the
//! answer for 30 s. Any Pod admitted in the namespace shortly before — our
//! own dry run of the documents, a `rejected` check's dry run, the learner's
//! earlier Pod — leaves "no LimitRange here" in that memory, and a Pod
//! created in the moment between the LimitRange's creation and the informer
//! seeing it is stored without the defaults, for good. We cannot see the
//! informer, but we can see its effect: a dry-run Pod that the LimitRange
//! would change (defaults filled in, or a min/max refusal).

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{LimitRange, Pod};
use kube::Client;
use kube::api::{Api, DynamicObject, PostParams};
use serde_json::json;

/// Longest we wait: the informer's lag is milliseconds on a quiet server,
/// seconds on a very busy one; past this we go on rather than hang.
pub const SETTLE_WITHIN: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

/// The annotation LimitRanger puts on a Pod whose containers it filled in.
const LIMIT_RANGER_ANNOTATION: &str = "kubernetes.io/limit-ranger";

/// How a LimitRange shows on a Pod with one container that asks for nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// It fills in requests or limits (`default`, `defaultRequest`).
    Defaults,
    /// It refuses such a Pod (`min`, `max`).
    Refusal,
    /// Nothing visible (only ratios, or only PersistentVolumeClaims).
    None,
}

/// What `limit_range` does to a Pod that asks for nothing.
pub fn effect(limit_range: &LimitRange) -> Effect {
    let limits = limit_range
        .spec
        .as_ref()
        .map(|s| s.limits.as_slice())
        .unwrap_or_default();
    let filled = |m: &Option<std::collections::BTreeMap<String, _>>| {
        m.as_ref().is_some_and(|m| !m.is_empty())
    };
    if limits
        .iter()
        .any(|l| l.type_ == "Container" && (filled(&l.default) || filled(&l.default_request)))
    {
        return Effect::Defaults;
    }
    if limits
        .iter()
        .any(|l| (l.type_ == "Container" || l.type_ == "Pod") && (filled(&l.min) || filled(&l.max)))
    {
        return Effect::Refusal;
    }
    Effect::None
}

/// Whether the dry run of the probe Pod shows LimitRanger at work.
fn shows(effect: Effect, answer: &Result<Pod, kube::Error>) -> Option<bool> {
    match (effect, answer) {
        (Effect::Defaults, Ok(pod)) => Some(
            pod.metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key(LIMIT_RANGER_ANNOTATION)),
        ),
        // LimitRanger's own words for min and max.
        (Effect::Refusal, Err(kube::Error::Api(status))) => Some(
            status.message.contains("usage per Container")
                || status.message.contains("usage per Pod"),
        ),
        (Effect::Refusal, Ok(_)) => Some(false),
        // A quota that needs requests or limits refuses the probe while
        // LimitRanger has not filled them in yet: not yet (once it has, the
        // defaults satisfy the quota, or the annotation shows).
        (Effect::Defaults, Err(kube::Error::Api(status)))
            if quota_wants_values(&status.message) =>
        {
            Some(false)
        }
        // Refused by something else (a quota, Pod Security): cannot tell.
        _ => None,
    }
}

/// A ResourceQuota's refusal of a Pod that names no requests or limits it
/// tracks: `failed quota: compute: must specify requests.cpu for: probe`.
fn quota_wants_values(message: &str) -> bool {
    message.contains("failed quota") && message.contains("must specify")
}

/// A Pod with one container that asks for nothing, and passes the
/// `restricted` Pod Security level, so only LimitRanger (or a quota) acts on it.
fn probe_pod() -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": "kubetutor-limitrange-probe"},
        "spec": {
            "securityContext": {
                "runAsNonRoot": true,
                "runAsUser": 65534,
                "seccompProfile": {"type": "RuntimeDefault"}
            },
            "containers": [{
                "name": "probe",
                "image": "probe",
                "securityContext": {
                    "allowPrivilegeEscalation": false,
                    "capabilities": {"drop": ["ALL"]}
                }
            }]
        }
    }))
    .expect("a valid Pod")
}

/// What came of waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Admission applies the LimitRange (after this long).
    Seen(Duration),
    /// Nothing to wait for: the LimitRange changes nothing a probe can show.
    NothingToSee,
    /// The probe could not tell (refused for another reason, or no answer).
    CannotTell(String),
    /// Admission still ignored it after `SETTLE_WITHIN`.
    NotSeen,
}

/// Waits until admission in `namespace` applies `applied` (a LimitRange just
/// created or changed), up to `SETTLE_WITHIN`.
pub async fn wait(client: &Client, namespace: &str, applied: &DynamicObject) -> Settled {
    let Ok(limit_range) =
        serde_json::to_value(applied).and_then(serde_json::from_value::<LimitRange>)
    else {
        return Settled::CannotTell("not a LimitRange".into());
    };
    let effect = effect(&limit_range);
    if effect == Effect::None {
        return Settled::NothingToSee;
    }
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let dry_run = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let probe = probe_pod();
    let started = Instant::now();
    loop {
        let answer = pods.create(&dry_run, &probe).await;
        match shows(effect, &answer) {
            Some(true) => return Settled::Seen(started.elapsed()),
            Some(false) => {}
            None => {
                return Settled::CannotTell(match answer {
                    Err(e) => super::server_message(&e),
                    Ok(_) => "the probe Pod was accepted unchanged".into(),
                });
            }
        }
        if started.elapsed() >= SETTLE_WITHIN {
            return Settled::NotSeen;
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(limits: serde_json::Value) -> LimitRange {
        serde_json::from_value(json!({"metadata": {"name": "r"}, "spec": {"limits": limits}}))
            .unwrap()
    }

    #[test]
    fn a_quota_refusing_the_empty_probe_means_the_defaults_are_not_applied_yet() {
        let refused = |message: &str| {
            Err(kube::Error::Api(Box::new(
                kube::core::Status::failure(message, "Forbidden").with_code(403),
            )))
        };
        let quota = refused(
            "pods \"kubetutor-limitrange-probe\" is forbidden: failed quota: compute: must \
             specify requests.cpu for: probe; requests.memory for: probe",
        );
        assert_eq!(shows(Effect::Defaults, &quota), Some(false), "keep waiting");
        let pod_security = refused("violates PodSecurity \"restricted:latest\"");
        assert_eq!(shows(Effect::Defaults, &pod_security), None, "cannot tell");
    }

    #[test]
    fn what_a_limitrange_shows_on_an_empty_pod() {
        assert_eq!(
            effect(&range(
                json!([{"type": "Container", "defaultRequest": {"cpu": "100m"}}])
            )),
            Effect::Defaults
        );
        assert_eq!(
            effect(&range(json!([{"type": "Pod", "max": {"cpu": "1"}}]))),
            Effect::Refusal
        );
        assert_eq!(
            effect(&range(
                json!([{"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}}])
            )),
            Effect::None
        );
        assert_eq!(
            effect(&range(
                json!([{"type": "PersistentVolumeClaim", "max": {"storage": "1Gi"}}])
            )),
            Effect::None
        );
    }

    #[test]
    fn the_probe_reads_limitrangers_mark_or_its_words() {
        let mut pod = probe_pod();
        assert_eq!(shows(Effect::Defaults, &Ok(pod.clone())), Some(false));
        pod.metadata.annotations = Some(
            [(
                LIMIT_RANGER_ANNOTATION.to_string(),
                "LimitRanger plugin set: cpu".to_string(),
            )]
            .into(),
        );
        assert_eq!(shows(Effect::Defaults, &Ok(pod)), Some(true));
        let refused = |message: &str| {
            Err(kube::Error::Api(
                serde_json::from_value(json!({
                    "status": "Failure", "message": message, "reason": "Forbidden", "code": 403
                }))
                .unwrap(),
            ))
        };
        assert_eq!(
            shows(
                Effect::Refusal,
                &refused("pods \"p\" is forbidden: maximum cpu usage per Container is 1")
            ),
            Some(true)
        );
        assert_eq!(
            shows(Effect::Defaults, &refused("exceeded quota: compute")),
            None
        );
    }
}
