//! What a cluster offers beyond an API server, for lessons' `requires:`.
//! Each is told from what the cluster shows (nodes, DNS Service, network
//! plugin, StorageClasses); what cannot be read counts as present, so a
//! namespace-limited learner on a real cluster is not turned away, and the
//! lesson's own checks then say what is wrong.

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::Client;
use kube::api::{Api, ListParams};

use super::pod_exec::is_fake;
use crate::lesson::model::Capability;

/// Network plugins that enforce NetworkPolicy, by the name of their DaemonSet.
const POLICY_PLUGINS: [&str; 6] = [
    "calico",
    "cilium",
    "antrea",
    "kube-router",
    "weave",
    "canal",
];

/// Why the cluster lacks `capability`, or None when it has it (or we cannot tell).
pub async fn lacks(client: &Client, capability: Capability) -> Option<String> {
    match capability {
        Capability::Containers => {
            let nodes = Api::<Node>::all(client.clone())
                .list(&ListParams::default())
                .await
                .ok()?;
            let all_fake = nodes.items.iter().all(is_fake);
            all_fake.then(|| {
                if nodes.items.is_empty() {
                    "the cluster has no nodes".to_string()
                } else {
                    "its nodes are simulated (kwok): Pods run no containers".to_string()
                }
            })
        }
        Capability::Dns => {
            let api = Api::<Service>::namespaced(client.clone(), "kube-system");
            match api.get_opt("kube-dns").await {
                Ok(None) => {
                    Some("there is no cluster DNS (no kube-dns Service in kube-system)".into())
                }
                _ => None,
            }
        }
        Capability::NetworkPolicy => {
            // Names are all it reads: the metadata alone (no Pod templates
            // over the wire, nor their decoding compiled in).
            let sets = Api::<DaemonSet>::namespaced(client.clone(), "kube-system")
                .list_metadata(&ListParams::default())
                .await
                .ok()?;
            let enforced = sets.items.iter().any(|d| {
                let name = d.metadata.name.as_deref().unwrap_or_default();
                POLICY_PLUGINS.iter().any(|p| name.contains(p))
            });
            (!enforced).then(|| {
                "no network plugin that enforces NetworkPolicy runs in kube-system".to_string()
            })
        }
        Capability::Storage => {
            let classes = Api::<StorageClass>::all(client.clone())
                .list(&ListParams::default())
                .await
                .ok()?;
            classes
                .items
                .is_empty()
                .then(|| "there is no StorageClass to provision volumes".to_string())
        }
    }
}

/// Every requirement the cluster lacks, with why.
pub async fn missing(client: &Client, requires: &[Capability]) -> Vec<(Capability, String)> {
    let mut missing = Vec::new();
    for capability in requires {
        if let Some(why) = lacks(client, *capability).await {
            missing.push((*capability, why));
        }
    }
    missing
}

/// A lesson refused because the cluster lacks what it requires.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LessonRefused(pub String);

/// The sentence a learner reads when a lesson cannot start.
pub fn refusal(lesson: &str, missing: &[(Capability, String)]) -> String {
    let needs: Vec<String> = missing
        .iter()
        .map(|(c, why)| format!("{c} ({why})"))
        .collect();
    format!(
        "lesson {lesson} needs what this cluster lacks: {}. Run it on a cluster that has it \
         (kind, minikube, k3d or a cloud cluster: --context), or pick another lesson",
        needs.join("; ")
    )
}
