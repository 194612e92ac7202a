//! Field operators: what a `field` check, a count's `where` and `any` test on
//! the value at a path. Each returns the sentence a learner reads, whether
//! the test holds (Ok) or not (Err).

use regex::Regex;
use serde_json::Value;

use super::path;
use crate::lesson::model::{ConditionTest, FieldTest};

/// Tests `value` (the object, or a list element for `any`) against `test`.
/// `what` names the value in sentences ("Deployment web: spec.replicas").
pub fn test(value: &Value, test: &FieldTest, what: &str) -> Result<String, String> {
    let actual = if test.path.is_empty() {
        Some(value)
    } else {
        path::lookup(value, &test.path)
    };
    let what = if test.path.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {}", test.path)
    };
    if let Some(wanted) = test.exists {
        match (actual.filter(|v| !v.is_null()), wanted) {
            (Some(v), false) => return Err(format!("{what} is set ({})", short(v))),
            (None, true) => return Err(format!("{what} is not set")),
            (None, false) => return Ok(format!("{what} is not set")),
            (Some(_), true) => {}
        }
    }
    let Some(actual) = actual.filter(|v| !v.is_null()) else {
        return Err(format!("{what} is not set"));
    };
    if let Some(expected) = &test.equals
        && !loosely_equal(actual, expected)
    {
        return Err(format!(
            "{what} is {}, expected {}",
            short(actual),
            path::display(expected)
        ));
    }
    if let Some(needle) = &test.contains {
        let text = path::display(actual);
        if !text.contains(needle.as_str()) {
            return Err(format!(
                "{what} is {:?}, which does not contain {needle:?}",
                shorten(&text)
            ));
        }
    }
    if test.at_least.is_some() || test.at_most.is_some() {
        let Some(number) = number(actual) else {
            return Err(format!("{what} is {}, not a number", short(actual)));
        };
        if let Some(min) = test.at_least
            && number < min
        {
            return Err(format!("{what} is {number}, expected at least {min}"));
        }
        if let Some(max) = test.at_most
            && number > max
        {
            return Err(format!("{what} is {number}, expected at most {max}"));
        }
    }
    if let Some(pattern) = &test.matches {
        let regex = compile(pattern).map_err(|e| format!("{what}: {e}"))?;
        let text = path::display(actual);
        if !regex.is_match(&text) {
            return Err(format!(
                "{what} is {:?}, which does not match /{pattern}/",
                shorten(&text)
            ));
        }
    }
    if let Some(inner) = &test.any {
        let Some(items) = actual.as_array() else {
            return Err(format!("{what} is {}, not a list", short(actual)));
        };
        let mut last = None;
        for item in items {
            match self::test(item, inner, &format!("{what}[*]")) {
                Ok(message) => return Ok(message),
                Err(why) => last = Some(why),
            }
        }
        return Err(match last {
            None => format!("{what} is an empty list"),
            Some(why) => format!("no element of {what} fits ({why})"),
        });
    }
    if let Some(condition) = &test.condition {
        return self::condition(actual, condition, &what);
    }
    Ok(format!("{what} is {}", short(actual)))
}

/// The condition of `wanted.type_` in a list of conditions.
fn condition(list: &Value, wanted: &ConditionTest, what: &str) -> Result<String, String> {
    let Some(found) = list
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == wanted.type_.as_str())
    else {
        return Err(format!("{what} has no {} condition yet", wanted.type_));
    };
    let status = found["status"].as_str().unwrap_or("Unknown");
    let expected = wanted.status.as_deref().unwrap_or("True");
    let reason = found["reason"].as_str().unwrap_or("");
    let said = if reason.is_empty() {
        format!("{} is {status}", wanted.type_)
    } else {
        format!("{} is {status} ({reason})", wanted.type_)
    };
    if status != expected {
        return Err(format!("{what}: {said}, waiting for {expected}"));
    }
    if let Some(expected_reason) = &wanted.reason
        && reason != expected_reason
    {
        return Err(format!(
            "{what}: {said}, waiting for reason {expected_reason}"
        ));
    }
    Ok(format!("{what}: {said}"))
}

/// A number, or a string that is one ("3", "0.5").
fn number(value: &Value) -> Option<f64> {
    value
        .as_f64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

/// YAML `443` and JSON `"443"` are different values, but a lesson author who
/// writes `equals: 443` for an int-or-string field means the same thing.
pub fn loosely_equal(actual: &Value, expected: &Value) -> bool {
    actual == expected || path::display(actual) == path::display(expected)
}

/// Compiles a lesson's regular expression; the error says what is wrong.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| format!("{pattern:?} is not a regular expression: {e}"))
}

fn short(value: &Value) -> String {
    shorten(&path::display(value))
}

/// Whole objects in a sentence are unreadable: keep the start.
fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

/// Every regular expression and path in `test` (and nested `any`) is valid.
pub fn lint(test: &FieldTest) -> Vec<String> {
    let mut problems = Vec::new();
    if !test.path.is_empty()
        && let Err(e) = path::parse(&test.path)
    {
        problems.push(e);
    }
    if let Some(pattern) = &test.matches
        && let Err(e) = compile(pattern)
    {
        problems.push(e);
    }
    if test.has_no_operator() {
        problems.push(format!(
            "the test of {:?} has no operator: give exists, equals, contains, atLeast, atMost, \
             matches, any or condition",
            test.path
        ));
    }
    if let Some(inner) = &test.any {
        problems.extend(lint(inner));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(yaml: &str) -> FieldTest {
        crate::yaml::from_str(yaml).unwrap()
    }

    fn deployment() -> Value {
        json!({"kind": "Deployment", "metadata": {"name": "web",
                 "labels": {"app.kubernetes.io/name": "web"},
                 "annotations": {"deployment.kubernetes.io/revision": "3"}},
               "spec": {"replicas": 3, "template": {"spec": {"containers": [
                   {"name": "web", "image": "nginx:1.27"},
                   {"name": "log", "image": "busybox:1.36"}]}}},
               "status": {"readyReplicas": 2, "conditions": [
                   {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
                   {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}})
    }

    fn holds(yaml: &str) -> bool {
        test(&deployment(), &t(yaml), "Deployment web").is_ok()
    }

    fn why(yaml: &str) -> String {
        test(&deployment(), &t(yaml), "Deployment web").unwrap_err()
    }

    #[test]
    fn exists_tells_set_from_unset() {
        assert!(holds("{path: spec.replicas, exists: true}"));
        assert!(holds("{path: spec.paused, exists: false}"));
        assert_eq!(
            why("{path: spec.paused, exists: true}"),
            "Deployment web: spec.paused is not set"
        );
        assert_eq!(
            why("{path: spec.replicas, exists: false}"),
            "Deployment web: spec.replicas is set (3)"
        );
    }

    #[test]
    fn equals_is_loose_about_numbers_written_as_text() {
        assert!(holds("{path: spec.replicas, equals: 3}"));
        assert!(holds(
            "{path: 'metadata.annotations.deployment.kubernetes.io/revision', equals: 3}"
        ));
        assert_eq!(
            why("{path: spec.replicas, equals: 4}"),
            "Deployment web: spec.replicas is 3, expected 4"
        );
    }

    #[test]
    fn numbers_compare_at_least_and_at_most() {
        assert!(holds("{path: status.readyReplicas, atLeast: 2, atMost: 2}"));
        assert!(holds(
            "{path: 'metadata.annotations.deployment.kubernetes.io/revision', atLeast: 2}"
        ));
        assert_eq!(
            why("{path: status.readyReplicas, atLeast: 3}"),
            "Deployment web: status.readyReplicas is 2, expected at least 3"
        );
        assert_eq!(
            why("{path: spec.replicas, atMost: 1}"),
            "Deployment web: spec.replicas is 3, expected at most 1"
        );
        assert!(why("{path: metadata.name, atLeast: 1}").contains("not a number"));
    }

    #[test]
    fn matches_takes_a_regular_expression() {
        assert!(holds(
            r"{path: 'spec.template.spec.containers[0].image', matches: '^nginx:1\.\d+$'}"
        ));
        assert!(
            why("{path: 'spec.template.spec.containers[0].image', matches: '^httpd'}")
                .contains("does not match /^httpd/")
        );
        assert!(why("{path: metadata.name, matches: '('}").contains("not a regular expression"));
    }

    #[test]
    fn any_element_of_a_list() {
        assert!(holds(
            "{path: spec.template.spec.containers, any: {path: image, matches: '^busybox'}}"
        ));
        let message =
            why("{path: spec.template.spec.containers, any: {path: image, equals: redis}}");
        assert!(message.starts_with("no element of"), "{message}");
        assert!(why("{path: spec.replicas, any: {equals: 3}}").contains("not a list"));
    }

    #[test]
    fn condition_by_type_status_and_reason() {
        assert!(holds(
            "{path: status.conditions, condition: {type: Progressing}}"
        ));
        assert!(holds(
            "{path: status.conditions, condition: {type: Progressing, reason: NewReplicaSetAvailable}}"
        ));
        assert!(holds(
            "{path: status.conditions, condition: {type: Available, status: 'False'}}"
        ));
        assert_eq!(
            why("{path: status.conditions, condition: {type: Available}}"),
            "Deployment web: status.conditions: Available is False (MinimumReplicasUnavailable), waiting for True"
        );
        assert!(
            why("{path: status.conditions, condition: {type: ReplicaFailure}}")
                .contains("has no ReplicaFailure condition yet")
        );
        assert!(
            why("{path: status.conditions, condition: {type: Progressing, reason: ProgressDeadlineExceeded}}")
                .contains("waiting for reason ProgressDeadlineExceeded")
        );
    }

    #[test]
    fn lint_names_bad_patterns_paths_and_empty_tests() {
        assert_eq!(lint(&t("{path: a, matches: x}")), Vec::<String>::new());
        assert_eq!(lint(&t("{path: 'a[x]', matches: '('}")).len(), 2);
        assert!(lint(&t("{path: a}"))[0].contains("has no operator"));
        assert!(lint(&t("{path: a, any: {path: b}}"))[0].contains("has no operator"));
    }
}
