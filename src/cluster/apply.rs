//! Server-side apply of what the learner wrote: multi-document YAML, any kind
//! the cluster serves, field manager `kubetutor`, strict field validation.
//! Errors say which document, which line, and what to do.

use kube::ResourceExt;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::Value;

use super::kinds::Kinds;
use crate::manifest::locate::{self, Segment};
use crate::manifest::server_words::{FieldProblem, Problem, ancestors, field_problem};
use crate::manifest::{self, Manifest};
// The error type lives with the parser that makes most of them; callers
// of apply name it from here.
pub use crate::manifest::ApplyError;

pub const FIELD_MANAGER: &str = "kubetutor";
/// Every object kubetutor applies carries this label with the lesson id, so
/// reset finds exactly what the lesson created.
pub const LESSON_LABEL: &str = "kubetutor.dev/lesson";
/// Cluster-scoped objects (ClusterRoles, ClusterRoleBindings) also carry the
/// lesson namespace: in a shared cluster each learner's reset must find only
/// their own, not those of the same lesson in other namespaces.
pub const NAMESPACE_LABEL: &str = "kubetutor.dev/namespace";
/// On a namespace kubetutor made for a lesson: that lesson's id. Everything
/// of the lesson's kinds in it is the learner's work for that lesson.
pub const MADE_FOR_LABEL: &str = "kubetutor.dev/made-for-lesson";

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
                return Err(explain(kinds, text, *line, &err, api, object, what).await);
            }
            if !dry_run {
                settle_admission(kinds, what, object).await;
            }
        }
    }
    Ok(prepared.into_iter().map(|(_, (_, _, what))| what).collect())
}

/// After creating or changing a LimitRange, waits until admission applies
/// it before the documents after it go (see `limit_range_settle`): a Pod in
/// the same apply must get its defaults. A LimitRange applied last (or
/// alone) is waited for too: the Pod may come a moment later from another
/// apply or kubectl (`lessons test` replays a step's solution, then the next
/// step's answer at once: a Pod created 0.6 s after the LimitRange alone was
/// stored without its defaults, as an attendee).
async fn settle_admission(kinds: &Kinds, what: &Applied, object: &DynamicObject) {
    let is_limit_range =
        what.kind == "LimitRange" && object.types.as_ref().is_some_and(|t| t.api_version == "v1");
    if !is_limit_range {
        return;
    }
    use super::limit_range_settle::{self, Settled};
    match limit_range_settle::wait(&kinds.client(), &what.namespace, object).await {
        Settled::Seen(after) => {
            tracing::debug!("admission applies LimitRange {} after {after:?}", what.name)
        }
        Settled::NothingToSee => {}
        other => tracing::warn!(
            "LimitRange {} may not apply yet to what follows it: {other:?}",
            what.name
        ),
    }
}

/// A cluster-scoped setup object is a ClusterRole named after the lesson
/// namespace, or a ClusterRoleBinding so named to such a role; nothing else.
fn setup_may_make(what: &Applied, role_ref: Option<&str>, namespace: &str) -> Result<(), String> {
    let prefix = crate::k8s_names::cluster_prefix(namespace);
    let ours = |name: &str| name.starts_with(&prefix);
    let allowed = match what.kind.as_str() {
        "ClusterRole" => ours(&what.name),
        "ClusterRoleBinding" => ours(&what.name) && role_ref.is_some_and(ours),
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(format!(
            "setup would make {what}, which is cluster-scoped: a lesson's setup makes objects of \
             {namespace} only, or ClusterRoles (and bindings to them) named \"{prefix}…\"; it was not applied"
        ))
    }
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
        let role_ref = manifest.document["roleRef"]["name"]
            .as_str()
            .map(str::to_string);
        let (api, object, what) = prepare(manifest, kinds, target)?;
        // Setup is applied unasked: whatever the loader let through, nothing
        // of it reaches past the learner's namespace (the server's scope
        // decides, so a kind the loader did not know is caught too).
        if what.namespace.is_empty()
            && let Err(message) = setup_may_make(&what, role_ref.as_deref(), target.namespace)
        {
            return Err(ApplyError::Document { line, message });
        }
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
            settle_admission(kinds, &what, &object).await;
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

pub use super::server_message;

/// A refusal from the server, on the line of the field it is about and in
/// plain words. For a field the server does not know where it is written,
/// the server is asked (dry runs) whether it would take it one level up, or
/// two…: "serviceAccountName belongs under spec, not under a container".
async fn explain(
    kinds: &Kinds,
    text: &str,
    start: usize,
    err: &kube::Error,
    api: &Api<DynamicObject>,
    object: &DynamicObject,
    what: &Applied,
) -> ApplyError {
    let said = server_message(err);
    let document = serde_json::to_value(object).unwrap_or_default();
    if let Some(message) =
        crate::manifest::escalation::explain(&said, &document, &|g, r| kinds.serves(g, r))
            .or_else(|| crate::manifest::escalation::missing_role(&said, &document))
    {
        return ApplyError::Server {
            line: start,
            object: what.to_string(),
            message,
        };
    }
    if let Some((field, why)) = crate::manifest::immutable::refused_change(&said) {
        return immutable(text, start, what, &field, why);
    }
    let Some(problem) = field_problem(&said) else {
        return ApplyError::Server {
            line: start,
            object: what.to_string(),
            message: said,
        };
    };
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

/// A change the server refuses because `field` is fixed once the object
/// exists: where the field is written, why it is fixed, and the way out.
fn immutable(text: &str, start: usize, what: &Applied, field: &str, why: &str) -> ApplyError {
    let (line, column) = [field.to_string(), format!("spec.{field}")]
        .iter()
        .filter_map(|path| locate::segments(path))
        .find_map(|path| locate::locate(text, start, &path))
        .map_or((start, 0), |(line, column, _)| (line, column));
    let why = if why.is_empty() {
        String::new()
    } else {
        format!(" ({why})")
    };
    let kind = &what.kind;
    ApplyError::Immutable {
        line,
        column,
        kind: kind.clone(),
        name: what.name.clone(),
        namespace: what.namespace.clone(),
        message: format!(
            "{what}: {field} cannot change once the {kind} exists{why}. Undo that change, or \
             delete the {kind} and create it again from the editor: F9 does both (it asks first)"
        ),
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

    #[test]
    fn setup_makes_only_the_namespaces_own_cluster_roles() {
        let object = |kind: &str, name: &str| Applied {
            kind: kind.into(),
            name: name.into(),
            namespace: String::new(),
        };
        let role = object("ClusterRole", "team.reader");
        assert!(setup_may_make(&role, None, "team").is_ok());
        let binding = object("ClusterRoleBinding", "team.reads");
        assert!(setup_may_make(&binding, Some("team.reader"), "team").is_ok());
        let err = setup_may_make(&binding, Some("cluster-admin"), "team").unwrap_err();
        assert!(err.contains("not applied"), "{err}");
        assert!(setup_may_make(&object("ClusterRole", "evil"), None, "team").is_err());
        let hook = object("ValidatingWebhookConfiguration", "team.hook");
        assert!(setup_may_make(&hook, None, "team").is_err());
    }
}
