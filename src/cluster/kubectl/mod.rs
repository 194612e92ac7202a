//! Runs the kubectl commands of a lesson's examples (`lesson::kubectl`) the
//! way kubectl runs them: the same requests (a merge patch for `label`, the
//! scale subresource for `scale`, the previous ReplicaSet's template for
//! `rollout undo`, a POST for `create`), with the learner's own client and
//! none of kubetutor's labels — so an example proves that work done outside
//! the editor counts the same.

mod change;
mod create;
mod rollout;

use std::time::Duration;

use kube::Client;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::discovery::ApiResource;
use serde_json::{Value, json};

use super::apply::server_message;
use super::kinds::Kinds;
use crate::lesson::kubectl::{Command, PatchType, Subject, Targets};

/// The field manager kubectl uses for server-side apply.
const KUBECTL_MANAGER: &str = "kubectl";
/// `delete` waits for the object to be gone, as kubectl does by default.
const DELETE_WAIT: Duration = Duration::from_secs(60);

/// kubectl's short names for the kinds lessons use (`kubectl api-resources`).
const SHORT_NAMES: &[(&str, &str)] = &[
    ("po", "Pod"),
    ("svc", "Service"),
    ("deploy", "Deployment"),
    ("rs", "ReplicaSet"),
    ("sa", "ServiceAccount"),
    ("ns", "Namespace"),
    ("cm", "ConfigMap"),
    ("cj", "CronJob"),
    ("quota", "ResourceQuota"),
    ("limits", "LimitRange"),
    ("ep", "Endpoints"),
    ("ds", "DaemonSet"),
    ("sts", "StatefulSet"),
    ("netpol", "NetworkPolicy"),
    ("pvc", "PersistentVolumeClaim"),
];

/// Runs one command in `namespace`; `manifest` is what `-f -` reads. Ok
/// holds what kubectl would print.
pub async fn run(
    kinds: &Kinds,
    client: &Client,
    namespace: &str,
    command: &Command,
    manifest: Option<&str>,
) -> Result<String, String> {
    let runner = Runner {
        kinds,
        client,
        namespace,
    };
    runner.run(command, manifest).await
}

struct Runner<'a> {
    kinds: &'a Kinds,
    client: &'a Client,
    namespace: &'a str,
}

impl Runner<'_> {
    async fn run(&self, command: &Command, manifest: Option<&str>) -> Result<String, String> {
        match command {
            Command::Apply | Command::Create => {
                let text = manifest.ok_or("-f - reads the example's manifest, and it has none")?;
                self.manifest(text, matches!(command, Command::Apply))
                    .await
            }
            Command::CreateServiceAccount { name } => {
                self.create(
                    "ServiceAccount",
                    json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}),
                )
                .await
            }
            Command::CreateRole {
                cluster,
                name,
                verbs,
                resources,
                resource_names,
                aggregation_rule,
            } => {
                let kind = if *cluster { "ClusterRole" } else { "Role" };
                let mut role = json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
                    "metadata": {"name": name},
                });
                if aggregation_rule.is_empty() {
                    role["rules"] = Value::Array(self.role_rules(verbs, resources, resource_names)?);
                } else {
                    role["aggregationRule"] =
                        json!({"clusterRoleSelectors": [{"matchLabels": aggregation_rule}]});
                }
                self.create(kind, role).await
            }
            Command::CreateBinding {
                cluster,
                name,
                role_kind,
                role,
                subjects,
            } => {
                let kind = if *cluster {
                    "ClusterRoleBinding"
                } else {
                    "RoleBinding"
                };
                let subjects: Vec<Value> = subjects
                    .iter()
                    .map(|s| match s {
                        Subject::ServiceAccount { namespace, name } => {
                            json!({"kind": "ServiceAccount", "name": name, "namespace": namespace})
                        }
                        Subject::User(user) => json!({"apiGroup": "rbac.authorization.k8s.io",
                                                      "kind": "User", "name": user}),
                        Subject::Group(group) => json!({"apiGroup": "rbac.authorization.k8s.io",
                                                        "kind": "Group", "name": group}),
                    })
                    .collect();
                self.create(
                    kind,
                    json!({
                        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
                        "metadata": {"name": name},
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
                        "subjects": subjects,
                    }),
                )
                .await
            }
            Command::CreateQuota { name, hard } => {
                self.create(
                    "ResourceQuota",
                    json!({"apiVersion": "v1", "kind": "ResourceQuota",
                           "metadata": {"name": name}, "spec": {"hard": hard}}),
                )
                .await
            }
            Command::CreateJobFromCronJob { name, cronjob } => {
                self.job_from_cronjob(name, cronjob).await
            }
            Command::CreateDeployment {
                name,
                image,
                replicas,
            } => {
                // kubectl names the container after the image, labels app=NAME.
                let container = image
                    .rsplit('/')
                    .next()
                    .and_then(|i| i.split([':', '@']).next())
                    .unwrap_or(name);
                self.create(
                    "Deployment",
                    json!({
                        "apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": name, "labels": {"app": name}},
                        "spec": {
                            "replicas": replicas.unwrap_or(1),
                            "selector": {"matchLabels": {"app": name}},
                            "template": {
                                "metadata": {"labels": {"app": name}},
                                "spec": {"containers": [{"name": container, "image": image}]},
                            },
                        },
                    }),
                )
                .await
            }
            Command::Label {
                targets,
                changes,
                overwrite,
            } => self.set_keys("labels", targets, changes, *overwrite).await,
            Command::Annotate {
                targets,
                changes,
                overwrite,
            } => {
                self.set_keys("annotations", targets, changes, *overwrite)
                    .await
            }
            Command::Scale { target, replicas } => {
                let (api, resource) = self.api_for(&target.kind)?;
                api.patch_subresource(
                    "scale",
                    &target.name,
                    &PatchParams::default(),
                    &Patch::Merge(json!({"spec": {"replicas": replicas}})),
                )
                .await
                .map_err(|e| self.refused(&resource, &target.name, &e))?;
                Ok(format!("{} scaled", self.named(&resource, &target.name)))
            }
            Command::SetImage { target, images } => self.set_image(target, images).await,
            Command::RolloutUndo {
                target,
                to_revision,
            } => self.rollout_undo(target, *to_revision).await,
            Command::RolloutRestart { target } => {
                let now = utc_now();
                self.patch(
                    target,
                    Patch::Merge(json!({"spec": {"template": {"metadata": {"annotations": {
                        "kubectl.kubernetes.io/restartedAt": now}}}}})),
                    "restarted",
                )
                .await
            }
            Command::Patch {
                target,
                type_,
                patch,
            } => {
                let patch = match type_ {
                    PatchType::Strategic => Patch::Strategic(patch.clone()),
                    PatchType::Merge => Patch::Merge(patch.clone()),
                    PatchType::Json => Patch::Json(
                        serde_json::from_value(patch.clone())
                            .map_err(|e| format!("not a JSON patch: {e}"))?,
                    ),
                };
                self.patch(target, patch, "patched").await
            }
            Command::Delete { targets, cascade } => self.delete(targets, *cascade).await,
            Command::Wait {
                target,
                until,
                timeout_seconds,
            } => self.wait(target, until, *timeout_seconds).await,
        }
    }

    /// The objects named, or listed by selector.
    async fn objects(
        &self,
        targets: &Targets,
    ) -> Result<Vec<(Api<DynamicObject>, ApiResource, DynamicObject)>, String> {
        match targets {
            Targets::Named(named) => {
                let mut found = Vec::new();
                for target in named {
                    let (api, resource) = self.api_for(&target.kind)?;
                    let object = api
                        .get(&target.name)
                        .await
                        .map_err(|e| self.refused(&resource, &target.name, &e))?;
                    found.push((api, resource, object));
                }
                Ok(found)
            }
            Targets::Selected { kind, selector } => {
                let (api, resource) = self.api_for(kind)?;
                let listed = api
                    .list(&ListParams::default().labels(selector))
                    .await
                    .map_err(|e| self.refused(&resource, "", &e))?;
                Ok(listed
                    .items
                    .into_iter()
                    .map(|o| (api.clone(), resource.clone(), o))
                    .collect())
            }
        }
    }

    /// A kind as typed (`deploy`, `deployment`, `deployments`, `Deployment`).
    fn resolve(&self, typed: &str) -> Option<(ApiResource, kube::discovery::ApiCapabilities)> {
        let lower = typed.to_ascii_lowercase();
        let kind = SHORT_NAMES
            .iter()
            .find(|(short, _)| *short == lower)
            .map(|(_, kind)| kind.to_string());
        self.kinds.deletable().into_iter().find(|(resource, _)| {
            kind.as_deref() == Some(resource.kind.as_str())
                || resource.kind.to_ascii_lowercase() == lower
                || resource.plural == lower
        })
    }

    fn api_for(&self, typed: &str) -> Result<(Api<DynamicObject>, ApiResource), String> {
        let (resource, capabilities) = self
            .resolve(typed)
            .ok_or_else(|| format!("error: the server doesn't have a resource type \"{typed}\""))?;
        Ok((
            self.api(&resource, Kinds::is_namespaced(&capabilities)),
            resource,
        ))
    }

    fn api(&self, resource: &ApiResource, namespaced: bool) -> Api<DynamicObject> {
        if namespaced {
            Api::namespaced_with(self.client.clone(), self.namespace, resource)
        } else {
            Api::all_with(self.client.clone(), resource)
        }
    }

    /// `deployment.apps/web`, as kubectl names what it acted on.
    fn named(&self, resource: &ApiResource, name: &str) -> String {
        let kind = resource.kind.to_ascii_lowercase();
        if resource.group.is_empty() {
            format!("{kind}/{name}")
        } else {
            format!("{kind}.{}/{name}", resource.group)
        }
    }

    fn refused(&self, resource: &ApiResource, name: &str, err: &kube::Error) -> String {
        let what = if name.is_empty() {
            resource.plural.clone()
        } else {
            self.named(resource, name)
        };
        format!("Error from server ({what}): {}", server_message(err))
    }
}

/// Now in RFC 3339 (UTC), as kubectl writes `restartedAt`.
fn utc_now() -> String {
    k8s_openapi::jiff::Timestamp::now().to_string()
}
