//! Server-side apply of what the learner wrote: multi-document YAML, any kind
//! the cluster serves, field manager `kubetutor`, strict field validation.
//! Errors say which document, which line, and what to do.

use kube::ResourceExt;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::Value;

use super::kinds::Kinds;
use crate::yaml::{self, YamlError};

pub const FIELD_MANAGER: &str = "kubetutor";
/// Every object kubetutor applies carries this label with the lesson id, so
/// reset finds exactly what the lesson created.
pub const LESSON_LABEL: &str = "kubetutor.dev/lesson";
/// Cluster-scoped objects (ClusterRoles, ClusterRoleBindings) also carry the
/// lesson namespace: in a shared cluster each learner's reset must find only
/// their own, not those of the same lesson in other namespaces.
pub const NAMESPACE_LABEL: &str = "kubetutor.dev/namespace";

/// What was applied: kind, name and namespace ("" when cluster-scoped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

impl std::fmt::Display for Applied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("YAML error at {0}")]
    Yaml(YamlError),
    #[error("line {line}: {message}")]
    Document { line: usize, message: String },
    #[error("line {line}: {object}: {message}")]
    Server {
        line: usize,
        object: String,
        message: String,
    },
    #[error("nothing to apply: the editor holds no YAML document")]
    Empty,
}

impl ApplyError {
    /// The line (1-based) the error points at, for marking it in the editor.
    pub fn line(&self) -> Option<usize> {
        match self {
            ApplyError::Yaml(e) if e.line > 0 => Some(e.line),
            ApplyError::Document { line, .. } | ApplyError::Server { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// Where and for which lesson objects are applied.
#[derive(Debug, Clone)]
pub struct ApplyTarget<'a> {
    pub namespace: &'a str,
    pub lesson: &'a str,
}

/// Applies every document of `text`, in order; stops at the first error, so
/// the message points at one place. Documents before it stay applied (as with
/// kubectl) and are listed in the Ok of a later, corrected apply.
pub async fn apply_yaml(
    kinds: &Kinds,
    text: &str,
    target: &ApplyTarget<'_>,
) -> Result<Vec<Applied>, ApplyError> {
    let documents = yaml::documents(text).map_err(ApplyError::Yaml)?;
    if documents.is_empty() {
        return Err(ApplyError::Empty);
    }
    let starts = document_start_lines(text);
    // Check every document before applying any: a typo in the third should
    // not leave the first two applied.
    let mut prepared = Vec::new();
    for (index, document) in documents.into_iter().enumerate() {
        let line = starts.get(index).copied().unwrap_or(1);
        prepared.push((line, prepare(document, kinds, target, line)?));
    }
    let mut applied = Vec::new();
    for (line, (api, object, what)) in prepared {
        let name = object.name_any();
        let params = PatchParams::apply(FIELD_MANAGER).validation_strict();
        api.patch(&name, &params, &Patch::Apply(&object))
            .await
            .map_err(|err| {
                let message = server_message(&err);
                let line = field_line(text, line, &message).unwrap_or(line);
                ApplyError::Server {
                    line,
                    object: what.to_string(),
                    message,
                }
            })?;
        applied.push(what);
    }
    Ok(applied)
}

type Prepared = (Api<DynamicObject>, DynamicObject, Applied);

fn prepare(
    mut document: Value,
    kinds: &Kinds,
    target: &ApplyTarget<'_>,
    line: usize,
) -> Result<Prepared, ApplyError> {
    let fail = |message: String| ApplyError::Document { line, message };
    let field = |doc: &Value, name: &str| {
        doc[name]
            .as_str()
            .map(str::to_string)
            .filter(|s| !s.is_empty())
    };
    if !document.is_object() {
        return Err(fail(
            "this document is not a mapping; a manifest starts with apiVersion: and kind:".into(),
        ));
    }
    let api_version = field(&document, "apiVersion")
        .ok_or_else(|| fail("apiVersion is missing (e.g. apiVersion: v1)".into()))?;
    let kind =
        field(&document, "kind").ok_or_else(|| fail("kind is missing (e.g. kind: Pod)".into()))?;
    let name = document["metadata"]["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .ok_or_else(|| fail(format!("{kind} has no metadata.name: give it a name")))?;
    let (resource, capabilities) = kinds.resolve(&api_version, &kind).ok_or_else(|| {
        fail(format!(
            "this cluster serves no kind {kind} in apiVersion {api_version}: check both spellings"
        ))
    })?;
    let namespaced = Kinds::is_namespaced(&capabilities);
    let metadata = document["metadata"]
        .as_object_mut()
        .expect("metadata.name was read above");
    if namespaced {
        match metadata.get("namespace").and_then(Value::as_str) {
            Some(ns) if ns != target.namespace => {
                return Err(fail(format!(
                    "{kind} {name} says namespace {ns}, but this lesson works in {}: \
                     remove the namespace line or set it to {}",
                    target.namespace, target.namespace
                )));
            }
            _ => {
                metadata.insert("namespace".into(), target.namespace.into());
            }
        }
    }
    let labels = metadata
        .entry("labels")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(labels) = labels.as_object_mut() {
        labels.insert(LESSON_LABEL.into(), target.lesson.into());
        if !namespaced {
            labels.insert(NAMESPACE_LABEL.into(), target.namespace.into());
        }
    }
    let object: DynamicObject =
        serde_json::from_value(document).map_err(|e| fail(format!("{kind} {name}: {e}")))?;
    let api = if namespaced {
        Api::namespaced_with(kinds.client(), target.namespace, &resource)
    } else {
        Api::all_with(kinds.client(), &resource)
    };
    let what = Applied {
        kind,
        name,
        namespace: if namespaced {
            target.namespace.to_string()
        } else {
            String::new()
        },
    };
    Ok((api, object, what))
}

/// The server's own words for a failed request.
pub fn server_message(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

/// 1-based line on which each YAML document starts.
fn document_start_lines(text: &str) -> Vec<usize> {
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

/// For "unknown field" errors, the line of that field in the document starting
/// at `start`: the server names the field by path; we look for its last key.
fn field_line(text: &str, start: usize, message: &str) -> Option<usize> {
    let path = message
        .split("unknown field \"")
        .nth(1)?
        .split('"')
        .next()?;
    let key = path.rsplit('.').next()?.split('[').next()?;
    text.lines()
        .enumerate()
        .skip(start - 1)
        .take_while(|(i, l)| *i + 1 == start || l.trim_end() != "---")
        .find(|(_, l)| {
            let l = l.trim_start().trim_start_matches("- ");
            l.starts_with(&format!("{key}:"))
        })
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_starts_skip_separators_and_comments() {
        let text = "# comment\napiVersion: v1\nkind: A\n---\n\napiVersion: v1\n---\n";
        assert_eq!(document_start_lines(text), vec![2, 6]);
    }

    #[test]
    fn unknown_fields_are_located_on_their_line() {
        let text = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    imagee: x\n";
        let message = r#".spec.containers[0].imagee: field not declared in schema, unknown field "spec.containers[0].imagee""#;
        assert_eq!(field_line(text, 1, message), Some(6));
        assert_eq!(field_line(text, 1, "something else"), None);
    }
}
