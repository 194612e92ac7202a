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
    /// What the cluster must offer (see `Capability`); a lesson whose
    /// requirement the cluster lacks is listed as needing it and does not start.
    #[serde(default)]
    pub requires: Vec<Capability>,
    /// Manifests (files in the lesson folder) applied when the lesson starts:
    /// the broken object of a "fix it" step. Labelled like everything
    /// kubetutor applies, so reset removes them.
    #[serde(default)]
    pub setup: Vec<Spanned<String>>,
    /// Shown in `kubetutor lessons` and the picker.
    #[serde(default)]
    pub meta: Meta,
    pub steps: Vec<StepSpec>,
}

/// A lesson's metadata, for choosing one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Meta {
    /// Minutes a learner needs, about.
    pub minutes: Option<u32>,
    pub difficulty: Option<Difficulty>,
    /// Lesson ids worth doing first.
    #[serde(default)]
    pub prerequisites: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Difficulty {
    Beginner,
    Intermediate,
    Advanced,
}

impl std::fmt::Display for Difficulty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Difficulty::Beginner => "beginner",
            Difficulty::Intermediate => "intermediate",
            Difficulty::Advanced => "advanced",
        })
    }
}

/// Something a lesson needs of the cluster beyond an API server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Capability {
    /// Pods run real containers (a node with a container runtime, not kwok).
    Containers,
    /// Cluster DNS answers Service names.
    Dns,
    /// A network plugin enforces NetworkPolicies.
    NetworkPolicy,
    /// A StorageClass provisions volumes for claims.
    Storage,
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Capability::Containers => "containers",
            Capability::Dns => "dns",
            Capability::NetworkPolicy => "networkPolicy",
            Capability::Storage => "storage",
        })
    }
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
    /// Manifests applied when this step becomes the current one (each object
    /// only when missing): the broken object of a "fix it" step.
    #[serde(default)]
    pub setup: Vec<Spanned<String>>,
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
    /// Set labels on the lesson namespace, as `kubectl label namespace`
    /// would: only Pod Security Admission's (`pod-security.kubernetes.io/`),
    /// the one thing about a namespace a lesson may change.
    LabelNamespace(BTreeMap<String, String>),
}

/// The label prefix `labelNamespace` may set.
pub const POD_SECURITY_LABELS: &str = "pod-security.kubernetes.io/";

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
    /// How many objects of a kind match a label selector, an owner and field
    /// tests (`select` is another name for it).
    #[serde(alias = "select")]
    Count(CountCheck),
    /// An Event about an object, with a reason and message.
    Events(EventsCheck),
    /// The API server refuses a manifest (a server-side dry run) with a
    /// message matching a pattern: admission (quota, LimitRange, Pod
    /// Security) or validation.
    Rejected(RejectedCheck),
    /// A command in a container exits 0 (and prints what is expected).
    /// Needs `requires: [containers]`.
    Exec(ExecCheck),
}

/// Tests on the value at a path; every operator given must hold. The same
/// operators serve `field` checks, `where` of a count and `any`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldTest {
    /// Dotted path with `[N]` indexes; inside `any`, relative to the element
    /// (empty or omitted: the element itself).
    #[serde(default)]
    pub path: String,
    /// true: the path is set; false: it is not.
    pub exists: Option<bool>,
    /// The value equals this (JSON/YAML value).
    pub equals: Option<serde_json::Value>,
    /// The value, as text, contains this.
    pub contains: Option<String>,
    /// A number (or numeric string) at least this.
    pub at_least: Option<f64>,
    /// A number (or numeric string) at most this.
    pub at_most: Option<f64>,
    /// The value, as text, matches this regular expression.
    pub matches: Option<String>,
    /// The value is a list and some element meets these tests.
    pub any: Option<Box<FieldTest>>,
    /// The value is a list of conditions (`status.conditions` when no path
    /// is given) and the one of this type has this status (and reason).
    pub condition: Option<ConditionTest>,
}

impl FieldTest {
    /// No operator at all: a test that tests nothing (a lint error).
    pub fn has_no_operator(&self) -> bool {
        FieldTest {
            path: self.path.clone(),
            ..Default::default()
        } == *self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConditionTest {
    #[serde(rename = "type")]
    pub type_: String,
    /// "True", "False" or "Unknown"; default "True".
    pub status: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CountCheck {
    pub kind: String,
    pub namespace: Option<String>,
    /// A label selector as kubectl takes it: `app=web,tier!=db,env in (a,b),!legacy`.
    pub selector: Option<String>,
    /// Objects owned (ownerReferences) by an object of this kind (and name).
    pub owner: Option<OwnerTest>,
    /// Field tests each counted object must meet.
    #[serde(default, rename = "where")]
    pub where_: Vec<FieldTest>,
    pub exactly: Option<usize>,
    pub at_least: Option<usize>,
    pub at_most: Option<usize>,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OwnerTest {
    pub kind: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EventsCheck {
    /// The object the Event is about (`involvedObject`).
    pub kind: String,
    /// Any object of the kind when omitted.
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// The Event's reason, exactly (`BackoffLimitExceeded`, `ScalingReplicaSet`).
    pub reason: Option<String>,
    /// A regular expression the Event's message matches.
    pub message: Option<String>,
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RejectedCheck {
    /// The manifest the server is asked to accept (dry run: nothing is created).
    pub manifest: String,
    /// A regular expression the server's refusal must match.
    pub matches: String,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExecCheck {
    pub pod: String,
    pub container: Option<String>,
    pub command: Vec<String>,
    /// A regular expression the command's output must match.
    pub output: Option<String>,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectCheck {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub hint: Option<String>,
}

/// The operators are written out, not a `#[serde(flatten)]` FieldTest:
/// serde does not support `deny_unknown_fields` with `flatten`, and a typo
/// in a lesson must stay an error. `test()` gathers them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldCheck {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// Dotted path with `[N]` indexes, e.g. `spec.ports[0].port` (see `checks::path`).
    #[serde(default)]
    pub path: String,
    pub exists: Option<bool>,
    /// The value must equal this (JSON/YAML value).
    pub equals: Option<serde_json::Value>,
    /// The value must be a string containing this.
    pub contains: Option<String>,
    pub at_least: Option<f64>,
    pub at_most: Option<f64>,
    pub matches: Option<String>,
    pub any: Option<Box<FieldTest>>,
    pub condition: Option<ConditionTest>,
    pub hint: Option<String>,
}

impl FieldCheck {
    /// The operators of this check as one test (the path defaults to
    /// `status.conditions` for a `condition`).
    pub fn test(&self) -> FieldTest {
        let path = if self.path.is_empty() && self.condition.is_some() {
            "status.conditions".to_string()
        } else {
            self.path.clone()
        };
        FieldTest {
            path,
            exists: self.exists,
            equals: self.equals.clone(),
            contains: self.contains.clone(),
            at_least: self.at_least,
            at_most: self.at_most,
            matches: self.matches.clone(),
            any: self.any.clone(),
            condition: self.condition.clone(),
        }
    }
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
            Check::Count(c) => c.hint.as_deref(),
            Check::Events(c) => c.hint.as_deref(),
            Check::Rejected(c) => c.hint.as_deref(),
            Check::Exec(c) => c.hint.as_deref(),
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
