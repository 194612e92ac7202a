//! The cluster pane's content: the lesson's objects as a person reads them.

use ratatui::text::{Line, Span};
use serde_json::Value;

use super::theme;
use crate::checks::Snapshot;
use crate::checks::snapshot::name_of;

pub fn lines(snapshot: &Snapshot, namespace: &str) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut section = |title: String, items: Vec<Line<'static>>| {
        out.push(Line::from(Span::styled(title, theme::heading())));
        if items.is_empty() {
            out.push(Line::from(Span::styled("  (none)", theme::dim())));
        }
        out.extend(items);
    };

    let accounts: Vec<&str> = snapshot
        .in_namespace("ServiceAccount", namespace)
        .map(name_of)
        .collect();
    section(
        format!("ServiceAccounts in {namespace}"),
        if accounts.is_empty() {
            vec![]
        } else {
            vec![Line::from(format!("  {}", accounts.join(", ")))]
        },
    );

    section(
        "Roles".into(),
        snapshot
            .in_namespace("Role", namespace)
            .map(|role| Line::from(format!("  {}: {}", name_of(role), rules_summary(role))))
            .collect(),
    );

    section(
        "RoleBindings".into(),
        snapshot
            .in_namespace("RoleBinding", namespace)
            .map(|b| {
                let subjects: Vec<String> = b["subjects"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| {
                        let ns = s["namespace"]
                            .as_str()
                            .filter(|n| *n != namespace)
                            .map(|n| format!("{n}/"))
                            .unwrap_or_default();
                        format!(
                            "{} {ns}{}",
                            s["kind"].as_str().unwrap_or("?"),
                            s["name"].as_str().unwrap_or("?")
                        )
                    })
                    .collect();
                Line::from(format!(
                    "  {}: {} → {} {}",
                    name_of(b),
                    if subjects.is_empty() {
                        "(no subjects)".to_string()
                    } else {
                        subjects.join(", ")
                    },
                    b["roleRef"]["kind"].as_str().unwrap_or("?"),
                    b["roleRef"]["name"].as_str().unwrap_or("?")
                ))
            })
            .collect(),
    );

    section(
        "Pods".into(),
        snapshot
            .in_namespace("Pod", namespace)
            .map(|pod| {
                let phase = pod["status"]["phase"].as_str().unwrap_or("Pending");
                let style = if phase == "Running" {
                    theme::pass()
                } else {
                    theme::warn()
                };
                Line::from(vec![
                    Span::raw(format!("  {:<16} ", name_of(pod))),
                    Span::styled(format!("{phase:<9}"), style),
                    Span::raw(format!(
                        " sa {}",
                        pod["spec"]["serviceAccountName"]
                            .as_str()
                            .unwrap_or("default")
                    )),
                ])
            })
            .collect(),
    );

    if let Some(service) = snapshot.get("Service", "default", "kubernetes") {
        let ip = service["spec"]["clusterIP"].as_str().unwrap_or("?");
        let port = service["spec"]["ports"][0]["port"].as_i64().unwrap_or(0);
        section(
            "Service default/kubernetes".into(),
            vec![Line::from(format!("  ClusterIP {ip}, port {port}"))],
        );
    }
    out
}

/// "list pods; get, watch secrets"
fn rules_summary(role: &Value) -> String {
    let rules: Vec<String> = role["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rule| {
            let join = |field: &str| {
                rule[field]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(|s| if s.is_empty() { "\"\"" } else { s })
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default()
            };
            let groups = join("apiGroups");
            let group = if groups == "\"\"" || groups.is_empty() {
                String::new()
            } else {
                format!(" (group {groups})")
            };
            format!("{} {}{group}", join("verbs"), join("resources"))
        })
        .collect();
    if rules.is_empty() {
        "no rules".into()
    } else {
        rules.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shows_rules_bindings_and_pods() {
        let snapshot = Snapshot::new()
            .with(json!({"kind": "ServiceAccount", "metadata": {"name": "demo-sa", "namespace": "lab"}}))
            .with(json!({"kind": "Role", "metadata": {"name": "list-pods", "namespace": "lab"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]}))
            .with(json!({"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "lab"},
                "roleRef": {"kind": "Role", "name": "list-pods"},
                "subjects": [{"kind": "ServiceAccount", "name": "demo-sa", "namespace": "lab"}]}))
            .with(json!({"kind": "Pod", "metadata": {"name": "pod-demo-sa", "namespace": "lab"},
                "spec": {"serviceAccountName": "demo-sa"}, "status": {"phase": "Running"}}));
        let text: Vec<String> = lines(&snapshot, "lab")
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert!(text.contains(&"  demo-sa".to_string()), "{text:?}");
        assert!(
            text.contains(&"  list-pods: list pods".to_string()),
            "{text:?}"
        );
        assert!(
            text.contains(&"  b: ServiceAccount demo-sa → Role list-pods".to_string()),
            "{text:?}"
        );
        assert!(
            text.iter().any(|l| l.contains("pod-demo-sa")
                && l.contains("Running")
                && l.contains("sa demo-sa")),
            "{text:?}"
        );
    }
}
