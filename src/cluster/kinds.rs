//! Resolving kinds to API resources through the server's discovery, once per
//! session, so lessons and the learner's YAML may use any kind the cluster serves.

use kube::Client;
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};

pub struct Kinds {
    client: Client,
    discovery: Discovery,
}

impl Kinds {
    /// Aggregated discovery (two requests, Kubernetes ≥ 1.30) where the
    /// server offers it, else one request per API group.
    pub async fn discover(client: &Client) -> kube::Result<Kinds> {
        let discovery = match Discovery::new(client.clone()).run_aggregated().await {
            Ok(discovery) => discovery,
            Err(err) => {
                tracing::debug!("aggregated discovery failed ({err}); asking group by group");
                Discovery::new(client.clone()).run().await?
            }
        };
        Ok(Kinds {
            client: client.clone(),
            discovery,
        })
    }

    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// From `apiVersion` and `kind`, as written in a manifest.
    pub fn resolve(&self, api_version: &str, kind: &str) -> Option<(ApiResource, ApiCapabilities)> {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        self.discovery
            .resolve_gvk(&GroupVersionKind::gvk(group, version, kind))
    }

    /// From the kind alone (lessons name kinds, not versions): the preferred
    /// version, the core group first.
    pub fn by_kind(&self, kind: &str) -> Option<(ApiResource, ApiCapabilities)> {
        self.discovery.groups().find_map(|group| {
            group
                .recommended_resources()
                .into_iter()
                .find(|(resource, _)| resource.kind == kind)
        })
    }

    pub fn is_namespaced(capabilities: &ApiCapabilities) -> bool {
        capabilities.scope == Scope::Namespaced
    }
}
