//! Server-side apply of what the learner wrote: multi-document YAML, any kind
//! the cluster serves, field manager `kubetutor`, strict field validation.
//! Errors say which document, which line, and what to do.

use kube::ResourceExt;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::Value;

use super::kinds::Kinds;
use super::manifest::{self, Manifest};
use crate::yaml::YamlError;

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
    /// A document that parses but cannot be right, pointing at the field.
    #[error("line {line}, column {column}: {message}")]
    Invalid {
        line: usize,
        column: usize,
        message: String,
    },
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
            ApplyError::Document { line, .. }
            | ApplyError::Invalid { line, .. }
            | ApplyError::Server { line, .. } => Some(*line),
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

/// Applies every document of `text`, in order, or none: every document is
/// checked on its own first (`manifest::parse`), then by the server in a dry
/// run (kinds, fields, admission), and only then applied. The first problem
/// is the error, pointing at one place.
pub async fn apply_yaml(
    kinds: &Kinds,
    text: &str,
    target: &ApplyTarget<'_>,
) -> Result<Vec<Applied>, ApplyError> {
    let manifests = manifest::parse(text, target.namespace)?;
    let prepared = manifests
        .into_iter()
        .map(|m| {
            let line = m.line;
            prepare(m, kinds, target).map(|p| (line, p))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let strict = PatchParams::apply(FIELD_MANAGER).validation_strict();
    for dry_run in [true, false] {
        let params = if dry_run {
            strict.clone().dry_run()
        } else {
            strict.clone()
        };
        for (line, (api, object, what)) in &prepared {
            api.patch(&object.name_any(), &params, &Patch::Apply(object))
                .await
                .map_err(|err| {
                    let message = server_message(&err);
                    let line = field_line(text, *line, &message).unwrap_or(*line);
                    ApplyError::Server {
                        line,
                        object: what.to_string(),
                        message,
                    }
                })?;
        }
    }
    Ok(prepared.into_iter().map(|(_, (_, _, what))| what).collect())
}

/// Applies the documents of `text` whose object does not exist yet (setup
/// objects: once a learner changed one, starting again must not undo it).
pub async fn create_missing(
    kinds: &Kinds,
    text: &str,
    target: &ApplyTarget<'_>,
) -> Result<Vec<Applied>, ApplyError> {
    let params = PatchParams::apply(FIELD_MANAGER).validation_strict();
    let mut created = Vec::new();
    for manifest in manifest::parse(text, target.namespace)? {
        let line = manifest.line;
        let (api, object, what) = prepare(manifest, kinds, target)?;
        let named = what.to_string();
        let server = |err: kube::Error| ApplyError::Server {
            line,
            object: named.clone(),
            message: server_message(&err),
        };
        if api
            .get_opt(&object.name_any())
            .await
            .map_err(server)?
            .is_none()
        {
            api.patch(&object.name_any(), &params, &Patch::Apply(&object))
                .await
                .map_err(server)?;
            created.push(what);
        }
    }
    Ok(created)
}

/// What the server says of a manifest in a dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DryRun {
    /// It would create or change every object.
    Accepted,
    /// It refuses this object, in its own words.
    Refused { object: String, message: String },
    /// No answer (network, server down).
    Unreachable(String),
}

/// Asks the server whether it would accept every document of `text`
/// (server-side apply, dry run: nothing is stored). Err when the text itself
/// is wrong or names a kind the cluster does not serve.
pub async fn dry_run(
    kinds: &Kinds,
    text: &str,
    target: &ApplyTarget<'_>,
) -> Result<DryRun, ApplyError> {
    let prepared = manifest::parse(text, target.namespace)?
        .into_iter()
        .map(|m| prepare(m, kinds, target))
        .collect::<Result<Vec<_>, _>>()?;
    let params = PatchParams::apply(FIELD_MANAGER)
        .validation_strict()
        .dry_run();
    for (api, object, what) in &prepared {
        match api
            .patch(&object.name_any(), &params, &Patch::Apply(object))
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(status)) => {
                return Ok(DryRun::Refused {
                    object: what.to_string(),
                    message: status.message,
                });
            }
            Err(other) => return Ok(DryRun::Unreachable(other.to_string())),
        }
    }
    Ok(DryRun::Accepted)
}

type Prepared = (Api<DynamicObject>, DynamicObject, Applied);

fn prepare(
    manifest: Manifest,
    kinds: &Kinds,
    target: &ApplyTarget<'_>,
) -> Result<Prepared, ApplyError> {
    let Manifest {
        line,
        api_version,
        kind,
        name,
        mut document,
    } = manifest;
    let fail = |message: String| ApplyError::Document { line, message };
    let (resource, capabilities) = kinds.resolve(&api_version, &kind).ok_or_else(|| {
        fail(format!(
            "this cluster serves no kind {kind} in apiVersion {api_version}: check both spellings"
        ))
    })?;
    let namespaced = Kinds::is_namespaced(&capabilities);
    let metadata = document["metadata"]
        .as_object_mut()
        .expect("manifest::parse checked metadata");
    if namespaced {
        // parse() refused any other namespace.
        metadata.insert("namespace".into(), target.namespace.into());
    } else if metadata.contains_key("namespace") {
        return Err(fail(format!(
            "{kind} is cluster-scoped: it lives in no namespace; remove metadata.namespace"
        )));
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

/// For "unknown field" errors, the line of that field in the document starting
/// at `start`: the server names the field by path; we look for its last key.
fn field_line(text: &str, start: usize, message: &str) -> Option<usize> {
    // Strict validation says `unknown field "spec.x"`; server-side apply's
    // typed patch says `.spec.x: field not declared in schema`.
    let path = match message.split("unknown field \"").nth(1) {
        Some(rest) => rest.split('"').next()?,
        None => message
            .split(": field not declared in schema")
            .next()
            .filter(|before| before.len() < message.len())?
            .rsplit(": ")
            .next()?,
    };
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
    fn unknown_fields_are_located_on_their_line() {
        let text = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    imagee: x\n";
        let message = r#".spec.containers[0].imagee: field not declared in schema, unknown field "spec.containers[0].imagee""#;
        assert_eq!(field_line(text, 1, message), Some(6));
        let typed = r#"failed to create typed patch object (ns/p; /v1, Kind=Pod): .spec.containers[name="a"].imagee: field not declared in schema"#;
        assert_eq!(field_line(text, 1, typed), Some(6));
        assert_eq!(field_line(text, 1, "something else"), None);
    }
}
