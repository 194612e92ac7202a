//! `rollout undo`: the previous ReplicaSet's template put back, as kubectl
//! does it (it is not a server-side operation).

use std::time::Duration;

use kube::ResourceExt;
use kube::api::{DynamicObject, ListParams, Patch};
use kube::runtime::wait::await_condition;
use serde_json::json;

use super::Runner;
use crate::lesson::kubectl::Target;

impl Runner<'_> {
    /// kubectl's rollback: the ReplicaSet of the wanted revision (the one
    /// before the current when none is named) lends its Pod template, minus
    /// the `pod-template-hash` label, to the Deployment.
    pub(super) async fn rollout_undo(
        &self,
        target: &Target,
        to: Option<i64>,
    ) -> Result<String, String> {
        let (api, resource) = self.api_for(&target.kind)?;
        // A person types the next command seconds after the last: by then
        // the controller has made the ReplicaSet of the latest template. A
        // script right behind a patch would find the history one short, so
        // wait (briefly) for the controller to have seen the latest change.
        let caught_up = |d: Option<&DynamicObject>| {
            d.is_some_and(|d| {
                d.data["status"]["observedGeneration"].as_i64() >= d.metadata.generation
            })
        };
        let _ = tokio::time::timeout(
            Duration::from_secs(10),
            await_condition(api.clone(), &target.name, caught_up),
        )
        .await;
        let deployment = api
            .get(&target.name)
            .await
            .map_err(|e| self.refused(&resource, &target.name, &e))?;
        if deployment.data["spec"]["paused"] == true {
            return Err(
                "error: you cannot rollback a paused deployment; resume it first with \
                        rollout resume and try again"
                    .into(),
            );
        }
        let uid = deployment.uid().unwrap_or_default();
        let (sets, sets_resource) = self.api_for("replicaset")?;
        let owned: Vec<DynamicObject> = sets
            .list(&ListParams::default())
            .await
            .map_err(|e| self.refused(&sets_resource, "", &e))?
            .items
            .into_iter()
            .filter(|rs| rs.owner_references().iter().any(|o| o.uid == uid))
            .collect();
        let revision = |rs: &DynamicObject| -> i64 {
            rs.annotations()
                .get("deployment.kubernetes.io/revision")
                .and_then(|r| r.parse().ok())
                .unwrap_or(0)
        };
        let mut by_revision: Vec<&DynamicObject> = owned.iter().collect();
        by_revision.sort_by_key(|rs| std::cmp::Reverse(revision(rs)));
        let wanted = match to {
            Some(n) => by_revision.iter().find(|rs| revision(rs) == n).copied(),
            None => by_revision.get(1).copied(),
        }
        .ok_or_else(|| match to {
            Some(n) => format!("error: unable to find specified revision {n} in history"),
            None => "error: no rollout history found for deployment".to_string(),
        })?;
        let mut template = wanted.data["spec"]["template"].clone();
        if let Some(labels) = template["metadata"]["labels"].as_object_mut() {
            labels.remove("pod-template-hash");
        }
        if template == deployment.data["spec"]["template"] {
            return Ok(format!(
                "{} skipped rollback (current template already matches revision {})",
                self.named(&resource, &target.name),
                revision(wanted)
            ));
        }
        self.patch(
            target,
            Patch::Json(
                serde_json::from_value(
                    json!([{"op": "replace", "path": "/spec/template", "value": template}]),
                )
                .map_err(|e| e.to_string())?,
            ),
            "rolled back",
        )
        .await
    }
}
