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
    /// version, the core group first, then groups by name. A kind served by
    /// two groups (Event: core and events.k8s.io) always resolves the same
    /// way; the discovery's own map order would pick one at random.
    pub fn by_kind(&self, kind: &str) -> Option<(ApiResource, ApiCapabilities)> {
        // Alphabetical puts the core group ("") first.
        self.discovery
            .groups_alphabetical()
            .into_iter()
            .find_map(|group| {
                group
                    .recommended_resources()
                    .into_iter()
                    .find(|(resource, _)| resource.kind == kind)
            })
    }

    /// The `apiVersion` a manifest gave, when the cluster serves the kind
    /// there; else `by_kind`.
    pub fn by_kind_as_written(
        &self,
        kind: &str,
        api_version: Option<&str>,
    ) -> Option<(ApiResource, ApiCapabilities)> {
        api_version
            .and_then(|version| self.resolve(version, kind))
            .or_else(|| self.by_kind(kind))
    }

    /// Every kind the cluster serves that can be listed and deleted, in a
    /// fixed order (core group first), each kind once.
    pub fn deletable(&self) -> Vec<(ApiResource, ApiCapabilities)> {
        use kube::discovery::verbs;
        let mut seen = std::collections::BTreeSet::new();
        self.discovery
            .groups_alphabetical()
            .into_iter()
            .flat_map(|group| group.recommended_resources())
            .filter(|(_, caps)| {
                caps.supports_operation(verbs::LIST) && caps.supports_operation(verbs::DELETE)
            })
            .filter(|(resource, _)| seen.insert(resource.kind.clone()))
            .collect()
    }

    /// Does the cluster serve this resource (plural) in this API group?
    pub fn serves(&self, group: &str, plural: &str) -> bool {
        self.discovery
            .groups()
            .filter(|g| g.name() == group)
            .any(|g| {
                g.recommended_resources()
                    .iter()
                    .any(|(r, _)| r.plural == plural)
            })
    }

    pub fn is_namespaced(capabilities: &ApiCapabilities) -> bool {
        capabilities.scope == Scope::Namespaced
    }
}
