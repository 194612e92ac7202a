//! What the learner wrote, checked before anything reaches a server: every
//! document of the editor's text must parse and make sense on its own, or
//! nothing is applied. Pure (no I/O), so every kind of bad input is tested
//! without a cluster; what only the server knows (which kinds exist, their
//! fields) is checked by a dry run of every document before the real apply.

use base64::Engine;
use serde_json::Value;

mod error;
pub mod escalation;
mod fields;
pub(crate) mod immutable;
pub(crate) mod locate;
pub(crate) mod server_words;

use fields::{METADATA_FIELDS, check_name, closest};

use crate::yaml;
pub use error::ApplyError;

/// More text than this is refused at once: lessons' manifests are a few
/// hundred bytes, and a stray paste of a log should be an error, not a slow
/// apply of nonsense.
pub const MAX_BYTES: usize = 256 * 1024;

/// One document, ready for the server.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// 1-based line where the document starts.
    pub line: usize,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub document: Value,
}

/// Every document of `text`, checked; the first problem as an error with its
/// line (and column where there is one).
pub fn parse(text: &str, namespace: &str) -> Result<Vec<Manifest>, ApplyError> {
    if text.len() > MAX_BYTES {
        return Err(ApplyError::Document {
            line: 1,
            message: format!(
                "the editor holds {} KB of text; kubetutor applies at most {} KB at once \
                 (apply something that big with kubectl)",
                text.len() / 1024,
                MAX_BYTES / 1024
            ),
        });
    }
    let documents = yaml::documents(text).map_err(ApplyError::Yaml)?;
    if documents.is_empty() {
        return Err(ApplyError::Empty);
    }
    let starts = document_start_lines(text);
    documents
        .into_iter()
        .enumerate()
        .map(|(index, document)| {
            let line = starts.get(index).copied().unwrap_or(1);
            let doc = Doc {
                text,
                start: line,
                end: starts.get(index + 1).copied().unwrap_or(usize::MAX),
            };
            doc.check(document, namespace)
        })
        .collect()
}

/// One document's place in the text, to point at its fields.
struct Doc<'a> {
    text: &'a str,
    start: usize,
    /// First line of the next document.
    end: usize,
}

impl Doc<'_> {
    fn check(&self, document: Value, namespace: &str) -> Result<Manifest, ApplyError> {
        let fail = |message: String| ApplyError::Document {
            line: self.start,
            message,
        };
        if !document.is_object() {
            return Err(fail(
                "this document is not a mapping; a manifest starts with apiVersion: and kind:"
                    .into(),
            ));
        }
        let text_field = |name: &str| -> Result<Option<String>, ApplyError> {
            match &document[name] {
                Value::Null => Ok(None),
                Value::String(s) if s.is_empty() => Ok(None),
                Value::String(s) => Ok(Some(s.clone())),
                other => Err(self.at(name, format!("{name} must be text, not {other}"))),
            }
        };
        let api_version = text_field("apiVersion")?
            .ok_or_else(|| fail("apiVersion is missing (e.g. apiVersion: v1)".into()))?;
        let kind =
            text_field("kind")?.ok_or_else(|| fail("kind is missing (e.g. kind: Pod)".into()))?;
        if kind == "List" || (kind.ends_with("List") && document.get("items").is_some()) {
            return Err(self.at(
                "kind",
                format!(
                    "kind {kind} holds other objects; write each as its own document, separated by ---"
                ),
            ));
        }
        if !document["metadata"].is_object() {
            return Err(fail(format!(
                "{kind} has no metadata: add metadata: with a name"
            )));
        }
        // The client reads metadata into a fixed struct that drops unknown
        // keys: a misspelled `lables` would vanish without a word.
        if let Some(metadata) = document["metadata"].as_object()
            && let Some(key) = metadata
                .keys()
                .find(|k| !METADATA_FIELDS.contains(&k.as_str()))
        {
            let hint = closest(key, METADATA_FIELDS)
                .map(|c| format!(" (did you mean {c}?)"))
                .unwrap_or_default();
            return Err(self.at(
                key,
                format!("metadata.{key} is not a field of metadata{hint}"),
            ));
        }
        let name_written = document["metadata"]
            .as_object()
            .is_some_and(|m| m.contains_key("name"));
        let name = match &document["metadata"]["name"] {
            Value::String(n) if !n.is_empty() => n.clone(),
            // `name:` with nothing after it: YAML reads null. Point at that line.
            Value::Null if name_written => {
                return Err(self.at_path(
                    &["metadata", "name"],
                    format!("{kind} has an empty metadata.name: write the name after `name:`"),
                ));
            }
            Value::Null => {
                return Err(self.at(
                    "metadata",
                    format!("{kind} has no metadata.name: give it a name"),
                ));
            }
            Value::String(_) => {
                return Err(self.at_path(
                    &["metadata", "name"],
                    format!("{kind} has an empty metadata.name: give it a name"),
                ));
            }
            other => {
                return Err(self.at_path(
                    &["metadata", "name"],
                    format!("the name must be text, not {other}"),
                ));
            }
        };
        if let Err(why) = check_name(&kind, &name) {
            return Err(self.at_path(&["metadata", "name"], format!("{kind} name {name:?} {why}")));
        }
        if let Some(ns) = document["metadata"].get("namespace")
            && ns.as_str() != Some(namespace)
        {
            let ns = ns.as_str().map_or_else(|| ns.to_string(), str::to_string);
            return Err(self.at(
                "namespace",
                format!(
                    "{kind} {name} says namespace {ns}, but this lesson works in {namespace}: \
                     remove the namespace line or set it to {namespace}"
                ),
            ));
        }
        if kind == "Namespace" {
            return Err(self.at(
                "kind",
                format!(
                    "kubetutor does not create or change namespaces; this lesson works in {namespace}"
                ),
            ));
        }
        if kind == "Secret" && api_version == "v1" {
            self.check_secret_data(&document)?;
        }
        if kind == "ConfigMap" && api_version == "v1" {
            self.check_text_values(&document, "data")?;
        }
        // Labels, annotations and the like have fixed types: a number where
        // text belongs is caught here, with the field named.
        if let Err(err) =
            serde_json::from_value::<kube::api::ObjectMeta>(document["metadata"].clone())
        {
            return Err(self.at(
                "metadata",
                format!(
                    "{kind} {name}: metadata: {err} (quote numbers and booleans meant as text)"
                ),
            ));
        }
        Ok(Manifest {
            line: self.start,
            api_version,
            kind,
            name,
            document,
        })
    }

    /// A Secret's `data` holds base64; plain text belongs in `stringData`.
    fn check_secret_data(&self, document: &Value) -> Result<(), ApplyError> {
        let Some(data) = document.get("data") else {
            return Ok(());
        };
        let Some(data) = data.as_object() else {
            return Err(self.at(
                "data",
                "a Secret's data is a mapping of keys to base64 text".into(),
            ));
        };
        for (key, value) in data {
            let decodes = value
                .as_str()
                .is_some_and(|v| base64::engine::general_purpose::STANDARD.decode(v).is_ok());
            if !decodes {
                return Err(self.at(
                    key,
                    format!(
                        "data.{key} is not base64; encode it (echo -n '…' | base64) or put plain text under stringData:"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Every value of the mapping `field` is text: `port: 80` must be
    /// `port: "80"` (YAML reads 80 as a number, yes as a boolean).
    fn check_text_values(&self, document: &Value, field: &str) -> Result<(), ApplyError> {
        let Some(values) = document.get(field).and_then(Value::as_object) else {
            return Ok(());
        };
        for (key, value) in values {
            if !value.is_string() {
                return Err(self.at(
                    key,
                    format!("{field}.{key} is {value}, not text: quote it (\"{value}\")"),
                ));
            }
        }
        Ok(())
    }

    /// An error at the field `path` (followed through the YAML's structure),
    /// else where `at` finds its last key.
    fn at_path(&self, path: &[&str], message: String) -> ApplyError {
        let segments: Vec<locate::Segment> = path
            .iter()
            .map(|key| locate::Segment::Key(key.to_string()))
            .collect();
        match locate::locate(self.text, self.start, &segments) {
            Some((line, column, found)) if found == segments.len() => ApplyError::Invalid {
                line,
                column,
                message,
            },
            _ => self.at(path.last().copied().unwrap_or_default(), message),
        }
    }

    /// An error at the first line of this document that starts with `key:`
    /// (a block mapping key), else at the document's first line.
    fn at(&self, key: &str, message: String) -> ApplyError {
        let needle = format!("{key}:");
        let found = self
            .text
            .lines()
            .enumerate()
            .skip(self.start.saturating_sub(1))
            .take_while(|(i, _)| i + 1 < self.end)
            .find_map(|(i, line)| {
                let content = line.trim_start().trim_start_matches("- ");
                content
                    .starts_with(&needle)
                    .then(|| (i + 1, line.len() - content.len() + 1))
            });
        match found {
            Some((line, column)) => ApplyError::Invalid {
                line,
                column,
                message,
            },
            None => ApplyError::Document {
                line: self.start,
                message,
            },
        }
    }
}

/// 1-based line on which each YAML document starts.
pub fn document_start_lines(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut current: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") {
            if let Some(start) = current.take() {
                starts.push(start);
            }
            continue;
        }
        let content = !trimmed.trim_start().is_empty() && !trimmed.trim_start().starts_with('#');
        if content && current.is_none() {
            current = Some(i + 1);
        }
    }
    if let Some(start) = current {
        starts.push(start);
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_starts_skip_separators_and_comments() {
        let text = "# comment\napiVersion: v1\nkind: A\n---\n\napiVersion: v1\n---\n";
        assert_eq!(document_start_lines(text), vec![2, 6]);
    }
}
