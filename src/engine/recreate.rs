//! Delete and create again: the only way to change a field the API server
//! keeps fixed once an object exists (a binding's roleRef, a Deployment's
//! selector, a Pod's serviceAccountName). The learner asked for it by name
//! (F9, after the apply error that names the object); only the lesson's own
//! objects qualify: in its namespace, or cluster-scoped with its prefix.

use std::time::Duration;

use kube::api::{Api, DeleteParams, DynamicObject};
use tokio::time::Instant;

use super::Engine;
use crate::cluster::apply::{Applied, ApplyError, server_message};
use crate::cluster::kinds::Kinds;

/// How long the object may take to be gone (finalizers, foreground deletion
/// of what it owns) before the learner is told and nothing is applied.
const GONE_WITHIN: Duration = Duration::from_secs(60);

impl Engine {
    /// Deletes `kind` `name` (foreground: what it owns goes first), waits
    /// until it is gone, then applies `text`.
    pub async fn recreate(
        &self,
        kind: &str,
        name: &str,
        text: &str,
    ) -> Result<Vec<Applied>, ApplyError> {
        let refused = |message: String| ApplyError::Server {
            line: 1,
            object: format!("{kind} {name}"),
            message,
        };
        let Some((resource, capabilities)) = self.kinds.by_kind(kind) else {
            return Err(refused(format!("the cluster serves no {kind}")));
        };
        let namespace = self.namespace();
        let api: Api<DynamicObject> = if Kinds::is_namespaced(&capabilities) {
            Api::namespaced_with(self.client.clone(), namespace, &resource)
        } else if name.starts_with(&crate::k8s_names::cluster_prefix(namespace)) {
            Api::all_with(self.client.clone(), &resource)
        } else {
            return Err(refused(format!(
                "{kind} {name} is not this lesson's (its cluster-scoped objects are named \
                 \"{}…\"): kubetutor deletes only the lesson's own; delete it yourself if you mean to",
                crate::k8s_names::cluster_prefix(namespace)
            )));
        };
        match api.delete(name, &DeleteParams::foreground()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(err) => {
                return Err(refused(format!(
                    "could not delete it: {}",
                    server_message(&err)
                )));
            }
        }
        let deadline = Instant::now() + GONE_WITHIN;
        loop {
            match api.get_opt(name).await {
                Ok(None) => break,
                Ok(Some(_)) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Ok(Some(object)) => {
                    let finalizers = object.metadata.finalizers.unwrap_or_default();
                    return Err(refused(format!(
                        "deleted, but still there after {} s (finalizers: {}); nothing was applied",
                        GONE_WITHIN.as_secs(),
                        if finalizers.is_empty() {
                            "none".to_string()
                        } else {
                            finalizers.join(", ")
                        }
                    )));
                }
                Err(err) => {
                    return Err(refused(format!(
                        "deleted, but could not see it go: {}",
                        server_message(&err)
                    )));
                }
            }
        }
        self.apply(text).await
    }
}
