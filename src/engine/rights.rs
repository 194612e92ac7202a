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
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: (!scope.namespace.is_empty()).then(|| scope.namespace.clone()),
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
