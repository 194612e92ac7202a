//! A snapshot of the objects the lesson's checks look at: the engine's one
//! store, fed by its own watches (`engine::follow`) with projected objects,
//! or built from fixtures in tests. Checks over a snapshot are pure functions.
//!
//! A class's engines (one per attendee namespace) each keep their own
//! namespace's objects, and read the objects outside every attendee's
//! namespace (ClusterRoles, `default/kubernetes`) from one map they share:
//! `share` sets it, and every read sees both as one sorted snapshot.

use std::collections::BTreeMap;
use std::iter::Peekable;
use std::sync::Arc;

use crate::tree::Tree;

/// (kind, namespace, name); cluster-scoped objects have namespace "".
pub type ObjectKey = (String, String, String);

/// Objects several snapshots read and none of them changes: a new map
/// replaces it when one of its objects changes.
pub type SharedObjects = Arc<BTreeMap<ObjectKey, Tree>>;

/// Objects by (kind, namespace, name). Sorted, so the objects of one kind (and
/// of one kind in one namespace) are a range: reading them never walks the rest.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    objects: BTreeMap<ObjectKey, Tree>,
    /// Read beneath `objects`; their keys never meet (a class's engine keeps
    /// its namespace, the shared map holds only what lies outside every one).
    shared: Option<SharedObjects>,
}

impl Snapshot {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) an object; it must carry `kind` and `metadata.name`.
    /// Returns its key.
    pub fn insert(&mut self, object: impl Into<Tree>) -> ObjectKey {
        let object = object.into();
        let key = key_of(&object);
        self.objects.insert(key.clone(), object);
        key
    }

    /// Removes one object; true if it was there.
    pub fn remove(&mut self, key: &ObjectKey) -> bool {
        self.objects.remove(key).is_some()
    }

    /// Removes every object of `kind` in `namespace` (only the one called
    /// `name`, when given), returning their keys. Shared objects stay.
    pub fn remove_in(&mut self, kind: &str, namespace: &str, name: Option<&str>) -> Vec<ObjectKey> {
        let keys: Vec<ObjectKey> = range_of(&self.objects, kind, Some(namespace))
            .filter(|((_, _, n), _)| name.is_none_or(|wanted| n == wanted))
            .map(|(k, _)| k.clone())
            .collect();
        for key in &keys {
            self.objects.remove(key);
        }
        keys
    }

    /// Reads the objects of `shared` as its own from now on (the map they
    /// were read from before is let go).
    pub fn share(&mut self, shared: SharedObjects) {
        self.shared = Some(shared);
    }

    /// The objects of `kind` (in `namespace`, when given), in key order,
    /// the shared ones among them.
    fn range<'a>(
        &'a self,
        kind: &'a str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a ObjectKey, &'a Tree)> + 'a {
        let shared = self
            .shared
            .as_deref()
            .map(|map| range_of(map, kind, namespace))
            .into_iter()
            .flatten();
        Merged::new(range_of(&self.objects, kind, namespace), shared)
    }

    /// Builder form of `insert`, for fixtures.
    pub fn with(mut self, object: impl Into<Tree>) -> Self {
        self.insert(object);
        self
    }

    pub fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<&Tree> {
        self.lookup(&(kind.to_string(), namespace.to_string(), name.to_string()))
            // Cluster-scoped kinds are stored without namespace, whatever the check said.
            .or_else(|| self.lookup(&(kind.to_string(), String::new(), name.to_string())))
    }

    fn lookup(&self, key: &ObjectKey) -> Option<&Tree> {
        self.objects
            .get(key)
            .or_else(|| self.shared.as_deref()?.get(key))
    }

    /// Every object of `kind`, in any namespace.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Tree> + 'a {
        self.range(kind, None).map(|(_, v)| v)
    }

    /// Objects of `kind` in `namespace`, by name.
    pub fn in_namespace<'a>(
        &'a self,
        kind: &'a str,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a Tree> + 'a {
        self.range(kind, Some(namespace)).map(|(_, v)| v)
    }

    /// Every object, by key.
    pub fn objects(&self) -> impl Iterator<Item = &Tree> {
        let shared = self.shared.as_deref().into_iter().flatten();
        Merged::new(self.objects.iter(), shared).map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.objects.len() + self.shared.as_deref().map_or(0, BTreeMap::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The objects of `kind` (in `namespace`, when given) in one map, in key order.
fn range_of<'a>(
    map: &'a BTreeMap<ObjectKey, Tree>,
    kind: &'a str,
    namespace: Option<&'a str>,
) -> impl Iterator<Item = (&'a ObjectKey, &'a Tree)> + 'a {
    let start = (
        kind.to_string(),
        namespace.unwrap_or_default().to_string(),
        String::new(),
    );
    map.range(start..)
        .take_while(move |((k, ns, _), _)| k == kind && namespace.is_none_or(|n| n == ns))
}

/// Two key-sorted runs of objects read as one, in key order.
struct Merged<'a, A: Iterator, B: Iterator> {
    own: Peekable<A>,
    shared: Peekable<B>,
    _objects: std::marker::PhantomData<&'a Tree>,
}

impl<'a, A, B> Merged<'a, A, B>
where
    A: Iterator<Item = (&'a ObjectKey, &'a Tree)>,
    B: Iterator<Item = (&'a ObjectKey, &'a Tree)>,
{
    fn new(own: A, shared: B) -> Self {
        Merged {
            own: own.peekable(),
            shared: shared.peekable(),
            _objects: std::marker::PhantomData,
        }
    }
}

impl<'a, A, B> Iterator for Merged<'a, A, B>
where
    A: Iterator<Item = (&'a ObjectKey, &'a Tree)>,
    B: Iterator<Item = (&'a ObjectKey, &'a Tree)>,
{
    type Item = (&'a ObjectKey, &'a Tree);

    fn next(&mut self) -> Option<Self::Item> {
        match (self.own.peek(), self.shared.peek()) {
            (Some((a, _)), Some((b, _))) if b < a => self.shared.next(),
            (Some(_), _) => self.own.next(),
            (None, _) => self.shared.next(),
        }
    }
}

/// The key an object is stored under.
pub fn key_of(object: &Tree) -> ObjectKey {
    (
        object["kind"].as_str().unwrap_or_default().to_string(),
        namespace_of(object).to_string(),
        name_of(object).to_string(),
    )
}

/// metadata.name of an object.
pub fn name_of(object: &Tree) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// metadata.namespace of an object ("" when cluster-scoped).
pub fn namespace_of(object: &Tree) -> &str {
    object["metadata"]["namespace"].as_str().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(kind: &str, ns: &str, name: &str) -> Tree {
        json!({"kind": kind, "metadata": {"name": name, "namespace": ns}}).into()
    }

    #[test]
    fn kinds_and_namespaces_are_ranges_that_do_not_bleed_into_each_other() {
        let mut s = Snapshot::new()
            .with(object("Pod", "a", "p1"))
            .with(object("Pod", "a", "p2"))
            .with(object("Pod", "b", "p1"))
            .with(object("PodTemplate", "a", "t"))
            .with(object("Role", "a", "r"));
        let names = |s: &Snapshot, kind, ns| -> Vec<String> {
            s.in_namespace(kind, ns)
                .map(|o| name_of(o).to_string())
                .collect()
        };
        assert_eq!(names(&s, "Pod", "a"), ["p1", "p2"]);
        assert_eq!(s.of_kind("Pod").count(), 3);
        assert_eq!(s.of_kind("PodTemplate").count(), 1);
        assert_eq!(
            s.remove_in("Pod", "a", Some("p2")),
            [("Pod".to_string(), "a".to_string(), "p2".to_string())]
        );
        assert_eq!(names(&s, "Pod", "a"), ["p1"]);
        assert_eq!(s.remove_in("Pod", "a", None).len(), 1);
        assert_eq!(s.of_kind("Pod").count(), 1, "namespace b is untouched");
        assert!(s.remove(&key_of(&object("Role", "a", "r"))));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn shared_objects_read_as_the_snapshots_own_in_key_order() {
        let shared: BTreeMap<ObjectKey, Tree> = [
            object("ClusterRole", "", "admin"),
            object("RoleBinding", "default", "d"),
            object("RoleBinding", "z", "late"),
        ]
        .into_iter()
        .map(|o| (key_of(&o), o))
        .collect();
        let mut s = Snapshot::new()
            .with(object("RoleBinding", "m", "mine"))
            .with(object("Pod", "m", "p"));
        s.share(Arc::new(shared));
        let names = |it: &mut dyn Iterator<Item = &Tree>| -> Vec<String> {
            it.map(|o| name_of(o).to_string()).collect()
        };
        assert_eq!(names(&mut s.of_kind("RoleBinding")), ["d", "mine", "late"]);
        assert_eq!(names(&mut s.in_namespace("RoleBinding", "m")), ["mine"]);
        assert_eq!(names(&mut s.of_kind("ClusterRole")), ["admin"]);
        assert!(s.get("ClusterRole", "m", "admin").is_some());
        assert!(s.get("RoleBinding", "default", "d").is_some());
        assert_eq!(names(&mut s.objects()), ["admin", "p", "d", "mine", "late"]);
        assert_eq!(s.len(), 5);
        // Its own objects change; the shared ones only with a new map.
        assert!(s.remove_in("RoleBinding", "default", None).is_empty());
        assert_eq!(s.remove_in("RoleBinding", "m", None).len(), 1);
        assert_eq!(names(&mut s.of_kind("RoleBinding")), ["d", "late"]);
    }
}
