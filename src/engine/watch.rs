//! Following scopes of the cluster: a watch where list+watch is allowed, a
//! GET on a short interval where only get is, and a clear "refused" where the
//! server says no. Every change is sent to the engine as a `Feed` event with
//! the object already projected (see `project`), so the engine's one store is
//! changed in one place and nothing copies every object per event.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::discovery::ApiResource;
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::project::{self, project};
use super::scope::Scope;
use crate::checks::snapshot::{ObjectKey, SharedObjects};
use crate::tree::Tree;

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
        objects: Vec<Tree>,
    },
    Applied {
        id: usize,
        object: Tree,
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
    /// A scope kept in the map a class's engines share (`engine::shared`):
    /// the map as it is now, and what changed in it.
    Shared {
        id: usize,
        objects: SharedObjects,
        change: SharedChange,
    },
}

/// What changed in a shared scope.
#[derive(Debug, Clone)]
pub enum SharedChange {
    /// Every object of the scope is in the map, as just listed.
    Listed,
    /// This object was added, changed or deleted.
    Object(ObjectKey),
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
    pub fn api(&self, client: &Client) -> Api<DynamicObject> {
        if self.scope.namespace.is_empty() {
            Api::all_with(client.clone(), &self.resource)
        } else {
            Api::namespaced_with(client.clone(), &self.scope.namespace, &self.resource)
        }
    }

    pub fn project(&self, object: DynamicObject) -> Tree {
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

/// Watch streams open in this process now (a watch being listed or
/// waiting to retry counts): what a class's board reports, measured where
/// the watches are made.
static OPEN_WATCHES: AtomicUsize = AtomicUsize::new(0);

/// The number of watch streams this process has open now.
pub fn open_watches() -> usize {
    OPEN_WATCHES.load(Ordering::Relaxed)
}

/// Counts one watch stream as open while it lives.
struct OpenWatch;

impl OpenWatch {
    fn new() -> OpenWatch {
        OPEN_WATCHES.fetch_add(1, Ordering::Relaxed);
        OpenWatch
    }
}

impl Drop for OpenWatch {
    fn drop(&mut self) {
        OPEN_WATCHES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a watch does with what it hears. One scope's follower sends it to
/// its engine (`OneScope`); a class's watches share it out among the
/// engines of many namespaces (`engine::shared`). Each method but `begin`
/// and `listed` says false when nobody listens any more (the watch ends).
pub trait Sink: Send + 'static {
    /// A list begins (the first, or again after a failure).
    fn begin(&mut self);
    /// One object of the list.
    fn listed(&mut self, object: DynamicObject);
    /// The list is complete: in sync.
    fn synced(&mut self) -> bool;
    fn applied(&mut self, object: DynamicObject) -> bool;
    fn deleted(&mut self, object: DynamicObject) -> bool;
    /// Watching failed; the next try is in `retry_in`.
    fn failed(&mut self, message: String, retry_in: Duration) -> bool;
    /// The server refuses: the watch ends.
    fn refused(&mut self, message: String);
}

/// Lists and watches what `config` selects of `api`, telling `sink`. After
/// any failure it waits (see `retry_delay`, cut short by `retry_now`) and
/// lists again from scratch, so `synced` always means "in sync again".
/// `scope` names what is watched in messages.
pub fn follow(
    api: Api<DynamicObject>,
    config: watcher::Config,
    scope: Scope,
    mut sink: impl Sink,
    retry_now: Arc<Notify>,
) -> Follower {
    Follower(tokio::spawn(async move {
        let mut outage = Outage::default();
        loop {
            let _open = OpenWatch::new();
            let mut stream = std::pin::pin!(watcher(api.clone(), config.clone()));
            while let Some(event) = stream.next().await {
                let listening = match event {
                    Ok(watcher::Event::Init) => {
                        sink.begin();
                        true
                    }
                    Ok(watcher::Event::InitApply(object)) => {
                        sink.listed(object);
                        true
                    }
                    Ok(watcher::Event::InitDone) => {
                        outage.over();
                        sink.synced()
                    }
                    Ok(watcher::Event::Apply(object)) => sink.applied(object),
                    Ok(watcher::Event::Delete(object)) => sink.deleted(object),
                    Err(err) => {
                        if let Some(message) = refusal(&err) {
                            sink.refused(message);
                            return;
                        }
                        let retry_in = outage.next_delay();
                        if !sink.failed(failure(&scope, &err), retry_in) {
                            return;
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(retry_in) => {}
                            _ = retry_now.notified() => {}
                        }
                        break; // a fresh watcher lists again
                    }
                };
                if !listening {
                    return; // the engine is gone
                }
            }
        }
    }))
}

/// The watcher configuration for `scope`: pages of 100, so a list of
/// thousands of objects is decoded a hundred at a time and the memory it
/// passes through stays small (and the heap's holes too); one name by a
/// field selector.
pub fn config_for(scope: &Scope) -> watcher::Config {
    let config = watcher::Config::default().page_size(LIST_PAGE);
    match &scope.name {
        Some(name) => config.fields(&format!("metadata.name={name}")),
        None => config,
    }
}

/// One scope's follower, for one engine.
struct OneScope {
    spec: Spec,
    feed: mpsc::UnboundedSender<Feed>,
    listing: Vec<Tree>,
}

impl Sink for OneScope {
    fn begin(&mut self) {
        self.listing.clear();
    }

    fn listed(&mut self, object: DynamicObject) {
        self.listing.push(self.spec.project(object));
    }

    fn synced(&mut self) -> bool {
        let objects = std::mem::take(&mut self.listing);
        let id = self.spec.id;
        self.feed.send(Feed::Listed { id, objects }).is_ok()
    }

    fn applied(&mut self, object: DynamicObject) -> bool {
        let object = self.spec.project(object);
        let id = self.spec.id;
        self.feed.send(Feed::Applied { id, object }).is_ok()
    }

    fn deleted(&mut self, object: DynamicObject) -> bool {
        let key = project::key(&self.spec.scope.kind, &object);
        let id = self.spec.id;
        self.feed.send(Feed::Deleted { id, key }).is_ok()
    }

    fn failed(&mut self, message: String, retry_in: Duration) -> bool {
        let id = self.spec.id;
        self.feed
            .send(Feed::Failed {
                id,
                message,
                retry_in,
            })
            .is_ok()
    }

    fn refused(&mut self, message: String) {
        let id = self.spec.id;
        let _ = self.feed.send(Feed::Refused { id, message });
    }
}

/// Starts a watch of `spec.scope` for one engine (see `follow`).
pub fn watch(
    client: &Client,
    spec: Spec,
    feed: mpsc::UnboundedSender<Feed>,
    retry_now: Arc<Notify>,
) -> Follower {
    let api = spec.api(client);
    let config = config_for(&spec.scope);
    let scope = spec.scope.clone();
    let sink = OneScope {
        spec,
        feed,
        listing: Vec::new(),
    };
    follow(api, config, scope, sink, retry_now)
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
