//! Loading a lesson folder: parse `lesson.yaml`, substitute `${NAMESPACE}`,
//! read every file it names, and check it all, collecting every error with its
//! position so `lessons lint` can list them at once.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

use super::error::{self, LessonError};
use super::model::{
    Act, Action, Caller, Capability, Check, LessonSpec, Meta, Need, ObjectRef, POD_SECURITY_LABELS,
    Prediction, StepSpec,
};
use super::{inside, needs, text, vars};
use crate::checks::{fields, path, select};
use crate::cluster::apply::ApplyError;
use crate::cluster::{manifest, request_line};
use crate::yaml::{self, YamlError};

pub const LESSON_FILE: &str = "lesson.yaml";

/// A lesson ready to run: files read, variables substituted.
#[derive(Debug, Clone)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub namespace: String,
    pub owns: Vec<ObjectRef>,
    /// Read access outside the lesson namespace that its checks need.
    pub needs: Vec<Need>,
    /// What the cluster must offer for the lesson to start.
    pub requires: Vec<Capability>,
    /// Manifests (YAML text) applied when the lesson starts.
    pub setup: Vec<String>,
    pub meta: Meta,
    pub steps: Vec<Step>,
    pub dir: PathBuf,
    /// Things lint points out that do not stop the lesson from loading.
    pub warnings: Vec<LessonError>,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub title: String,
    /// Markdown.
    pub text: String,
    /// Starting editor buffer (YAML).
    pub template: Option<String>,
    /// Reference solution (YAML).
    pub solution: Option<String>,
    /// What kubetutor runs for the learner (`r`), in order.
    pub actions: Vec<Action>,
    /// What the learner must do, besides the checks holding.
    pub acts: Vec<Act>,
    pub predict: Option<Prediction>,
    /// Manifests (YAML text) applied when the step becomes the current one.
    pub setup: Vec<String>,
    pub checks: Vec<Check>,
}

impl Step {
    /// The step asks nothing of the learner but reading (and nothing to check).
    pub fn asks_nothing(&self) -> bool {
        self.acts.is_empty() && self.predict.is_none()
    }
}

impl Lesson {
    /// Loads `dir/lesson.yaml`. `namespace` overrides the lesson's own.
    pub fn load(dir: &Path, namespace: Option<&str>) -> Result<Lesson, Vec<LessonError>> {
        Lesson::load_for(dir, namespace, vars::DEFAULT_POD_IMAGE)
    }

    /// As `load`, with the image `${POD_IMAGE}` stands for on this cluster.
    pub fn load_for(
        dir: &Path,
        namespace: Option<&str>,
        pod_image: &str,
    ) -> Result<Lesson, Vec<LessonError>> {
        let file = dir.join(LESSON_FILE);
        let raw = text::read(&file).map_err(|e| vec![e])?;
        // First pass with the variables left as they are, for the lesson's own
        // namespace and for error positions that match the file exactly.
        let spec = parse_spec(&file, &raw, vars::PLACEHOLDER, pod_image).map_err(|e| vec![e])?;
        let namespace = namespace.unwrap_or(&spec.namespace).to_string();
        let mut errors = Vec::new();
        for read in needs::unlisted(&spec) {
            errors.push(LessonError::at_text(
                &file,
                &raw,
                &format!("namespace: {}", read.namespace),
                format!(
                    "a check reads {} {}/{} outside the lesson namespace, but `needs:` does not list it; \
                     add it there with a `why`, so a learner limited to their namespace can be granted it",
                    read.kind, read.namespace, read.name
                ),
            ));
        }
        if let Err(message) = check_namespace_name(&namespace) {
            errors.push(LessonError::at_text(&file, &raw, "namespace:", message));
        }
        let spec = parse_spec(&file, &raw, &namespace, pod_image).map_err(|e| vec![e])?;
        Loader {
            dir,
            file: &file,
            raw: &raw,
            namespace: &namespace,
            pod_image,
            errors,
        }
        .finish(spec)
    }

    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }
}

fn parse_spec(
    file: &Path,
    raw: &str,
    namespace: &str,
    pod_image: &str,
) -> Result<LessonSpec, LessonError> {
    let text = vars::substitute_with(raw, namespace, pod_image).map_err(|(offset, name)| {
        let (line, column) = error::position(raw, offset);
        LessonError::new(
            file,
            line,
            column,
            format!("unknown variable ${{{name}}}; the only one is ${{NAMESPACE}}"),
        )
    })?;
    yaml::from_str::<LessonSpec>(&text).map_err(|err| yaml_error(file, err))
}

/// What a file named by a lesson is for, and so what it must be.
#[derive(Clone, Copy)]
enum FileKind {
    Markdown,
    Template,
    Solution,
}

/// A solution's apply error as a lesson error in that file.
fn apply_error(file: &Path, err: ApplyError) -> LessonError {
    match err {
        ApplyError::Yaml(err) => yaml_error(file, err),
        ApplyError::Invalid {
            line,
            column,
            message,
        } => LessonError::new(file, line, column, message),
        ApplyError::Document { line, message } => LessonError::new(file, line, 1, message),
        other => LessonError::new(file, 0, 0, other.to_string()),
    }
}

/// A YAML error as a lesson error.
fn yaml_error(file: &Path, err: YamlError) -> LessonError {
    LessonError::new(file, err.line, err.column, err.message)
}

/// Namespace names are DNS labels.
fn check_namespace_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid namespace name: use lower-case letters, digits and '-', at most 63 characters"
        ))
    }
}

struct Loader<'a> {
    dir: &'a Path,
    file: &'a Path,
    raw: &'a str,
    namespace: &'a str,
    pod_image: &'a str,
    errors: Vec<LessonError>,
}

impl Loader<'_> {
    fn finish(mut self, spec: LessonSpec) -> Result<Lesson, Vec<LessonError>> {
        if spec.id.trim().is_empty() {
            self.error("id:", "the lesson id is empty");
        }
        if let Some(folder) = self.dir.file_name().and_then(|f| f.to_str())
            && folder != spec.id
        {
            self.error(
                &format!("id: {}", spec.id),
                format!("the lesson id {:?} differs from its folder name {folder:?}; make them the same", spec.id),
            );
        }
        if spec.steps.is_empty() {
            self.error("steps:", "the lesson has no steps");
        }
        let mut seen = HashSet::new();
        let mut steps = Vec::new();
        for step in &spec.steps {
            if !seen.insert(step.id.clone()) {
                // Point at the second use: that is the one to rename.
                self.error_at_use(
                    &format!("id: {}", step.id),
                    1,
                    format!(
                        "step id {:?} is used twice; step ids must be unique",
                        step.id
                    ),
                );
            }
            steps.push(self.step(step));
        }
        let warnings = self.free_steps(&spec, &steps);
        let setup: Vec<String> = spec
            .setup
            .iter()
            .filter_map(|f| self.read(f, FileKind::Solution))
            .collect();
        let execs = spec
            .steps
            .iter()
            .flat_map(|s| &s.checks)
            .any(|c| matches!(c, Check::Exec(_)));
        if execs && !spec.requires.contains(&Capability::Containers) {
            self.error(
                "exec:",
                "an exec check runs a command in a container: add `requires: [containers]` to the \
                 lesson, so it does not start on a cluster whose Pods run no containers (the lab)",
            );
        }
        if self.errors.is_empty() {
            Ok(Lesson {
                warnings,
                id: spec.id,
                title: spec.title,
                summary: spec.summary,
                namespace: self.namespace.to_string(),
                owns: spec.owns,
                needs: spec.needs,
                requires: spec.requires,
                setup,
                meta: spec.meta,
                steps,
                dir: self.dir.to_path_buf(),
            })
        } else {
            Err(self.errors)
        }
    }

    fn step(&mut self, spec: &StepSpec) -> Step {
        let text = self
            .read(&spec.text, FileKind::Markdown)
            .unwrap_or_default();
        let template = spec
            .editor
            .as_ref()
            .and_then(|f| self.read(f, FileKind::Template));
        let solution = spec
            .solution
            .as_ref()
            .and_then(|f| self.read(f, FileKind::Solution));
        for check in &spec.checks {
            self.check(&spec.id, check);
        }
        let setup = spec
            .setup
            .iter()
            .filter_map(|f| self.read(f, FileKind::Solution))
            .collect();

        let actions: Vec<Action> = spec.action.iter().chain(&spec.actions).cloned().collect();
        if spec.action.is_some() && !spec.actions.is_empty() {
            self.error(
                "actions:",
                format!(
                    "step {}: give either `action` or `actions`, not both",
                    spec.id
                ),
            );
        }
        for action in &actions {
            if let Action::Request(request) = action {
                self.request_line(&spec.id, &request.method, &request.path);
                self.caller(&spec.id, &request.caller);
            }
            if let Action::LabelNamespace(labels) = action {
                for (key, value) in labels {
                    if !key.starts_with(POD_SECURITY_LABELS) || value.is_empty() {
                        self.error_in_step(
                            &spec.id,
                            &[key.as_str(), "labelNamespace:"],
                            format!(
                                "step {}: labelNamespace sets Pod Security labels only \
                                 ({POD_SECURITY_LABELS}…), each with a value; {key:?} is not one",
                                spec.id
                            ),
                        );
                    }
                }
            }
        }
        self.acts(spec, &actions);
        Step {
            id: spec.id.clone(),
            title: spec.title.clone(),
            text,
            template,
            solution,
            actions,
            acts: spec.acts.clone(),
            predict: spec.predict.clone(),
            setup,
            checks: spec.checks.clone(),
        }
    }

    /// Reads a file named by the lesson (inside its folder only); YAML files
    /// must parse.
    fn read(&mut self, named: &Spanned<String>, kind: FileKind) -> Option<String> {
        let relative = named.value.as_str();
        let refuse = |message: String| {
            let at = &named.referenced;
            LessonError::new(self.file, at.line() as usize, at.column() as usize, message)
        };
        let path = match inside::resolve(self.dir, relative) {
            Ok(path) => path,
            Err(message) => {
                self.errors.push(refuse(message));
                return None;
            }
        };
        let raw = match text::read(&path) {
            Ok(raw) => raw,
            Err(err) if err.line == 0 => {
                let why = err.message.trim_start_matches("cannot read it: ");
                self.errors
                    .push(refuse(format!("cannot read {relative}: {why}")));
                return None;
            }
            Err(err) => {
                self.errors.push(err);
                return None;
            }
        };
        let text = match vars::substitute_with(&raw, self.namespace, self.pod_image) {
            Ok(text) => text,
            Err((offset, name)) => {
                let (line, column) = error::position(&raw, offset);
                self.errors.push(LessonError::new(
                    &path,
                    line,
                    column,
                    format!("unknown variable ${{{name}}}; the only one is ${{NAMESPACE}}"),
                ));
                return None;
            }
        };
        match kind {
            FileKind::Markdown => {}
            FileKind::Template => {
                // A starting buffer may be unfinished, but must parse.
                if text.len() > manifest::MAX_BYTES {
                    self.errors.push(LessonError::new(
                        &path,
                        0,
                        0,
                        format!(
                            "{} KB is too big for the editor (at most {} KB)",
                            text.len() / 1024,
                            manifest::MAX_BYTES / 1024
                        ),
                    ));
                } else if let Err(err) = yaml::documents(&text) {
                    self.errors.push(yaml_error(&path, err));
                }
            }
            FileKind::Solution => {
                // What `solve` applies: every check the editor's apply makes.
                if let Err(err) = manifest::parse(&text, self.namespace) {
                    self.errors.push(apply_error(&path, err));
                }
            }
        }
        Some(text)
    }

    fn check(&mut self, step: &str, check: &Check) {
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
                for problem in fields::lint(&field.test()) {
                    self.error_in_step(step, &[at.as_str()], format!("step {step}: {problem}"));
                }
            }
            Check::Count(count) => {
                let at = format!("kind: {}", count.kind);
                if let Some(selector) = &count.selector
                    && let Err(problem) = select::parse_selector(selector)
                {
                    self.error_in_step(
                        step,
                        &[selector.as_str(), at.as_str()],
                        format!("step {step}: {problem}"),
                    );
                }
                for problem in count.where_.iter().flat_map(fields::lint) {
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
                    && let Err(problem) = fields::compile(message)
                {
                    self.error_in_step(
                        step,
                        &[message.as_str()],
                        format!("step {step}: {problem}"),
                    );
                }
            }
            Check::Rejected(rejected) => {
                if let Err(problem) = fields::compile(&rejected.matches) {
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
                    && let Err(problem) = fields::compile(output)
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
            _ => {}
        }
    }

    /// Steps that would count with nothing done: no act asked, and no check
    /// on anything the lesson makes (`owns:`) — on a fresh namespace they
    /// hold before the learner lifts a finger.
    fn free_steps(&self, spec: &LessonSpec, steps: &[Step]) -> Vec<LessonError> {
        let owned =
            |kind: &str, name: &str| spec.owns.iter().any(|o| o.kind == kind && o.name == name);
        let builds_something = |check: &Check| match check {
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
            Check::Access(_)
            | Check::Request(_)
            | Check::Token(_)
            | Check::Rejected(_)
            | Check::Exec(_) => false,
        };
        steps
            .iter()
            .filter(|step| step.asks_nothing() && !step.checks.iter().any(builds_something))
            .map(|step| {
                LessonError::at_text(
                    self.file,
                    self.raw,
                    &format!("id: {}", step.id),
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
    fn acts(&mut self, spec: &StepSpec, actions: &[Action]) {
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

    fn caller(&mut self, step: &str, caller: &Caller) {
        if let Caller::Pod(name) | Caller::ServiceAccount(name) = caller
            && name.trim().is_empty()
        {
            self.error(
                "as:",
                format!("step {step}: `as` names an empty pod or ServiceAccount"),
            );
        }
    }

    fn path(&mut self, step: &str, text: &str) {
        if let Err(message) = path::parse(text) {
            self.error(text, format!("step {step}: {message}"));
        }
    }

    /// A request's method and path are untrusted: a fixed set of methods, a
    /// path of plain URL characters (see `request_line`).
    fn request_line(&mut self, step: &str, method: &str, path: &str) {
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

    /// An error pointing at the first of `needles` found after step `step`'s
    /// `id:` line (or at that line): values such as paths may appear in
    /// several steps, and a hostile one may not appear verbatim at all.
    fn error_in_step(&mut self, step: &str, needles: &[&str], message: String) {
        let id = format!("id: {step}");
        let start = self.raw.find(&id).unwrap_or(0);
        let after = &self.raw[start..];
        let offset = needles
            .iter()
            .find_map(|needle| after.find(needle))
            .map_or(start, |at| start + at);
        let (line, column) = error::position(self.raw, offset);
        self.errors
            .push(LessonError::new(self.file, line, column, message));
    }

    /// An error pointing at the first place `needle` appears in lesson.yaml.
    fn error(&mut self, needle: &str, message: impl Into<String>) {
        self.error_at_use(needle, 0, message);
    }

    /// An error pointing at the `nth` (0-based) place `needle` appears in lesson.yaml.
    fn error_at_use(&mut self, needle: &str, nth: usize, message: impl Into<String>) {
        let (line, column) = self
            .raw
            .match_indices(needle)
            .nth(nth)
            .map_or((0, 0), |(offset, _)| error::position(self.raw, offset));
        self.errors
            .push(LessonError::new(self.file, line, column, message));
    }
}
