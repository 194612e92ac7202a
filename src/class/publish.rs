//! Writing an attendee's progress record where the instructor reads it (the
//! ConfigMap of `record`, with the attendee's own credentials: admin of
//! their namespace allows it), and reading every attendee's back.
//!
//! The tutor's runtime runs `Publisher`: it takes each record `app::update`
//! hands out, writes at most one a second and only what changed (plus a
//! heartbeat, so a learner reading for minutes is not taken for gone), and
//! says once, quietly, when it cannot write — the lesson goes on regardless.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::join_all;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;
use tokio::sync::{mpsc, watch};

use super::record::{self, CONFIGMAP, KEY, Record};

/// Label on the progress ConfigMap (one list finds them all).
pub const PROGRESS_LABEL: &str = "kubetutor.dev/progress";
const MANAGER: &str = "kubetutor-progress";
/// At most one write this often.
pub const EVERY: Duration = Duration::from_secs(1);
/// Rewritten this often without a change, so `last seen` stays recent:
/// well under the board's default "gone" time (10 minutes).
pub const HEARTBEAT: Duration = Duration::from_secs(60);

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Writes `record` into `namespace` (server-side apply: create or replace).
pub async fn write(client: &Client, namespace: &str, record: &Record) -> anyhow::Result<()> {
    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    configmaps
        .patch(
            CONFIGMAP,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": CONFIGMAP, "labels": {PROGRESS_LABEL: "true"}},
                "data": {KEY: record.to_json()},
            })),
        )
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "writing ConfigMap {CONFIGMAP} in {namespace}: {}",
                crate::cluster::apply::server_message(&e)
            )
        })?;
    Ok(())
}

/// What each of `namespaces` published: absent when nothing, Err when what
/// is there is not a record. One list for all when the caller may list
/// ConfigMaps everywhere, else one read per namespace.
pub async fn read_all(
    client: &Client,
    namespaces: &[String],
) -> anyhow::Result<BTreeMap<String, Result<Record, String>>> {
    let everywhere: Api<ConfigMap> = Api::all(client.clone());
    let (labels, fields) = selectors();
    let params = ListParams::default().labels(&labels).fields(&fields);
    let found: Vec<ConfigMap> = match everywhere.list(&params).await {
        Ok(list) => list.items,
        Err(_) => {
            let reads = namespaces.iter().map(|ns| async move {
                Api::<ConfigMap>::namespaced(client.clone(), ns)
                    .get_opt(CONFIGMAP)
                    .await
            });
            let mut found = Vec::new();
            for read in join_all(reads).await {
                found.extend(read.map_err(|e| {
                    anyhow::anyhow!(
                        "reading the attendees' progress: {}",
                        crate::cluster::apply::server_message(&e)
                    )
                })?);
            }
            found
        }
    };
    Ok(found
        .iter()
        .filter_map(|cm| {
            let ns = cm.namespace()?;
            namespaces.contains(&ns).then(|| (ns, record_of(cm)))
        })
        .collect())
}

/// The record a progress ConfigMap holds (see `record::parse`).
pub fn record_of(cm: &ConfigMap) -> Result<Record, String> {
    match cm.data.as_ref().and_then(|d| d.get(KEY)) {
        Some(text) => record::parse(text),
        None => Err(format!("ConfigMap {CONFIGMAP} holds no {KEY}")),
    }
}

/// Where `list_params`-style selectors find every progress ConfigMap.
pub fn selectors() -> (String, String) {
    (
        format!("{PROGRESS_LABEL}=true"),
        format!("metadata.name={CONFIGMAP}"),
    )
}

/// The tutor's side: records in, writes out.
pub struct Publisher {
    records: watch::Sender<Option<Record>>,
}

impl Publisher {
    /// Starts publishing into `namespace` with `client`'s credentials (None:
    /// no connection to publish on, and nothing to say about it); the first
    /// failure is sent once as `failed(why)` on `messages`.
    pub fn spawn<M: Send + 'static>(
        client: impl std::future::Future<Output = anyhow::Result<Option<Client>>> + Send + 'static,
        namespace: String,
        messages: mpsc::UnboundedSender<M>,
        failed: impl FnOnce(String) -> M + Send + 'static,
    ) -> Publisher {
        let (records, rx) = watch::channel(None);
        tokio::spawn(async move {
            let mut failed = Some(failed);
            let mut say = |why: String| {
                tracing::warn!("progress not published: {why}");
                if let Some(failed) = failed.take() {
                    let _ = messages.send(failed(why));
                }
            };
            match client.await {
                Ok(Some(client)) => run(client, namespace, rx, &mut say).await,
                Ok(None) => {}
                Err(err) => say(format!("{err:#}")),
            }
        });
        Publisher { records }
    }

    /// The newest record: written within a second if it differs from the last.
    pub fn publish(&self, record: Record) {
        let _ = self.records.send(Some(record));
    }
}

async fn run(
    client: Client,
    namespace: String,
    mut records: watch::Receiver<Option<Record>>,
    say: &mut (dyn FnMut(String) + Send),
) {
    // What this namespace holds already (the tutor restarted): the time on
    // the step goes on if the learner is back on the same step.
    let mut written: Option<Record> = Api::<ConfigMap>::namespaced(client.clone(), &namespace)
        .get_opt(CONFIGMAP)
        .await
        .ok()
        .flatten()
        .and_then(|cm| record::parse(cm.data?.get(KEY)?).ok());
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    loop {
        tokio::select! {
            changed = records.changed() => if changed.is_err() { return },
            _ = heartbeat.tick() => {}
        }
        let Some(mut next) = records.borrow_and_update().clone() else {
            continue;
        };
        let now = unix_now();
        next.last_seen = now;
        next.step_since = match &written {
            Some(before) if before.step_id == next.step_id => before.step_since,
            _ => now,
        };
        let same = written
            .as_ref()
            .is_some_and(|w| w.content() == next.content());
        let stale = written
            .as_ref()
            .is_none_or(|w| now - w.last_seen >= HEARTBEAT.as_secs() as i64);
        if same && !stale {
            continue;
        }
        match write(&client, &namespace, &next).await {
            Ok(()) => written = Some(next),
            Err(err) => say(format!("{err:#}")),
        }
        // At most one write a second: what arrives meanwhile waits (the
        // newest wins, as the watch channel keeps only it).
        tokio::time::sleep(EVERY).await;
    }
}
