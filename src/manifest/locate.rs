//! Where a field is in the editor's text. The API server names fields by
//! path — `.spec.containers[name="alpine"].serviceAccountName`,
//! `rules[0].apiGroups` — and the learner needs the line. The YAML is read
//! again with positions (serde-saphyr's `Spanned`), so the path is followed
//! through the real structure: a `name:` under a container is never taken for
//! the one under metadata.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
    /// `[name="alpine"]`: the list entry whose `name` is `alpine`.
    Entry {
        key: String,
        value: String,
    },
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Segment::Key(key) => write!(f, ".{key}"),
            Segment::Index(i) => write!(f, "[{i}]"),
            Segment::Entry { key, value } => write!(f, "[{key}=\"{value}\"]"),
        }
    }
}

/// A path written the way `segments` reads it, without the leading dot.
pub fn show(path: &[Segment]) -> String {
    let text: String = path.iter().map(ToString::to_string).collect();
    text.trim_start_matches('.').to_string()
}

/// `.spec.containers[name="a"].image` or `rules[0].apiGroups` into segments;
/// None for anything else.
pub fn segments(path: &str) -> Option<Vec<Segment>> {
    let mut out = Vec::new();
    let mut rest = path.trim().trim_start_matches('.');
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']')?;
            let selector = &inner[..close];
            out.push(match selector.split_once('=') {
                Some((key, value)) => Segment::Entry {
                    key: key.to_string(),
                    value: value.trim_matches('"').to_string(),
                },
                None => Segment::Index(selector.parse().ok()?),
            });
            rest = inner[close + 1..].trim_start_matches('.');
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = &rest[..end];
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_alphanumeric() || "-_/".contains(c))
            {
                return None;
            }
            out.push(Segment::Key(key.to_string()));
            rest = rest[end..].trim_start_matches('.');
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Where the path leads in the document that starts on line `start`:
/// (line, column, how many segments were found). The deepest place that
/// exists is returned when the rest of the path is not in the text.
pub fn locate(text: &str, start: usize, path: &[Segment]) -> Option<(usize, usize, usize)> {
    let documents: Vec<Spanned<Node>> = serde_saphyr::from_multiple(text).ok()?;
    // The document whose first node is nearest after its start line.
    let document = documents
        .iter()
        .filter(|d| d.referenced.line() as usize >= start)
        .min_by_key(|d| d.referenced.line())?;
    let mut node = document;
    let mut at = None;
    for (depth, segment) in path.iter().enumerate() {
        let next = match (&node.value, segment) {
            (Node::Map(entries), Segment::Key(key)) => entries
                .iter()
                .find(|(k, _)| k.value.0 == *key)
                .map(|(k, v)| (place(k.referenced), v)),
            (Node::Seq(items), Segment::Index(i)) => {
                items.get(*i).map(|v| (place(v.referenced), v))
            }
            (Node::Seq(items), Segment::Entry { key, value }) => items
                .iter()
                .find(|item| match &item.value {
                    Node::Map(entries) => entries.iter().any(|(k, v)| {
                        k.value.0 == *key && matches!(&v.value, Node::Scalar(s) if s == value)
                    }),
                    _ => false,
                })
                .map(|v| (place(v.referenced), v)),
            _ => None,
        };
        let Some((position, child)) = next else {
            break;
        };
        at = Some((position.0, position.1, depth + 1));
        node = child;
    }
    at
}

fn place(location: serde_saphyr::Location) -> (usize, usize) {
    (location.line() as usize, location.column() as usize)
}

/// A YAML node with the places of its keys and values.
#[derive(Debug)]
pub enum Node {
    Map(Vec<(Spanned<Key>, Spanned<Node>)>),
    Seq(Vec<Spanned<Node>>),
    Scalar(String),
}

/// A mapping key, whatever scalar it is written as.
#[derive(Debug)]
pub struct Key(pub String);

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML node")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Key>>()? {
            entries.push((key, map.next_value::<Spanned<Node>>()?));
        }
        Ok(Node::Map(entries))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar(String::new()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar(String::new()))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(NodeVisitor)? {
            Node::Scalar(s) => Ok(Key(s)),
            _ => Ok(Key(String::new())), // a complex key is never on a path
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: &str = "\
apiVersion: v1
kind: Pod
spec:
  containers:
  - name: alpine
    image: alpine:3.15
    serviceAccountName: demo-sa
metadata:
  name:
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: list-pods
rules:
  - resources: [pods]
    verbs: [list]
";

    #[test]
    fn server_paths_read_as_segments() {
        assert_eq!(
            segments(r#".spec.containers[name="alpine"].serviceAccountName"#),
            Some(vec![
                Segment::Key("spec".into()),
                Segment::Key("containers".into()),
                Segment::Entry {
                    key: "name".into(),
                    value: "alpine".into()
                },
                Segment::Key("serviceAccountName".into()),
            ])
        );
        assert_eq!(
            segments("rules[0].apiGroups"),
            Some(vec![
                Segment::Key("rules".into()),
                Segment::Index(0),
                Segment::Key("apiGroups".into())
            ])
        );
        assert_eq!(segments("not a path: at all"), None);
    }

    #[test]
    fn a_path_leads_to_its_line_through_the_structure() {
        let path = segments(r#".spec.containers[name="alpine"].serviceAccountName"#).unwrap();
        assert_eq!(locate(POD, 1, &path), Some((7, 5, 4)));
        // metadata.name, not the container's name two lines above it.
        let name = segments("metadata.name").unwrap();
        assert_eq!(locate(POD, 1, &name), Some((9, 3, 2)));
    }

    #[test]
    fn a_missing_field_points_at_the_deepest_place_that_exists_in_its_document() {
        let path = segments("rules[0].apiGroups").unwrap();
        let (line, _, found) = locate(POD, 11, &path).unwrap();
        assert_eq!(
            (line, found),
            (16, 2),
            "the rule's line, in the second document"
        );
    }
}
