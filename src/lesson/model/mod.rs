//! The lesson format (see `lessons/README.md`): what `lesson.yaml` holds.
//! Unknown fields are errors, so a typo in a lesson is caught by `lessons lint`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

pub use super::acts::{Act, Prediction};
pub use check::*;

mod check;

/// `lesson.yaml` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LessonSpec {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// Where the learner works: by default a namespace of its own, named
    /// after the lesson (`id`), so lessons never leak into each other;
    /// `--namespace` (or a class kubeconfig's namespace) overrides it.
    pub namespace: Option<String>,
    /// Objects the lesson creates, which reset removes.
    #[serde(default)]
    pub owns: Vec<ObjectRef>,
    /// What the checks read outside the lesson namespace: a user limited to
    /// their namespace (a workshop attendee) needs read access to these, and
    /// `kubetutor class create` grants exactly that.
    #[serde(default)]
    pub needs: Vec<Need>,
    /// What the lesson needs beyond admin of its namespace (see `Right`):
    /// `class create` grants exactly this, the tutor says plainly when the
    /// learner's kubeconfig lacks it.
    #[serde(default)]
    pub rights: Vec<Right>,
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

/// A right a lesson needs beyond admin of its namespace, and why. Exactly
/// one of `manage`, `labelNamespace` and `clusterRoles` is given (lint).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Right {
    /// Create, change and delete objects of these namespaced kinds in the
    /// lesson namespace (the `admin` role may not: LimitRange, ResourceQuota).
    #[serde(default)]
    pub manage: Vec<String>,
    /// Set these labels of the lesson namespace, each to one of these values
    /// (Pod Security Admission's `pod-security.kubernetes.io/…` only).
    #[serde(default)]
    pub label_namespace: BTreeMap<String, Vec<String>>,
    /// Create ClusterRoles and ClusterRoleBindings named `<namespace>.…`
    /// whose rules only read these resources, bound only to ServiceAccounts
    /// of the lesson namespace.
    pub cluster_roles: Option<ClusterRolesRight>,
    /// Said to the learner and the instructor: what it is for.
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterRolesRight {
    /// Resources (plural, `group/resource` outside the core group) the roles
    /// may grant get, list and watch on.
    pub reads: Vec<String>,
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
    /// kubectl commands that solve the step (after `solution`, if any): for
    /// what YAML cannot say (`delete --cascade=orphan`, `label` of a
    /// generated Pod). Run by `solve` and `lessons test` as `examples:` run them.
    #[serde(default)]
    pub solution_commands: Vec<String>,
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
    /// The id of a later step that changes what this one checks, by design
    /// (a stuck rollout, then its undo): this step needs to hold once, and
    /// counts as proven once that later step passes.
    pub undone_by: Option<String>,
    /// Right and wrong answers that prove the checks (`lessons test`).
    #[serde(default)]
    pub examples: Vec<Example>,
}

/// A learner's possible answer to a step, and the verdict the checks must
/// give it: solutions that must pass and mistakes that must fail, with the
/// words the learner then reads. `kubetutor lessons test` runs each on the
/// cluster after the earlier steps' solutions.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Example {
    /// What this answer does differently, in a few words.
    pub title: String,
    /// YAML applied as the editor applies it (Ctrl-S), or read by
    /// `kubectl apply -f -` / `create -f -` in `kubectl`.
    pub manifest: Option<String>,
    /// kubectl commands, without `kubectl` and `-n`: run in order, in the
    /// lesson namespace, with the learner's rights (see `lesson::kubectl`).
    #[serde(default)]
    pub kubectl: Vec<String>,
    /// Run the step's actions afterwards, as `r` does.
    #[serde(default)]
    pub run: bool,
    pub expect: Expect,
    /// For `fail`: a regular expression that what the learner reads (a
    /// failing check's message, or the apply error) matches.
    pub reason: Option<String>,
    /// Seconds a `pass` may take to come, or a `fail` must last (defaults in
    /// `Example::DEFAULT_*`).
    pub seconds: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Expect {
    Pass,
    Fail,
}

impl Example {
    /// A right answer may take this long to turn the step green (controllers
    /// act in well under a second on the lab; a rollout takes a few).
    pub const DEFAULT_PASS_SECONDS: u64 = 60;
    /// A wrong answer must keep the step failing this long.
    pub const DEFAULT_FAIL_SECONDS: u64 = 4;

    pub fn seconds(&self) -> u64 {
        self.seconds.unwrap_or(match self.expect {
            Expect::Pass => Self::DEFAULT_PASS_SECONDS,
            Expect::Fail => Self::DEFAULT_FAIL_SECONDS,
        })
    }
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
