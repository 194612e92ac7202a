//! One line about any object, read from the shape of its fields rather than
//! its kind: whatever has `spec.replicas` is summed up as ready/desired (and
//! its rollout revision), whatever counts `succeeded`/`failed` as a Job does,
//! `status.hard`/`used` as a quota, a `schedule` as a CronJob, a `phase`, a
//! list of `endpoints`, conditions. A lesson about a kind kubetutor has never
//! seen gets a useful pane without Rust code. `project` keeps these fields.

use crate::tree::Tree;

/// How a row reads at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    /// Running, Ready, Bound.
    Good,
    /// Pending, not ready, being deleted.
    Waiting,
}

/// Annotation the Deployment controller keeps the rollout revision in.
pub const REVISION: &str = "deployment.kubernetes.io/revision";

/// Paths (under the object) that `summary` reads: kept in projections.
pub const READ_PATHS: [&[&str]; 13] = [
    &["spec", "replicas"],
    &["status", "readyReplicas"],
    &["spec", "completions"],
    &["status", "succeeded"],
    &["status", "failed"],
    &["status", "active"],
    &["status", "hard"],
    &["status", "used"],
    &["spec", "schedule"],
    &["spec", "suspend"],
    &["status", "lastScheduleTime"],
    &["status", "phase"],
    &["spec", "volumeName"],
];

/// The summary after the name, and its tone; None when nothing is known.
pub fn summary(object: &Tree) -> Option<(String, Tone)> {
    let spec = &object["spec"];
    let status = &object["status"];
    let mut parts = Vec::new();
    let mut tone = Tone::Plain;
    if let Some(desired) = spec["replicas"].as_u64() {
        let ready = status["readyReplicas"].as_u64().unwrap_or(0);
        parts.push(format!("{ready}/{desired} ready"));
        tone = if ready >= desired {
            Tone::Good
        } else {
            Tone::Waiting
        };
        if let Some(revision) = object["metadata"]["annotations"][REVISION].as_str() {
            parts.push(format!("revision {revision}"));
        }
    }
    let counts = ["succeeded", "failed", "active"];
    if counts.iter().any(|c| !status[*c].is_null()) || !spec["completions"].is_null() {
        let succeeded = status["succeeded"].as_u64().unwrap_or(0);
        let failed = status["failed"].as_u64().unwrap_or(0);
        let of = spec["completions"]
            .as_u64()
            .map(|n| format!("/{n}"))
            .unwrap_or_default();
        parts.push(format!("{succeeded}{of} succeeded, {failed} failed"));
        if let Some(active) = status["active"].as_u64().filter(|a| *a > 0) {
            parts.push(format!("{active} running"));
        }
    }
    if let Some(hard) = status["hard"].as_object() {
        let used: Vec<String> = hard
            .iter()
            .map(|(resource, limit)| {
                let now = status["used"][resource]
                    .as_str()
                    .map_or("0".into(), str::to_string);
                format!("{resource} {now}/{}", limit.display())
            })
            .collect();
        parts.push(used.join(", "));
    }
    if let Some(schedule) = spec["schedule"].as_str() {
        parts.push(format!("schedule {schedule:?}"));
        if spec["suspend"] == true {
            parts.push("suspended".into());
        }
        if let Some(last) = status["lastScheduleTime"].as_str() {
            parts.push(format!("last {last}"));
        }
    }
    if let Some(endpoints) = object["endpoints"].as_array() {
        let ready = endpoints
            .iter()
            .filter(|e| e["conditions"]["ready"] == true)
            .count();
        parts.push(format!("{ready}/{} endpoints ready", endpoints.len()));
    }
    let conditions: Vec<&str> = status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["status"] == "True")
        .filter_map(|c| c["type"].as_str())
        .collect();
    if let Some(phase) = status["phase"].as_str() {
        parts.push(phase.to_string());
        tone = match phase {
            "Running" | "Succeeded" | "Bound" | "Active" => Tone::Good,
            _ => Tone::Waiting,
        };
    } else if !conditions.is_empty() {
        parts.push(conditions.join(", "));
        if conditions
            .iter()
            .any(|c| ["Failed", "ReplicaFailure"].contains(c))
        {
            tone = Tone::Waiting;
        } else if tone == Tone::Plain {
            tone = Tone::Good;
        }
    }
    (!parts.is_empty()).then(|| (parts.join(" · "), tone))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(object: serde_json::Value) -> String {
        summary(&Tree::from(object))
            .map(|(text, _)| text)
            .unwrap_or_default()
    }

    #[test]
    fn workloads_quotas_schedules_and_slices_read_at_a_glance() {
        let deployment = json!({"metadata": {"annotations": {REVISION: "2"}},
            "spec": {"replicas": 3}, "status": {"readyReplicas": 2,
            "conditions": [{"type": "Available", "status": "True"}, {"type": "Progressing", "status": "True"}]}});
        assert_eq!(
            line(deployment.clone()),
            "2/3 ready · revision 2 · Available, Progressing"
        );
        assert_eq!(summary(&Tree::from(deployment)).unwrap().1, Tone::Waiting);
        let job = json!({"spec": {"completions": 3}, "status": {"succeeded": 1, "failed": 2, "active": 1}});
        assert_eq!(line(job), "1/3 succeeded, 2 failed · 1 running");
        let failed =
            json!({"status": {"failed": 4, "conditions": [{"type": "Failed", "status": "True"}]}});
        assert_eq!(
            summary(&Tree::from(failed)).unwrap(),
            ("0 succeeded, 4 failed · Failed".into(), Tone::Waiting)
        );
        let quota = json!({"status": {"hard": {"pods": "3", "requests.cpu": "500m"}, "used": {"pods": "1", "requests.cpu": "100m"}}});
        assert_eq!(line(quota), "pods 1/3, requests.cpu 100m/500m");
        let cron = json!({"spec": {"schedule": "*/1 * * * *", "suspend": true}});
        assert_eq!(line(cron), "schedule \"*/1 * * * *\" · suspended");
        let slice = json!({"endpoints": [{"conditions": {"ready": true}}, {"conditions": {"ready": false}}]});
        assert_eq!(line(slice), "1/2 endpoints ready");
        let claim = json!({"spec": {"volumeName": "pv-1"}, "status": {"phase": "Bound"}});
        assert_eq!(
            summary(&Tree::from(claim)).unwrap(),
            ("Bound".into(), Tone::Good)
        );
        assert_eq!(summary(&Tree::from(json!({"data": {"a": "b"}}))), None);
    }
}
