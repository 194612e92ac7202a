//! A snapshot of the objects the lesson's checks look at: the engine's one
//! store, fed by its own watches (`engine::follow`) with projected objects,
//! or built from fixtures in tests. Checks over a snapshot are pure functions.

use std::collections::BTreeMap;

use serde_json::Value;

/// (kind, namespace, name); cluster-scoped objects have namespace "".
pub type ObjectKey = (String, String, String);

/// Objects by (kind, namespace, name). Sorted, so the objects of one kind (and
/// of one kind in one namespace) are a range: reading them never walks the rest.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    objects: BTreeMap<ObjectKey, Value>,
}

impl Snapshot {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) an object; it must carry `kind` and `metadata.name`.
    /// Returns its key.
    pub fn insert(&mut self, object: Value) -> ObjectKey {
        let key = key_of(&object);
        self.objects.insert(key.clone(), object);
        key
    }

    /// Removes one object; true if it was there.
    pub fn remove(&mut self, key: &ObjectKey) -> bool {
        self.objects.remove(key).is_some()
    }

    /// Removes every object of `kind` in `namespace` (only the one called
    /// `name`, when given), returning their keys.
    pub fn remove_in(&mut self, kind: &str, namespace: &str, name: Option<&str>) -> Vec<ObjectKey> {
        let keys: Vec<ObjectKey> = self
            .range(kind, Some(namespace))
            .filter(|((_, _, n), _)| name.is_none_or(|wanted| n == wanted))
            .map(|(k, _)| k.clone())
            .collect();
        for key in &keys {
            self.objects.remove(key);
        }
        keys
    }

    /// The objects of `kind` (in `namespace`, when given), in key order.
    fn range<'a>(
        &'a self,
        kind: &'a str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a ObjectKey, &'a Value)> + 'a {
        let start = (
            kind.to_string(),
            namespace.unwrap_or_default().to_string(),
            String::new(),
        );
        self.objects
            .range(start..)
            .take_while(move |((k, ns, _), _)| k == kind && namespace.is_none_or(|n| n == ns))
    }

    /// Builder form of `insert`, for fixtures.
    pub fn with(mut self, object: Value) -> Self {
        self.insert(object);
        self
    }

    pub fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<&Value> {
        self.objects
            .get(&(kind.to_string(), namespace.to_string(), name.to_string()))
            // Cluster-scoped kinds are stored without namespace, whatever the check said.
            .or_else(|| {
                self.objects
                    .get(&(kind.to_string(), String::new(), name.to_string()))
            })
    }

    /// Every object of `kind`, in any namespace.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.range(kind, None).map(|(_, v)| v)
    }

    /// Objects of `kind` in `namespace`, by name.
    pub fn in_namespace<'a>(
        &'a self,
        kind: &'a str,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.range(kind, Some(namespace)).map(|(_, v)| v)
    }

    /// Every object, by key.
    pub fn objects(&self) -> impl Iterator<Item = &Value> {
        self.objects.values()
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

/// The key an object is stored under.
pub fn key_of(object: &Value) -> ObjectKey {
    (
        object["kind"].as_str().unwrap_or_default().to_string(),
        namespace_of(object).to_string(),
        name_of(object).to_string(),
    )
}

/// metadata.name of an object.
pub fn name_of(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// metadata.namespace of an object ("" when cluster-scoped).
pub fn namespace_of(object: &Value) -> &str {
    object["metadata"]["namespace"].as_str().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(kind: &str, ns: &str, name: &str) -> Value {
        json!({"kind": kind, "metadata": {"name": name, "namespace": ns}})
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
}
