//! What each check reads and what can change its verdict, as scopes: a kind
//! in a namespace, or one named object. From these come the watch set (as
//! narrow as the checks allow) and the index that says which steps to
//! re-evaluate when an object changes.

use std::collections::{BTreeMap, BTreeSet};

use crate::checks::snapshot::ObjectKey;
use crate::k8s_names::object_namespace;
use crate::k8s_names::plural;
use crate::lesson::Lesson;
use crate::lesson::model::{Action, Caller, Check, Subject};

/// Every object of a kind in a namespace, or one of them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    pub kind: String,
    /// "" for cluster-scoped kinds.
    pub namespace: String,
    /// One object only (a field selector on `metadata.name`).
    pub name: Option<String>,
}

impl Scope {
    pub fn all(kind: &str, namespace: &str) -> Scope {
        Scope {
            kind: kind.into(),
            namespace: namespace.into(),
            name: None,
        }
    }

    pub fn named(kind: &str, namespace: &str, name: &str) -> Scope {
        Scope {
            kind: kind.into(),
            namespace: namespace.into(),
            name: Some(name.into()),
        }
    }

    /// Is the object with this key inside the scope?
    pub fn covers(&self, (kind, namespace, name): &ObjectKey) -> bool {
        *kind == self.kind
            && *namespace == self.namespace
            && self.name.as_ref().is_none_or(|n| n == name)
    }

    /// Does this scope contain all of `other`?
    pub fn contains(&self, other: &Scope) -> bool {
        self.kind == other.kind
            && self.namespace == other.namespace
            && (self.name.is_none() || self.name == other.name)
    }

    /// "Service kubernetes in default", "Pods in lab", "ClusterRoles".
    pub fn describe(&self) -> String {
        let place = if self.namespace.is_empty() {
            String::new()
        } else {
            format!(" in {}", self.namespace)
        };
        match &self.name {
            Some(name) => format!("{} {name}{place}", self.kind),
            None => format!("{}{place}", plural(&self.kind)),
        }
    }
}

/// What one check depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckDeps {
    /// The check's verdict is computed from these objects: it cannot be
    /// decided while they cannot be seen.
    pub reads: Vec<Scope>,
    /// The API server decides the check, but a change here can change its
    /// answer (RBAC objects for an access review): re-ask when they change.
    pub triggers: Vec<Scope>,
}

impl CheckDeps {
    fn all(&self) -> impl Iterator<Item = &Scope> {
        self.reads.iter().chain(&self.triggers)
    }
}

/// RBAC objects that decide what a subject in `namespace` may do.
fn rbac_in(namespace: &str) -> [Scope; 4] {
    [
        Scope::all("Role", namespace),
        Scope::all("RoleBinding", namespace),
        Scope::all("ClusterRole", ""),
        Scope::all("ClusterRoleBinding", ""),
    ]
}

fn named(kind: &str, namespace: Option<&str>, name: &str, lesson_ns: &str) -> Scope {
    Scope::named(kind, object_namespace(kind, namespace, lesson_ns), name)
}

/// What `check` reads and what may change its verdict.
pub fn check_deps(check: &Check, lesson_ns: &str) -> CheckDeps {
    match check {
        Check::Exists(c) | Check::Absent(c) => CheckDeps {
            reads: vec![named(&c.kind, c.namespace.as_deref(), &c.name, lesson_ns)],
            triggers: vec![],
        },
        Check::Field(c) => CheckDeps {
            reads: vec![named(&c.kind, c.namespace.as_deref(), &c.name, lesson_ns)],
            triggers: vec![],
        },
        Check::Pod(c) => CheckDeps {
            reads: vec![Scope::named("Pod", lesson_ns, &c.name)],
            triggers: vec![],
        },
        Check::Grants(c) if c.role.is_none() => CheckDeps {
            reads: vec![Scope::all("Role", lesson_ns)],
            // Read when they can be (a namespace admin cannot make them
            // anyway); a ClusterRole counts once a RoleBinding here refers to it.
            triggers: vec![
                Scope::all("ClusterRole", ""),
                Scope::all("RoleBinding", lesson_ns),
            ],
        },
        Check::Grants(c) => {
            let name = c.role.as_deref().unwrap_or_default();
            let role = if c.cluster_role {
                Scope::named("ClusterRole", "", name)
            } else {
                Scope::named("Role", lesson_ns, name)
            };
            CheckDeps {
                reads: vec![role],
                // When the role cannot be read, the server is asked about a
                // subject bound to it: bindings then change the answer.
                triggers: vec![Scope::all("RoleBinding", lesson_ns)],
            }
        }
        Check::Access(c) => {
            let ns = c.namespace.as_deref().unwrap_or(lesson_ns);
            let mut reads = Vec::new();
            if let Subject::ServiceAccount(account) = &c.subject {
                // A ServiceAccount that does not exist can make no request,
                // whatever RBAC says: the check reads it.
                reads.push(Scope::named("ServiceAccount", lesson_ns, account));
            }
            let mut triggers = rbac_in(ns).to_vec();
            if ns != lesson_ns {
                // Bindings in the lesson namespace change nothing there, but
                // a learner expects a re-check when they change them.
                triggers.extend(rbac_in(lesson_ns).into_iter().take(2));
            }
            CheckDeps { reads, triggers }
        }
        Check::Request(c) => {
            let mut deps = CheckDeps {
                reads: vec![],
                triggers: rbac_in(lesson_ns).to_vec(),
            };
            match &c.caller {
                Caller::Anonymous => {}
                Caller::ServiceAccount(account) => {
                    deps.triggers
                        .push(Scope::named("ServiceAccount", lesson_ns, account))
                }
                Caller::Pod(pod) => {
                    deps.reads.push(Scope::named("Pod", lesson_ns, pod));
                    // The pod's account is known only at run time.
                    deps.triggers.push(Scope::all("ServiceAccount", lesson_ns));
                }
            }
            deps
        }
        Check::Token(c) => CheckDeps {
            reads: vec![],
            triggers: vec![Scope::named(
                "ServiceAccount",
                lesson_ns,
                &c.service_account,
            )],
        },
        Check::Count(c) => {
            let ns = object_namespace(&c.kind, c.namespace.as_deref(), lesson_ns);
            let mut reads = vec![Scope::all(&c.kind, ns)];
            if let Some(by) = &c.selected_by {
                reads.push(Scope::named(&by.kind, ns, &by.name));
            }
            CheckDeps {
                reads,
                triggers: vec![],
            }
        }
        Check::Events(c) => CheckDeps {
            reads: vec![Scope::all(
                "Event",
                object_namespace(&c.kind, c.namespace.as_deref(), lesson_ns),
            )],
            triggers: vec![],
        },
        // Admission decides: quotas and their usage (the objects the manifest
        // would add to), limit ranges, and the namespace's Pod Security labels.
        Check::Rejected(c) => {
            let mut triggers = vec![
                Scope::all("ResourceQuota", lesson_ns),
                Scope::all("LimitRange", lesson_ns),
                Scope::named("Namespace", "", lesson_ns),
            ];
            for kind in manifest_kinds(&c.manifest, lesson_ns) {
                let scope = Scope::all(&kind, object_namespace(&kind, None, lesson_ns));
                if !triggers.contains(&scope) {
                    triggers.push(scope);
                }
            }
            CheckDeps {
                reads: vec![],
                triggers,
            }
        }
        Check::Exec(c) => CheckDeps {
            reads: vec![Scope::named("Pod", lesson_ns, &c.pod)],
            triggers: vec![],
        },
        // Any alternative may decide it: what one reads only triggers a new
        // look (an unreadable alternative must not make the whole undecided).
        Check::AnyOf(checks) => CheckDeps {
            reads: vec![],
            triggers: checks
                .iter()
                .flat_map(|c| {
                    let deps = check_deps(c, lesson_ns);
                    deps.reads.into_iter().chain(deps.triggers)
                })
                .collect(),
        },
    }
}

/// The kinds of the documents in `text` (none when it does not parse: lint
/// says why).
pub fn manifest_kinds(text: &str, namespace: &str) -> Vec<String> {
    crate::manifest::parse(text, namespace)
        .map(|docs| docs.into_iter().map(|m| m.kind).collect())
        .unwrap_or_default()
}

/// Kinds a step's template, solution or the lesson's setup name: shown in
/// the cluster pane. Templates may have blanks, so only `kind:` is read.
fn kinds_in_yaml(text: &str) -> Vec<String> {
    crate::yaml::documents(text)
        .map(|docs| {
            docs.iter()
                .filter_map(|d| d["kind"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// What a check reads to decide, the alternatives of `anyOf` included: what
/// the store keeps whole and the pane shows.
fn all_reads(check: &Check, lesson_ns: &str) -> Vec<Scope> {
    match check {
        Check::AnyOf(checks) => checks
            .iter()
            .flat_map(|c| all_reads(c, lesson_ns))
            .collect(),
        other => check_deps(other, lesson_ns).reads,
    }
}

/// A count's `where` and an events check read any field of every object of
/// their kind (and `anyOf` whatever its alternatives read).
fn reads_any_field(check: &Check) -> bool {
    match check {
        Check::Count(c) => !c.where_.is_empty() || c.newest,
        Check::Events(_) => true,
        Check::AnyOf(checks) => checks.iter().any(reads_any_field),
        _ => false,
    }
}

/// Object name that stands for "every object of the scope" in
/// `LessonScopes::named`: names are DNS subdomains, so no object has it.
pub const EVERY_NAME: &str = "*";

/// Kinds never listed in the pane: Events are many and change all the time.
const NOT_IN_PANE: [&str; 1] = ["Event"];

/// The lesson's dependencies: per step and check, plus what the cluster pane shows.
#[derive(Debug, Clone)]
pub struct LessonScopes {
    /// `steps[i][j]`: what check j of step i depends on.
    pub steps: Vec<Vec<CheckDeps>>,
    /// Every object of these kinds in the lesson namespace is listed in the
    /// cluster pane (and named objects elsewhere, such as `default/kubernetes`).
    pub pane: Vec<Scope>,
    /// Objects the lesson names: stored whole, since checks read any field of
    /// them. Everything else is stored as a small projection.
    pub named: BTreeSet<ObjectKey>,
}

impl LessonScopes {
    pub fn of(lesson: &Lesson) -> LessonScopes {
        let ns = lesson.namespace.as_str();
        let steps: Vec<Vec<CheckDeps>> = lesson
            .steps
            .iter()
            .map(|s| s.checks.iter().map(|c| check_deps(c, ns)).collect())
            .collect();
        let mut named = BTreeSet::new();
        let mut pane_kinds = BTreeSet::new();
        let mut pane_named = BTreeSet::new();
        for owned in &lesson.owns {
            let namespace = object_namespace(&owned.kind, owned.namespace.as_deref(), ns);
            named.insert((owned.kind.clone(), namespace.into(), owned.name.clone()));
            pane_kinds.insert(owned.kind.clone());
        }
        for check in lesson.steps.iter().flat_map(|s| &s.checks) {
            for scope in &all_reads(check, ns) {
                if let Some(name) = &scope.name {
                    named.insert((scope.kind.clone(), scope.namespace.clone(), name.clone()));
                    if scope.namespace == ns {
                        pane_kinds.insert(scope.kind.clone());
                    } else {
                        // Elsewhere, or cluster-scoped (a lesson's ClusterRole):
                        // that one object, not every one of its kind.
                        pane_named.insert(scope.clone());
                    }
                } else if scope.namespace == ns {
                    pane_kinds.insert(scope.kind.clone());
                }
            }
        }
        // A count's `where` and an events check read any field: keep every
        // object of their scope whole.
        for step in &lesson.steps {
            for check in &step.checks {
                if reads_any_field(check) {
                    for scope in all_reads(check, ns).iter().filter(|s| s.name.is_none()) {
                        named.insert((
                            scope.kind.clone(),
                            scope.namespace.clone(),
                            EVERY_NAME.into(),
                        ));
                    }
                }
            }
            for text in step
                .template
                .iter()
                .chain(&step.solution)
                .chain(&step.setup)
            {
                pane_kinds.extend(kinds_in_yaml(text));
            }
        }
        for text in &lesson.setup {
            pane_kinds.extend(kinds_in_yaml(text));
        }
        pane_kinds.retain(|kind| !NOT_IN_PANE.contains(&kind.as_str()));
        for step in &lesson.steps {
            for action in &step.actions {
                if let Action::Request(r) = action
                    && let Caller::Pod(pod) = &r.caller
                {
                    named.insert(("Pod".into(), ns.into(), pod.clone()));
                    pane_kinds.insert("Pod".into());
                }
            }
        }
        let mut pane: Vec<Scope> = pane_kinds
            .iter()
            .filter(|kind| !object_namespace(kind, None, ns).is_empty())
            .map(|kind| Scope::all(kind, ns))
            .collect();
        pane.extend(pane_named);
        LessonScopes { steps, pane, named }
    }

    /// What to watch: every scope any check or the pane needs, merged so
    /// that no object is watched twice (a whole-namespace scope absorbs the
    /// named ones of its kind there).
    pub fn watch_set(&self) -> Vec<Scope> {
        let mut by_place: BTreeMap<(String, String), BTreeSet<Option<String>>> = BTreeMap::new();
        let wanted = self
            .steps
            .iter()
            .flatten()
            .flat_map(CheckDeps::all)
            .chain(&self.pane);
        for scope in wanted {
            by_place
                .entry((scope.kind.clone(), scope.namespace.clone()))
                .or_default()
                .insert(scope.name.clone());
        }
        let mut set = Vec::new();
        for ((kind, namespace), names) in by_place {
            if names.contains(&None) {
                set.push(Scope::all(&kind, &namespace));
            } else {
                set.extend(
                    names
                        .into_iter()
                        .flatten()
                        .map(|n| Scope::named(&kind, &namespace, &n)),
                );
            }
        }
        set
    }

    /// Steps with a check that depends on an object with one of these keys.
    pub fn affected<'a>(&self, keys: impl IntoIterator<Item = &'a ObjectKey>) -> BTreeSet<usize> {
        let keys: Vec<&ObjectKey> = keys.into_iter().collect();
        self.steps
            .iter()
            .enumerate()
            .filter(|(_, checks)| {
                checks
                    .iter()
                    .flat_map(CheckDeps::all)
                    .any(|scope| keys.iter().any(|key| scope.covers(key)))
            })
            .map(|(index, _)| index)
            .collect()
    }

    /// Steps with a check that depends on something inside `scope` (a watch
    /// that relisted, or cannot be seen).
    pub fn depending_on(&self, scope: &Scope) -> BTreeSet<usize> {
        self.steps
            .iter()
            .enumerate()
            .filter(|(_, checks)| {
                checks
                    .iter()
                    .flat_map(CheckDeps::all)
                    .any(|s| scope.contains(s) || s.contains(scope))
            })
            .map(|(index, _)| index)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn seed(namespace: &str) -> Lesson {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
        Lesson::load(&dir, Some(namespace)).unwrap()
    }

    fn key(kind: &str, ns: &str, name: &str) -> ObjectKey {
        (kind.into(), ns.into(), name.into())
    }

    #[test]
    fn the_seed_watches_its_namespace_one_named_service_and_cluster_rbac() {
        let scopes = LessonScopes::of(&seed("lab"));
        let described: Vec<String> = scopes.watch_set().iter().map(Scope::describe).collect();
        assert_eq!(
            described,
            [
                "ClusterRoles",
                "ClusterRoleBindings",
                "Pods in lab",
                "Roles in lab",
                "RoleBindings in lab",
                "Service kubernetes in default",
                "ServiceAccounts in lab",
            ]
        );
    }

    #[test]
    fn a_change_reaches_exactly_the_steps_that_depend_on_it() {
        let lesson = seed("lab");
        let scopes = LessonScopes::of(&lesson);
        let step = |id: &str| lesson.step_index(id).unwrap();
        // The seed's RoleBinding: the access step and every server call.
        let affected = scopes.affected([&key("RoleBinding", "lab", "list-pods_demo-sa")]);
        for id in [
            "rolebinding",
            "anonymous-call",
            "default-token-call",
            "demo-sa-call",
        ] {
            assert!(affected.contains(&step(id)), "{id} in {affected:?}");
        }
        assert!(!affected.contains(&step("demo-sa")), "{affected:?}");
        // A Pod the lesson does not name changes no check.
        assert!(scopes.affected([&key("Pod", "lab", "web-1234")]).is_empty());
        // The same Pod name in another namespace neither.
        assert!(
            scopes
                .affected([&key("Pod", "other", "pod-default")])
                .is_empty()
        );
        let affected = scopes.affected([&key("Pod", "lab", "pod-demo-sa")]);
        assert_eq!(
            affected,
            BTreeSet::from([step("pod-demo-sa"), step("demo-sa-call")])
        );
        // demo-sa itself: its own step, and the access review of the binding step.
        let affected = scopes.affected([&key("ServiceAccount", "lab", "demo-sa")]);
        assert!(affected.contains(&step("demo-sa")) && affected.contains(&step("rolebinding")));
    }

    #[test]
    fn named_objects_are_kept_whole_and_the_pane_lists_lesson_kinds() {
        let scopes = LessonScopes::of(&seed("lab"));
        assert!(
            scopes
                .named
                .contains(&key("Service", "default", "kubernetes"))
        );
        assert!(scopes.named.contains(&key("Pod", "lab", "pod-default")));
        assert!(!scopes.named.iter().any(|(k, _, _)| k == "ClusterRole"));
        let pane: Vec<String> = scopes.pane.iter().map(Scope::describe).collect();
        assert!(pane.contains(&"Pods in lab".to_string()), "{pane:?}");
        assert!(
            pane.contains(&"Service kubernetes in default".to_string()),
            "{pane:?}"
        );
    }

    fn lesson(id: &str, namespace: &str) -> Lesson {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("lessons")
            .join(id);
        Lesson::load(&dir, Some(namespace)).unwrap()
    }

    #[test]
    fn counts_watch_their_kind_and_keep_it_whole_when_they_test_fields() {
        let lesson = lesson("labels-owners", "lab");
        let scopes = LessonScopes::of(&lesson);
        let watched: Vec<String> = scopes.watch_set().iter().map(Scope::describe).collect();
        assert!(
            watched.contains(&"EndpointSlices in lab".to_string()),
            "{watched:?}"
        );
        assert!(watched.contains(&"Pods in lab".to_string()), "{watched:?}");
        // Counts that test fields keep every object of their kind whole.
        assert!(
            scopes
                .named
                .contains(&key("EndpointSlice", "lab", EVERY_NAME))
        );
        // One that only counts keeps projections.
        let mut counting = lesson.clone();
        counting.steps.truncate(1);
        counting.steps[0].checks = vec![
            crate::yaml::from_str("count: {kind: ConfigMap, selector: app=shop, atLeast: 1}")
                .unwrap(),
        ];
        let only_counts = LessonScopes::of(&counting);
        assert!(
            !only_counts
                .named
                .contains(&key("ConfigMap", "lab", EVERY_NAME))
        );
        let step = |id: &str| lesson.step_index(id).unwrap();
        let affected = scopes.affected([&key("Pod", "lab", "anything")]);
        assert!(affected.contains(&step("labels")) && affected.contains(&step("replicaset")));
        // The pane shows the kinds of setup, templates and solutions.
        let pane: Vec<String> = scopes.pane.iter().map(Scope::describe).collect();
        for kind in ["Services in lab", "ReplicaSets in lab", "Pods in lab"] {
            assert!(pane.contains(&kind.to_string()), "{kind} in {pane:?}");
        }
    }

    #[test]
    fn a_rejected_check_is_asked_again_when_admission_policy_changes() {
        let lesson = lesson("quota-limitrange", "lab");
        let scopes = LessonScopes::of(&lesson);
        let over = lesson.step_index("over-quota").unwrap();
        for changed in [
            key("ResourceQuota", "lab", "compute"),
            key("LimitRange", "lab", "defaults"),
            key("Namespace", "", "lab"),
            key("Pod", "lab", "plain"),
        ] {
            assert!(scopes.affected([&changed]).contains(&over), "{changed:?}");
        }
        assert!(
            !scopes
                .affected([&key("ResourceQuota", "other", "q")])
                .contains(&over)
        );
    }

    #[test]
    fn events_watch_the_namespaces_events_whole() {
        let mut lesson = lesson("jobs-cronjobs", "lab");
        lesson.steps.truncate(2);
        let check = |yaml: &str| crate::yaml::from_str::<Check>(yaml).unwrap();
        // An Event as a fallback proof beside the Job's own condition.
        lesson.steps[1].checks = vec![check(
            "anyOf: [{events: {kind: Job, name: flaky, reason: BackoffLimitExceeded}},
                     {field: {kind: Job, name: flaky, condition: {type: Failed}}}]",
        )];
        let scopes = LessonScopes::of(&lesson);
        assert!(scopes.named.contains(&key("Event", "lab", EVERY_NAME)));
        assert!(scopes.named.contains(&key("Job", "lab", "flaky")));
        assert!(
            scopes
                .affected([&key("Event", "lab", "flaky.123")])
                .contains(&1)
        );
        assert!(scopes.affected([&key("Job", "lab", "flaky")]).contains(&1));
        assert!(
            !scopes.pane.iter().any(|s| s.kind == "Event"),
            "Events stay out of the pane"
        );
    }
}
