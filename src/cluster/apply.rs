//! Server-side apply of what the learner wrote: multi-document YAML, any kind
//! the cluster serves, field manager `kubetutor`, strict field validation.
//! Errors say which document, which line, and what to do.

use kube::ResourceExt;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::Value;

use super::kinds::Kinds;
use super::manifest::locate::{self, Segment};
use super::manifest::server_words::{FieldProblem, Problem, ancestors, field_problem};
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
            if let Err(err) = api
                .patch(&object.name_any(), &params, &Patch::Apply(object))
                .await
            {
                return Err(explain(text, *line, &err, api, object, what).await);
            }
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

/// A refusal from the server, on the line of the field it is about and in
/// plain words. For a field the server does not know where it is written,
/// the server is asked (dry runs) whether it would take it one level up, or
/// two…: "serviceAccountName belongs under spec, not under a container".
async fn explain(
    text: &str,
    start: usize,
    err: &kube::Error,
    api: &Api<DynamicObject>,
    object: &DynamicObject,
    what: &Applied,
) -> ApplyError {
    let said = server_message(err);
    let Some(problem) = field_problem(&said) else {
        return ApplyError::Server {
            line: start,
            object: what.to_string(),
            message: said,
        };
    };
    let document = serde_json::to_value(object).unwrap_or_default();
    let belongs_under = match problem.problem {
        Problem::Unknown => where_it_fits(api, object, &document, &problem).await,
        _ => None,
    };
    let written = value_at(&document, &problem.path).is_some();
    let message = problem.plain(belongs_under.as_deref(), written);
    match locate::locate(text, start, &problem.path) {
        Some((line, column, _)) => ApplyError::Invalid {
            line,
            column,
            message: format!("{what}: {message}"),
        },
        None => ApplyError::Server {
            line: start,
            object: what.to_string(),
            message,
        },
    }
}

/// The nearest place up the path where the server accepts the field (a dry
/// run with it moved there), if any. At most a few requests, and only after a
/// refusal.
async fn where_it_fits(
    api: &Api<DynamicObject>,
    object: &DynamicObject,
    document: &Value,
    problem: &FieldProblem,
) -> Option<Vec<Segment>> {
    let field = problem.field();
    let value = value_at(document, &problem.path)?.clone();
    let params = PatchParams::apply(FIELD_MANAGER)
        .validation_strict()
        .dry_run();
    for place in ancestors(problem.parent()).into_iter().take(4) {
        let mut moved = document.clone();
        value_at_mut(&mut moved, problem.parent())?
            .as_object_mut()?
            .remove(field);
        let Some(target) = value_at_mut(&mut moved, place).and_then(Value::as_object_mut) else {
            continue;
        };
        if target.contains_key(field) {
            continue;
        }
        target.insert(field.to_string(), value.clone());
        match api
            .patch(&object.name_any(), &params, &Patch::Apply(&moved))
            .await
        {
            Ok(_) => return Some(place.to_vec()),
            Err(err) if !server_message(&err).contains(field) => return Some(place.to_vec()),
            Err(_) => {}
        }
    }
    None
}

fn value_at<'v>(value: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    path.iter().try_fold(value, |value, segment| match segment {
        Segment::Key(key) => value.get(key),
        Segment::Index(i) => value.get(i),
        Segment::Entry { key, value: wanted } => value
            .as_array()?
            .iter()
            .find(|item| item.get(key).and_then(Value::as_str) == Some(wanted.as_str())),
    })
}

fn value_at_mut<'v>(value: &'v mut Value, path: &[Segment]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |value, segment| match segment {
        Segment::Key(key) => value.get_mut(key),
        Segment::Index(i) => value.get_mut(i),
        Segment::Entry { key, value: wanted } => value
            .as_array_mut()?
            .iter_mut()
            .find(|item| item.get(key).and_then(Value::as_str) == Some(wanted.as_str())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_reaches_list_entries_by_index_and_by_name() {
        let pod = serde_json::json!({"spec": {"containers": [{"name": "a", "image": "x"}]}});
        let by_name = locate::segments(r#".spec.containers[name="a"].image"#).unwrap();
        assert_eq!(value_at(&pod, &by_name), Some(&Value::from("x")));
        let by_index = locate::segments("spec.containers[0].image").unwrap();
        assert_eq!(value_at(&pod, &by_index), Some(&Value::from("x")));
    }
}
