//! Objects chosen by label selector, owner and field tests (`count` /
//! `select`), and Events about an object (`events`): pure functions over a
//! snapshot.

use serde_json::Value;

use super::fields;
use super::outcome::Outcome;
use super::snapshot::{Snapshot, name_of};
use crate::lesson::model::{CountCheck, EventsCheck, OwnerTest};

/// One requirement of a label selector, as `kubectl -l` takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl Requirement {
    fn holds(&self, labels: &Value) -> bool {
        let label = |key: &str| labels[key].as_str();
        match self {
            Requirement::Equals(k, v) => label(k) == Some(v),
            Requirement::NotEquals(k, v) => label(k) != Some(v),
            Requirement::In(k, vs) => label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            Requirement::NotIn(k, vs) => label(k).is_none_or(|l| !vs.iter().any(|v| v == l)),
            Requirement::Exists(k) => label(k).is_some(),
            Requirement::DoesNotExist(k) => label(k).is_none(),
        }
    }
}

/// Parses `app=web,tier!=db,env in (a,b),env notin (c),key,!legacy`.
pub fn parse_selector(text: &str) -> Result<Vec<Requirement>, String> {
    let mut requirements = Vec::new();
    for part in split_top_level(text) {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("empty requirement in selector {text:?}"));
        }
        let requirement = if let Some(key) = part.strip_prefix('!') {
            Requirement::DoesNotExist(key.trim().to_string())
        } else if let Some((key, values)) = split_set(part, " notin ") {
            Requirement::NotIn(key, values?)
        } else if let Some((key, values)) = split_set(part, " in ") {
            Requirement::In(key, values?)
        } else if let Some((key, value)) = part.split_once("!=") {
            Requirement::NotEquals(key.trim().into(), value.trim().into())
        } else if let Some((key, value)) = part.split_once("==").or_else(|| part.split_once('=')) {
            Requirement::Equals(key.trim().into(), value.trim().into())
        } else {
            Requirement::Exists(part.to_string())
        };
        let key = match &requirement {
            Requirement::Equals(k, _)
            | Requirement::NotEquals(k, _)
            | Requirement::In(k, _)
            | Requirement::NotIn(k, _)
            | Requirement::Exists(k)
            | Requirement::DoesNotExist(k) => k,
        };
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(format!(
                "{part:?} in selector {text:?} has no valid label key"
            ));
        }
        requirements.push(requirement);
    }
    Ok(requirements)
}

/// Splits on commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

type SetRequirement = (String, Result<Vec<String>, String>);

fn split_set(part: &str, operator: &str) -> Option<SetRequirement> {
    let (key, rest) = part.split_once(operator)?;
    let rest = rest.trim();
    let values = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .map(|inner| inner.split(',').map(|v| v.trim().to_string()).collect())
        .ok_or_else(|| {
            format!(
                "{part:?}: the values after `{}` go in parentheses",
                operator.trim()
            )
        });
    Some((key.trim().to_string(), values))
}

fn owned_by(object: &Value, owner: &OwnerTest) -> bool {
    object["metadata"]["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|o| {
            o["kind"] == owner.kind.as_str() && owner.name.as_deref().is_none_or(|n| o["name"] == n)
        })
}

/// How `count` reads: "3 Pods with app=web owned by a ReplicaSet".
fn describe(c: &CountCheck, n: usize) -> String {
    let kind = if n == 1 {
        c.kind.clone()
    } else {
        crate::engine::scope::plural(&c.kind)
    };
    let mut text = format!("{n} {kind}");
    if let Some(selector) = &c.selector {
        text.push_str(&format!(" with {selector}"));
    }
    if let Some(owner) = &c.owner {
        match &owner.name {
            Some(name) => text.push_str(&format!(" owned by {} {name}", owner.kind)),
            None => text.push_str(&format!(" owned by a {}", owner.kind)),
        }
    }
    text
}

/// Objects of the kind in `ns` that meet the selector, owner and `where` tests.
pub fn count(c: &CountCheck, snapshot: &Snapshot, ns: &str) -> Outcome {
    let selector = match c.selector.as_deref().map(parse_selector).transpose() {
        Ok(selector) => selector.unwrap_or_default(),
        Err(e) => return Outcome::fail(e),
    };
    let mut near_miss = None;
    let matching = snapshot
        .in_namespace(&c.kind, ns)
        .filter(|o| o["metadata"]["deletionTimestamp"].is_null())
        .filter(|o| selector.iter().all(|r| r.holds(&o["metadata"]["labels"])))
        .filter(|o| c.owner.as_ref().is_none_or(|owner| owned_by(o, owner)))
        .filter(|o| {
            let what = format!("{} {}", c.kind, name_of(o));
            c.where_
                .iter()
                .map(|t| fields::test(o, t, &what))
                .find_map(Result::err)
                .map(|why| near_miss = Some(why))
                .is_none()
        })
        .count();
    let found = describe(c, matching);
    let place = if ns.is_empty() {
        String::new()
    } else {
        format!(" in {ns}")
    };
    let mut wanted = Vec::new();
    if let Some(n) = c.exactly
        && matching != n
    {
        wanted.push(format!("exactly {n}"));
    }
    if let Some(n) = c.at_least
        && matching < n
    {
        wanted.push(format!("at least {n}"));
    }
    if let Some(n) = c.at_most
        && matching > n
    {
        wanted.push(format!("at most {n}"));
    }
    if wanted.is_empty() {
        Outcome::pass(format!("{found}{place}"))
    } else {
        let because = near_miss.map(|w| format!("; {w}")).unwrap_or_default();
        Outcome::fail(format!(
            "{found}{place}, expected {}{because}",
            wanted.join(" and ")
        ))
    }
}

/// An Event in `ns` about the object, with the reason, type and message asked for.
pub fn events(c: &EventsCheck, snapshot: &Snapshot, ns: &str) -> Outcome {
    let message = match c.message.as_deref().map(fields::compile).transpose() {
        Ok(message) => message,
        Err(e) => return Outcome::fail(e),
    };
    let about = |e: &&Value| {
        let involved = &e["involvedObject"];
        involved["kind"] == c.kind.as_str()
            && c.name.as_deref().is_none_or(|n| involved["name"] == n)
    };
    let object = match &c.name {
        Some(name) => format!("{} {name}", c.kind),
        None => format!("any {}", c.kind),
    };
    let mut seen = Vec::new();
    for event in snapshot.in_namespace("Event", ns).filter(about) {
        let reason = event["reason"].as_str().unwrap_or_default();
        let text = event["message"].as_str().unwrap_or_default();
        let fits = c.reason.as_deref().is_none_or(|r| r == reason)
            && c.type_.as_deref().is_none_or(|t| event["type"] == t)
            && message.as_ref().is_none_or(|m| m.is_match(text));
        if fits {
            return Outcome::pass(format!("Event on {object}: {reason}: {text}"));
        }
        seen.push(reason.to_string());
    }
    let wanted = c
        .reason
        .as_deref()
        .or(c.message.as_deref())
        .unwrap_or("any");
    if seen.is_empty() {
        Outcome::fail(format!(
            "No Event about {object} yet (waiting for {wanted})"
        ))
    } else {
        seen.dedup();
        Outcome::fail(format!(
            "Events about {object}: {}; none is {wanted} yet",
            seen.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn count_check(yaml: &str) -> CountCheck {
        crate::yaml::from_str(yaml).unwrap()
    }

    fn pod(name: &str, labels: Value, owner: Option<(&str, &str)>, phase: &str) -> Value {
        let owners = owner.map(|(k, n)| json!([{"kind": k, "name": n}]));
        json!({"kind": "Pod", "metadata": {"name": name, "namespace": "lab", "labels": labels,
               "ownerReferences": owners}, "status": {"phase": phase}})
    }

    fn pods() -> Snapshot {
        Snapshot::new()
            .with(pod(
                "web-1",
                json!({"app": "web", "tier": "front"}),
                Some(("ReplicaSet", "web-7d")),
                "Running",
            ))
            .with(pod(
                "web-2",
                json!({"app": "web", "tier": "front"}),
                Some(("ReplicaSet", "web-7d")),
                "Pending",
            ))
            .with(pod(
                "db-1",
                json!({"app": "db"}),
                Some(("StatefulSet", "db")),
                "Running",
            ))
            .with(pod(
                "loose",
                json!({"app": "web", "legacy": "yes"}),
                None,
                "Running",
            ))
            .with(
                json!({"kind": "Pod", "metadata": {"name": "other-ns", "namespace": "b",
                          "labels": {"app": "web"}}}),
            )
    }

    #[test]
    fn selectors_parse_like_kubectl() {
        let r =
            parse_selector("app=web, tier!=db,env in (a, b),env notin (c),key,!legacy").unwrap();
        assert_eq!(
            r,
            vec![
                Requirement::Equals("app".into(), "web".into()),
                Requirement::NotEquals("tier".into(), "db".into()),
                Requirement::In("env".into(), vec!["a".into(), "b".into()]),
                Requirement::NotIn("env".into(), vec!["c".into()]),
                Requirement::Exists("key".into()),
                Requirement::DoesNotExist("legacy".into()),
            ]
        );
        assert!(parse_selector("app=web,,x").is_err());
        assert!(
            parse_selector("env in a,b")
                .unwrap_err()
                .contains("parentheses")
        );
    }

    #[test]
    fn count_by_selector_exactly_and_at_least() {
        let s = pods();
        let c = count_check("{kind: Pod, selector: app=web, exactly: 3}");
        assert_eq!(
            count(&c, &s, "lab"),
            Outcome::pass("3 Pods with app=web in lab")
        );
        let c = count_check("{kind: Pod, selector: 'app=web,!legacy', atLeast: 3}");
        assert_eq!(
            count(&c, &s, "lab"),
            Outcome::fail("2 Pods with app=web,!legacy in lab, expected at least 3")
        );
        let c = count_check("{kind: Pod, selector: 'app in (web, db)', atMost: 3}");
        assert!(!count(&c, &s, "lab").passed, "4 > 3");
        let c = count_check("{kind: Pod, selector: app=cache, exactly: 0}");
        assert!(count(&c, &s, "lab").passed, "none is a count too");
    }

    #[test]
    fn count_by_owner_and_field_tests() {
        let s = pods();
        let c = count_check("{kind: Pod, owner: {kind: ReplicaSet}, exactly: 2}");
        assert!(count(&c, &s, "lab").passed);
        let c = count_check("{kind: Pod, owner: {kind: ReplicaSet, name: web-9x}, atLeast: 1}");
        assert_eq!(
            count(&c, &s, "lab").message,
            "0 Pods owned by ReplicaSet web-9x in lab, expected at least 1"
        );
        let c = count_check(
            "{kind: Pod, owner: {kind: ReplicaSet}, where: [{path: status.phase, equals: Running}], atLeast: 2}",
        );
        let outcome = count(&c, &s, "lab");
        assert!(
            !outcome.passed
                && outcome
                    .message
                    .contains("Pod web-2: status.phase is Pending, expected Running"),
            "{outcome:?}"
        );
    }

    #[test]
    fn select_is_another_name_for_count() {
        let check: crate::lesson::model::Check =
            crate::yaml::from_str("select: {kind: Pod, selector: app=db, exactly: 1}").unwrap();
        assert!(matches!(check, crate::lesson::model::Check::Count(_)));
        assert!(
            super::super::local::evaluate(&check, &pods(), "lab")
                .unwrap()
                .passed
        );
    }

    fn event(object: (&str, &str), reason: &str, type_: &str, message: &str) -> Value {
        json!({"kind": "Event", "metadata": {"name": format!("{}.{reason}", object.1), "namespace": "lab"},
               "involvedObject": {"kind": object.0, "name": object.1},
               "reason": reason, "type": type_, "message": message})
    }

    #[test]
    fn events_by_object_reason_type_and_message() {
        let s = Snapshot::new()
            .with(event(
                ("Job", "pi"),
                "SuccessfulCreate",
                "Normal",
                "Created pod: pi-abcde",
            ))
            .with(event(
                ("Job", "pi"),
                "BackoffLimitExceeded",
                "Warning",
                "Job has reached the specified backoff limit",
            ));
        let c: EventsCheck = crate::yaml::from_str(
            "{kind: Job, name: pi, reason: BackoffLimitExceeded, type: Warning}",
        )
        .unwrap();
        assert!(events(&c, &s, "lab").passed);
        let c: EventsCheck =
            crate::yaml::from_str("{kind: Job, message: 'Created pod: pi-'}").unwrap();
        assert!(events(&c, &s, "lab").passed);
        let c: EventsCheck =
            crate::yaml::from_str("{kind: Job, name: pi, reason: Completed}").unwrap();
        assert_eq!(
            events(&c, &s, "lab").message,
            "Events about Job pi: BackoffLimitExceeded, SuccessfulCreate; none is Completed yet"
        );
        let c: EventsCheck =
            crate::yaml::from_str("{kind: Job, name: other, reason: Completed}").unwrap();
        assert_eq!(
            events(&c, &s, "lab"),
            Outcome::fail("No Event about Job other yet (waiting for Completed)")
        );
        assert!(
            !events(&c, &s, "b").passed,
            "Events of another namespace do not count"
        );
    }
}
