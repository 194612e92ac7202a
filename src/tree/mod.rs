//! A JSON tree kept small: what the engine stores of every object it watches
//! (`checks::snapshot`), and what checks read.
//!
//! serde_json's `Value` (ordered maps) spends about 100 bytes on each entry
//! of a map, an index table beside it, and one allocation for every key and
//! every string. With thousands of Pods that was 3.9 KB a Pod (issue 25:
//! 23 MiB of heap at 5,000 Pods). Here a map is its entries in one boxed
//! slice (16 bytes for the key, 24 for the value), and every string is an
//! [`Atom`]: one allocation per distinct text, shared wherever it repeats
//! (keys, kinds, namespaces, phases, node names, images, condition types).
//!
//! The reading API follows `serde_json::Value`'s (`tree["metadata"]["name"]`,
//! `as_str`, `as_array`, comparisons with `&str`), so checks read a `Tree`
//! as they read a `Value`.

mod atoms;

use std::fmt;
use std::ops::Index;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};
pub use serde_json::Number;
use serde_json::Value;

pub use atoms::atom;

/// A shared string: equal texts are one allocation (see `atoms`).
pub type Atom = Arc<str>;

/// A JSON value, compact.
#[derive(Clone, Default, PartialEq)]
pub enum Tree {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Atom),
    Array(Box<[Tree]>),
    Object(Fields),
}

/// A JSON object's entries, in their order, exactly as many as it has.
/// Found by a walk: the maps kept are small (a Pod's metadata has six keys).
#[derive(Clone, Default, PartialEq)]
pub struct Fields(Box<[(Atom, Tree)]>);

/// What a missing key or index reads as, as with serde_json.
pub static NULL: Tree = Tree::Null;

impl Fields {
    pub fn get(&self, key: &str) -> Option<&Tree> {
        self.0.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tree)> {
        self.into_iter()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| &**k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Tree> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a str, &'a Tree);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Atom, Tree)>,
        fn(&'a (Atom, Tree)) -> (&'a str, &'a Tree),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (&**k, v))
    }
}

impl Tree {
    /// The tree of `value`, its strings shared with every other tree's.
    pub fn from_value(value: Value) -> Tree {
        atoms::with_interner(|atoms| build(value, atoms))
    }

    /// The same tree as a `serde_json::Value` (for the few readers that
    /// hand an object on: a YAML view, a diff).
    pub fn to_value(&self) -> Value {
        match self {
            Tree::Null => Value::Null,
            Tree::Bool(b) => Value::Bool(*b),
            Tree::Number(n) => Value::Number(n.clone()),
            Tree::String(s) => Value::String(s.to_string()),
            Tree::Array(items) => Value::Array(items.iter().map(Tree::to_value).collect()),
            Tree::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// The value under `key`, when this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Tree> {
        self.as_object()?.get(key)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Tree::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Tree]> {
        match self {
            Tree::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Fields> {
        match self {
            Tree::Object(fields) => Some(fields),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Tree::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Tree::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.as_number()?.as_u64()
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_number()?.as_i64()
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.as_number()?.as_f64()
    }

    /// As a person reads it: strings without quotes, the rest as JSON.
    pub fn display(&self) -> String {
        match self {
            Tree::String(s) => s.to_string(),
            other => other.to_string(),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Tree::Null)
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Tree::String(_))
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Tree::Array(_))
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Tree::Object(_))
    }
}

fn build(value: Value, atoms: &mut atoms::Interner) -> Tree {
    match value {
        Value::Null => Tree::Null,
        Value::Bool(b) => Tree::Bool(b),
        Value::Number(n) => Tree::Number(n),
        Value::String(s) => Tree::String(atoms.atom(&s)),
        Value::Array(items) => Tree::Array(items.into_iter().map(|v| build(v, atoms)).collect()),
        Value::Object(map) => Tree::Object(Fields(
            map.into_iter()
                .map(|(k, v)| (atoms.atom(&k), build(v, atoms)))
                .collect(),
        )),
    }
}

impl From<Value> for Tree {
    fn from(value: Value) -> Tree {
        Tree::from_value(value)
    }
}

impl From<&Tree> for Value {
    fn from(tree: &Tree) -> Value {
        tree.to_value()
    }
}

impl Index<&str> for Tree {
    type Output = Tree;
    fn index(&self, key: &str) -> &Tree {
        self.get(key).unwrap_or(&NULL)
    }
}

impl Index<usize> for Tree {
    type Output = Tree;
    fn index(&self, at: usize) -> &Tree {
        self.as_array().and_then(|a| a.get(at)).unwrap_or(&NULL)
    }
}

impl PartialEq<str> for Tree {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Tree {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<String> for Tree {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == Some(other.as_str())
    }
}

impl PartialEq<bool> for Tree {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}

impl PartialEq<Value> for Tree {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Tree::Null, Value::Null) => true,
            (Tree::Bool(a), Value::Bool(b)) => a == b,
            (Tree::Number(a), Value::Number(b)) => a == b,
            (Tree::String(a), Value::String(b)) => **a == **b,
            (Tree::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
            }
            (Tree::Object(a), Value::Object(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v == w))
            }
            _ => false,
        }
    }
}

impl PartialEq<Tree> for Value {
    fn eq(&self, other: &Tree) -> bool {
        other == self
    }
}

impl Serialize for Tree {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Tree::Null => serializer.serialize_unit(),
            Tree::Bool(b) => serializer.serialize_bool(*b),
            Tree::Number(n) => n.serialize(serializer),
            Tree::String(s) => serializer.serialize_str(s),
            Tree::Array(items) => items.serialize(serializer),
            Tree::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (k, v) in fields.iter() {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// JSON text, as `Value`'s `Display` writes it.
impl fmt::Display for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

/// JSON text: a failed assertion shows the tree as it reads.
impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests;
