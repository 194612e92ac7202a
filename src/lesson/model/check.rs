//! The checks of the lesson format: what a step waits for (`checks:` in
//! `lesson.yaml`), one type per kind of check.

use std::collections::BTreeMap;

use serde::Deserialize;

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
    /// One of these checks holds: a durable fallback for a check that may
    /// come late (an Event on a busy cluster), or two ways to the same outcome.
    AnyOf(Vec<Check>),
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
    /// Every element of the list meets these tests (an absent or empty list
    /// does too).
    pub all: Option<Box<FieldTest>>,
    /// true: the value is not set, or is false (`privileged: false` written
    /// out is as good as leaving it out).
    pub absent_or_false: Option<bool>,
    /// true: the value is not set, or is empty ("", [], {}).
    pub absent_or_empty: Option<bool>,
    /// At least one of these tests holds (paths relative to the same value):
    /// `cpu` or its documented alias `requests.cpu`.
    pub any_of: Option<Vec<FieldTest>>,
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
    /// Objects the selector of this object selects (a Service's
    /// `spec.selector`, a ReplicaSet's or Deployment's `spec.selector`):
    /// what the learner's selector really matches, whatever its spelling.
    pub selected_by: Option<SelectorOf>,
    /// Only the newest match (by creation time) is counted: "the latest
    /// ReplicaSet", which a second attempt does not make into two.
    #[serde(default)]
    pub newest: bool,
    /// Field tests each counted object must meet.
    #[serde(default, rename = "where")]
    pub where_: Vec<FieldTest>,
    pub exactly: Option<usize>,
    pub at_least: Option<usize>,
    pub at_most: Option<usize>,
    pub hint: Option<String>,
}

/// The object whose label selector chooses what a count counts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SelectorOf {
    pub kind: String,
    pub name: String,
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
    pub all: Option<Box<FieldTest>>,
    pub absent_or_false: Option<bool>,
    pub absent_or_empty: Option<bool>,
    pub any_of: Option<Vec<FieldTest>>,
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
            all: self.all.clone(),
            absent_or_false: self.absent_or_false,
            absent_or_empty: self.absent_or_empty,
            any_of: self.any_of.clone(),
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
            Check::AnyOf(checks) => checks.iter().find_map(Check::hint),
        }
    }

    /// Only the API server can answer it (a review, a request, a dry run, a
    /// token, a command in a container): not from the engine's store.
    pub fn needs_server(&self) -> bool {
        match self {
            Check::Access(_)
            | Check::Request(_)
            | Check::Token(_)
            | Check::Rejected(_)
            | Check::Exec(_) => true,
            Check::AnyOf(checks) => checks.iter().any(Check::needs_server),
            Check::Exists(_)
            | Check::Absent(_)
            | Check::Field(_)
            | Check::Pod(_)
            | Check::Grants(_)
            | Check::Count(_)
            | Check::Events(_) => false,
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
