//! What a real node needs in the cluster besides itself: the kwok node
//! tainted (it runs no containers) while the real node is up, and untainted
//! when it is gone; CoreDNS's read-only rights.

use anyhow::Context;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};

use super::{KWOK_TAINT, NODE_NAME};

/// Keeps new Pods off the kwok node (it runs no containers) while a real node is up.
pub async fn taint_kwok_node(client: &Client) -> anyhow::Result<()> {
    let nodes: Api<Node> = Api::all(client.clone());
    let patch = serde_json::json!({
        "spec": {"taints": [{"key": KWOK_TAINT, "value": "true", "effect": "NoSchedule"}]}
    });
    nodes
        .patch(
            crate::lab::components::NODE_NAME,
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .context("tainting the kwok node")?;
    Ok(())
}

/// A lab that ran a real node and now starts without one: the kwok node
/// takes Pods again (its taint goes) and the real node's Node object, which
/// no kubelet will update any more, is deleted.
pub async fn forget(client: &Client) -> anyhow::Result<()> {
    let nodes: Api<Node> = Api::all(client.clone());
    let kwok = crate::lab::components::NODE_NAME;
    if let Some(node) = nodes.get_opt(kwok).await? {
        let taints: Vec<_> = node
            .spec
            .and_then(|s| s.taints)
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.key != KWOK_TAINT)
            .collect();
        let patch = serde_json::json!({"spec": {"taints": taints}});
        nodes
            .patch(kwok, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .context("removing the real-node taint from the kwok node")?;
    }
    if nodes.get_opt(NODE_NAME).await?.is_some() {
        nodes
            .delete(NODE_NAME, &Default::default())
            .await
            .with_context(|| format!("deleting the node {NODE_NAME}"))?;
    }
    Ok(())
}

/// A read-only ClusterRole over what CoreDNS's kubernetes plugin watches,
/// bound to CoreDNS's certificate identity.
pub async fn coredns_rbac(client: &Client) -> anyhow::Result<()> {
    use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
    let name = "system:kubetutor:coredns";
    let role = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": [
            {"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"], "verbs": ["list", "watch"]},
            {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"]}
        ]
    });
    let binding = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}]
    });
    let params = PatchParams::apply("kubetutor-lab").force();
    Api::<ClusterRole>::all(client.clone())
        .patch(name, &params, &Patch::Apply(role))
        .await
        .context("creating CoreDNS's ClusterRole")?;
    Api::<ClusterRoleBinding>::all(client.clone())
        .patch(name, &params, &Patch::Apply(binding))
        .await
        .context("binding CoreDNS's ClusterRole")?;
    Ok(())
}
