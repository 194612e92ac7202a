//! Commands that change or remove what exists (`label`, `annotate`, `set
//! image`, `patch`, `delete`) and `wait`, with the requests kubectl sends.

use std::collections::BTreeMap;
use std::time::Duration;

use kube::ResourceExt;
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams};
use kube::runtime::wait::{await_condition, conditions};
use serde_json::{Value, json};

use super::{DELETE_WAIT, Runner};
use crate::lesson::kubectl::{Cascade, KeyChange, Target, Targets, WaitFor};

impl Runner<'_> {
    /// `label` / `annotate`: refuses to change an existing value without
    /// `--overwrite`, as kubectl does, then one merge patch per object.
    pub(super) async fn set_keys(
        &self,
        field: &str,
        targets: &Targets,
        changes: &[KeyChange],
        overwrite: bool,
    ) -> Result<String, String> {
        let mut said = Vec::new();
        for (api, resource, object) in self.objects(targets).await? {
            let name = object.name_any();
            let current = match field {
                "labels" => object.labels().clone(),
                _ => object.annotations().clone(),
            };
            let mut patch = serde_json::Map::new();
            for change in changes {
                match change {
                    KeyChange::Set(key, value) => {
                        if !overwrite && current.get(key).is_some_and(|v| v != value) {
                            return Err(format!(
                                "error: '{key}' already has a value ({}), and --overwrite is false",
                                current[key]
                            ));
                        }
                        patch.insert(key.clone(), value.clone().into());
                    }
                    KeyChange::Remove(key) => {
                        patch.insert(key.clone(), Value::Null);
                    }
                }
            }
            api.patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {field: patch}})),
            )
            .await
            .map_err(|e| self.refused(&resource, &name, &e))?;
            let verb = if field == "labels" {
                "labeled"
            } else {
                "annotated"
            };
            said.push(format!("{} {verb}", self.named(&resource, &name)));
        }
        Ok(said.join("\n"))
    }

    pub(super) async fn set_image(
        &self,
        target: &Target,
        images: &BTreeMap<String, String>,
    ) -> Result<String, String> {
        let (api, resource) = self.api_for(&target.kind)?;
        let object = api
            .get(&target.name)
            .await
            .map_err(|e| self.refused(&resource, &target.name, &e))?;
        let containers = object.data["spec"]["template"]["spec"]["containers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut patch = Vec::new();
        for (i, container) in containers.iter().enumerate() {
            let name = container["name"].as_str().unwrap_or_default();
            if let Some(image) = images.get(name).or_else(|| images.get("*")) {
                patch.push(json!({"op": "replace",
                    "path": format!("/spec/template/spec/containers/{i}/image"), "value": image}));
            }
        }
        if let Some(unknown) = images
            .keys()
            .find(|c| *c != "*" && !containers.iter().any(|k| k["name"] == c.as_str()))
        {
            return Err(format!(
                "error: unable to find container named \"{unknown}\""
            ));
        }
        self.patch(
            target,
            Patch::Json(serde_json::from_value(Value::Array(patch)).map_err(|e| e.to_string())?),
            "image updated",
        )
        .await
    }

    pub(super) async fn patch(
        &self,
        target: &Target,
        patch: Patch<Value>,
        verb: &str,
    ) -> Result<String, String> {
        let (api, resource) = self.api_for(&target.kind)?;
        api.patch(&target.name, &PatchParams::default(), &patch)
            .await
            .map_err(|e| self.refused(&resource, &target.name, &e))?;
        Ok(format!("{} {verb}", self.named(&resource, &target.name)))
    }

    /// Deletes with the propagation asked for (background by default, as
    /// kubectl), and waits for each object to be gone.
    pub(super) async fn delete(
        &self,
        targets: &Targets,
        cascade: Cascade,
    ) -> Result<String, String> {
        let params = match cascade {
            Cascade::Background => DeleteParams::background(),
            Cascade::Foreground => DeleteParams::foreground(),
            Cascade::Orphan => DeleteParams::orphan(),
        };
        let mut said = Vec::new();
        for (api, resource, object) in self.objects(targets).await? {
            let name = object.name_any();
            let uid = object.uid().unwrap_or_default();
            api.delete(&name, &params)
                .await
                .map_err(|e| self.refused(&resource, &name, &e))?;
            tokio::time::timeout(
                DELETE_WAIT,
                await_condition(api, &name, conditions::is_deleted(&uid)),
            )
            .await
            .map_err(|_| {
                format!(
                    "{} is still there after {} s",
                    self.named(&resource, &name),
                    DELETE_WAIT.as_secs()
                )
            })?
            .map_err(|e| e.to_string())?;
            said.push(format!("{} deleted", self.named(&resource, &name)));
        }
        Ok(said.join("\n"))
    }

    pub(super) async fn wait(
        &self,
        target: &Target,
        until: &WaitFor,
        seconds: u64,
    ) -> Result<String, String> {
        let (api, resource) = self.api_for(&target.kind)?;
        let what = self.named(&resource, &target.name);
        let waited = match until {
            WaitFor::Delete => {
                let Some(object) = api.get_opt(&target.name).await.map_err(|e| e.to_string())?
                else {
                    return Ok(format!("{what} deleted"));
                };
                let uid = object.uid().unwrap_or_default();
                tokio::time::timeout(
                    Duration::from_secs(seconds),
                    await_condition(api, &target.name, conditions::is_deleted(&uid)),
                )
                .await
                .map(|_| format!("{what} deleted"))
            }
            WaitFor::Condition { type_, status } => {
                let holds = {
                    let (type_, status) = (type_.clone(), status.clone());
                    move |o: Option<&DynamicObject>| {
                        o.is_some_and(|o| {
                            o.data["status"]["conditions"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .any(|c| {
                                    c["type"] == type_.as_str() && c["status"] == status.as_str()
                                })
                        })
                    }
                };
                tokio::time::timeout(
                    Duration::from_secs(seconds),
                    await_condition(api, &target.name, holds),
                )
                .await
                .map(|_| format!("{what} condition met"))
            }
        };
        waited.map_err(|_| format!("error: timed out waiting for the condition on {what}"))
    }
}
