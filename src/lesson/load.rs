//! Loading a lesson folder: parse `lesson.yaml`, substitute `${NAMESPACE}`,
//! read every file it names, and check it all, collecting every error with its
//! position so `lessons lint` can list them at once.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::error::{self, LessonError};
use super::model::{
    Act, Action, Capability, Check, Example, LessonSpec, Meta, Need, ObjectRef,
    POD_SECURITY_LABELS, Prediction, Right, StepSpec,
};
use super::{examples, inside, needs, text, vars};
use crate::yaml;

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
    /// What it needs beyond admin of its namespace.
    pub rights: Vec<Right>,
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
    /// kubectl commands run after the solution (see `StepSpec`).
    pub solution_commands: Vec<String>,
    /// What kubetutor runs for the learner (`r`), in order.
    pub actions: Vec<Action>,
    /// What the learner must do, besides the checks holding.
    pub acts: Vec<Act>,
    pub predict: Option<Prediction>,
    /// Manifests (YAML text) applied when the step becomes the current one.
    pub setup: Vec<String>,
    pub checks: Vec<Check>,
    /// The later step that changes what this one checks, by design: this
    /// one needs to have held once.
    pub undone_by: Option<usize>,
    /// Right and wrong answers proving the checks (`lessons test`).
    pub examples: Vec<Example>,
    /// Indexes into the lesson's `rights` this step uses.
    pub rights: Vec<usize>,
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
        // lesson.yaml itself may be a link out of the folder (to a secret).
        inside::resolve(dir, LESSON_FILE)
            .map_err(|message| vec![LessonError::new(&file, 0, 0, message)])?;
        let raw = text::read(&file).map_err(|e| vec![e])?;
        // First pass with the variables left as they are, for the lesson's own
        // namespace and for error positions that match the file exactly.
        let spec = parse_spec(&file, &raw, vars::PLACEHOLDER, pod_image).map_err(|e| vec![e])?;
        // A namespace of its own by default, named after the lesson.
        let namespace = namespace
            .or(spec.namespace.as_deref())
            .unwrap_or(&spec.id)
            .to_string();
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
        for found in super::untrusted::findings(&spec, &namespace, &raw) {
            let near: Vec<&str> = found.near.iter().map(String::as_str).collect();
            let offset = match &found.step {
                Some(step) => step_line(&raw, step).unwrap_or(0),
                None => 0,
            };
            let at = near
                .iter()
                .find_map(|needle| raw[offset..].find(needle))
                .map_or(offset, |at| offset + at);
            let (line, column) = error::position(&raw, at);
            errors.push(LessonError::new(&file, line, column, found.message));
        }
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

    /// Labels of the lesson namespace that steps `from`… may set (their
    /// `labelNamespace` actions and rights): what a reset from there puts back.
    pub fn namespace_label_keys(&self, from: usize) -> Vec<String> {
        let mut keys = std::collections::BTreeSet::new();
        for step in self.steps.iter().skip(from) {
            for action in &step.actions {
                if let Action::LabelNamespace(labels) = action {
                    keys.extend(labels.keys().cloned());
                }
            }
            for right in step.rights.iter().filter_map(|i| self.rights.get(*i)) {
                keys.extend(right.label_namespace.keys().cloned());
            }
        }
        keys.into_iter().collect()
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
    yaml::from_str::<LessonSpec>(&text).map_err(|err| LessonError::from_yaml(file, err))
}

/// Where step `id`'s `id:` line starts: the line that says exactly that id
/// (`id: clusterrole` is not the lesson's `id: clusterrole-aggregation`).
pub(super) fn step_line(raw: &str, id: &str) -> Option<usize> {
    let mut offset = 0;
    for line in raw.split_inclusive('\n') {
        let trimmed = line.trim().trim_start_matches('-').trim_start();
        if let Some(rest) = trimmed.strip_prefix("id:")
            && rest.trim().trim_matches(['"', '\'']) == id
            && line.starts_with([' ', '-'])
        {
            return Some(offset + line.find("id:").unwrap_or(0));
        }
        offset += line.len();
    }
    None
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

/// A lesson being read: where it is, its text (for positions), and every
/// error found so far. Its checks of what the lesson may do and whether it
/// makes sense are in `lint.rs`.
pub(super) struct Loader<'a> {
    pub(super) dir: &'a Path,
    pub(super) file: &'a Path,
    pub(super) raw: &'a str,
    pub(super) namespace: &'a str,
    pub(super) pod_image: &'a str,
    pub(super) errors: Vec<LessonError>,
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
        self.rights(&spec, &mut steps);
        self.undone_by(&spec, &mut steps);
        let warnings = self.free_steps(&spec, &steps);
        for step in &spec.steps {
            if let Some(message) = examples::too_few(step) {
                self.error_in_step(&step.id, &["id:"], message);
            }
        }
        let setup: Vec<String> = spec
            .setup
            .iter()
            .filter_map(|f| self.read_solution(f))
            .collect();
        // Applied when the lesson opens, unasked: objects of its namespace only.
        for doc in setup
            .iter()
            .flat_map(|t| yaml::documents(t).unwrap_or_default())
        {
            let kind = doc["kind"].as_str().unwrap_or_default();
            if crate::k8s_names::is_cluster_scoped(kind) {
                let name = doc["metadata"]["name"].as_str().unwrap_or_default();
                self.error(
                    "setup:",
                    format!(
                        "the lesson's setup makes {kind} {name}, which is cluster-scoped: setup is \
                         applied when the lesson opens, unasked, with the learner's rights; it makes \
                         objects of the lesson namespace only"
                    ),
                );
            }
        }
        // A binding a step makes grants a role named after the namespace, not
        // cluster-admin or another role of the cluster.
        let prefix = crate::k8s_names::cluster_prefix(self.namespace);
        for step in &steps {
            for text in step.setup.iter().chain(&step.solution) {
                for doc in yaml::documents(text).unwrap_or_default() {
                    let role = doc["roleRef"]["name"].as_str().unwrap_or_default();
                    if doc["kind"] == "ClusterRoleBinding" && !role.starts_with(&prefix) {
                        self.error_in_step(
                            &step.id,
                            &["id:"],
                            format!(
                                "step {}: a ClusterRoleBinding binds ClusterRole {role}, which is not \
                                 the lesson's; bind a ClusterRole named \"${{NAMESPACE}}.…\"",
                                step.id
                            ),
                        );
                    }
                }
            }
        }
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
                rights: spec.rights,
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
        let text = self.read_text(&spec.text).unwrap_or_default();
        let template = spec.editor.as_ref().and_then(|f| self.read_template(f));
        let solution = spec.solution.as_ref().and_then(|f| self.read_solution(f));
        for check in &spec.checks {
            self.check(&spec.id, check);
        }
        let setup = spec
            .setup
            .iter()
            .filter_map(|f| self.read_solution(f))
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
        for line in &spec.solution_commands {
            match super::kubectl::parse(line) {
                Ok(command) if command.reads_manifest() => self.error_in_step(
                    &spec.id,
                    &[line.as_str(), "solutionCommands:"],
                    format!("step {}: solutionCommands: {line}: `-f -` reads nothing here; put YAML in `solution:`", spec.id),
                ),
                Ok(_) => {}
                Err(why) => self.error_in_step(
                    &spec.id,
                    &[line.as_str(), "solutionCommands:"],
                    format!("step {}: solutionCommands: kubectl {line}: {why}", spec.id),
                ),
            }
        }
        for (at, message) in examples::lint(
            spec,
            solution.as_deref(),
            !actions.is_empty(),
            self.namespace,
        ) {
            self.error_in_step(&spec.id, &[at.as_str(), "examples:"], message);
        }
        Step {
            id: spec.id.clone(),
            title: spec.title.clone(),
            text,
            template,
            solution,
            solution_commands: spec.solution_commands.clone(),
            actions,
            acts: spec.acts.clone(),
            predict: spec.predict.clone(),
            setup,
            checks: spec.checks.clone(),
            undone_by: None,
            examples: spec.examples.clone(),
            rights: Vec::new(),
        }
    }

    /// `undoneBy` names a later step.
    fn undone_by(&mut self, spec: &LessonSpec, steps: &mut [Step]) {
        for (index, step) in spec.steps.iter().enumerate() {
            let Some(later) = &step.undone_by else {
                continue;
            };
            match spec.steps.iter().position(|s| &s.id == later) {
                Some(at) if at > index => steps[index].undone_by = Some(at),
                _ => self.error_in_step(
                    &step.id,
                    &["undoneBy:"],
                    format!(
                        "step {}: undoneBy names {later:?}, which is not a later step of the lesson",
                        step.id
                    ),
                ),
            }
        }
    }

    /// Reads a file named by the lesson (inside its folder only); YAML files
    /// must parse.
    /// An error pointing at the first of `needles` found after step `step`'s
    /// `id:` line (or at that line): values such as paths may appear in
    /// several steps, and a hostile one may not appear verbatim at all.
    pub(super) fn error_in_step(&mut self, step: &str, needles: &[&str], message: String) {
        let start = step_line(self.raw, step).unwrap_or(0);
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
    pub(super) fn error(&mut self, needle: &str, message: impl Into<String>) {
        self.error_at_use(needle, 0, message);
    }

    /// An error pointing at the `nth` (0-based) place `needle` appears in lesson.yaml.
    pub(super) fn error_at_use(&mut self, needle: &str, nth: usize, message: impl Into<String>) {
        let (line, column) = self
            .raw
            .match_indices(needle)
            .nth(nth)
            .map_or((0, 0), |(offset, _)| error::position(self.raw, offset));
        self.errors
            .push(LessonError::new(self.file, line, column, message));
    }
}
