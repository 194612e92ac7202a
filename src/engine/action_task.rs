//! A step's action, run beside the engine's loop rather than in it: an
//! action waits on the network (a token, a request from a Pod, a label), and
//! the engine must keep evaluating checks and taking commands meanwhile. The
//! task owns what it needs — clients, the one or two objects it reads from
//! the store — so nothing it holds borrows the engine, and it gives up after
//! `bounded::TIME_LIMIT`, saying so.

use std::collections::BTreeMap;
use std::sync::Arc;

use kube::{Client, Config};

use super::{ActionOutput, BODY_LINES, Engine};
use crate::checks::Snapshot;
use crate::checks::remote::{self, RemoteContext, Route};
use crate::cluster::bounded;
use crate::cluster::callers::Callers;
use crate::cluster::{apply, describe};
use crate::lesson::model::{Action, Caller};

pub(crate) struct ActionTask {
    action: Action,
    client: Client,
    config: Config,
    lesson: String,
    namespace: String,
    /// The Pod and ServiceAccount the action names, as the engine saw them.
    seen: Snapshot,
    callers: Arc<Callers>,
    local_reviews: bool,
}

impl Engine {
    /// What running `action` needs, taken from the engine now.
    pub(crate) fn action_task(&self, action: &Action) -> ActionTask {
        let mut seen = Snapshot::new();
        let namespace = self.namespace();
        if let Action::Request(spec) = action {
            let named = match &spec.caller {
                Caller::Pod(name) => Some(("Pod", name)),
                Caller::ServiceAccount(name) => Some(("ServiceAccount", name)),
                Caller::Anonymous => None,
            };
            if let Some(object) =
                named.and_then(|(kind, name)| self.store.get(kind, namespace, name))
            {
                seen.insert(object.clone());
            }
        }
        ActionTask {
            action: action.clone(),
            client: self.client.clone(),
            config: self.config.clone(),
            lesson: self.lesson.id.clone(),
            namespace: namespace.to_string(),
            seen,
            callers: self.callers.clone(),
            local_reviews: self.local_reviews,
        }
    }
}

impl ActionTask {
    /// Runs the action and describes what happened, or that it ran out of time.
    pub(crate) async fn run(self) -> ActionOutput {
        self.run_bounded().await.0
    }

    /// Runs the action: what happened, and whether it answered in time (an
    /// action that gave up was not run, as far as the step is concerned).
    pub(crate) async fn run_bounded(self) -> (ActionOutput, bool) {
        let title = title(&self.action, &self.namespace);
        let (lines, answered) = match tokio::time::timeout(bounded::TIME_LIMIT, self.lines()).await
        {
            Ok(lines) => (lines, true),
            Err(_) => (
                vec![format!("{title}: {}.", bounded::time_limit_said())],
                false,
            ),
        };
        let output = ActionOutput {
            title,
            lines,
            step: None,
        };
        (output, answered)
    }

    async fn lines(&self) -> Vec<String> {
        match &self.action {
            Action::Token(t) => {
                describe::token(&self.client, &self.namespace, &t.service_account, false).await
            }
            Action::Request(spec) => {
                let ctx = RemoteContext {
                    client: &self.client,
                    config: &self.config,
                    kinds: None,
                    lesson: &self.lesson,
                    namespace: &self.namespace,
                    snapshot: &self.seen,
                    callers: &self.callers,
                    local_reviews: self.local_reviews,
                    // The task holds only the objects it names: anything
                    // else is asked of the server.
                    sees_accounts: false,
                    sees_cluster_rbac: false,
                };
                match remote::send(spec, &ctx, Route::Inside).await {
                    Ok(sent) => describe::response(
                        &sent.response,
                        &sent.who,
                        sent.note.as_deref(),
                        BODY_LINES,
                    ),
                    Err(outcome) => vec![outcome.message],
                }
            }
            Action::LabelNamespace(labels) => self.label_namespace(labels).await,
        }
    }

    /// Merges `labels` into the lesson namespace's labels (lint allows only
    /// Pod Security Admission's) and says what the namespace carries now.
    async fn label_namespace(&self, labels: &BTreeMap<String, String>) -> Vec<String> {
        use k8s_openapi::api::core::v1::Namespace;
        use kube::api::{Patch, PatchParams};
        let api = kube::Api::<Namespace>::all(self.client.clone());
        let patch = serde_json::json!({"metadata": {"labels": labels}});
        match api
            .patch(
                &self.namespace,
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            Ok(namespace) => namespace
                .metadata
                .labels
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| k.starts_with(crate::lesson::model::POD_SECURITY_LABELS))
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            Err(err) => vec![format!(
                "could not label namespace {}: {}",
                self.namespace,
                apply::server_message(&err)
            )],
        }
    }
}

/// The Output pane's title for `action`.
fn title(action: &Action, namespace: &str) -> String {
    match action {
        Action::Token(t) => format!("Token for ServiceAccount {}", t.service_account),
        Action::Request(spec) => format!("{} {}", spec.method, spec.path),
        Action::LabelNamespace(_) => format!("kubectl label namespace {namespace}"),
    }
}
