//! The checks a lesson must pass before anything of it runs: what it may do
//! with the learner's rights (`rights:`, the kinds and names it makes, the
//! namespace labels it sets), whether its checks are well formed (paths,
//! selectors, patterns, request lines, callers), which steps ask nothing of
//! the learner, and which acts its steps wait for. Part of the loader
//! (`load.rs`): whatever path loads a lesson, the same rules hold.

use std::collections::HashSet;

use super::error::{self, LessonError};
use super::load::{Loader, Step, step_line};
use super::model::{
    Act, Action, Caller, Check, FieldTest, LessonSpec, ObjectRef, Prediction, StepSpec,
};
use super::rights;
use crate::manifest;
use crate::syntax::{path, pattern, request_line, selector};
use crate::yaml;

impl Loader<'_> {
    /// `rights:` on its own (see `rights::lint`), then against what the
    /// lesson does: every kind beyond admin its YAML makes is declared,
    /// cluster-scoped objects are ClusterRoles named after the namespace
    /// under a `clusterRoles` right, namespace labels its actions set are
    /// declared. Notes on each step the rights it uses.
    pub(super) fn rights(&mut self, spec: &LessonSpec, steps: &mut [Step]) {
        for (at, message) in rights::lint(&spec.rights) {
            self.error(&at, message);
        }
        let declared = rights::declared_kinds(&spec.rights);
        let prefix = crate::k8s_names::cluster_prefix(self.namespace);
        let mut said = HashSet::new();
        for (step, built) in spec.steps.iter().zip(steps.iter_mut()) {
            let mut kinds = std::collections::BTreeSet::new();
            for text in built
                .solution
                .iter()
                .chain(&built.template)
                .chain(&built.setup)
            {
                for doc in yaml::documents(text).unwrap_or_default() {
                    let (Some(kind), name) =
                        (doc["kind"].as_str(), doc["metadata"]["name"].as_str())
                    else {
                        continue;
                    };
                    kinds.insert(kind.to_string());
                    let cluster = crate::k8s_names::is_cluster_scoped(kind);
                    let beyond = rights::BEYOND_ADMIN.contains(&kind);
                    let first =
                        said.insert((step.id.clone(), kind.to_string(), name.map(str::to_string)));
                    if !first {
                        continue;
                    }
                    if (cluster || beyond) && !declared.contains(kind) {
                        let message = if cluster && !rights::CLUSTER_ROLE_KINDS.contains(&kind) {
                            format!(
                                "step {}: a lesson makes no cluster-scoped {kind}: it would act beyond \
                                 the learner's namespace",
                                step.id
                            )
                        } else if cluster {
                            format!(
                                "step {}: a {kind} is cluster-scoped; declare `rights: - clusterRoles: \
                                 {{reads: [...]}}` with a `why`, so a learner limited to their namespace \
                                 can be granted it (and is told when they are not)",
                                step.id
                            )
                        } else {
                            format!(
                                "step {}: admin of a namespace may not create {}; declare \
                                 `rights: - manage: [{kind}]` with a `why`",
                                step.id,
                                crate::k8s_names::plural(kind)
                            )
                        };
                        self.error_in_step(&step.id, &[&format!("kind: {kind}"), "id:"], message);
                    }
                    if cluster
                        && let Some(name) = name
                        && !name.starts_with(&prefix)
                        && !name.contains("${NAMESPACE}")
                    {
                        self.error_in_step(
                            &step.id,
                            &[name, "id:"],
                            format!(
                                "step {}: {kind} {name}: cluster-scoped names start with \
                                 \"${{NAMESPACE}}.\" (a dot: no namespace name has one), so learners sharing a cluster never collide \
                                 (and the class grant covers it)",
                                step.id
                            ),
                        );
                    }
                }
            }
            for action in &built.actions {
                if let Action::LabelNamespace(labels) = action {
                    for (key, value) in labels {
                        if !rights::label_declared(&spec.rights, key, value) {
                            self.error_in_step(
                                &step.id,
                                &[key.as_str(), "labelNamespace:"],
                                format!(
                                    "step {}: the action sets {key}={value} on the namespace; declare it \
                                     under `rights: - labelNamespace:` with a `why`",
                                    step.id
                                ),
                            );
                        }
                    }
                }
            }
            built.rights = rights::used_by(&spec.rights, &kinds, &built.actions);
        }
    }

    pub(super) fn check(&mut self, step: &str, check: &Check) {
        match check {
            Check::Field(field) => {
                let at = if field.path.is_empty() {
                    format!("name: {}", field.name)
                } else {
                    field.path.clone()
                };
                if field.path.is_empty() && field.condition.is_none() {
                    self.error_in_step(
                        step,
                        &[at.as_str()],
                        format!("step {step}: a field check needs a `path` (or a `condition`)"),
                    );
                }
                for problem in field_test(&field.test()) {
                    self.error_in_step(step, &[at.as_str()], format!("step {step}: {problem}"));
                }
            }
            Check::Count(count) => {
                let at = format!("kind: {}", count.kind);
                if let Some(selector) = &count.selector
                    && let Err(problem) = selector::parse_selector(selector)
                {
                    self.error_in_step(
                        step,
                        &[selector.as_str(), at.as_str()],
                        format!("step {step}: {problem}"),
                    );
                }
                for problem in count.where_.iter().flat_map(field_test) {
                    self.error_in_step(
                        step,
                        &["where:", at.as_str()],
                        format!("step {step}: {problem}"),
                    );
                }
                if count.exactly.is_none() && count.at_least.is_none() && count.at_most.is_none() {
                    self.error_in_step(
                        step,
                        &[at.as_str()],
                        format!("step {step}: a count needs `exactly`, `atLeast` or `atMost`"),
                    );
                }
            }
            Check::Events(events) => {
                if let Some(message) = &events.message
                    && let Err(problem) = crate::syntax::pattern::compile(message)
                {
                    self.error_in_step(
                        step,
                        &[message.as_str()],
                        format!("step {step}: {problem}"),
                    );
                }
            }
            Check::Rejected(rejected) => {
                if let Err(problem) = crate::syntax::pattern::compile(&rejected.matches) {
                    self.error_in_step(step, &["matches:"], format!("step {step}: {problem}"));
                }
                if let Err(err) = manifest::parse(&rejected.manifest, self.namespace) {
                    self.error_in_step(
                        step,
                        &["manifest:"],
                        format!("step {step}: the rejected manifest: {err}"),
                    );
                }
            }
            Check::Exec(exec) => {
                if exec.command.is_empty() {
                    self.error_in_step(
                        step,
                        &["command:"],
                        format!("step {step}: the exec command is empty"),
                    );
                }
                if let Some(output) = &exec.output
                    && let Err(problem) = crate::syntax::pattern::compile(output)
                {
                    self.error_in_step(step, &["output:"], format!("step {step}: {problem}"));
                }
            }
            Check::Request(request) => {
                self.request_line(step, &request.method, &request.path);
                self.caller(step, &request.caller);
                if let Some(json) = &request.expect_json {
                    self.path(step, &json.path);
                    if json.equals.is_none() && json.contains.is_none() {
                        self.error(
                            &json.path,
                            format!("step {step}: expectJson needs `equals` or `contains`"),
                        );
                    }
                }
            }
            Check::Token(token) => {
                for claim in token.claims.keys() {
                    self.path(step, claim);
                }
            }
            Check::AnyOf(checks) => {
                if checks.len() < 2 {
                    self.error_in_step(
                        step,
                        &["anyOf:"],
                        format!("step {step}: anyOf needs at least two checks to choose from"),
                    );
                }
                for check in checks {
                    self.check(step, check);
                }
            }
            _ => {}
        }
    }

    /// Steps that would count with nothing done: no act asked, and no check
    /// on anything the lesson makes (`owns:`) — on a fresh namespace they
    /// hold before the learner lifts a finger.
    pub(super) fn free_steps(&self, spec: &LessonSpec, steps: &[Step]) -> Vec<LessonError> {
        fn builds_something(check: &Check, owns: &[ObjectRef]) -> bool {
            let owned =
                |kind: &str, name: &str| owns.iter().any(|o| o.kind == kind && o.name == name);
            match check {
                Check::Exists(o) | Check::Absent(o) => owned(&o.kind, &o.name),
                Check::Field(f) => owned(&f.kind, &f.name),
                Check::Pod(p) => owned("Pod", &p.name),
                Check::Grants(g) => match &g.role {
                    Some(role) => owned(
                        if g.cluster_role {
                            "ClusterRole"
                        } else {
                            "Role"
                        },
                        role,
                    ),
                    // Any role will do: the learner must make one.
                    None => true,
                },
                // Some object must appear: the learner (or a setup they then
                // fix, with `acts`) makes it.
                Check::Count(c) => {
                    c.exactly.is_some_and(|n| n > 0) || c.at_least.is_some_and(|n| n > 0)
                }
                Check::Events(_) => true,
                Check::AnyOf(checks) => checks.iter().all(|c| builds_something(c, owns)),
                Check::Access(_)
                | Check::Request(_)
                | Check::Token(_)
                | Check::Rejected(_)
                | Check::Exec(_) => false,
            }
        }
        steps
            .iter()
            .filter(|step| {
                step.asks_nothing() && !step.checks.iter().any(|c| builds_something(c, &spec.owns))
            })
            .map(|step| {
                let (line, column) = step_line(self.raw, &step.id)
                    .map_or((0, 0), |at| error::position(self.raw, at));
                LessonError::new(
                    self.file,
                    line,
                    column,
                    format!(
                        "step {} counts on a fresh namespace with nothing done: it asks for no act \
                         and checks nothing the lesson makes; add `acts: [run]`, `acts: [apply]` or a `predict:`",
                        step.id
                    ),
                )
            })
            .collect()
    }

    /// `acts` and `predict` must be possible: `run` needs an action, a
    /// prediction needs choices with exactly one right answer.
    pub(super) fn acts(&mut self, spec: &StepSpec, actions: &[Action]) {
        let step = &spec.id;
        if spec.acts.contains(&Act::Run) && actions.is_empty() {
            self.error(
                "run",
                format!(
                    "step {step}: `acts` has run, but the step has no action to run; add `action:`"
                ),
            );
        }
        if spec.acts.contains(&Act::Apply) && spec.checks.is_empty() {
            self.error(
                "apply",
                format!(
                    "step {step}: `acts` has apply, but the step has no checks to say what to apply"
                ),
            );
        }
        if let Some(predict) = &spec.predict {
            let correct = predict.choices.iter().filter(|c| c.correct).count();
            if predict.choices.len() < 2 || predict.choices.len() > Prediction::MAX_CHOICES {
                self.error(
                    &predict.question,
                    format!(
                        "step {step}: a prediction needs 2 to {} choices, it has {}",
                        Prediction::MAX_CHOICES,
                        predict.choices.len()
                    ),
                );
            } else if correct != 1 {
                self.error(
                    &predict.question,
                    format!(
                        "step {step}: exactly one choice must be `correct: true`, {correct} are"
                    ),
                );
            }
        }
    }

    pub(super) fn caller(&mut self, step: &str, caller: &Caller) {
        if let Caller::Pod(name) | Caller::ServiceAccount(name) = caller
            && name.trim().is_empty()
        {
            self.error(
                "as:",
                format!("step {step}: `as` names an empty pod or ServiceAccount"),
            );
        }
    }

    pub(super) fn path(&mut self, step: &str, text: &str) {
        if let Err(message) = path::parse(text) {
            self.error(text, format!("step {step}: {message}"));
        }
    }

    /// A request's method and path are untrusted: a fixed set of methods, a
    /// path of plain URL characters (see `request_line`).
    pub(super) fn request_line(&mut self, step: &str, method: &str, path: &str) {
        if let Err(message) = request_line::check_method(method) {
            self.error_in_step(step, &["method:"], format!("step {step}: {message}"));
        }
        if let Err(message) = request_line::check_path(path) {
            let written = path.replace(self.namespace, "${NAMESPACE}");
            self.error_in_step(
                step,
                &[path, &written, "path:"],
                format!("step {step}: {message}"),
            );
        }
    }
}

/// Every regular expression and path in `test` (and nested `any`) is valid.
pub(super) fn field_test(test: &FieldTest) -> Vec<String> {
    let mut problems = Vec::new();
    if !test.path.is_empty()
        && let Err(e) = path::parse(&test.path)
    {
        problems.push(e);
    }
    if let Some(pattern) = &test.matches
        && let Err(e) = pattern::compile(pattern)
    {
        problems.push(e);
    }
    if test.has_no_operator() {
        problems.push(format!(
            "the test of {:?} has no operator: give exists, equals, contains, atLeast, atMost, \
             matches, any, all, anyOf, absentOrFalse, absentOrEmpty or condition",
            test.path
        ));
    }
    if let Some(inner) = &test.any {
        problems.extend(field_test(inner));
    }
    if let Some(inner) = &test.all {
        problems.extend(field_test(inner));
    }
    for alternative in test.any_of.iter().flatten() {
        problems.extend(field_test(alternative));
    }
    if test.any_of.as_ref().is_some_and(|a| a.len() < 2) {
        problems.push(format!(
            "anyOf at {:?} needs at least two tests to choose from",
            test.path
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::field_test;
    use crate::lesson::model::FieldTest;

    fn t(yaml: &str) -> FieldTest {
        crate::yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn a_field_test_names_bad_patterns_paths_empty_tests_and_a_lone_any_of() {
        assert_eq!(
            field_test(&t("{path: a, matches: x}")),
            Vec::<String>::new()
        );
        assert_eq!(field_test(&t("{path: 'a[x]', matches: '('}")).len(), 2);
        assert!(field_test(&t("{path: a}"))[0].contains("has no operator"));
        assert!(field_test(&t("{path: a, any: {path: b}}"))[0].contains("has no operator"));
        assert!(
            field_test(&t("{path: a, anyOf: [{path: b, exists: true}]}"))[0]
                .contains("at least two")
        );
    }
}
