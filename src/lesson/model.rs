//! The lesson format (see `lessons/README.md`): what `lesson.yaml` holds.
//! Unknown fields are errors, so a typo in a lesson is caught by `lessons lint`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

pub use super::acts::{Act, Choice, Prediction};

/// `lesson.yaml` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LessonSpec {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// Where the learner works; `--namespace` overrides it.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Objects the lesson creates, which reset removes.
    #[serde(default)]
    pub owns: Vec<ObjectRef>,
    /// What the checks read outside the lesson namespace: a user limited to
    /// their namespace (a workshop attendee) needs read access to these, and
    /// `kubetutor class create` grants exactly that.
    #[serde(default)]
    pub needs: Vec<Need>,
    pub steps: Vec<StepSpec>,
}

/// Read access (get, list, watch) to one named object outside the lesson
/// namespace, and why the lesson needs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Need {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub why: String,
}

fn default_namespace() -> String {
    "default".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StepSpec {
    pub id: String,
    pub title: String,
    /// Markdown file, relative to the lesson folder (with its position, for
    /// errors about the file it names).
    pub text: Spanned<String>,
    /// Starting buffer of the editor (YAML file).
    pub editor: Option<Spanned<String>>,
    /// Reference solution, applied by `solve` and shown by "reveal".
    pub solution: Option<Spanned<String>>,
    /// What kubetutor does for the learner in this step (create a token, call the API).
    pub action: Option<Action>,
    /// Several actions, run one after the other (instead of `action`).
    #[serde(default)]
    pub actions: Vec<Action>,
    /// What the learner must do for the step to count (see `acts.rs`).
    #[serde(default)]
    pub acts: Vec<Act>,
    /// A question the learner answers before running the action.
    pub predict: Option<Prediction>,
    #[serde(default)]
    pub checks: Vec<Check>,
}

/// A Kubernetes object by kind and name; namespaced kinds default to the lesson namespace.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectRef {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Create a token for a ServiceAccount and show its claims.
    Token(TokenAction),
    /// Send an HTTP request to the API server and show the answer.
    Request(RequestSpec),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TokenAction {
    pub service_account: String,
}

/// One condition a step waits for. Every kind may carry a `hint`, shown on request.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Check {
    /// The object exists.
    Exists(ObjectCheck),
    /// The object does not exist.
    Absent(ObjectCheck),
    /// A field of the object has a value.
    Field(FieldCheck),
    /// A Pod's phase, readiness and ServiceAccount.
    Pod(PodCheck),
    /// A Role (or ClusterRole) has a rule allowing verb on resource.
    Grants(GrantsCheck),
    /// The API server's own verdict (SubjectAccessReview).
    Access(AccessCheck),
    /// A real HTTP request and the status (and JSON) it gets.
    Request(RequestCheck),
    /// A token from TokenRequest decodes to the expected claims.
    Token(TokenCheck),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectCheck {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldCheck {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// Dotted path with `[N]` indexes, e.g. `spec.ports[0].port` (see `checks::path`).
    pub path: String,
    /// The value must equal this (JSON/YAML value).
    pub equals: Option<serde_json::Value>,
    /// The value must be a string containing this.
    pub contains: Option<String>,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodCheck {
    pub name: String,
    pub phase: Option<String>,
    pub ready: Option<bool>,
    pub service_account: Option<String>,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GrantsCheck {
    /// Name of a Role in the lesson namespace, or of a ClusterRole with
    /// `clusterRole: true`. Without a name, any Role of the namespace, or any
    /// ClusterRole made for the lesson (not a built-in one), will do: the
    /// outcome counts, not the spelling.
    pub role: Option<String>,
    #[serde(default)]
    pub cluster_role: bool,
    pub verb: String,
    pub resource: String,
    /// API group; "" is the core group.
    #[serde(default)]
    pub group: String,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AccessCheck {
    #[serde(rename = "as")]
    pub subject: Subject,
    pub verb: String,
    pub resource: String,
    #[serde(default)]
    pub group: String,
    /// Defaults to the lesson namespace.
    pub namespace: Option<String>,
    pub allowed: bool,
    pub hint: Option<String>,
}

/// Who an access check asks about.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Subject {
    /// A ServiceAccount in the lesson namespace.
    ServiceAccount(String),
    /// A user name, with no groups beyond system:authenticated.
    User(String),
}

/// A request to the API server: who sends it, and what.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestSpec {
    #[serde(rename = "as")]
    pub caller: Caller,
    #[serde(default = "default_method")]
    pub method: String,
    pub path: String,
}

fn default_method() -> String {
    "GET".into()
}

/// Who sends a request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Caller {
    /// No credentials.
    Anonymous,
    /// A fresh token of this ServiceAccount (lesson namespace).
    ServiceAccount(String),
    /// From inside this Pod: its ServiceAccount's token, bound to the pod.
    Pod(String),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestCheck {
    #[serde(rename = "as")]
    pub caller: Caller,
    #[serde(default = "default_method")]
    pub method: String,
    pub path: String,
    /// One status, or several that are all right (`[401, 403]`).
    pub expect_status: Statuses,
    pub expect_json: Option<JsonExpectation>,
    pub hint: Option<String>,
}

impl RequestCheck {
    pub fn request(&self) -> RequestSpec {
        RequestSpec {
            caller: self.caller.clone(),
            method: self.method.clone(),
            path: self.path.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JsonExpectation {
    pub path: String,
    pub equals: Option<serde_json::Value>,
    pub contains: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TokenCheck {
    pub service_account: String,
    /// Claim path (see `checks::path`) → expected string value.
    #[serde(default)]
    pub claims: BTreeMap<String, String>,
    pub hint: Option<String>,
}

impl Check {
    pub fn hint(&self) -> Option<&str> {
        match self {
            Check::Exists(c) | Check::Absent(c) => c.hint.as_deref(),
            Check::Field(c) => c.hint.as_deref(),
            Check::Pod(c) => c.hint.as_deref(),
            Check::Grants(c) => c.hint.as_deref(),
            Check::Access(c) => c.hint.as_deref(),
            Check::Request(c) => c.hint.as_deref(),
            Check::Token(c) => c.hint.as_deref(),
        }
    }
}

/// HTTP statuses a request check accepts: `200` or `[401, 403]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Statuses {
    One(u16),
    Any(Vec<u16>),
}

impl Statuses {
    pub fn accepts(&self, status: u16) -> bool {
        match self {
            Statuses::One(one) => *one == status,
            Statuses::Any(any) => any.contains(&status),
        }
    }
}

impl std::fmt::Display for Statuses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Statuses::One(one) => write!(f, "{one}"),
            Statuses::Any(any) => {
                let all: Vec<String> = any.iter().map(u16::to_string).collect();
                write!(f, "{}", all.join(" or "))
            }
        }
    }
}
