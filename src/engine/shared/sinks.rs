//! Where a class's shared watches send what they hear: a kind watched once
//! across every attendee namespace is routed to the engine of the object's
//! namespace (`Across`); a scope outside them that every engine reads
//! (ClusterRoles, `default/kubernetes`) is kept once, in the map the engines
//! share (`Outside`).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::ResourceExt;
use kube::api::DynamicObject;
use tokio::sync::mpsc::UnboundedSender;

use super::super::project::{self, project};
use super::super::scope::{EVERY_NAME, Scope};
use super::super::watch::{Feed, SharedChange, Sink};
use crate::checks::snapshot::{ObjectKey, SharedObjects, key_of};
use crate::tree::Tree;

/// One engine's scope, followed by a shared watch.
pub struct Route {
    /// The scope's index in that engine's `Following`.
    pub id: usize,
    pub scope: Scope,
    /// Names of its objects kept whole (`EVERY_NAME`: all of them).
    pub whole: BTreeSet<String>,
    pub feed: UnboundedSender<Feed>,
}

impl Route {
    fn project(&self, object: DynamicObject) -> Tree {
        let whole = self.whole.contains(EVERY_NAME) || self.whole.contains(&object.name_any());
        project(&self.scope.kind, object, whole)
    }

    fn send(&self, event: Feed) -> bool {
        self.feed.send(event).is_ok()
    }
}

/// An engine that reads a scope outside the class's namespaces, and the
/// scope's index there.
pub type Reader = (UnboundedSender<Feed>, usize);

/// Where an object of `kind` belongs: its namespace, or, for a
/// cluster-scoped kind (a class's Namespaces), its name.
fn place(namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        name
    } else {
        namespace
    }
    .to_string()
}

/// One kind, watched in every namespace, routed to the engines of the
/// class's namespaces; objects of other namespaces are dropped unread.
pub struct Across {
    kind: String,
    routes: Vec<Route>,
    /// Route indexes by `place`.
    by_place: HashMap<String, Vec<usize>>,
    /// Each route's objects of the list under way.
    listing: Vec<Vec<Tree>>,
}

impl Across {
    pub fn new(kind: &str, routes: Vec<Route>) -> Across {
        let mut by_place: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, route) in routes.iter().enumerate() {
            let at = place(
                &route.scope.namespace,
                route.scope.name.as_deref().unwrap_or_default(),
            );
            by_place.entry(at).or_default().push(index);
        }
        Across {
            kind: kind.into(),
            listing: vec![Vec::new(); routes.len()],
            routes,
            by_place,
        }
    }

    /// The routes whose scope holds `object`, with its key.
    fn routes_of(&self, object: &DynamicObject) -> (ObjectKey, Vec<usize>) {
        let key = project::key(&self.kind, object);
        let routes = self
            .by_place
            .get(&place(&key.1, &key.2))
            .into_iter()
            .flatten()
            .copied()
            .filter(|i| self.routes[*i].scope.covers(&key))
            .collect();
        (key, routes)
    }

    /// Sends `event(route)` to every route; true while one still listens.
    fn to_all(&self, event: impl Fn(&Route) -> Feed) -> bool {
        let mut listening = false;
        for route in &self.routes {
            listening |= route.send(event(route));
        }
        listening
    }
}

impl Sink for Across {
    fn begin(&mut self) {
        self.listing.iter_mut().for_each(Vec::clear);
    }

    fn listed(&mut self, object: DynamicObject) {
        let (_, routes) = self.routes_of(&object);
        for i in routes {
            let projected = self.routes[i].project(object.clone());
            self.listing[i].push(projected);
        }
    }

    fn synced(&mut self) -> bool {
        let mut listening = false;
        for (route, objects) in self.routes.iter().zip(&mut self.listing) {
            let objects = std::mem::take(objects);
            listening |= route.send(Feed::Listed {
                id: route.id,
                objects,
            });
        }
        listening
    }

    fn applied(&mut self, object: DynamicObject) -> bool {
        let (_, routes) = self.routes_of(&object);
        for i in routes {
            let route = &self.routes[i];
            let object = route.project(object.clone());
            route.send(Feed::Applied {
                id: route.id,
                object,
            });
        }
        true // an engine that is gone is one of many
    }

    fn deleted(&mut self, object: DynamicObject) -> bool {
        let (key, routes) = self.routes_of(&object);
        for i in routes {
            let route = &self.routes[i];
            route.send(Feed::Deleted {
                id: route.id,
                key: key.clone(),
            });
        }
        true
    }

    fn failed(&mut self, message: String, retry_in: Duration) -> bool {
        self.to_all(|route| Feed::Failed {
            id: route.id,
            message: message.clone(),
            retry_in,
        })
    }

    fn refused(&mut self, message: String) {
        self.to_all(|route| Feed::Refused {
            id: route.id,
            message: message.clone(),
        });
    }
}

/// One scope outside the class's namespaces, read by many engines: its
/// objects are kept once, in the map they share. Every change makes a new
/// map (these scopes are small and seldom change) and is sent to every
/// engine while the map is locked, so no engine sees an older map after a
/// newer one.
pub struct Outside {
    scope: Scope,
    whole: BTreeSet<String>,
    objects: Arc<Mutex<SharedObjects>>,
    readers: Vec<Reader>,
    listing: Vec<Tree>,
}

impl Outside {
    pub fn new(
        scope: Scope,
        whole: BTreeSet<String>,
        objects: Arc<Mutex<SharedObjects>>,
        readers: Vec<Reader>,
    ) -> Outside {
        Outside {
            scope,
            whole,
            objects,
            readers,
            listing: Vec::new(),
        }
    }

    fn project(&self, object: DynamicObject) -> Tree {
        let whole = self.whole.contains(EVERY_NAME) || self.whole.contains(&object.name_any());
        project(&self.scope.kind, object, whole)
    }

    /// Changes the shared map with `change` and tells every reader.
    fn change(&self, change: SharedChange, edit: impl FnOnce(&mut SharedObjects)) -> bool {
        let mut shared = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        edit(&mut shared);
        let mut listening = false;
        for (feed, id) in &self.readers {
            listening |= feed
                .send(Feed::Shared {
                    id: *id,
                    objects: shared.clone(),
                    change: change.clone(),
                })
                .is_ok();
        }
        listening
    }

    /// Removes this scope's objects from `objects`.
    fn clear(scope: &Scope, objects: &mut SharedObjects) {
        Arc::make_mut(objects).retain(|key, _| !scope.covers(key));
    }
}

impl Sink for Outside {
    fn begin(&mut self) {
        self.listing.clear();
    }

    fn listed(&mut self, object: DynamicObject) {
        let projected = self.project(object);
        self.listing.push(projected);
    }

    fn synced(&mut self) -> bool {
        let listed = std::mem::take(&mut self.listing);
        let scope = self.scope.clone();
        self.change(SharedChange::Listed, move |objects| {
            Outside::clear(&scope, objects);
            let map = Arc::make_mut(objects);
            for object in listed {
                map.insert(key_of(&object), object);
            }
        })
    }

    fn applied(&mut self, object: DynamicObject) -> bool {
        let object = self.project(object);
        let key = key_of(&object);
        self.change(SharedChange::Object(key.clone()), move |objects| {
            Arc::make_mut(objects).insert(key, object);
        })
    }

    fn deleted(&mut self, object: DynamicObject) -> bool {
        let key = project::key(&self.scope.kind, &object);
        self.change(SharedChange::Object(key.clone()), move |objects| {
            Arc::make_mut(objects).remove(&key);
        })
    }

    fn failed(&mut self, message: String, retry_in: Duration) -> bool {
        let mut listening = false;
        for (feed, id) in &self.readers {
            listening |= feed
                .send(Feed::Failed {
                    id: *id,
                    message: message.clone(),
                    retry_in,
                })
                .is_ok();
        }
        listening
    }

    fn refused(&mut self, message: String) {
        // What can no longer be seen is not kept: the engines say why.
        let scope = self.scope.clone();
        self.change(SharedChange::Listed, move |objects| {
            Outside::clear(&scope, objects)
        });
        for (feed, id) in &self.readers {
            let _ = feed.send(Feed::Refused {
                id: *id,
                message: message.clone(),
            });
        }
    }
}
