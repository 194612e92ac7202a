//! A lesson is data from a stranger (`--lessons-dir`), run with the learner's
//! rights — often cluster-admin. What it may do is bounded here, whatever
//! path loads it (TUI, verify, solve, reset, class): it works in a namespace
//! of its own, never the cluster's; its checks only read (they run on every
//! change, with no one asking); its actions do not write through requests;
//! `exec` runs only in Pods it owns; `owns:` (what reset deletes) names only
//! objects of its namespace or cluster-scoped ones named after it; and no
//! text of it can drive the terminal (control characters).

use super::model::{Action, Check, LessonSpec};
use crate::k8s_names::is_cluster_scoped;

/// One thing a lesson may not do: in which step, near which text, and why.
pub struct Finding {
    pub step: Option<String>,
    /// Text to point at (the first found after the step's `id:` line).
    pub near: Vec<String>,
    pub message: String,
}

/// The review APIs: a POST to them only asks a question.
const REVIEWS: [&str; 6] = [
    "selfsubjectaccessreviews",
    "subjectaccessreviews",
    "localsubjectaccessreviews",
    "selfsubjectrulesreviews",
    "selfsubjectreviews",
    "tokenreviews",
];

/// A request that changes nothing: GET, HEAD, or a POST to a review API.
pub fn only_reads(method: &str, path: &str) -> bool {
    let resource = path.split('?').next().unwrap_or("").trim_end_matches('/');
    let resource = resource.rsplit('/').next().unwrap_or("");
    matches!(method, "GET" | "HEAD") || (method == "POST" && REVIEWS.contains(&resource))
}

/// Namespaces that belong to the cluster: a lesson working there acts as
/// the cluster's own controllers can (its ServiceAccounts, its objects).
pub fn is_system_namespace(namespace: &str) -> bool {
    // Not `default`: a kubeconfig context often names it, and it holds no
    // controller of the cluster.
    namespace.starts_with("kube-")
}

pub fn findings(spec: &LessonSpec, namespace: &str, raw: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut say = |step: Option<&str>, near: &[&str], message: String| {
        found.push(Finding {
            step: step.map(str::to_string),
            near: near.iter().map(|s| s.to_string()).collect(),
            message,
        })
    };
    if is_system_namespace(namespace) {
        say(
            None,
            &["namespace:"],
            format!(
                "the lesson would work in namespace {namespace}, which belongs to the cluster \
                 (its ServiceAccounts are the cluster's controllers); a lesson works in a namespace of its own"
            ),
        );
    }
    let owned_pods: Vec<&str> = spec
        .owns
        .iter()
        .filter(|o| o.kind == "Pod")
        .map(|o| o.name.as_str())
        .collect();
    let prefix = crate::k8s_names::cluster_prefix(namespace);
    for owned in &spec.owns {
        let elsewhere = owned.namespace.as_deref().is_some_and(|n| n != namespace);
        let cluster = is_cluster_scoped(&owned.kind);
        if elsewhere || owned.kind == "Namespace" || (cluster && !owned.name.starts_with(&prefix)) {
            say(
                None,
                &[owned.name.as_str(), "owns:"],
                format!(
                    "owns: {} {} is not the lesson's to delete (reset deletes what `owns:` lists): \
                     list objects of the lesson namespace, or cluster-scoped ones named \"${{NAMESPACE}}.…\"",
                    owned.kind, owned.name
                ),
            );
        }
    }
    for step in &spec.steps {
        let id = Some(step.id.as_str());
        let mut checks: Vec<&Check> = step.checks.iter().collect();
        while let Some(check) = checks.pop() {
            match check {
                Check::AnyOf(inner) => checks.extend(inner),
                Check::Request(request) if !only_reads(&request.method, &request.path) => say(
                    id,
                    &["method:"],
                    format!(
                        "step {}: a request check may only read (GET, HEAD, or POST to a review API), \
                         not {} {}: checks run on every change with the learner's rights, unasked",
                        step.id, request.method, request.path
                    ),
                ),
                Check::Exec(exec) if !owned_pods.contains(&exec.pod.as_str()) => say(
                    id,
                    &["exec:"],
                    format!(
                        "step {}: an exec check runs only in a Pod the lesson owns; list Pod {} under `owns:` \
                         (a Pod the lesson does not own is someone else's)",
                        step.id, exec.pod
                    ),
                ),
                _ => {}
            }
        }
        let actions = step.action.iter().chain(&step.actions);
        for action in actions {
            if let Action::Request(request) = action
                && !only_reads(&request.method, &request.path)
            {
                say(
                    id,
                    &["method:"],
                    format!(
                        "step {}: a request action may only read (GET, HEAD, or POST to a review API), \
                         not {} {}: the learner makes changes themselves, from the editor or kubectl",
                        step.id, request.method, request.path
                    ),
                );
            }
        }
    }
    if let Some((path, key)) = control_character(raw) {
        // A raw control byte is pointed at exactly; an escaped one (`"\e"`)
        // at its field.
        let raw_byte = raw.chars().find(|c| has_control(&c.to_string()));
        let near = raw_byte
            .map(String::from)
            .into_iter()
            .chain([format!("{key}:")]);
        found.push(Finding {
            step: None,
            near: near.collect(),
            message: format!(
                "{path} holds a control character (a terminal escape); lesson text may not"
            ),
        });
    }
    found
}

/// The first string in the lesson's YAML holding a control character other
/// than newline and tab (an escape sequence written `"\e[2J"` or `\x1b`):
/// where in the lesson, and the key that holds it.
fn control_character(raw: &str) -> Option<(String, String)> {
    let documents = crate::yaml::documents(raw).ok()?;
    let mut stack: Vec<(String, String, &serde_json::Value)> = documents
        .iter()
        .map(|d| (String::from("lesson"), String::from("id"), d))
        .collect();
    while let Some((path, key, value)) = stack.pop() {
        match value {
            serde_json::Value::String(text) if has_control(text) => return Some((path, key)),
            serde_json::Value::Array(items) => stack.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("{path}[{i}]"), key.clone(), v)),
            ),
            serde_json::Value::Object(fields) => {
                for (name, v) in fields {
                    if has_control(name) {
                        return Some((format!("{path}: a key"), key));
                    }
                    stack.push((format!("{path}.{name}"), name.clone(), v));
                }
            }
            _ => {}
        }
    }
    None
}

/// `text` safe to print on a terminal: every control character but newline
/// and tab shown as its escape (`\u{1b}`), so a name, a message or an
/// answer from the cluster or an attendee cannot move the cursor, retitle
/// the window or clear the screen.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect::<String>()
        .into()
}

/// A character a terminal may act on: C0 controls (but newline, tab and
/// carriage return), DEL and the C1 controls.
pub fn has_control(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_gets_heads_and_reviews() {
        assert!(only_reads("GET", "/api/v1/namespaces/x/pods"));
        assert!(only_reads("HEAD", "/api"));
        assert!(only_reads(
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
        ));
        assert!(!only_reads("POST", "/api/v1/namespaces/x/pods"));
        assert!(!only_reads("DELETE", "/api/v1/namespaces/x"));
        assert!(!only_reads("PATCH", "/api/v1/namespaces/x"));
        assert!(!only_reads("PUT", "/api/v1/namespaces/x/pods/p"));
    }

    #[test]
    fn printable_text_shows_escapes_instead_of_sending_them() {
        assert_eq!(printable("plain ✓\nnext"), "plain ✓\nnext");
        let shown = printable("pod\u{1b}]0;pwned\u{7}\u{1b}[2J\r");
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert!(shown.contains("\\u{1b}]0;pwned"), "{shown}");
    }

    #[test]
    fn escapes_are_control_characters_and_text_is_not() {
        assert!(has_control("demo\u{1b}[2J"));
        assert!(has_control("\u{9b}31m"));
        assert!(has_control("bell\u{7}"));
        assert!(!has_control("line\nnext\tcolumn — ✓ ümlaut"));
        assert!(control_character("title: \"a\\e[2Jb\"\n").is_some());
        assert!(control_character("title: plain\n").is_none());
    }
}
