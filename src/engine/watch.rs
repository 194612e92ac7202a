//! Following scopes of the cluster: a watch where list+watch is allowed, a
//! GET on a short interval where only get is, and a clear "refused" where the
//! server says no. Every change is sent to the engine as a `Feed` event with
//! the object already projected (see `project`), so the engine's one store is
//! changed in one place and nothing copies every object per event.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::discovery::ApiResource;
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use serde_json::Value;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::project::project;
use super::scope::Scope;
use crate::checks::snapshot::{ObjectKey, key_of};

/// Objects per page when listing.
const LIST_PAGE: u32 = 100;

/// How often a scope that may only be read with GET is read again.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// What the followers report. `id` is the scope's index in the engine.
#[derive(Debug, Clone)]
pub enum Feed {
    /// Every object of the scope, as just listed (first, or after a reconnect).
    Listed {
        id: usize,
        objects: Vec<Value>,
    },
    Applied {
        id: usize,
        object: Value,
    },
    Deleted {
        id: usize,
        key: ObjectKey,
    },
    /// Following failed; the next try is in `retry_in` (sooner when the
    /// engine sees the API server ready again).
    Failed {
        id: usize,
        message: String,
        retry_in: Duration,
    },
    /// The server refuses (forbidden, or no such kind): not followed any more.
    Refused {
        id: usize,
        message: String,
    },
}

/// Retry delay after the `attempt`-th failure in a row (0-based), an
/// `outage` after the first: quick for the first 30 s (a restarting API server
/// is back within seconds), then at most every 5 s.
pub fn retry_delay(attempt: u32, outage: Duration) -> Duration {
    if outage < Duration::from_secs(30) {
        match attempt {
            0 => Duration::from_millis(250),
            1 => Duration::from_millis(500),
            _ => Duration::from_secs(1),
        }
    } else {
        Duration::from_secs(5)
    }
}

/// Consecutive failures and when they began.
#[derive(Default)]
struct Outage {
    since: Option<Instant>,
    attempts: u32,
}

impl Outage {
    fn next_delay(&mut self) -> Duration {
        let since = *self.since.get_or_insert_with(Instant::now);
        let delay = retry_delay(self.attempts, since.elapsed());
        self.attempts += 1;
        delay
    }

    fn over(&mut self) {
        *self = Outage::default();
    }
}

/// One followed scope's task; aborted when dropped.
pub struct Follower(JoinHandle<()>);

impl Drop for Follower {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What a follower needs to know.
pub struct Spec {
    pub id: usize,
    pub scope: Scope,
    pub resource: ApiResource,
    /// Names of objects in this scope that are kept whole.
    pub whole: BTreeSet<String>,
}

impl Spec {
    fn api(&self, client: &Client) -> Api<DynamicObject> {
        if self.scope.namespace.is_empty() {
            Api::all_with(client.clone(), &self.resource)
        } else {
            Api::namespaced_with(client.clone(), &self.scope.namespace, &self.resource)
        }
    }

    fn project(&self, object: DynamicObject) -> Value {
        let whole = self.whole.contains(super::scope::EVERY_NAME)
            || self.whole.contains(&object.name_any());
        project(&self.scope.kind, object, whole)
    }
}

/// The server's refusal, when this error is one (403, 404): retrying cannot help.
fn refusal(err: &watcher::Error) -> Option<String> {
    let api_error = match err {
        watcher::Error::InitialListFailed(kube::Error::Api(status))
        | watcher::Error::WatchStartFailed(kube::Error::Api(status)) => status,
        _ => return None,
    };
    matches!(api_error.code, 403 | 404).then(|| api_error.message.clone())
}

/// A failure in words: the server's own message when it answered, else
/// that it cannot be reached, and the innermost cause ("Connection refused").
fn failure(scope: &Scope, err: &watcher::Error) -> String {
    let answered = match err {
        watcher::Error::InitialListFailed(kube::Error::Api(status))
        | watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status)) => Some(status.message.clone()),
        watcher::Error::WatchError(status) => Some(status.message.clone()),
        _ => None,
    };
    match answered {
        Some(message) => format!("watching {}: {message}", scope.describe()),
        None => format!(
            "cannot reach the API server: {}",
            super::health::short_error(err)
        ),
    }
}

/// Starts a watch of `spec.scope`. After any failure it waits (see
/// `retry_delay`, cut short by `retry_now`) and lists again from scratch, so
/// a `Listed` event always means "in sync again".
pub fn watch(
    client: &Client,
    spec: Spec,
    feed: mpsc::UnboundedSender<Feed>,
    retry_now: Arc<Notify>,
) -> Follower {
    let api = spec.api(client);
    // Pages of 100: a list of thousands of objects is decoded a hundred at a
    // time, so the memory it passes through stays small (and the heap's holes too).
    let mut config = watcher::Config::default().page_size(LIST_PAGE);
    if let Some(name) = &spec.scope.name {
        config = config.fields(&format!("metadata.name={name}"));
    }
    Follower(tokio::spawn(async move {
        let id = spec.id;
        let mut outage = Outage::default();
        loop {
            let mut stream = std::pin::pin!(watcher(api.clone(), config.clone()));
            let mut listing = Vec::new();
            while let Some(event) = stream.next().await {
                let sent = match event {
                    Ok(watcher::Event::Init) => {
                        listing.clear();
                        Ok(())
                    }
                    Ok(watcher::Event::InitApply(object)) => {
                        listing.push(spec.project(object));
                        Ok(())
                    }
                    Ok(watcher::Event::InitDone) => {
                        outage.over();
                        let objects = std::mem::take(&mut listing);
                        feed.send(Feed::Listed { id, objects })
                    }
                    Ok(watcher::Event::Apply(object)) => feed.send(Feed::Applied {
                        id,
                        object: spec.project(object),
                    }),
                    Ok(watcher::Event::Delete(object)) => feed.send(Feed::Deleted {
                        id,
                        key: key_of(&spec.project(object)),
                    }),
                    Err(err) => {
                        if let Some(message) = refusal(&err) {
                            let _ = feed.send(Feed::Refused { id, message });
                            return;
                        }
                        let retry_in = outage.next_delay();
                        let message = failure(&spec.scope, &err);
                        if feed
                            .send(Feed::Failed {
                                id,
                                message,
                                retry_in,
                            })
                            .is_err()
                        {
                            return;
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(retry_in) => {}
                            _ = retry_now.notified() => {}
                        }
                        break; // a fresh watcher lists again
                    }
                };
                if sent.is_err() {
                    return; // the engine is gone
                }
            }
        }
    }))
}

/// Follows one named object that may be read but not watched: GET every
/// `POLL_INTERVAL`, reporting only changes.
pub fn poll(
    client: &Client,
    spec: Spec,
    feed: mpsc::UnboundedSender<Feed>,
    retry_now: Arc<Notify>,
) -> Follower {
    let api = spec.api(client);
    let name = spec.scope.name.clone().unwrap_or_default();
    Follower(tokio::spawn(async move {
        let id = spec.id;
        // The resourceVersion last reported; None before the first read.
        let mut last: Option<Option<String>> = None;
        let mut outage = Outage::default();
        loop {
            let delay = match api.get_opt(&name).await {
                Ok(object) => {
                    outage.over();
                    let version = object.as_ref().and_then(|o| o.resource_version());
                    let event = match (&last, object) {
                        (Some(seen), _) if *seen == version => None,
                        (None, object) => Some(Feed::Listed {
                            id,
                            objects: object.map(|o| spec.project(o)).into_iter().collect(),
                        }),
                        (Some(_), Some(object)) => Some(Feed::Applied {
                            id,
                            object: spec.project(object),
                        }),
                        (Some(_), None) => Some(Feed::Deleted {
                            id,
                            key: (
                                spec.scope.kind.clone(),
                                spec.scope.namespace.clone(),
                                name.clone(),
                            ),
                        }),
                    };
                    last = Some(version);
                    if let Some(event) = event
                        && feed.send(event).is_err()
                    {
                        return;
                    }
                    POLL_INTERVAL
                }
                Err(kube::Error::Api(status)) if status.code == 403 => {
                    let _ = feed.send(Feed::Refused {
                        id,
                        message: status.message,
                    });
                    return;
                }
                Err(err) => {
                    let retry_in = outage.next_delay().min(POLL_INTERVAL);
                    last = None; // read it as new once the server answers
                    if feed
                        .send(Feed::Failed {
                            id,
                            message: err.to_string(),
                            retry_in,
                        })
                        .is_err()
                    {
                        return;
                    }
                    retry_in
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = retry_now.notified() => {}
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_are_quick_for_thirty_seconds_then_every_five() {
        let quick: Vec<Duration> = (0..5)
            .map(|a| retry_delay(a, Duration::from_secs(3)))
            .collect();
        assert!(
            quick.iter().all(|d| *d <= Duration::from_secs(1)),
            "{quick:?}"
        );
        assert!(
            quick[0] < quick[2],
            "the first retry is the quickest: {quick:?}"
        );
        for attempt in [0, 10, 100] {
            let later = retry_delay(attempt, Duration::from_secs(31));
            assert!(later > Duration::from_secs(1) && later <= Duration::from_secs(5));
        }
    }
}
