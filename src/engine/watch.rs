//! Reflector stores for the kinds a lesson's checks look at, in the namespaces
//! they look in. Every change is announced on a channel: the engine evaluates
//! when the cluster changes, never on a timer.

use std::collections::BTreeSet;

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::checks::Snapshot;
use crate::cluster::kinds::Kinds;

/// What the watches report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// Something of this kind changed (added, modified, deleted, relisted).
    Changed { kind: String },
    /// A watch failed; it retries with backoff. The text says why.
    Error { kind: String, message: String },
}

/// A kind in a namespace ("" = all namespaces, for cluster-scoped kinds).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WatchTarget {
    pub kind: String,
    pub namespace: String,
}

struct Watched {
    kind: String,
    store: Store<DynamicObject>,
    task: JoinHandle<()>,
}

pub struct Watches {
    watched: Vec<Watched>,
}

impl Watches {
    /// Starts one reflector per target. Kinds the cluster does not serve are
    /// returned as Err so the caller can say so.
    pub fn start(
        client: &Client,
        kinds: &Kinds,
        targets: &BTreeSet<WatchTarget>,
        events: mpsc::UnboundedSender<WatchEvent>,
    ) -> Result<Watches, String> {
        let mut watched = Vec::new();
        for target in targets {
            let (resource, capabilities) = kinds
                .by_kind(&target.kind)
                .ok_or_else(|| format!("this cluster serves no kind {}", target.kind))?;
            let api: Api<DynamicObject> =
                if Kinds::is_namespaced(&capabilities) && !target.namespace.is_empty() {
                    Api::namespaced_with(client.clone(), &target.namespace, &resource)
                } else {
                    Api::all_with(client.clone(), &resource)
                };
            let writer = reflector::store::Writer::new(resource.clone());
            let store = writer.as_reader();
            let kind = target.kind.clone();
            let events = events.clone();
            let stream = watcher(api, watcher::Config::default())
                .default_backoff()
                .modify(trim)
                .reflect(writer);
            let task = tokio::spawn(async move {
                let mut stream = std::pin::pin!(stream);
                while let Some(event) = stream.next().await {
                    let message = match event {
                        // Only a completed (re)list or a change is worth evaluating.
                        Ok(watcher::Event::Init | watcher::Event::InitApply(_)) => continue,
                        Ok(_) => WatchEvent::Changed { kind: kind.clone() },
                        Err(err) => WatchEvent::Error {
                            kind: kind.clone(),
                            message: err.to_string(),
                        },
                    };
                    if events.send(message).is_err() {
                        break; // nobody listens any more
                    }
                }
            });
            watched.push(Watched {
                kind: target.kind.clone(),
                store,
                task,
            });
        }
        Ok(Watches { watched })
    }

    /// Waits until every store has its first complete list.
    pub async fn ready(&self) {
        for w in &self.watched {
            let _ = w.store.wait_until_ready().await;
        }
    }

    /// The objects of every store, as JSON with their kind set.
    pub fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot::new();
        for w in &self.watched {
            for object in w.store.state() {
                if let Ok(mut value) = serde_json::to_value(object.as_ref()) {
                    value["kind"] = w.kind.clone().into();
                    snapshot.insert(value);
                }
            }
        }
        snapshot
    }
}

impl Drop for Watches {
    fn drop(&mut self) {
        for w in &self.watched {
            w.task.abort();
        }
    }
}

/// Keeps stored objects small: nothing a check reads is in these.
fn trim(object: &mut DynamicObject) {
    object.managed_fields_mut().clear();
    object
        .annotations_mut()
        .remove("kubectl.kubernetes.io/last-applied-configuration");
}
