//! Checks only the API server can answer: `access` (SubjectAccessReview),
//! `request` (a real HTTP call as some identity) and `token` (TokenRequest).

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use kube::api::PostParams;
use kube::{Api, Client, Config};
use secrecy::ExposeSecret;

use super::local::expect_value;
use super::outcome::Outcome;
use super::path;
use super::rbac::{self, AccessRequest};
use super::snapshot::Snapshot;
use crate::cluster::apply::server_message;
use crate::cluster::request::{self, ApiResponse, Identity};
use crate::cluster::token::{self, BoundPod, DEFAULT_EXPIRATION_SECONDS};
use crate::cluster::{jwt, pod_exec};
use crate::lesson::model::{
    AccessCheck, Caller, Check, RequestCheck, RequestSpec, Subject, TokenCheck,
};

/// What a remote check needs: the cluster, the lesson namespace, and the
/// snapshot (pods to bind tokens to, RBAC objects for the explainer).
pub struct RemoteContext<'a> {
    pub client: &'a Client,
    pub config: &'a Config,
    pub namespace: &'a str,
    pub snapshot: &'a Snapshot,
}

pub async fn evaluate(check: &Check, ctx: &RemoteContext<'_>) -> Outcome {
    match check {
        Check::Access(c) => access(c, ctx).await,
        Check::Request(c) => request_check(c, ctx).await,
        Check::Token(c) => token_check(c, ctx).await,
        _ => Outcome::fail("internal error: a snapshot check was sent to the server"),
    }
}

fn access_request(c: &AccessCheck, namespace: &str) -> (AccessRequest, String) {
    let ns = c.namespace.as_deref().unwrap_or(namespace);
    match &c.subject {
        Subject::ServiceAccount(name) => (
            AccessRequest::service_account(ns, name, &c.verb, &c.group, &c.resource),
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

/// Asks the API server whether `request` is allowed.
pub async fn subject_access_review(client: &Client, request: &AccessRequest) -> kube::Result<bool> {
    let review = SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
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
        },
        ..Default::default()
    };
    let answer = Api::<SubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

async fn access(c: &AccessCheck, ctx: &RemoteContext<'_>) -> Outcome {
    let (request, who) = access_request(c, ctx.namespace);
    let what = format!("{} {} in {}", c.verb, c.resource, request.namespace);
    let allowed = match subject_access_review(ctx.client, &request).await {
        Ok(allowed) => allowed,
        Err(err) => {
            return Outcome::fail(format!("could not ask the API server about {who}: {err}"));
        }
    };
    match (allowed, c.allowed) {
        (true, true) => {
            let via = rbac::granting_binding(ctx.snapshot, &request)
                .map(|b| format!(" (through {b})"))
                .unwrap_or_default();
            Outcome::pass(format!("The API server says {who} may {what}{via}"))
        }
        (false, false) => Outcome::pass(format!("The API server says {who} may not {what}")),
        (false, true) => {
            let reasons = rbac::explain_denial(ctx.snapshot, &request);
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

/// The identity a caller stands for, and how to name it in messages.
pub async fn identity(
    caller: &Caller,
    ctx: &RemoteContext<'_>,
) -> Result<(Identity, String), String> {
    match caller {
        Caller::Anonymous => Ok((Identity::Anonymous, "anonymous (no token)".into())),
        Caller::ServiceAccount(name) => {
            let token = token::request(
                ctx.client,
                ctx.namespace,
                name,
                DEFAULT_EXPIRATION_SECONDS,
                None,
            )
            .await
            .map_err(|e| {
                format!(
                    "could not get a token for ServiceAccount {name}: {}",
                    server_message(&e)
                )
            })?;
            Ok((Identity::Bearer(token), format!("ServiceAccount {name}")))
        }
        Caller::Pod(name) => {
            let pod = ctx
                .snapshot
                .get("Pod", ctx.namespace, name)
                .ok_or_else(|| {
                    format!(
                        "Pod {name} does not exist in {}: create it first",
                        ctx.namespace
                    )
                })?;
            let uid = pod["metadata"]["uid"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let account = pod["spec"]["serviceAccountName"]
                .as_str()
                .unwrap_or("default")
                .to_string();
            let bound = BoundPod {
                name: name.clone(),
                uid,
            };
            let token = token::request(
                ctx.client,
                ctx.namespace,
                &account,
                DEFAULT_EXPIRATION_SECONDS,
                Some(&bound),
            )
            .await
            .map_err(|e| {
                format!(
                    "could not get the token of Pod {name}: {}",
                    server_message(&e)
                )
            })?;
            Ok((
                Identity::Bearer(token),
                format!("Pod {name} (ServiceAccount {account})"),
            ))
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

/// Sends a lesson's request; Err is a sentence for the learner. A request
/// "from a Pod" runs inside its container (curl with the mounted token) where
/// the Pod runs a real container; otherwise — the kwok lab, or an image
/// without curl — kubetutor sends it with the Pod's own bound token and says so.
pub async fn send(spec: &RequestSpec, ctx: &RemoteContext<'_>) -> Result<Sent, String> {
    let mut why_not_inside = None;
    if let Caller::Pod(name) = &spec.caller
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
    let (identity, who) = identity(&spec.caller, ctx).await?;
    let method = http::Method::from_bytes(spec.method.as_bytes())
        .map_err(|_| format!("{:?} is not an HTTP method", spec.method))?;
    let response = request::send(ctx.config, &identity, method, &spec.path, None)
        .await
        .map_err(|e| format!("{} {} as {who} failed: {e:#}", spec.method, spec.path))?;
    let note = matches!(spec.caller, Caller::Pod(_)).then(|| match why_not_inside {
        Some(why) => format!(
            "{} Running it inside the Pod failed: {why}",
            crate::cluster::describe::FROM_POD_NOTE
        ),
        None => crate::cluster::describe::FROM_POD_NOTE.to_string(),
    });
    Ok(Sent {
        response,
        who,
        note,
    })
}

async fn request_check(c: &RequestCheck, ctx: &RemoteContext<'_>) -> Outcome {
    let spec = c.request();
    let Sent { response, who, .. } = match send(&spec, ctx).await {
        Ok(sent) => sent,
        Err(message) => return Outcome::fail(message),
    };
    let summary = format!(
        "{} {} as {who} answered {}",
        c.method,
        c.path,
        describe(&response)
    );
    if response.status != c.expect_status {
        return Outcome::fail(format!("{summary}; the step expects {}", c.expect_status));
    }
    if let Some(json) = &c.expect_json {
        let body = response.json().unwrap_or_default();
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

/// A response in one line: status, reason, and the Status message or a list summary.
pub fn describe(response: &ApiResponse) -> String {
    let reason = http::StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let json = response.json().unwrap_or_default();
    let detail = match json["kind"].as_str() {
        Some("Status") => format!(": {}", json["message"].as_str().unwrap_or_default()),
        Some(kind) if kind.ends_with("List") => {
            let names: Vec<&str> = json["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["metadata"]["name"].as_str())
                .collect();
            if kind == "APIResourceList" {
                format!(
                    " ({kind}, {} resources)",
                    json["resources"].as_array().map_or(0, Vec::len)
                )
            } else {
                format!(
                    " ({kind}: {})",
                    if names.is_empty() {
                        "empty".to_string()
                    } else {
                        names.join(", ")
                    }
                )
            }
        }
        Some(kind) => format!(" ({kind})"),
        None => String::new(),
    };
    format!("{} {reason}{detail}", response.status)
}

async fn token_check(c: &TokenCheck, ctx: &RemoteContext<'_>) -> Outcome {
    let token = match token::request(
        ctx.client,
        ctx.namespace,
        &c.service_account,
        DEFAULT_EXPIRATION_SECONDS,
        None,
    )
    .await
    {
        Ok(token) => token,
        Err(e) => {
            return Outcome::fail(format!(
                "could not create a token for ServiceAccount {}: {}",
                c.service_account,
                server_message(&e)
            ));
        }
    };
    let decoded = match jwt::decode(token.expose_secret()) {
        Ok(decoded) => decoded,
        Err(e) => return Outcome::fail(format!("the token does not decode: {e}")),
    };
    for (claim, expected) in &c.claims {
        let expected = serde_json::Value::String(expected.clone());
        if let Err(message) = expect_value(
            path::lookup(&decoded.claims, claim),
            Some(&expected),
            None,
            &format!("claim {claim}"),
        ) {
            return Outcome::fail(format!(
                "A token for {} decodes, but {message}",
                c.service_account
            ));
        }
    }
    let sub = decoded.claims["sub"].as_str().unwrap_or_default();
    let lifetime = decoded
        .lifetime_seconds()
        .map(|s| format!(", valid {} min", s / 60))
        .unwrap_or_default();
    Outcome::pass(format!(
        "A token for {} decodes: sub {sub}{lifetime}",
        c.service_account
    ))
}
