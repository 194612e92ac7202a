//! Checks only the API server can answer: `access` (SubjectAccessReview),
//! `request` (a real HTTP call as some identity) and `token` (TokenRequest).

mod admission;
mod exec;
mod token;

use k8s_openapi::api::authorization::v1::{
    LocalSubjectAccessReview, ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client, Config};

use super::local::expect_value;
use super::outcome::Outcome;
use super::rbac::{self, AccessRequest};
use super::snapshot::Snapshot;
use crate::cluster::apply::server_message;
use crate::cluster::callers::{CallerError, Callers};
use crate::cluster::pod_exec;
use crate::cluster::request::{self, ApiResponse};
use crate::cluster::token::BoundPod;
use crate::lesson::model::{
    AccessCheck, Caller, Check, GrantsCheck, RequestCheck, RequestSpec, Subject,
};
use crate::syntax::path;
use crate::syntax::request_line;
use crate::tree::Tree;

/// What a remote check needs: the cluster, the lesson namespace, the
/// snapshot (pods to bind tokens to, RBAC objects for the explainer), and
/// what the current user may see and ask.
pub struct RemoteContext<'a> {
    pub client: &'a Client,
    pub config: &'a Config,
    /// The kinds the cluster serves, for dry runs (`rejected`).
    pub kinds: Option<&'a crate::cluster::kinds::Kinds>,
    /// The lesson id, for the labels of dry-run objects.
    pub lesson: &'a str,
    pub namespace: &'a str,
    pub snapshot: &'a Snapshot,
    pub callers: &'a Callers,
    /// Ask about others with LocalSubjectAccessReview in the namespace
    /// (namespace admins may not create cluster-wide SubjectAccessReviews).
    pub local_reviews: bool,
    /// ServiceAccounts of the lesson namespace are in the snapshot: one
    /// missing there does not exist.
    pub sees_accounts: bool,
    /// ClusterRoles and ClusterRoleBindings are in the snapshot.
    pub sees_cluster_rbac: bool,
}

pub async fn evaluate(check: &Check, ctx: &RemoteContext<'_>) -> Outcome {
    match check {
        Check::Access(c) => access(c, ctx).await,
        Check::Request(c) => request_check(c, ctx).await,
        Check::Token(c) => token::token_check(c, ctx).await,
        Check::Grants(c) => grants_by_server(c, ctx).await,
        Check::Rejected(c) => admission::rejected(c, ctx).await,
        Check::Exec(c) => exec::exec(c, ctx).await,
        _ => Outcome::fail("internal error: a snapshot check was sent to the server"),
    }
}

/// The API server could not be asked (down, restarting, network): the check
/// is undecided, not failed, so no step is marked regressed by an outage.
fn unreachable(what: &str, err: &dyn std::fmt::Display) -> Outcome {
    Outcome::undecided(format!("could not {what}: {err}"))
}

/// True when `err` is the server's answer (a Status), not a transport failure.
fn is_answer(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(_))
}

fn access_request(c: &AccessCheck, namespace: &str) -> (AccessRequest, String) {
    let ns = c.namespace.as_deref().unwrap_or(namespace);
    match &c.subject {
        // The account lives in the lesson namespace; `namespace` is where
        // the request would act (a RoleBinding grants in its own only).
        Subject::ServiceAccount(name) => (
            AccessRequest {
                namespace: ns.to_string(),
                ..AccessRequest::service_account(namespace, name, &c.verb, &c.group, &c.resource)
            },
            format!("ServiceAccount {name}"),
        ),
        Subject::User(user) => (
            AccessRequest {
                user: user.clone(),
                groups: vec!["system:authenticated".into()],
                verb: c.verb.clone(),
                group: c.group.clone(),
                resource: c.resource.clone(),
                namespace: ns.to_string(),
            },
            format!("user {user}"),
        ),
    }
}

fn review_spec(request: &AccessRequest) -> SubjectAccessReviewSpec {
    SubjectAccessReviewSpec {
        user: Some(request.user.clone()),
        groups: Some(request.groups.clone()),
        resource_attributes: Some(ResourceAttributes {
            namespace: Some(request.namespace.clone()),
            verb: Some(request.verb.clone()),
            group: Some(request.group.clone()),
            resource: Some(request.resource.clone()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Asks the API server whether `request` is allowed (SubjectAccessReview).
pub async fn subject_access_review(client: &Client, request: &AccessRequest) -> kube::Result<bool> {
    let review = SubjectAccessReview {
        spec: review_spec(request),
        ..Default::default()
    };
    let answer = Api::<SubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

/// The same question in the request's namespace (LocalSubjectAccessReview),
/// which a namespace admin may ask.
pub async fn local_subject_access_review(
    client: &Client,
    request: &AccessRequest,
) -> kube::Result<bool> {
    let review = LocalSubjectAccessReview {
        metadata: ObjectMeta {
            namespace: Some(request.namespace.clone()),
            ..Default::default()
        },
        spec: review_spec(request),
        ..Default::default()
    };
    let answer = Api::<LocalSubjectAccessReview>::namespaced(client.clone(), &request.namespace)
        .create(&PostParams::default(), &review)
        .await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

/// Asks whichever review the current user may create: cluster-wide first,
/// the namespace's own when that is forbidden.
async fn review(ctx: &RemoteContext<'_>, request: &AccessRequest) -> kube::Result<bool> {
    if !ctx.local_reviews {
        match subject_access_review(ctx.client, request).await {
            Err(kube::Error::Api(status)) if status.code == 403 => {}
            answer => return answer,
        }
    }
    local_subject_access_review(ctx.client, request).await
}

async fn access(c: &AccessCheck, ctx: &RemoteContext<'_>) -> Outcome {
    let (request, who) = access_request(c, ctx.namespace);
    let what = format!("{} {} in {}", c.verb, c.resource, request.namespace);
    let allowed = match review(ctx, &request).await {
        Ok(allowed) => allowed,
        Err(err) if is_answer(&err) => {
            return Outcome::undecided(format!(
                "you may not ask the API server about {who}: {}",
                server_message(&err)
            ));
        }
        Err(err) => return unreachable(&format!("ask the API server about {who}"), &err),
    };
    let missing_account = match &c.subject {
        Subject::ServiceAccount(name) => (ctx.sees_accounts
            && ctx
                .snapshot
                .get("ServiceAccount", ctx.namespace, name)
                .is_none())
        .then_some(name),
        Subject::User(_) => None,
    };
    match (allowed, c.allowed) {
        (true, true) => {
            if let Some(name) = missing_account {
                return Outcome::fail(format!(
                    "RBAC would let {who} {what}, but ServiceAccount {name} does not exist in {}: nothing can make a request as it. Create it again.",
                    ctx.namespace
                ));
            }
            let via = rbac::granting_binding(ctx.snapshot, &request)
                .map(|b| format!(" (through {b})"))
                .unwrap_or_default();
            Outcome::pass(format!("The API server says {who} may {what}{via}"))
        }
        (false, false) => Outcome::pass(format!("The API server says {who} may not {what}")),
        (false, true) => {
            let reasons =
                rbac::explain_denial_as_seen(ctx.snapshot, &request, ctx.sees_cluster_rbac);
            let mut message = format!("The API server says {who} may not {what} yet");
            if !reasons.is_empty() {
                message.push_str(": ");
                message.push_str(&reasons.join("; "));
            }
            Outcome::fail(message)
        }
        (true, false) => {
            let via = rbac::granting_binding(ctx.snapshot, &request)
                .map(|b| format!(": {b} grants it"))
                .unwrap_or_default();
            Outcome::fail(format!("The API server says {who} may still {what}{via}"))
        }
    }
}

/// A `grants` check whose role the current user may not read: the API
/// server is asked instead whether a ServiceAccount bound to the role (by a
/// RoleBinding in the namespace) may do what the check names.
async fn grants_by_server(c: &GrantsCheck, ctx: &RemoteContext<'_>) -> Outcome {
    let Some(role) = &c.role else {
        return Outcome::undecided(format!(
            "you may not read the Roles of {}, so which one grants {} {} cannot be seen",
            ctx.namespace, c.verb, c.resource
        ));
    };
    let role_kind = if c.cluster_role {
        "ClusterRole"
    } else {
        "Role"
    };
    let bound = ctx
        .snapshot
        .in_namespace("RoleBinding", ctx.namespace)
        .filter(|b| b["roleRef"]["kind"] == role_kind && b["roleRef"]["name"] == role.as_str())
        .flat_map(|b| b["subjects"].as_array().into_iter().flatten())
        .find(|s| s["kind"] == "ServiceAccount")
        .and_then(|s| s["name"].as_str());
    let Some(account) = bound else {
        return Outcome::undecided(format!(
            "you may not read {role_kind} {}, and no RoleBinding in {} binds it to a ServiceAccount the API server could be asked about",
            role, ctx.namespace
        ));
    };
    let request =
        AccessRequest::service_account(ctx.namespace, account, &c.verb, &c.group, &c.resource);
    let what = format!("{} {}", c.verb, c.resource);
    match review(ctx, &request).await {
        Ok(true) => Outcome::pass(format!(
            "You may not read {role_kind} {}; the API server says ServiceAccount {account}, bound to it, may {what}",
            role
        )),
        Ok(false) => Outcome::fail(format!(
            "You may not read {role_kind} {}; the API server says ServiceAccount {account}, bound to it, may not {what}",
            role
        )),
        Err(err) => unreachable(
            &format!("ask the API server about {role_kind} {}", role),
            &err,
        ),
    }
}

/// A client speaking as `caller`, and how to name the caller in messages.
/// Err is the outcome to report: failed (no such Pod, no token) or
/// undecided (the server could not be reached).
pub async fn caller_client(
    caller: &Caller,
    ctx: &RemoteContext<'_>,
) -> Result<(Client, String), Outcome> {
    let token_failed = |what: String, err: CallerError| match err {
        CallerError::Token(err) if is_answer(&err) => {
            Outcome::fail(format!("could not get {what}: {}", server_message(&err)))
        }
        CallerError::Token(err) => unreachable(&format!("get {what}"), &err),
        CallerError::Client(err) => Outcome::fail(format!("could not get {what}: {err:#}")),
    };
    let account_uid = |name: &str| {
        ctx.snapshot
            .get("ServiceAccount", ctx.namespace, name)
            .and_then(|sa| sa["metadata"]["uid"].as_str())
            .map(str::to_string)
    };
    match caller {
        Caller::Anonymous => ctx
            .callers
            .anonymous(ctx.config)
            .map(|client| (client, "anonymous (no token)".into()))
            .map_err(|e| Outcome::fail(format!("{e:#}"))),
        Caller::ServiceAccount(name) => {
            let uid = account_uid(name);
            let client = ctx
                .callers
                .service_account(
                    ctx.client,
                    ctx.config,
                    ctx.namespace,
                    name,
                    uid.as_deref(),
                    None,
                )
                .await
                .map_err(|e| token_failed(format!("a token for ServiceAccount {name}"), e))?;
            Ok((client, format!("ServiceAccount {name}")))
        }
        Caller::Pod(name) => {
            let pod = ctx
                .snapshot
                .get("Pod", ctx.namespace, name)
                .ok_or_else(|| {
                    Outcome::fail(format!(
                        "Pod {name} does not exist in {}: create it first",
                        ctx.namespace
                    ))
                })?;
            let account = pod["spec"]["serviceAccountName"]
                .as_str()
                .unwrap_or("default")
                .to_string();
            let bound = BoundPod {
                name: name.clone(),
                uid: pod["metadata"]["uid"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            };
            let uid = account_uid(&account);
            let client = ctx
                .callers
                .service_account(
                    ctx.client,
                    ctx.config,
                    ctx.namespace,
                    &account,
                    uid.as_deref(),
                    Some(&bound),
                )
                .await
                .map_err(|e| token_failed(format!("the token of Pod {name}"), e))?;
            Ok((client, format!("Pod {name} (ServiceAccount {account})")))
        }
    }
}

/// A request's answer, who sent it, and how (said on screen when it was not
/// sent from inside the Pod the lesson names).
pub struct Sent {
    pub response: ApiResponse,
    pub who: String,
    pub note: Option<String>,
}

/// How a request "from a Pod" is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Inside the Pod's container (curl with its mounted token) where the Pod
    /// runs a real container; the learner's own run of a step's action.
    Inside,
    /// With a token bound to the Pod, from kubetutor: the same identity and
    /// the same answer, without an exec per evaluation. Checks use this.
    Direct,
}

/// Sends a lesson's request; Err is the outcome to report (failed or
/// undecided). On the kwok lab, or where the image has no curl, a request
/// "from a Pod" is sent by kubetutor with the Pod's own bound token, and
/// the note says so.
pub async fn send(
    spec: &RequestSpec,
    ctx: &RemoteContext<'_>,
    route: Route,
) -> Result<Sent, Outcome> {
    // Lessons are checked when loaded; this guards every other way in.
    request_line::check_method(&spec.method).map_err(Outcome::fail)?;
    request_line::check_path(&spec.path).map_err(Outcome::fail)?;
    let mut why_not_inside = None;
    if route == Route::Inside
        && let Caller::Pod(name) = &spec.caller
        && let Some(pod) = ctx.snapshot.get("Pod", ctx.namespace, name)
        && pod_exec::runs_containers(ctx.client, pod).await
    {
        let anonymous = false;
        match pod_exec::request(
            ctx.client,
            ctx.namespace,
            name,
            &spec.method,
            &spec.path,
            anonymous,
        )
        .await
        {
            Ok(response) => {
                let account = pod["spec"]["serviceAccountName"]
                    .as_str()
                    .unwrap_or("default");
                let who =
                    format!("Pod {name} (ServiceAccount {account}), from inside its container");
                return Ok(Sent {
                    response,
                    who,
                    note: None,
                });
            }
            Err(why) => why_not_inside = Some(why),
        }
    }
    let (client, who) = caller_client(&spec.caller, ctx).await?;
    let method = http::Method::from_bytes(spec.method.as_bytes())
        .map_err(|_| Outcome::fail(format!("{:?} is not an HTTP method", spec.method)))?;
    let response = request::send_with(&client, method, &spec.path, None)
        .await
        .map_err(|e| {
            unreachable(
                &format!("send {} {} as {who}", spec.method, spec.path),
                &format!("{e:#}"),
            )
        })?;
    let note = (route == Route::Inside && matches!(spec.caller, Caller::Pod(_))).then(|| {
        match why_not_inside {
            Some(why) => format!(
                "{} Running it inside the Pod failed: {why}",
                crate::cluster::describe::FROM_POD_NOTE
            ),
            None => crate::cluster::describe::FROM_POD_NOTE.to_string(),
        }
    });
    Ok(Sent {
        response,
        who,
        note,
    })
}

async fn request_check(c: &RequestCheck, ctx: &RemoteContext<'_>) -> Outcome {
    let spec = c.request();
    let Sent { response, who, .. } = match send(&spec, ctx, Route::Direct).await {
        Ok(sent) => sent,
        Err(outcome) => return outcome,
    };
    let summary = format!(
        "{} {} as {who} answered {}",
        c.method,
        c.path,
        response.summary()
    );
    if !c.expect_status.accepts(response.status) {
        return Outcome::fail(format!("{summary}; the step expects {}", c.expect_status));
    }
    if let Some(json) = &c.expect_json {
        let body = Tree::from(response.json().unwrap_or_default());
        if let Err(message) = expect_value(
            path::lookup(&body, &json.path),
            json.equals.as_ref(),
            json.contains.as_deref(),
            &format!("the answer's {}", json.path),
        ) {
            return Outcome::fail(format!("{summary}, but {message}"));
        }
    }
    Outcome::pass(summary)
}
