//! A snapshot of the objects the lesson's checks look at, taken from the
//! reflector stores (or built from fixtures in tests). Checks over a snapshot
//! are pure functions.

use std::collections::BTreeMap;

use serde_json::Value;

/// Objects by (kind, namespace, name); cluster-scoped objects have namespace "".
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    objects: BTreeMap<(String, String, String), Value>,
}

impl Snapshot {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an object (it must carry `kind` and `metadata.name`).
    pub fn insert(&mut self, object: Value) {
        let kind = object["kind"].as_str().unwrap_or_default().to_string();
        let namespace = object["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.objects.insert((kind, namespace, name), object);
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
        self.objects
            .iter()
            .filter(move |((k, _, _), _)| k == kind)
            .map(|(_, v)| v)
    }

    /// Objects of `kind` in `namespace`.
    pub fn in_namespace<'a>(
        &'a self,
        kind: &'a str,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.objects
            .iter()
            .filter(move |((k, ns, _), _)| k == kind && ns == namespace)
            .map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

/// metadata.name of an object.
pub fn name_of(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// metadata.namespace of an object ("" when cluster-scoped).
pub fn namespace_of(object: &Value) -> &str {
    object["metadata"]["namespace"].as_str().unwrap_or_default()
}
