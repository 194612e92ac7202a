//! Objects chosen by label selector, owner and field tests (`count` /
//! `select`), and Events about an object (`events`): pure functions over a
//! snapshot.

use crate::tree::Tree;

use super::fields;
use super::outcome::Outcome;
use super::snapshot::{Snapshot, name_of};
use crate::lesson::model::{CountCheck, EventsCheck, OwnerTest};
pub use crate::syntax::selector::{Requirement, parse_selector};

fn owned_by(object: &Tree, owner: &OwnerTest) -> bool {
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
        crate::k8s_names::plural(&c.kind)
    };
    let mut text = if c.newest {
        format!("{n} newest {kind}")
    } else {
        format!("{n} {kind}")
    };
    if let Some(selector) = &c.selector {
        text.push_str(&format!(" with {selector}"));
    }
    if let Some(by) = &c.selected_by {
        text.push_str(&format!(" selected by {} {}", by.kind, by.name));
    }
    if let Some(owner) = &c.owner {
        match &owner.name {
            Some(name) => text.push_str(&format!(" owned by {} {name}", owner.kind)),
            None => text.push_str(&format!(" owned by a {}", owner.kind)),
        }
    }
    if !c.where_.is_empty() {
        let tests: Vec<String> = c.where_.iter().map(fields::describe).collect();
        text.push_str(&format!(" where {}", tests.join(" and ")));
    }
    text
}

/// The requirements of an object's label selector: a Service's
/// `spec.selector` (a map), or a workload's `spec.selector` (`matchLabels`
/// and `matchExpressions`). None when the object has no selector at all; an
/// empty one is an empty list (for a workload, it selects everything).
pub fn selector_of(object: &Tree) -> Option<Vec<Requirement>> {
    let selector = &object["spec"]["selector"];
    let labels = |map: &Tree| -> Vec<Requirement> {
        map.as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| Requirement::Equals(k.into(), v.as_str().unwrap_or_default().into()))
            .collect()
    };
    if object["kind"] == "Service" {
        // A Service without a selector selects no Pod (its endpoints are
        // managed by hand): never "everything".
        return selector
            .as_object()
            .filter(|m| !m.is_empty())
            .map(|_| labels(selector));
    }
    if selector.is_null() {
        return None;
    }
    let mut requirements = labels(&selector["matchLabels"]);
    for expression in selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let key = expression["key"].as_str().unwrap_or_default().to_string();
        let values: Vec<String> = expression["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        requirements.push(match expression["operator"].as_str().unwrap_or_default() {
            "In" => Requirement::In(key, values),
            "NotIn" => Requirement::NotIn(key, values),
            "Exists" => Requirement::Exists(key),
            _ => Requirement::DoesNotExist(key),
        });
    }
    Some(requirements)
}

/// Objects of the kind in `ns` that meet the selector, owner and `where` tests.
pub fn count(c: &CountCheck, snapshot: &Snapshot, ns: &str) -> Outcome {
    let selector = match c.selector.as_deref().map(parse_selector).transpose() {
        Ok(selector) => selector.unwrap_or_default(),
        Err(e) => return Outcome::fail(e),
    };
    let selected_by = match &c.selected_by {
        None => None,
        Some(by) => match snapshot.get(&by.kind, ns, &by.name) {
            None => return Outcome::fail(format!("No {} named {} in {ns} yet", by.kind, by.name)),
            Some(object) => match selector_of(object) {
                Some(requirements) => Some(requirements),
                None => {
                    return Outcome::fail(format!(
                        "{} {} has no selector: it selects no {}",
                        by.kind,
                        by.name,
                        crate::k8s_names::plural(&c.kind)
                    ));
                }
            },
        },
    };
    let mut near_miss = None;
    let mut candidates: Vec<&Tree> = snapshot
        .in_namespace(&c.kind, ns)
        .filter(|o| o["metadata"]["deletionTimestamp"].is_null())
        .filter(|o| selector.iter().all(|r| r.holds(&o["metadata"]["labels"])))
        .filter(|o| {
            selected_by
                .as_ref()
                .is_none_or(|by| by.iter().all(|r| r.holds(&o["metadata"]["labels"])))
        })
        .filter(|o| c.owner.as_ref().is_none_or(|owner| owned_by(o, owner)))
        .collect();
    if c.newest {
        // RFC 3339 timestamps in UTC sort as text, to the second: two made
        // in the same second are told apart by a Deployment's revision
        // number when they have one, then by name.
        candidates = candidates
            .into_iter()
            .max_by_key(|o| {
                (
                    o["metadata"]["creationTimestamp"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    o["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                        .as_str()
                        .and_then(|r| r.parse::<u64>().ok())
                        .unwrap_or(0),
                    name_of(o).to_string(),
                )
            })
            .into_iter()
            .collect();
    }
    let matching = candidates
        .into_iter()
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
        // Why an object did not count helps only when too few do.
        let too_few =
            c.exactly.is_some_and(|n| matching < n) || c.at_least.is_some_and(|n| matching < n);
        let because = near_miss
            .filter(|_| too_few)
            .map(|w| format!("; {w}"))
            .unwrap_or_default();
        Outcome::fail(format!(
            "{found}{place}, expected {}{because}",
            wanted.join(" and ")
        ))
    }
}

/// An Event in `ns` about the object, with the reason, type and message asked for.
pub fn events(c: &EventsCheck, snapshot: &Snapshot, ns: &str) -> Outcome {
    let message = match c
        .message
        .as_deref()
        .map(crate::syntax::pattern::compile)
        .transpose()
    {
        Ok(message) => message,
        Err(e) => return Outcome::fail(e),
    };
    let about = |e: &&Tree| {
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

    fn pod(
        name: &str,
        labels: serde_json::Value,
        owner: Option<(&str, &str)>,
        phase: &str,
    ) -> serde_json::Value {
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
    fn selected_by_reads_the_selector_of_a_service_or_a_workload() {
        let snapshot = pods()
            .with(
                json!({"kind": "Service", "metadata": {"name": "web", "namespace": "lab"},
                         "spec": {"selector": {"app": "web", "tier": "front"}}}),
            )
            .with(
                json!({"kind": "Service", "metadata": {"name": "loose", "namespace": "lab"},
                         "spec": {"selector": {"app": "web"}}}),
            )
            .with(
                json!({"kind": "Service", "metadata": {"name": "manual", "namespace": "lab"},
                         "spec": {"ports": [{"port": 80}]}}),
            )
            .with(
                json!({"kind": "ReplicaSet", "metadata": {"name": "api", "namespace": "lab"},
                         "spec": {"selector": {"matchLabels": {"app": "web"},
                           "matchExpressions": [{"key": "legacy", "operator": "DoesNotExist"}]}}}),
            );
        let n = |yaml: &str| count(&count_check(yaml), &snapshot, "lab");
        assert!(n("{kind: Pod, selectedBy: {kind: Service, name: web}, exactly: 2}").passed);
        let loose = n("{kind: Pod, selectedBy: {kind: Service, name: loose}, exactly: 2}");
        assert!(!loose.passed);
        assert!(
            loose.message.contains("3 Pods selected by Service loose"),
            "{}",
            loose.message
        );
        assert!(n("{kind: Pod, selectedBy: {kind: ReplicaSet, name: api}, exactly: 2}").passed);
        let manual = n("{kind: Pod, selectedBy: {kind: Service, name: manual}, exactly: 0}");
        assert!(
            manual.message.contains("has no selector"),
            "{}",
            manual.message
        );
        let missing = n("{kind: Pod, selectedBy: {kind: Service, name: nope}, atLeast: 1}");
        assert!(
            missing.message.contains("No Service named nope"),
            "{}",
            missing.message
        );
    }

    #[test]
    fn newest_counts_only_the_latest_attempt() {
        let rs = |name: &str, created: &str, selector: serde_json::Value| {
            json!({"kind": "ReplicaSet", "metadata": {"name": name, "namespace": "lab",
                   "creationTimestamp": created, "ownerReferences": [{"kind": "Deployment", "name": "web"}]},
                   "spec": {"template": {"spec": {"nodeSelector": selector}}}})
        };
        let snapshot = Snapshot::new()
            .with(rs("web-1", "2026-12-04T10:00:00Z", serde_json::Value::Null))
            .with(rs(
                "web-2",
                "2026-12-04T10:05:00Z",
                json!({"disktype": "ssd"}),
            ))
            .with(rs("web-3", "2026-12-04T10:09:00Z", json!({"zone": "moon"})));
        let stuck = count_check(
            "{kind: ReplicaSet, owner: {kind: Deployment, name: web}, newest: true,
              where: [{path: spec.template.spec.nodeSelector, absentOrEmpty: false}], exactly: 1}",
        );
        let outcome = count(&stuck, &snapshot, "lab");
        assert!(outcome.passed, "{}", outcome.message);
        assert!(
            outcome.message.starts_with("1 newest ReplicaSet"),
            "{}",
            outcome.message
        );
        let fixed = snapshot.with(rs("web-4", "2026-12-04T10:12:00Z", serde_json::Value::Null));
        assert!(!count(&stuck, &fixed, "lab").passed);
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

    fn event(object: (&str, &str), reason: &str, type_: &str, message: &str) -> serde_json::Value {
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
