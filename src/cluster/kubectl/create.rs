//! `apply -f -`, `create -f -` and the `create` generators (role, job
//! --from=cronjob): objects made as kubectl makes them.

use std::collections::BTreeMap;

use kube::ResourceExt;
use kube::api::{DynamicObject, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::{KUBECTL_MANAGER, Runner};
use crate::cluster::kinds::Kinds;

impl Runner<'_> {
    /// `apply -f -` (server-side, kubectl's manager) or `create -f -` (POST)
    /// of every document, in the lesson namespace.
    pub(super) async fn manifest(&self, text: &str, apply: bool) -> Result<String, String> {
        let documents = crate::yaml::documents(text).map_err(|e| e.to_string())?;
        let mut said = Vec::new();
        for mut document in documents {
            let kind = document["kind"].as_str().unwrap_or_default().to_string();
            let api_version = document["apiVersion"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let (resource, capabilities) = self
                .kinds
                .resolve(&api_version, &kind)
                .ok_or_else(|| format!("no kind {kind:?} in apiVersion {api_version:?}"))?;
            let namespaced = Kinds::is_namespaced(&capabilities);
            if namespaced {
                match document["metadata"]["namespace"].as_str() {
                    Some(ns) if ns != self.namespace => {
                        return Err(format!(
                            "the manifest names namespace {ns}, the example runs in {}",
                            self.namespace
                        ));
                    }
                    _ => document["metadata"]["namespace"] = self.namespace.into(),
                }
            }
            let object: DynamicObject =
                serde_json::from_value(document).map_err(|e| format!("{kind}: {e}"))?;
            let name = object.name_any();
            let api = self.api(&resource, namespaced);
            let result = if apply {
                api.patch(
                    &name,
                    &PatchParams::apply(KUBECTL_MANAGER).force(),
                    &Patch::Apply(&object),
                )
                .await
                .map(|_| "serverside-applied")
            } else {
                api.create(&PostParams::default(), &object)
                    .await
                    .map(|_| "created")
            };
            let verb = result.map_err(|e| self.refused(&resource, &name, &e))?;
            said.push(format!("{} {verb}", self.named(&resource, &name)));
        }
        Ok(said.join("\n"))
    }

    /// POSTs `object` of `kind` (in the lesson namespace when namespaced).
    pub(super) async fn create(&self, kind: &str, mut object: Value) -> Result<String, String> {
        let (resource, capabilities) = self
            .kinds
            .by_kind(kind)
            .ok_or_else(|| format!("this cluster serves no {kind}"))?;
        let namespaced = Kinds::is_namespaced(&capabilities);
        if namespaced {
            object["metadata"]["namespace"] = self.namespace.into();
        }
        let object: DynamicObject = serde_json::from_value(object).map_err(|e| e.to_string())?;
        let name = object.name_any();
        self.api(&resource, namespaced)
            .create(&PostParams::default(), &object)
            .await
            .map_err(|e| self.refused(&resource, &name, &e))?;
        Ok(format!("{} created", self.named(&resource, &name)))
    }

    /// Rules as `kubectl create role` writes them: one rule per API group,
    /// resources resolved through discovery (`pod` → `pods`, `deployments.apps`).
    pub(super) fn role_rules(
        &self,
        verbs: &[String],
        resources: &[String],
        names: &[String],
    ) -> Result<Vec<Value>, String> {
        let mut by_group: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for written in resources {
            let (plural, group) = match written.split_once('.') {
                Some((plural, group)) => (plural, Some(group)),
                None => (written.as_str(), None),
            };
            let (resource, _) = self.resolve(plural).ok_or_else(|| {
                format!("error: the server doesn't have a resource type \"{plural}\"")
            })?;
            if group.is_some_and(|g| g != resource.group) {
                return Err(format!(
                    "error: the server doesn't have a resource type \"{written}\""
                ));
            }
            by_group
                .entry(resource.group.clone())
                .or_default()
                .push(resource.plural.clone());
        }
        Ok(by_group
            .into_iter()
            .map(|(group, resources)| {
                let mut rule =
                    json!({"apiGroups": [group], "resources": resources, "verbs": verbs});
                if !names.is_empty() {
                    rule["resourceNames"] = json!(names);
                }
                rule
            })
            .collect())
    }

    /// kubectl's Job from a CronJob's template: its spec and template
    /// labels, the `instantiate: manual` annotation, and the CronJob as its
    /// controller.
    pub(super) async fn job_from_cronjob(
        &self,
        name: &str,
        cronjob: &str,
    ) -> Result<String, String> {
        let (cron_api, cron_resource) = self.api_for("cronjob")?;
        let cron = cron_api
            .get(cronjob)
            .await
            .map_err(|e| self.refused(&cron_resource, cronjob, &e))?;
        let template = &cron.data["spec"]["jobTemplate"];
        let mut annotations = template["metadata"]["annotations"].clone();
        if !annotations.is_object() {
            annotations = json!({});
        }
        annotations["cronjob.kubernetes.io/instantiate"] = "manual".into();
        self.create(
            "Job",
            json!({
                "apiVersion": "batch/v1", "kind": "Job",
                "metadata": {
                    "name": name,
                    "labels": template["metadata"]["labels"],
                    "annotations": annotations,
                    "ownerReferences": [{
                        "apiVersion": "batch/v1", "kind": "CronJob", "name": cronjob,
                        "uid": cron.uid().unwrap_or_default(), "controller": true,
                    }],
                },
                "spec": template["spec"],
            }),
        )
        .await
    }
}
