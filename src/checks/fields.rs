//! Field operators: what a `field` check, a count's `where` and `any` test on
//! the value at a path. Each returns the sentence a learner reads, whether
//! the test holds (Ok) or not (Err).

use serde_json::Value;

use crate::lesson::model::{ConditionTest, FieldTest};
use crate::syntax::path;
use crate::syntax::pattern::compile;
use crate::tree::{self, Tree};

/// Tests `value` (the object, or a list element for `any`) against `test`.
/// `what` names the value in sentences ("Deployment web: spec.replicas").
pub fn test(value: &Tree, test: &FieldTest, what: &str) -> Result<String, String> {
    // A `condition` with no path reads `status.conditions`, wherever the
    // test is written (a field check, a count's `where`).
    let path = if test.path.is_empty() && test.condition.is_some() {
        "status.conditions"
    } else {
        test.path.as_str()
    };
    let test = &FieldTest {
        path: path.to_string(),
        ..test.clone()
    };
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
    if let Some(wanted) = test.absent_or_false {
        let is = actual.is_none_or(|v| v.is_null() || *v == false);
        match (is, wanted) {
            (true, true) => return Ok(format!("{what} is not true")),
            (false, true) => {
                return Err(format!(
                    "{what} is {}, expected unset or false",
                    short(actual.unwrap_or(&tree::NULL))
                ));
            }
            (true, false) => return Err(format!("{what} is unset or false")),
            (false, false) => {}
        }
    }
    if let Some(wanted) = test.absent_or_empty {
        let is = actual.is_none_or(is_empty);
        match (is, wanted) {
            (true, true) => return Ok(format!("{what} is empty")),
            (false, true) => {
                return Err(format!(
                    "{what} is {}, expected nothing",
                    short(actual.unwrap_or(&tree::NULL))
                ));
            }
            (true, false) => return Err(format!("{what} is empty")),
            (false, false) => {}
        }
    }
    if let Some(tests) = &test.any_of {
        let mut failures = Vec::new();
        for alternative in tests {
            match self::test(value_at_path(value, &test.path), alternative, &what) {
                Ok(message) => return Ok(message),
                Err(why) => failures.push(why),
            }
        }
        return Err(failures.join("; and "));
    }
    if let Some(wanted) = test.exists {
        match (actual.filter(|v| !v.is_null()), wanted) {
            (Some(v), false) => return Err(format!("{what} is set ({})", short(v))),
            (None, true) => return Err(format!("{what} is not set")),
            (None, false) => return Ok(format!("{what} is not set")),
            (Some(_), true) => {}
        }
    }
    let Some(actual) = actual.filter(|v| !v.is_null()) else {
        if test.all.is_some() {
            return Ok(format!("{what} is empty"));
        }
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
        let text = actual.display();
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
        let text = actual.display();
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
    if let Some(inner) = &test.all {
        let Some(items) = actual.as_array() else {
            return Err(format!("{what} is {}, not a list", short(actual)));
        };
        for item in items {
            self::test(item, inner, &format!("{what}[*]"))
                .map_err(|why| format!("not every element of {what} fits: {why}"))?;
        }
        return Ok(format!("every element of {what} fits"));
    }
    if let Some(condition) = &test.condition {
        return self::condition(actual, condition, &what);
    }
    Ok(format!("{what} is {}", short(actual)))
}

/// A test in a few words, for a count's sentence: `metadata.ownerReferences
/// empty`, `status.phase = Failed`.
pub fn describe(test: &FieldTest) -> String {
    let at = if test.path.is_empty() {
        "it".to_string()
    } else {
        test.path.clone()
    };
    let mut parts = Vec::new();
    match test.exists {
        Some(true) => parts.push(format!("{at} set")),
        Some(false) => parts.push(format!("{at} not set")),
        None => {}
    }
    if let Some(value) = &test.equals {
        parts.push(format!("{at} = {}", path::display(value)));
    }
    if let Some(text) = &test.contains {
        parts.push(format!("{at} contains {text:?}"));
    }
    if let Some(n) = test.at_least {
        parts.push(format!("{at} ≥ {n}"));
    }
    if let Some(n) = test.at_most {
        parts.push(format!("{at} ≤ {n}"));
    }
    if let Some(pattern) = &test.matches {
        parts.push(format!("{at} matching /{pattern}/"));
    }
    match test.absent_or_false {
        Some(true) => parts.push(format!("{at} unset or false")),
        Some(false) => parts.push(format!("{at} true")),
        None => {}
    }
    match test.absent_or_empty {
        Some(true) => parts.push(format!("{at} empty")),
        Some(false) => parts.push(format!("{at} not empty")),
        None => {}
    }
    if let Some(inner) = &test.any {
        parts.push(format!("some {at} with {}", describe(inner)));
    }
    if let Some(inner) = &test.all {
        parts.push(format!("every {at} with {}", describe(inner)));
    }
    if let Some(alternatives) = &test.any_of {
        let each: Vec<String> = alternatives.iter().map(describe).collect();
        parts.push(format!("{at}: {}", each.join(" or ")));
    }
    if let Some(condition) = &test.condition {
        let status = condition.status.as_deref().unwrap_or("True");
        let reason = condition
            .reason
            .as_ref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        parts.push(format!("{} {status}{reason}", condition.type_));
    }
    parts.join(", ")
}

/// `anyOf` alternatives read paths relative to the value at the test's own
/// path (an empty path: the value itself).
fn value_at_path<'v>(value: &'v Tree, at: &str) -> &'v Tree {
    if at.is_empty() {
        value
    } else {
        path::lookup(value, at).unwrap_or(&tree::NULL)
    }
}

/// Not set in any way that means something: null, "", [], {}.
fn is_empty(value: &Tree) -> bool {
    match value {
        Tree::Null => true,
        Tree::String(s) => s.is_empty(),
        Tree::Array(a) => a.is_empty(),
        Tree::Object(o) => o.is_empty(),
        Tree::Bool(_) | Tree::Number(_) => false,
    }
}

/// The condition of `wanted.type_` in a list of conditions.
fn condition(list: &Tree, wanted: &ConditionTest, what: &str) -> Result<String, String> {
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
fn number(value: &Tree) -> Option<f64> {
    value
        .as_f64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

/// YAML `443` and JSON `"443"` are different values, but a lesson author who
/// writes `equals: 443` for an int-or-string field means the same thing.
pub fn loosely_equal(actual: &Tree, expected: &Value) -> bool {
    actual == expected || actual.display() == path::display(expected)
}

fn short(value: &Tree) -> String {
    shorten(&value.display())
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(yaml: &str) -> FieldTest {
        crate::yaml::from_str(yaml).unwrap()
    }

    fn deployment() -> Tree {
        json!({"kind": "Deployment", "metadata": {"name": "web",
                 "labels": {"app.kubernetes.io/name": "web"},
                 "annotations": {"deployment.kubernetes.io/revision": "3"}},
               "spec": {"replicas": 3, "template": {"spec": {"containers": [
                   {"name": "web", "image": "nginx:1.27"},
                   {"name": "log", "image": "busybox:1.36"}]}}},
               "status": {"readyReplicas": 2, "conditions": [
                   {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
                   {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}})
        .into()
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

    fn pod() -> Tree {
        json!({"kind": "Pod", "spec": {"containers": [
            {"name": "app", "securityContext": {"privileged": false, "capabilities": {"add": []}}},
            {"name": "log", "securityContext": {"runAsNonRoot": true}}]}})
        .into()
    }

    #[test]
    fn absent_or_false_takes_false_written_out_as_left_out() {
        let pod = pod();
        let ok = |yaml: &str| test(&pod, &t(yaml), "Pod tool").is_ok();
        assert!(ok(
            "{path: 'spec.containers[0].securityContext.privileged', absentOrFalse: true}"
        ));
        assert!(ok(
            "{path: 'spec.containers[1].securityContext.privileged', absentOrFalse: true}"
        ));
        let privileged = Tree::from(
            json!({"spec": {"containers": [{"securityContext": {"privileged": true}}]}}),
        );
        let why = test(
            &privileged,
            &t("{path: 'spec.containers[0].securityContext.privileged', absentOrFalse: true}"),
            "Pod tool",
        )
        .unwrap_err();
        assert!(why.contains("is true, expected unset or false"), "{why}");
        assert!(ok(
            "{path: 'spec.containers[0].securityContext.capabilities.add', absentOrEmpty: true}"
        ));
        assert!(ok(
            "{path: 'spec.containers[1].securityContext.capabilities.add', absentOrEmpty: true}"
        ));
        assert!(!ok(
            "{path: 'spec.containers[1].securityContext', absentOrEmpty: true}"
        ));
    }

    #[test]
    fn all_elements_and_one_of_several_tests() {
        let pod = pod();
        let ok = |yaml: &str| test(&pod, &t(yaml), "Pod tool");
        assert!(ok("{path: spec.containers, all: {path: securityContext.privileged, absentOrFalse: true}}").is_ok());
        let why =
            ok("{path: spec.containers, all: {path: securityContext.runAsNonRoot, equals: true}}")
                .unwrap_err();
        assert!(why.starts_with("not every element"), "{why}");
        assert!(
            ok("{path: spec.volumes, all: {path: hostPath, exists: false}}").is_ok(),
            "an absent list"
        );
        let quota = Tree::from(json!({"status": {"hard": {"cpu": "500m", "pods": "3"}}}));
        let alias = t(
            "{path: status.hard, anyOf: [{path: requests.cpu, exists: true}, {path: cpu, exists: true}]}",
        );
        assert!(test(&quota, &alias, "ResourceQuota q").is_ok());
        let none = Tree::from(json!({"status": {"hard": {"pods": "3"}}}));
        let why = test(&none, &alias, "ResourceQuota q").unwrap_err();
        assert!(
            why.contains("requests.cpu is not set") && why.contains("cpu is not set"),
            "{why}"
        );
    }
}
