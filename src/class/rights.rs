//! Granting a lesson's `rights:` to an attendee, as narrowly as RBAC allows:
//! `manage` kinds in the attendee's own namespace only; `labelNamespace` as
//! `patch` on the attendee's own Namespace object (a request on a Namespace
//! carries that namespace as its namespace attribute, so a Role there
//! reaches that one namespace and no other); `clusterRoles` as the verbs on
//! ClusterRoles and ClusterRoleBindings that creating read-only roles needs.
//! What RBAC cannot narrow (label values, role names and rules) is bounded
//! by admission policies (see `policy`).

use std::collections::BTreeMap;

use anyhow::Context;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::{Api, Client};
use serde_json::json;

use crate::cluster::kinds::Kinds;
use crate::lesson::model::Right;
use crate::lesson::rights::Need;

/// Field manager of the grants.
const MANAGER: &str = "kubetutor-rights";

/// Who receives a lesson's rights: a ServiceAccount, in the namespace the
/// lesson runs in.
#[derive(Debug, Clone)]
pub struct Grantee<'a> {
    pub namespace: &'a str,
    pub account: &'a str,
}

impl Grantee<'_> {
    /// Name of the Role, RoleBinding and ClusterRoleBinding holding its grants.
    fn grant_name(&self) -> String {
        format!("kubetutor-rights-{}", self.account)
    }

    fn subject(&self) -> serde_json::Value {
        json!({"kind": "ServiceAccount", "name": self.account, "namespace": self.namespace})
    }
}

/// The ClusterRole every grantee of `clusterRoles` is bound to.
pub const CLUSTER_ROLES_ROLE: &str = "kubetutor-lesson-cluster-roles";

/// Grants `rights` to `grantee`; returns one line per right: what it allows
/// and why. A right whose `risk()` is not None is refused unless
/// `allow_risky`. What RBAC cannot narrow is bounded by the admission
/// policies (`policy`), made here when a right needs them.
pub async fn grant(
    client: &Client,
    kinds: &Kinds,
    grantee: &Grantee<'_>,
    rights: &[Right],
    allow_risky: bool,
    labels: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<String>> {
    let mut said = Vec::new();
    let mut rules = Vec::new();
    let mut cluster_roles = false;
    for right in rights {
        if let Some(risk) = right.risk()
            && !allow_risky
        {
            anyhow::bail!(
                "the lesson asks for a right that lets an attendee reach beyond their namespace: \
                 {risk}; grant it only if that is acceptable on this cluster (--allow-risky-rights)"
            );
        }
        match right.need() {
            Some(Need::Manage(kinds_named)) => {
                for kind in kinds_named {
                    let (resource, _) = kinds.by_kind(&kind).with_context(|| {
                        format!("the lesson manages {kind}, a kind this cluster does not serve")
                    })?;
                    rules.push(json!({
                        "apiGroups": [resource.group],
                        "resources": [resource.plural],
                        "verbs": ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
                    }));
                }
            }
            Some(Need::LabelNamespace(_)) => {
                super::policy::ensure_labels_policy(client, kinds, grantee.namespace).await?;
                rules.push(json!({
                "apiGroups": [""],
                "resources": ["namespaces"],
                "resourceNames": [grantee.namespace],
                "verbs": ["get", "patch", "update"],
                }));
            }
            Some(Need::ClusterRoles(_)) => {
                super::policy::ensure_roles_policy(client, kinds).await?;
                cluster_roles = true;
            }
            None => {
                anyhow::bail!("a right of the lesson is incomplete (run `kubetutor lessons lint`)")
            }
        }
        said.push(right.describe(grantee.namespace));
    }
    let name = grantee.grant_name();
    let apply = PatchParams::apply(MANAGER).force();
    if !rules.is_empty() {
        let roles: Api<k8s_openapi::api::rbac::v1::Role> =
            Api::namespaced(client.clone(), grantee.namespace);
        roles
            .patch(
                &name,
                &apply,
                &Patch::Apply(json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": {"name": name, "namespace": grantee.namespace, "labels": labels},
                    "rules": rules,
                })),
            )
            .await
            .with_context(|| format!("creating Role {name} in {}", grantee.namespace))?;
        let bindings: Api<k8s_openapi::api::rbac::v1::RoleBinding> =
            Api::namespaced(client.clone(), grantee.namespace);
        bindings
            .patch(
                &name,
                &apply,
                &Patch::Apply(json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": {"name": name, "namespace": grantee.namespace, "labels": labels},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                    "subjects": [grantee.subject()],
                })),
            )
            .await
            .with_context(|| format!("creating RoleBinding {name} in {}", grantee.namespace))?;
    }
    if cluster_roles {
        ensure_cluster_roles_role(client).await?;
        let bindings: Api<k8s_openapi::api::rbac::v1::ClusterRoleBinding> =
            Api::all(client.clone());
        let binding = cluster_binding_name(grantee);
        bindings
            .patch(
                &binding,
                &apply,
                &Patch::Apply(json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                    "metadata": {"name": binding, "labels": grantee_labels(grantee, labels)},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                "name": CLUSTER_ROLES_ROLE},
                    "subjects": [grantee.subject()],
                })),
            )
            .await
            .with_context(|| format!("creating ClusterRoleBinding {binding}"))?;
    }
    Ok(said)
}

/// Removes what `grant` made outside the grantee's namespace (what it made
/// inside goes with the namespace, or stays harmless with the account gone).
pub async fn revoke(client: &Client, grantee: &Grantee<'_>) -> anyhow::Result<()> {
    let bindings: Api<k8s_openapi::api::rbac::v1::ClusterRoleBinding> = Api::all(client.clone());
    match bindings
        .delete(&cluster_binding_name(grantee), &DeleteParams::background())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// `kubetutor-rights-<namespace>-<account>`: one per grantee, cluster-wide.
pub fn cluster_binding_name(grantee: &Grantee<'_>) -> String {
    format!("kubetutor-rights-{}-{}", grantee.namespace, grantee.account)
}

fn grantee_labels(
    grantee: &Grantee<'_>,
    labels: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut all = labels.clone();
    all.insert(
        crate::cluster::apply::NAMESPACE_LABEL.to_string(),
        grantee.namespace.to_string(),
    );
    all
}

/// The verbs a learner needs to make read-only ClusterRoles and bind them:
/// `escalate` (the roles grant reads the learner lacks cluster-wide) and
/// `bind` (bindings to them). RBAC cannot narrow these by name prefix or
/// rule; the admission policy does.
async fn ensure_cluster_roles_role(client: &Client) -> anyhow::Result<()> {
    let roles: Api<k8s_openapi::api::rbac::v1::ClusterRole> = Api::all(client.clone());
    roles
        .patch(
            CLUSTER_ROLES_ROLE,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": CLUSTER_ROLES_ROLE},
                "rules": [
                    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"],
                     "verbs": ["get", "list", "watch", "create", "update", "patch", "delete", "escalate", "bind"]},
                    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterrolebindings"],
                     "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
                ],
            })),
        )
        .await
        .context("creating the ClusterRole for lessons that make ClusterRoles")?;
    Ok(())
}
