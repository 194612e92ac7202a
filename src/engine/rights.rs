//! Asking the API server what the current user may do, before doing it: a
//! watch that is forbidden would fail forever, and a namespace-scoped
//! workshop attendee must see a tutor that says what it cannot see, not one
//! that hangs.

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::PostParams;
use kube::discovery::ApiResource;
use kube::{Api, Client};

use super::scope::Scope;

/// How the engine may follow a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sight {
    /// list and watch are allowed: a watch.
    Watch,
    /// Only get (one named object): read it again on a short interval.
    Get,
    /// Nothing: checks that read it cannot be decided. The text says why.
    Blind(String),
}

/// May the current user `verb` the scope's objects? Errors count as yes: the
/// request itself will then say what is wrong, and nothing waits on a guess.
pub async fn may(client: &Client, verb: &str, resource: &ApiResource, scope: &Scope) -> bool {
    // A request on one Namespace object (get, patch…) carries that
    // namespace as its namespace attribute: a Role inside namespace X may
    // grant `get` on X. Asked without it, an attendee who may get their
    // namespace is told no. A list or watch, even of one name, is a
    // cluster-wide request.
    let on_the_object = !matches!(verb, "list" | "watch");
    let namespace = match (&scope.name, scope.kind.as_str()) {
        (Some(name), "Namespace") if on_the_object => Some(name.clone()),
        _ => (!scope.namespace.is_empty()).then(|| scope.namespace.clone()),
    };
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace,
                verb: Some(verb.into()),
                group: Some(resource.group.clone()),
                resource: Some(resource.plural.clone()),
                name: scope.name.clone(),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    match Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await
    {
        Ok(answer) => answer.status.is_some_and(|s| s.allowed),
        Err(err) => {
            tracing::warn!(
                "SelfSubjectAccessReview for {verb} {}: {err}",
                scope.describe()
            );
            true
        }
    }
}

/// Watch, get, or nothing, as the API server allows.
pub async fn sight(client: &Client, resource: &ApiResource, scope: &Scope) -> Sight {
    let (list, watch) = tokio::join!(
        may(client, "list", resource, scope),
        may(client, "watch", resource, scope)
    );
    if list && watch {
        return Sight::Watch;
    }
    if scope.name.is_some() && may(client, "get", resource, scope).await {
        return Sight::Get;
    }
    let verbs = if scope.name.is_some() {
        "get, list or watch"
    } else {
        "list and watch"
    };
    Sight::Blind(format!(
        "you may not {verbs} {} (the API server said no)",
        scope.describe()
    ))
}

/// May the current user ask about others (SubjectAccessReview, cluster-wide)?
/// Namespace admins may not; they may ask in their namespace
/// (LocalSubjectAccessReview) instead.
pub async fn may_review_anyone(client: &Client) -> bool {
    let resource = ApiResource {
        group: "authorization.k8s.io".into(),
        version: "v1".into(),
        api_version: "authorization.k8s.io/v1".into(),
        kind: "SubjectAccessReview".into(),
        plural: "subjectaccessreviews".into(),
    };
    may(
        client,
        "create",
        &resource,
        &Scope::all("SubjectAccessReview", ""),
    )
    .await
}

/// A right the lesson declares (`rights:`) that the current user lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingRight {
    /// Index into the lesson's `rights`.
    pub right: usize,
    /// Said plainly, with what to do about it.
    pub sentence: String,
}

/// The lesson's declared rights the user lacks, each asked of the API
/// server (SelfSubjectAccessReview). A right that cannot be asked counts as
/// held: the step itself will then say what the server refuses.
pub async fn missing_rights(
    client: &Client,
    kinds: &crate::cluster::kinds::Kinds,
    lesson: &crate::lesson::Lesson,
) -> Vec<MissingRight> {
    // Asked all at once: each is a round trip, and the tutor's first answer
    // waits for them.
    let asked = lesson
        .rights
        .iter()
        .map(|right| lacking(client, kinds, &lesson.namespace, right));
    futures::future::join_all(asked)
        .await
        .into_iter()
        .zip(&lesson.rights)
        .enumerate()
        .filter_map(|(index, (lacking, right))| {
            lacking.map(|what| MissingRight {
                right: index,
                sentence: lacks_sentence(&what, &right.why, &lesson.id),
            })
        })
        .collect()
}

/// What the user lacks of one declared right, said plainly; None when held
/// (or when it cannot be asked).
async fn lacking(
    client: &Client,
    kinds: &crate::cluster::kinds::Kinds,
    ns: &str,
    right: &crate::lesson::model::Right,
) -> Option<String> {
    use crate::lesson::rights::Need;
    match right.need()? {
        Need::Manage(kinds_named) => {
            let asked = kinds_named.iter().map(|kind| async move {
                let (resource, _) = kinds.by_kind(kind)?;
                (!may(client, "create", &resource, &Scope::all(kind, ns)).await).then(|| {
                    format!(
                        "your kubeconfig may not create {} in namespace {ns}",
                        crate::k8s_names::plural(kind)
                    )
                })
            });
            // The first kind lacking, in the lesson's order.
            futures::future::join_all(asked)
                .await
                .into_iter()
                .flatten()
                .next()
        }
        Need::LabelNamespace(_) => {
            let (resource, _) = kinds.by_kind("Namespace")?;
            let scope = Scope::named("Namespace", "", ns);
            (!may(client, "patch", &resource, &scope).await)
                .then(|| format!("your kubeconfig may not label namespace {ns}"))
        }
        Need::ClusterRoles(_) => {
            let (resource, _) = kinds.by_kind("ClusterRole")?;
            (!may(client, "create", &resource, &Scope::all("ClusterRole", "")).await)
                .then(|| "your kubeconfig may not create ClusterRoles".to_string())
        }
    }
}

/// For the lesson picker: each lesson (id) whose declared rights the user
/// lacks, with the sentence that says the first of them and what to do.
/// Nothing when the API server does not answer discovery in 5 s (the picker
/// then marks nothing, and each lesson says it when opened).
pub async fn lessons_lacking(
    client: &Client,
    lessons: &[crate::lesson::Lesson],
) -> Vec<(String, String)> {
    let discovery = crate::cluster::kinds::Kinds::discover(client);
    let Ok(Ok(kinds)) = tokio::time::timeout(std::time::Duration::from_secs(5), discovery).await
    else {
        return Vec::new();
    };
    let with_rights = lessons.iter().filter(|l| !l.rights.is_empty());
    let asked = with_rights.map(|lesson| async {
        let first = missing_rights(client, &kinds, lesson)
            .await
            .into_iter()
            .next();
        first.map(|first| (lesson.id.clone(), first.sentence))
    });
    futures::future::join_all(asked)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// "your kubeconfig may not …: the lesson needs it (why). Ask the
/// instructor …, or use the local lab."
pub fn lacks_sentence(what: &str, why: &str, lesson: &str) -> String {
    format!(
        "{what}, and this lesson needs it ({why}). Ask your instructor to grant it (`kubetutor \
         class create CLASS --lesson {lesson}` grants exactly this), or use the local lab \
         (`kubetutor --lab`)"
    )
}
