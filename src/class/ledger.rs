//! The class's own record of what it made: every namespace, every object
//! outside the attendee namespaces (grants in other namespaces,
//! ClusterRoleBindings) and the attendee namespaces' ResourceQuotas and
//! LimitRanges, by name and UID, plus the kubeconfig files it wrote.
//! It lives in a ConfigMap in the class's own namespace (named as the class,
//! where no attendee has any right), so `create` can tell its objects from
//! someone else's of the same name, and `delete` removes exactly them.
//!
//! A label is not a record: anyone may put the class's label on anything,
//! and a name can be taken by someone else between two runs. The UID is
//! what the API server gives one object and never another.

use anyhow::Context;
use k8s_openapi::api::core::v1::{ConfigMap, LimitRange, Namespace, ResourceQuota};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, Role, RoleBinding};
use kube::api::{DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::{Api, Client, ResourceExt};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cluster::apply::server_message;

const CONFIGMAP: &str = "kubetutor-class";
const KEY: &str = "made.json";
const MANAGER: &str = "kubetutor-class";

/// One object the class made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Made {
    /// Namespace, Role, RoleBinding, ClusterRoleBinding, ResourceQuota or LimitRange.
    pub kind: String,
    #[serde(default)]
    pub namespace: Option<String>,
    pub name: String,
    pub uid: String,
}

impl std::fmt::Display for Made {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {} in {ns}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub made: Vec<Made>,
    /// The kubeconfig files `create` wrote (paths; never their content).
    #[serde(default)]
    pub files: Vec<String>,
}

/// The class's own namespace: where its ledger is kept.
pub fn home(class: &str) -> String {
    class.to_string()
}

impl Ledger {
    /// The UID the ledger has for this object, if it made it.
    pub fn uid_of(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&str> {
        self.made
            .iter()
            .find(|m| m.kind == kind && m.namespace.as_deref() == namespace && m.name == name)
            .map(|m| m.uid.as_str())
    }

    /// Removes the entry of an object, returning it.
    pub fn take(&mut self, kind: &str, namespace: Option<&str>, name: &str) -> Option<Made> {
        let at = self.made.iter().position(|m| {
            m.kind == kind && m.namespace.as_deref() == namespace && m.name == name
        })?;
        Some(self.made.remove(at))
    }

    /// Notes an object made (replacing an older entry of the same name).
    pub fn note(&mut self, kind: &str, namespace: Option<&str>, name: &str, uid: String) {
        self.made
            .retain(|m| !(m.kind == kind && m.namespace.as_deref() == namespace && m.name == name));
        self.made.push(Made {
            kind: kind.into(),
            namespace: namespace.map(str::to_string),
            name: name.into(),
            uid,
        });
    }
}

/// The ledger of `class`: None when the class has none (its home namespace
/// holds no ledger, or does not exist).
pub async fn read(client: &Client, class: &str) -> anyhow::Result<Option<Ledger>> {
    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), &home(class));
    let Some(cm) = configmaps.get_opt(CONFIGMAP).await.map_err(|e| {
        anyhow::anyhow!(
            "reading the record of class {class}: {}",
            server_message(&e)
        )
    })?
    else {
        return Ok(None);
    };
    let text = cm
        .data
        .as_ref()
        .and_then(|d| d.get(KEY))
        .cloned()
        .unwrap_or_default();
    serde_json::from_str(&text).map(Some).with_context(|| {
        format!(
            "the record of class {class} (ConfigMap {CONFIGMAP} in namespace {}) is damaged",
            home(class)
        )
    })
}

pub async fn write(client: &Client, class: &str, ledger: &Ledger) -> anyhow::Result<()> {
    let ns = home(class);
    Api::<ConfigMap>::namespaced(client.clone(), &ns)
        .patch(
            CONFIGMAP,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": CONFIGMAP, "labels": super::labels(class)},
                "data": {KEY: serde_json::to_string(ledger)?},
            })),
        )
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "writing the record of class {class} in {ns}: {}",
                server_message(&e)
            )
        })?;
    Ok(())
}

/// The UID of an object now, if it exists.
pub async fn uid_now(
    client: &Client,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> anyhow::Result<Option<String>> {
    let ns = namespace.unwrap_or_default();
    let found = match kind {
        "Namespace" => Api::<Namespace>::all(client.clone())
            .get_opt(name)
            .await
            .map(|o| o.map(|o| o.uid())),
        "Role" => Api::<Role>::namespaced(client.clone(), ns)
            .get_opt(name)
            .await
            .map(|o| o.map(|o| o.uid())),
        "RoleBinding" => Api::<RoleBinding>::namespaced(client.clone(), ns)
            .get_opt(name)
            .await
            .map(|o| o.map(|o| o.uid())),
        "ClusterRoleBinding" => Api::<ClusterRoleBinding>::all(client.clone())
            .get_opt(name)
            .await
            .map(|o| o.map(|o| o.uid())),
        "ResourceQuota" => Api::<ResourceQuota>::namespaced(client.clone(), ns)
            .get_opt(name)
            .await
            .map(|o| o.map(|o| o.uid())),
        "LimitRange" => Api::<LimitRange>::namespaced(client.clone(), ns)
            .get_opt(name)
            .await
            .map(|o| o.map(|o| o.uid())),
        other => anyhow::bail!("the class record lists a {other}, which kubetutor never makes"),
    };
    let where_ = namespace.map(|n| format!(" in {n}")).unwrap_or_default();
    Ok(found
        .map_err(|e| anyhow::anyhow!("reading {kind} {name}{where_}: {}", server_message(&e)))?
        .flatten())
}

/// The objects named that exist and are not the ones the ledger records:
/// someone else's, which the class must not take over.
pub async fn foreign(
    client: &Client,
    ledger: &Ledger,
    wanted: &[(&str, Option<String>, String)],
) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    for (kind, namespace, name) in wanted {
        let namespace = namespace.as_deref();
        if let Some(uid) = uid_now(client, kind, namespace, name).await?
            && ledger.uid_of(kind, namespace, name) != Some(uid.as_str())
        {
            let where_ = namespace.map(|n| format!(" in {n}")).unwrap_or_default();
            found.push(format!("{kind} {name}{where_} (uid {uid})"));
        }
    }
    Ok(found)
}

/// Creates namespace `name` (a create, never an apply: it fails if the name
/// was taken meanwhile) and returns its UID.
pub async fn create_namespace(client: &Client, namespace: &Namespace) -> anyhow::Result<String> {
    let name = namespace.name_any();
    let made = Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), namespace)
        .await
        .map_err(|e| anyhow::anyhow!("creating namespace {name}: {}", server_message(&e)))?;
    Ok(made.uid().unwrap_or_default())
}

/// What deleting one recorded object came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Deleted,
    /// Not there any more.
    Gone,
    /// The name holds another object (another UID): left alone.
    NotOurs(String),
}

/// Deletes `made` if the object of its name still has its UID (the API
/// server checks the UID again as it deletes: a precondition).
pub async fn delete(client: &Client, made: &Made) -> anyhow::Result<Outcome> {
    let ns = made.namespace.as_deref();
    match uid_now(client, &made.kind, ns, &made.name).await? {
        None => return Ok(Outcome::Gone),
        Some(uid) if uid != made.uid => return Ok(Outcome::NotOurs(uid)),
        Some(_) => {}
    }
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: Some(made.uid.clone()),
            resource_version: None,
        }),
        ..DeleteParams::background()
    };
    let ns = ns.unwrap_or_default();
    let result = match made.kind.as_str() {
        "Namespace" => Api::<Namespace>::all(client.clone())
            .delete(&made.name, &params)
            .await
            .map(|_| ()),
        "Role" => Api::<Role>::namespaced(client.clone(), ns)
            .delete(&made.name, &params)
            .await
            .map(|_| ()),
        "RoleBinding" => Api::<RoleBinding>::namespaced(client.clone(), ns)
            .delete(&made.name, &params)
            .await
            .map(|_| ()),
        "ClusterRoleBinding" => Api::<ClusterRoleBinding>::all(client.clone())
            .delete(&made.name, &params)
            .await
            .map(|_| ()),
        "ResourceQuota" => Api::<ResourceQuota>::namespaced(client.clone(), ns)
            .delete(&made.name, &params)
            .await
            .map(|_| ()),
        "LimitRange" => Api::<LimitRange>::namespaced(client.clone(), ns)
            .delete(&made.name, &params)
            .await
            .map(|_| ()),
        other => anyhow::bail!("the class record lists a {other}, which kubetutor never makes"),
    };
    match result {
        Ok(()) => Ok(Outcome::Deleted),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(Outcome::Gone),
        // 409: the UID precondition failed (replaced between the read and the delete).
        Err(kube::Error::Api(status)) if status.code == 409 => {
            Ok(Outcome::NotOurs(String::from("?")))
        }
        Err(err) => Err(anyhow::anyhow!("deleting {made}: {}", server_message(&err))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_knows_its_objects_by_kind_namespace_name_and_uid() {
        let mut ledger = Ledger::default();
        ledger.note("Namespace", None, "c-01", "u1".into());
        ledger.note("Role", Some("default"), "kubetutor-class-c", "u2".into());
        ledger.note("Namespace", None, "c-01", "u3".into());
        assert_eq!(ledger.made.len(), 2);
        assert_eq!(ledger.uid_of("Namespace", None, "c-01"), Some("u3"));
        assert_eq!(ledger.uid_of("Role", None, "kubetutor-class-c"), None);
        assert_eq!(
            ledger.made[0].to_string(),
            "Role kubetutor-class-c in default"
        );
        let back: Ledger = serde_json::from_str(&serde_json::to_string(&ledger).unwrap()).unwrap();
        assert_eq!(back, ledger);
    }
}
