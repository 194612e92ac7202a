//! The scopes the engine follows, how each stands (listing, in sync,
//! failing, or not visible to this user), and starting their followers.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use kube::Client;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::health::Readiness;
use super::link::Link;
use super::rights::{self, Sight};
use super::scope::Scope;
use super::watch::{self, Feed, Follower, Spec};
use crate::checks::snapshot::ObjectKey;
use crate::cluster::kinds::Kinds;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Its first list (or its list after a failure) has not arrived yet.
    Listing,
    Synced,
    Failing {
        message: String,
        retry_at: Instant,
    },
    /// Not visible to this user, or not served by this cluster.
    Blind(String),
}

pub struct Followed {
    pub scope: Scope,
    pub state: State,
    /// Listed at least once: the store holds it (perhaps stale).
    pub listed_once: bool,
    _follower: Option<Follower>,
}

impl Followed {
    /// A scope as it stands before its first list (or blind), followed by
    /// `follower`, or by watches shared with other engines when None.
    pub fn new(scope: Scope, state: State, follower: Option<Follower>) -> Followed {
        Followed {
            scope,
            state,
            listed_once: false,
            _follower: follower,
        }
    }
}

pub struct Following {
    pub scopes: Vec<Followed>,
}

impl Following {
    /// Starts following every scope of `watch_set` the user may see: asks
    /// the API server first (all at once), then watches, polls, or records
    /// why not. Never waits for a list.
    pub async fn start(
        client: &Client,
        kinds: &Kinds,
        watch_set: Vec<Scope>,
        named: &BTreeSet<ObjectKey>,
        feed: &mpsc::UnboundedSender<Feed>,
        retry_now: &Arc<Notify>,
    ) -> Following {
        let sights = join_all(watch_set.iter().map(|scope| async {
            match kinds.by_kind(&scope.kind) {
                None => (
                    None,
                    Sight::Blind(format!("this cluster serves no kind {}", scope.kind)),
                ),
                Some((resource, _)) => {
                    let sight = rights::sight(client, &resource, scope).await;
                    (Some(resource), sight)
                }
            }
        }))
        .await;
        let scopes = watch_set
            .into_iter()
            .zip(sights)
            .enumerate()
            .map(|(id, (scope, (resource, sight)))| {
                let whole = named
                    .iter()
                    .filter(|(k, ns, _)| *k == scope.kind && *ns == scope.namespace)
                    .map(|(_, _, name)| name.clone())
                    .collect();
                let spec = resource.map(|resource| Spec {
                    id,
                    scope: scope.clone(),
                    resource,
                    whole,
                });
                let (state, follower) = match (sight, spec) {
                    (Sight::Watch, Some(spec)) => (
                        State::Listing,
                        Some(watch::watch(client, spec, feed.clone(), retry_now.clone())),
                    ),
                    (Sight::Get, Some(spec)) => (
                        State::Listing,
                        Some(watch::poll(client, spec, feed.clone(), retry_now.clone())),
                    ),
                    (Sight::Blind(why), _) => (State::Blind(why), None),
                    (_, None) => (State::Blind("not served".into()), None),
                };
                Followed {
                    scope,
                    state,
                    listed_once: false,
                    _follower: follower,
                }
            })
            .collect();
        Following { scopes }
    }

    /// Can the objects of `scope` be read from the store? Err says why not.
    pub fn sees(&self, scope: &Scope) -> Result<(), String> {
        let Some(followed) = self.scopes.iter().find(|f| f.scope.contains(scope)) else {
            return Ok(()); // nothing follows it: nothing to wait for
        };
        match &followed.state {
            State::Blind(why) => Err(why.clone()),
            _ if followed.listed_once => Ok(()),
            _ => Err(format!(
                "waiting for the first list of {}",
                followed.scope.describe()
            )),
        }
    }

    /// Every object of `kind` in `namespace` is in the store (so one missing
    /// there does not exist).
    pub fn sees_all(&self, kind: &str, namespace: &str) -> bool {
        let whole = Scope::all(kind, namespace);
        self.scopes
            .iter()
            .any(|f| f.scope == whole && f.listed_once && !matches!(f.state, State::Blind(_)))
    }

    /// Scopes this user cannot see, described.
    pub fn blind(&self) -> Vec<String> {
        self.scopes
            .iter()
            .filter(|f| matches!(f.state, State::Blind(_)))
            .map(|f| f.scope.describe())
            .collect()
    }

    /// The first list of the scope holding `scope` has not arrived yet (a
    /// check reading it cannot be answered, nor called failed, yet).
    pub fn first_list_pending(&self, scope: &Scope) -> bool {
        self.scopes
            .iter()
            .find(|f| f.scope.contains(scope))
            .is_some_and(|f| !f.listed_once && f.state == State::Listing)
    }

    /// Every scope that can be seen has been listed (at least once).
    pub fn all_listed_once(&self) -> bool {
        self.scopes
            .iter()
            .all(|f| f.listed_once || matches!(f.state, State::Blind(_)))
    }

    /// The connection as a whole: the server's readiness first, then the
    /// followers.
    pub fn link(&self, readiness: &Readiness, now: Instant) -> Link {
        if let Err(reason) = readiness {
            return Link::Reconnecting {
                reason: reason.clone(),
                retry_in: super::health::INTERVAL,
            };
        }
        let failing = self.scopes.iter().find_map(|f| match &f.state {
            State::Failing { message, retry_at } => Some((f, message, *retry_at)),
            _ => None,
        });
        if let Some((_, message, retry_at)) = failing {
            return Link::Reconnecting {
                reason: message.clone(),
                retry_in: retry_at
                    .saturating_duration_since(now)
                    .max(Duration::from_millis(1)),
            };
        }
        let listing = |first: bool| -> Vec<String> {
            self.scopes
                .iter()
                .filter(|f| f.state == State::Listing && f.listed_once != first)
                .map(|f| f.scope.describe())
                .collect()
        };
        let again = listing(false);
        if !again.is_empty() {
            return Link::Resyncing { what: again };
        }
        let first = listing(true);
        if !first.is_empty() {
            return Link::Reading { what: first };
        }
        Link::Connected {
            limited: self.blind(),
        }
    }
}
