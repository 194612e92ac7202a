//! What RBAC cannot narrow about a lesson's rights, bounded at admission:
//! two ValidatingAdmissionPolicies (GA since Kubernetes 1.30), one per
//! cluster, for every attendee at once (a ServiceAccount named `attendee`).
//!
//! - Own namespace's labels: an attendee may change only the Pod Security
//!   labels of their own namespace, only to `baseline` or `restricted` (never
//!   `privileged`: that would let them run Pods that own the node), and
//!   nothing else of it.
//! - ClusterRoles and ClusterRoleBindings: named `<their namespace>.…`;
//!   rules only get/list/watch the resources lessons may read; no label that
//!   aggregates into the built-in roles; aggregation only of roles labelled
//!   with their namespace's prefix; bindings only of their own roles to
//!   ServiceAccounts of their own namespace.
//!
//! https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/

use anyhow::Context;
use kube::api::{Patch, PatchParams};
use kube::discovery::ApiResource;
use kube::{Api, Client};
use serde_json::{Value, json};

use crate::cluster::kinds::Kinds;
use crate::lesson::rights::{CLUSTER_READS, SAFE_LEVELS};

const MANAGER: &str = "kubetutor-policy";
/// Every attendee's ServiceAccount is called this (see `class::ACCOUNT`).
const ACCOUNT: &str = super::ACCOUNT;

pub const LABELS_POLICY: &str = "kubetutor-attendee-namespace-labels";
pub const ROLES_POLICY: &str = "kubetutor-attendee-cluster-roles";

/// Creates (or updates) the policy that bounds `labelNamespace` rights, and
/// returns once it refuses a change to `namespace` it must refuse.
pub async fn ensure_labels_policy(
    client: &Client,
    kinds: &Kinds,
    namespace: &str,
) -> anyhow::Result<()> {
    let levels = cel_list(SAFE_LEVELS);
    let policy = json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": LABELS_POLICY},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [{
                "apiGroups": [""], "apiVersions": ["v1"],
                "operations": ["UPDATE"], "resources": ["namespaces"],
            }]},
            "matchConditions": [{
                "name": "an-attendee-changing-their-own-namespace",
                "expression": format!(
                    "request.userInfo.username == 'system:serviceaccount:' + object.metadata.name + ':{ACCOUNT}'"
                ),
            }],
            "variables": [
                {"name": "new", "expression": "has(object.metadata.labels) ? object.metadata.labels : {}"},
                {"name": "old", "expression": "has(oldObject.metadata.labels) ? oldObject.metadata.labels : {}"},
                {"name": "ps", "expression": "'pod-security.kubernetes.io/'"},
            ],
            "validations": [
                {
                    "expression": "variables.new.all(k, k.startsWith(variables.ps) || (k in variables.old && variables.old[k] == variables.new[k])) && variables.old.all(k, k.startsWith(variables.ps) || k in variables.new)",
                    "message": "an attendee may change only the pod-security.kubernetes.io/ labels of their namespace",
                },
                {
                    "expression": format!(
                        "variables.new.all(k, !k.startsWith(variables.ps) || (k.endsWith('-version') ? (variables.new[k] == 'latest' || variables.new[k].matches('^v1\\\\.[0-9]+$')) : variables.new[k] in {levels}))"
                    ),
                    "message": "an attendee may set Pod Security levels baseline or restricted only (privileged would let them run Pods that own the node)",
                },
                {
                    "expression": "(has(object.metadata.annotations) ? object.metadata.annotations : {}) == (has(oldObject.metadata.annotations) ? oldObject.metadata.annotations : {})",
                    "message": "an attendee may not change their namespace's annotations",
                },
            ],
        },
    });
    apply(client, kinds, LABELS_POLICY, policy).await?;
    let probe = move || {
        http::Request::patch(format!("/api/v1/namespaces/{namespace}?dryRun=All"))
            .header(http::header::CONTENT_TYPE, "application/merge-patch+json")
            .header(
                "Impersonate-User",
                format!("system:serviceaccount:{namespace}:{ACCOUNT}"),
            )
            .header("Impersonate-Group", "system:masters")
            .body(br#"{"metadata":{"labels":{"kubetutor.dev/policy-probe":"x"}}}"#.to_vec())
    };
    in_force(client, LABELS_POLICY, &probe).await
}

/// Creates (or updates) the policy that bounds `clusterRoles` rights.
pub async fn ensure_roles_policy(client: &Client, kinds: &Kinds) -> anyhow::Result<()> {
    let reads = cel_list(CLUSTER_READS);
    let policy = json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": ROLES_POLICY},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [{
                "apiGroups": ["rbac.authorization.k8s.io"], "apiVersions": ["*"],
                "operations": ["CREATE", "UPDATE", "DELETE"],
                "resources": ["clusterroles", "clusterrolebindings", "rolebindings"],
            }]},
            "matchConditions": [{
                "name": "an-attendee",
                "expression": format!(
                    "request.userInfo.username.startsWith('system:serviceaccount:') && request.userInfo.username.endsWith(':{ACCOUNT}')"
                ),
            }],
            "variables": [
                {"name": "ns", "expression": "request.userInfo.username.split(':')[2]"},
                {"name": "obj", "expression": "request.operation == 'DELETE' ? oldObject : object"},
                {"name": "role", "expression": "request.resource.resource == 'clusterroles'"},
                {"name": "clusterBinding", "expression": "request.resource.resource == 'clusterrolebindings'"},
                {"name": "binding", "expression": "request.resource.resource == 'rolebindings'"},
            ],
            "validations": [
                {
                    "expression": "variables.binding || variables.obj.metadata.name.startsWith(variables.ns + '.')",
                    "messageExpression": "'an attendee\\'s ClusterRoles and ClusterRoleBindings are named ' + variables.ns + '.…'",
                },
                {
                    "expression": format!(
                        "request.operation == 'DELETE' || !variables.role || !has(object.rules) || type(object.rules) == null_type || object.rules.all(r, r.verbs.all(v, v in ['get', 'list', 'watch']) && (!has(r.nonResourceURLs) || size(r.nonResourceURLs) == 0) && has(r.resources) && r.resources.all(x, x in {reads}))"
                    ),
                    "message": format!(
                        "an attendee's ClusterRoles may only get, list and watch: {}",
                        CLUSTER_READS.join(", ")
                    ),
                },
                {
                    "expression": "request.operation == 'DELETE' || !variables.role || !has(object.metadata.labels) || type(object.metadata.labels) == null_type || object.metadata.labels.all(k, !k.startsWith('rbac.authorization.k8s.io/'))",
                    "message": "an attendee's ClusterRoles may not carry rbac.authorization.k8s.io/ labels (they would aggregate into the built-in roles)",
                },
                {
                    "expression": "request.operation == 'DELETE' || !variables.role || !has(object.aggregationRule) || type(object.aggregationRule) == null_type || !has(object.aggregationRule.clusterRoleSelectors) || type(object.aggregationRule.clusterRoleSelectors) == null_type || object.aggregationRule.clusterRoleSelectors.all(s, !has(s.matchExpressions) && has(s.matchLabels) && size(s.matchLabels) > 0 && s.matchLabels.all(k, s.matchLabels[k].startsWith(variables.ns + '.')))",
                    "messageExpression": "'an attendee\\'s aggregationRule selects with matchLabels whose values start with ' + variables.ns + '. (their own roles only)'",
                },
                {
                    "expression": "request.operation == 'DELETE' || !variables.clusterBinding || (object.roleRef.kind == 'ClusterRole' && object.roleRef.name.startsWith(variables.ns + '.') && has(object.subjects) && type(object.subjects) != null_type && object.subjects.all(s, s.kind == 'ServiceAccount' && s.namespace == variables.ns))",
                    "messageExpression": "'an attendee\\'s ClusterRoleBindings bind their own ClusterRoles (' + variables.ns + '.…) to ServiceAccounts of ' + variables.ns + ' only'",
                },
                {
                    // `bind` on ClusterRoles (for their own) would let a
                    // RoleBinding bring cluster-admin into their namespace.
                    "expression": "request.operation == 'DELETE' || !variables.binding || object.roleRef.kind == 'Role' || object.roleRef.name in ['admin', 'edit', 'view'] || object.roleRef.name.startsWith(variables.ns + '.')",
                    "messageExpression": "'an attendee\\'s RoleBindings refer to a Role, to admin, edit or view, or to their own ClusterRoles (' + variables.ns + '.…)'",
                },
            ],
        },
    });
    apply(client, kinds, ROLES_POLICY, policy).await?;
    let probe = || {
        http::Request::post("/apis/rbac.authorization.k8s.io/v1/clusterroles?dryRun=All")
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("Impersonate-User", format!("system:serviceaccount:kubetutor-probe:{ACCOUNT}"))
            .header("Impersonate-Group", "system:masters")
            .body(br#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"kubetutor-policy-probe"}}"#.to_vec())
    };
    in_force(client, ROLES_POLICY, &probe).await
}

/// A grant must not be in force before its bounds are. The API server's
/// admission plugin reads policies through a watch of its own, so the only
/// proof is a refusal: a dry run the policy must refuse, sent as a user the
/// policy matches (impersonated, with every right, so RBAC lets it reach
/// admission), until the policy says no.
async fn in_force(
    client: &Client,
    name: &str,
    probe: &dyn Fn() -> http::Result<http::Request<Vec<u8>>>,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let request = probe()?.map(kube::client::Body::from);
        let response = client.send(request).await?;
        let status = response.status();
        let body = response.into_body().collect_bytes().await?;
        let said = String::from_utf8_lossy(&body);
        if said.contains(name) {
            return Ok(());
        }
        if status == http::StatusCode::FORBIDDEN && said.contains("impersonate") {
            // Not allowed to impersonate: give the plugin its usual moment.
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the admission policy {name} is not in force 20 s after it was made (the API server \
             answered {status}): the right it bounds is not granted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Applies the policy and its binding (deny on failure, for everyone the
/// policy's match conditions select).
async fn apply(client: &Client, kinds: &Kinds, name: &str, policy: Value) -> anyhow::Result<()> {
    let (policies, bindings) = apis(client, kinds)?;
    let params = PatchParams::apply(MANAGER).force();
    let applied = policies
        .patch(name, &params, &Patch::Apply(&policy))
        .await
        .with_context(|| format!("creating the admission policy {name}"))?;
    let binding = json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {"policyName": name, "validationActions": ["Deny"]},
    });
    bindings
        .patch(name, &params, &Patch::Apply(&binding))
        .await
        .with_context(|| format!("binding the admission policy {name}"))?;
    settled(&policies, name, applied.metadata.generation).await
}

/// A grant must not be in force before its bounds are: wait until the API
/// server has read this generation of the policy (its status says so), and
/// refuse to go on if it found an error in it.
async fn settled(policies: &DynApi, name: &str, generation: Option<i64>) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let policy = policies.get(name).await?;
        let status = &policy.data["status"];
        if status["observedGeneration"].as_i64() == generation {
            if let Some(warning) = status["typeChecking"]["expressionWarnings"]
                .as_array()
                .and_then(|w| w.first())
            {
                anyhow::bail!("the admission policy {name} does not type-check: {warning}");
            }
            // The admission plugin reads policies through its own watch: a
            // moment more for it to have this one.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the API server has not taken up the admission policy {name} after 15 s: the right it \
             bounds is not granted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

type DynApi = Api<kube::api::DynamicObject>;

fn apis(client: &Client, kinds: &Kinds) -> anyhow::Result<(DynApi, DynApi)> {
    let resource = |kind: &str| -> anyhow::Result<ApiResource> {
        kinds
            .resolve("admissionregistration.k8s.io/v1", kind)
            .map(|(resource, _)| resource)
            .with_context(|| {
                format!(
                    "this cluster serves no {kind} (admissionregistration.k8s.io/v1, Kubernetes \
                     1.30 or newer): kubetutor cannot bound this right, so it does not grant it"
                )
            })
    };
    Ok((
        Api::all_with(client.clone(), &resource("ValidatingAdmissionPolicy")?),
        Api::all_with(
            client.clone(),
            &resource("ValidatingAdmissionPolicyBinding")?,
        ),
    ))
}

/// `['a', 'b']`.
fn cel_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
    format!("[{}]", quoted.join(", "))
}
