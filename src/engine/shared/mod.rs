//! One set of watches for the engines of a whole class (one engine per
//! attendee namespace, on the instructor's board). Each kind the lessons
//! read in the attendees' namespaces is watched once, in every namespace,
//! and each object goes to the engine of its namespace (objects of other
//! namespaces are dropped unread: no API selects objects by their
//! namespace's label). What the lessons read outside those namespaces
//! (ClusterRoles, `default/kubernetes`) is watched once and kept once, in a
//! map every engine reads beneath its own store. The engines evaluate, act
//! and report exactly as the tutor's own does; only where their events come
//! from differs. The number of watches depends on the lessons, not on how
//! many attendees there are.

mod sinks;

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use kube::api::{Api, DynamicObject};
use kube::discovery::ApiResource;
use kube::{Client, Config};
use tokio::sync::{Notify, Semaphore, mpsc};

use super::follow::{Followed, Following, State};
use super::health::{self, Readiness};
use super::rights::{self, Sight};
use super::scope::{LessonScopes, Scope};
use super::watch::{self, Feed, Follower, Spec};
use super::{AbortOnDrop, START_BUDGET};
use crate::checks::snapshot::SharedObjects;
use crate::cluster::callers::Callers;
use crate::cluster::kinds::Kinds;
use crate::k8s_names::plural;
use crate::lesson::Lesson;
use sinks::{Across, Outside, Reader, Route};

/// What one engine of a class is given: the class's connection and
/// discovery, its scopes as the shared watches follow them, and where their
/// events and the server's readiness arrive. (The tutor's engine makes its
/// own, with followers of its own.)
pub struct Member {
    pub(super) client: Client,
    pub(super) config: Config,
    pub(super) kinds: Arc<Kinds>,
    pub(super) following: Following,
    pub(super) feed: mpsc::UnboundedReceiver<Feed>,
    pub(super) retry_now: Arc<Notify>,
    pub(super) readiness_rx: mpsc::UnboundedReceiver<Readiness>,
    pub(super) local_reviews: bool,
    /// Engines of a class prepare a few at a time (`PREPARING_AT_ONCE`).
    pub(super) preparing: Option<Arc<Semaphore>>,
    /// Who the lesson's calls speak as (the anonymous one shared by the class).
    pub(super) callers: Callers,
}

/// A class's engines each ask the API server a few questions before they
/// run (the lesson's rights, its namespace's labels): this many at once, so
/// 200 attendees do not open a thousand streams in one burst.
const PREPARING_AT_ONCE: usize = 32;

/// Why a class's engines cannot share watches (each engine then watches its
/// own namespace), in words for the board's status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotShared(pub String);

/// The class's watches and its readiness poll: they stop when it is dropped.
pub struct SharedWatches {
    _followers: Vec<Follower>,
    _health: AbortOnDrop,
    /// Watches it opened on the API server.
    pub watches: usize,
}

/// A scope of some engine: where its events come from.
enum Source {
    /// The kind's watch across the class's namespaces.
    Across,
    /// The scope's own shared watch, outside the class's namespaces.
    Outside,
    /// It may only be read by name (GET): the engine polls it itself.
    Poll(ApiResource),
    Blind(String),
}

impl SharedWatches {
    /// Starts the shared watches for these lessons, one per attendee, each
    /// in its own namespace; `members[i]` is what the engine of
    /// `lessons[i]` is built from (`Engine::start_in_class`).
    pub async fn start<L: Borrow<Lesson>>(
        config: &Config,
        lessons: &[L],
    ) -> Result<(SharedWatches, Vec<Member>), NotShared> {
        let lessons: Vec<&Lesson> = lessons.iter().map(Borrow::borrow).collect();
        let client = crate::transport::client(config).map_err(|e| NotShared(format!("{e:#}")))?;
        let kinds = tokio::time::timeout(START_BUDGET, Kinds::discover(&client))
            .await
            .map_err(|_| NotShared("the API server did not answer within 5 s".into()))?
            .map_err(|e| {
                NotShared(format!(
                    "cannot reach the API server at {}: {}",
                    config.cluster_url,
                    health::short_error(&e)
                ))
            })?;
        let namespaces: BTreeSet<&str> = lessons.iter().map(|l| l.namespace.as_str()).collect();
        let scopes: Vec<LessonScopes> = lessons.iter().map(|l| LessonScopes::of(l)).collect();
        let watch_sets: Vec<Vec<Scope>> = scopes.iter().map(LessonScopes::watch_set).collect();
        let across = |scope: &Scope| in_the_class(scope, &namespaces);

        // The kinds watched across the class: the instructor must be allowed
        // to list and watch them in every namespace.
        let across_kinds: BTreeSet<&str> = watch_sets
            .iter()
            .flatten()
            .filter(|s| across(s))
            .map(|s| s.kind.as_str())
            .collect();
        let mut across_resources: BTreeMap<String, ApiResource> = BTreeMap::new();
        for kind in across_kinds {
            let Some((resource, _)) = kinds.by_kind(kind) else {
                continue; // each engine says the cluster serves no such kind
            };
            let everywhere = Scope::all(kind, "");
            if rights::sight(&client, &resource, &everywhere).await != Sight::Watch {
                return Err(NotShared(format!(
                    "one engine per attendee: you may not list and watch {} in every namespace",
                    plural(kind)
                )));
            }
            across_resources.insert(kind.to_string(), resource);
        }
        // The scopes outside: each asked about once, whoever reads it.
        let outside: BTreeSet<&Scope> =
            watch_sets.iter().flatten().filter(|s| !across(s)).collect();
        let mut outside_sources: BTreeMap<Scope, Source> = BTreeMap::new();
        for scope in outside {
            let source = match kinds.by_kind(&scope.kind) {
                None => Source::Blind(format!("this cluster serves no kind {}", scope.kind)),
                Some((resource, _)) => match rights::sight(&client, &resource, scope).await {
                    Sight::Watch => Source::Outside,
                    Sight::Get => Source::Poll(resource),
                    Sight::Blind(why) => Source::Blind(why),
                },
            };
            outside_sources.insert(scope.clone(), source);
        }
        let local_reviews = !rights::may_review_anyone(&client).await;

        let retry_now = Arc::new(Notify::new());
        let mut routes: BTreeMap<String, Vec<Route>> = BTreeMap::new();
        let mut readers: BTreeMap<Scope, (BTreeSet<String>, Vec<Reader>)> = BTreeMap::new();
        let mut readiness_senders = Vec::new();
        let kinds = Arc::new(kinds);
        let preparing = Arc::new(Semaphore::new(PREPARING_AT_ONCE));
        let anonymous = Callers::new();
        let mut members = Vec::with_capacity(lessons.len());
        for (lesson_scopes, watch_set) in scopes.iter().zip(watch_sets) {
            let (feed_tx, feed) = mpsc::unbounded_channel();
            let member_retry = Arc::new(Notify::new());
            let mut followed = Vec::with_capacity(watch_set.len());
            for (id, scope) in watch_set.into_iter().enumerate() {
                let whole = whole_names(lesson_scopes, &scope);
                let source = if across(&scope) {
                    match across_resources.contains_key(&scope.kind) {
                        true => Source::Across,
                        false => {
                            Source::Blind(format!("this cluster serves no kind {}", scope.kind))
                        }
                    }
                } else {
                    match &outside_sources[&scope] {
                        Source::Poll(resource) => Source::Poll(resource.clone()),
                        Source::Blind(why) => Source::Blind(why.clone()),
                        _ => Source::Outside,
                    }
                };
                let (state, follower) = match source {
                    Source::Across => {
                        routes.entry(scope.kind.clone()).or_default().push(Route {
                            id,
                            scope: scope.clone(),
                            whole,
                            feed: feed_tx.clone(),
                        });
                        (State::Listing, None)
                    }
                    Source::Outside => {
                        let entry = readers.entry(scope.clone()).or_default();
                        entry.0.extend(whole);
                        entry.1.push((feed_tx.clone(), id));
                        (State::Listing, None)
                    }
                    Source::Poll(resource) => {
                        let spec = Spec {
                            id,
                            scope: scope.clone(),
                            resource,
                            whole,
                        };
                        let poll =
                            watch::poll(&client, spec, feed_tx.clone(), member_retry.clone());
                        (State::Listing, Some(poll))
                    }
                    Source::Blind(why) => (State::Blind(why), None),
                };
                followed.push(Followed::new(scope, state, follower));
            }
            let (readiness_tx, readiness_rx) = mpsc::unbounded_channel();
            readiness_senders.push(readiness_tx);
            members.push(Member {
                client: client.clone(),
                config: config.clone(),
                kinds: kinds.clone(),
                following: Following { scopes: followed },
                feed,
                retry_now: member_retry,
                readiness_rx,
                local_reviews,
                preparing: Some(preparing.clone()),
                callers: anonymous.sharing_anonymous(),
            });
        }

        let mut followers = Vec::new();
        for (kind, kind_routes) in routes {
            let api = Api::all_with(client.clone(), &across_resources[&kind]);
            let everywhere = Scope::all(&kind, "");
            let config = watch::config_for(&everywhere);
            let sink = Across::new(&kind, kind_routes);
            followers.push(watch::follow(
                api,
                config,
                everywhere,
                sink,
                retry_now.clone(),
            ));
        }
        let objects: Arc<Mutex<SharedObjects>> = Arc::default();
        for (scope, (whole, scope_readers)) in readers {
            let Some((resource, _)) = kinds.by_kind(&scope.kind) else {
                continue;
            };
            let api: Api<DynamicObject> = if scope.namespace.is_empty() {
                Api::all_with(client.clone(), &resource)
            } else {
                Api::namespaced_with(client.clone(), &scope.namespace, &resource)
            };
            let config = watch::config_for(&scope);
            let sink = Outside::new(scope.clone(), whole, objects.clone(), scope_readers);
            followers.push(watch::follow(api, config, scope, sink, retry_now.clone()));
        }
        let health = spawn_readiness(client, readiness_senders, retry_now);
        let watches = followers.len();
        tracing::info!(
            "{watches} shared watches for {} engines' namespaces",
            lessons.len()
        );
        Ok((
            SharedWatches {
                _followers: followers,
                _health: health,
                watches,
            },
            members,
        ))
    }
}

/// Is `scope` one attendee's own (watched across the class), rather than
/// outside every attendee's namespace? A class's Namespace objects are
/// their own too.
fn in_the_class(scope: &Scope, namespaces: &BTreeSet<&str>) -> bool {
    namespaces.contains(scope.namespace.as_str())
        || (scope.kind == "Namespace"
            && scope
                .name
                .as_deref()
                .is_some_and(|name| namespaces.contains(name)))
}

/// Names of the objects of `scope` kept whole for this lesson.
fn whole_names(scopes: &LessonScopes, scope: &Scope) -> BTreeSet<String> {
    scopes
        .named
        .iter()
        .filter(|(k, ns, _)| *k == scope.kind && *ns == scope.namespace)
        .map(|(_, _, name)| name.clone())
        .collect()
}

/// One readiness poll for the class: each engine hears of a change only
/// (an idle board of 200 attendees does not wake 200 engines a second),
/// and the shared watches retry at once when the server is back.
fn spawn_readiness(
    client: Client,
    engines: Vec<mpsc::UnboundedSender<Readiness>>,
    retry_now: Arc<Notify>,
) -> AbortOnDrop {
    let (answers_tx, mut answers) = mpsc::unbounded_channel();
    let poll = AbortOnDrop(health::spawn(client, answers_tx));
    AbortOnDrop(tokio::spawn(async move {
        let _poll = poll;
        let mut last: Readiness = Ok(());
        while let Some(answer) = answers.recv().await {
            if answer == last {
                continue;
            }
            if answer.is_ok() {
                retry_now.notify_waiters();
            }
            for engine in &engines {
                let _ = engine.send(answer.clone());
            }
            last = answer;
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_classs_own_scopes_are_its_namespaces_and_their_namespace_objects() {
        let namespaces = BTreeSet::from(["c-01", "c-02"]);
        assert!(in_the_class(&Scope::all("Pod", "c-01"), &namespaces));
        assert!(in_the_class(
            &Scope::named("Role", "c-02", "x"),
            &namespaces
        ));
        assert!(in_the_class(
            &Scope::named("Namespace", "", "c-02"),
            &namespaces
        ));
        assert!(!in_the_class(&Scope::all("ClusterRole", ""), &namespaces));
        assert!(!in_the_class(
            &Scope::named("Service", "default", "kubernetes"),
            &namespaces
        ));
        assert!(!in_the_class(
            &Scope::named("Namespace", "", "default"),
            &namespaces
        ));
    }
}
