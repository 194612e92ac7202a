//! The API server refuses a Role whose rules grant what its author does not
//! hold ("attempting to grant RBAC permissions not currently held"). For a
//! namespace admin that is how a misspelt rule surfaces — nobody holds
//! `list` on "pod" — so the learner must read the same explanation an
//! admin reads in the Checks pane (`resources has "pod"; … write "pods"`),
//! not the server's dump of rules.

use serde_json::Value;

/// The server's words for an escalation refusal.
pub const ESCALATION: &str = "attempting to grant RBAC permissions not currently held";

/// Why a Role's or ClusterRole's rules were refused, in plain words, when
/// the message is an escalation refusal. `served` says whether the cluster
/// serves a resource (plural) in an API group.
pub fn explain(
    message: &str,
    document: &Value,
    served: &dyn Fn(&str, &str) -> bool,
) -> Option<String> {
    if !message.contains(ESCALATION) {
        return None;
    }
    let mut why: Vec<String> = Vec::new();
    for rule in document["rules"].as_array().into_iter().flatten() {
        why.extend(spelling(rule, served));
    }
    let lead = "you may grant only rights you hold yourself (RBAC prevents escalation)";
    Some(if why.is_empty() {
        format!(
            "{lead}, and you do not hold every right these rules name: keep to the verbs and \
             resources the step needs"
        )
    } else {
        why.dedup();
        format!(
            "{lead}, and nobody holds what these rules name: {}",
            why.join("; ")
        )
    })
}

/// A binding refused because its role does not exist: an admin's binding to
/// a missing role is stored (and grants nothing); a namespace admin's is
/// refused, since the API server must look at the role to see whether they
/// hold what it grants — and says only `"name" not found`.
pub fn missing_role(message: &str, document: &Value) -> Option<String> {
    let kind = document["kind"].as_str()?;
    if kind != "RoleBinding" && kind != "ClusterRoleBinding" {
        return None;
    }
    let role_kind = document["roleRef"]["kind"].as_str()?;
    let role = document["roleRef"]["name"].as_str()?;
    if !message.ends_with(&format!("\"{role}\" not found")) {
        return None;
    }
    Some(format!(
        "roleRef names {role_kind} {role}, which does not exist: check roleRef.kind and \
         roleRef.name against the role you made (the API server looks the role up before \
         storing the binding, to check you hold what it grants)"
    ))
}

/// Misspellings in one rule, worded as the RBAC explainer words them.
fn spelling(rule: &Value, served: &dyn Fn(&str, &str) -> bool) -> Vec<String> {
    let list = |field: &str| -> Vec<String> {
        rule[field]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    };
    let (verbs, groups, resources) = (list("verbs"), list("apiGroups"), list("resources"));
    let mut why = Vec::new();
    if let Some(version) = groups.iter().find(|g| *g == "v1" || *g == "core") {
        why.push(format!(
            "apiGroups is [{version:?}] — \"v1\" is a version, not a group; the core group is the \
             empty string \"\""
        ));
    }
    let group = |resource: &str| {
        groups
            .iter()
            .map(|g| {
                if g == "v1" || g == "core" {
                    ""
                } else {
                    g.as_str()
                }
            })
            .find(|g| served(g, resource))
            .unwrap_or("")
            .to_string()
    };
    for written in &resources {
        if written == "*" || served(&group(written), written) {
            continue;
        }
        let lower = written.to_ascii_lowercase();
        let candidates = [format!("{lower}s"), format!("{lower}es"), lower.clone()];
        match candidates.iter().find(|c| served(&group(c), c)) {
            Some(plural) => why.push(format!(
                "resources has {written:?}; resource names are lower-case plurals: write {plural:?}"
            )),
            None => why.push(format!(
                "resources has {written:?}, which this cluster does not serve"
            )),
        }
    }
    if verbs.iter().any(|v| v == "*") {
        why.push(
            "verbs has \"*\": every verb, including ones you do not hold; list the verbs the step needs"
                .into(),
        );
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn served(group: &str, resource: &str) -> bool {
        matches!(
            (group, resource),
            ("", "pods") | ("", "services") | ("apps", "deployments")
        )
    }

    fn why(rules: Value) -> String {
        explain(
            &format!("roles \"r\" is forbidden: user \"x\" is {ESCALATION}: {{...}}"),
            &json!({"rules": rules}),
            &served,
        )
        .unwrap()
    }

    #[test]
    fn a_refused_role_is_explained_as_the_checks_explain_it() {
        let singular = why(json!([{"apiGroups": [""], "resources": ["pod"], "verbs": ["list"]}]));
        assert!(
            singular.contains(
                r#"resources has "pod"; resource names are lower-case plurals: write "pods""#
            ),
            "{singular}"
        );
        let version = why(json!([{"apiGroups": ["v1"], "resources": ["pods"], "verbs": ["list"]}]));
        assert!(
            version.contains(r#""v1" is a version, not a group"#),
            "{version}"
        );
        let star = why(json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}]));
        assert!(star.contains("verbs has \"*\""), "{star}");
        let fine =
            why(json!([{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["list"]}]));
        assert!(fine.contains("you do not hold every right"), "{fine}");
        assert!(explain("some other refusal", &json!({}), &served).is_none());
    }

    #[test]
    fn a_binding_to_a_missing_role_names_the_role() {
        let binding =
            json!({"kind": "RoleBinding", "roleRef": {"kind": "ClusterRole", "name": "list-pods"}});
        let said = missing_role(
            r#"rolebindings.rbac.authorization.k8s.io "list-pods" not found"#,
            &binding,
        )
        .unwrap();
        assert!(
            said.starts_with("roleRef names ClusterRole list-pods, which does not exist"),
            "{said}"
        );
        assert!(missing_role(r#""other" not found"#, &binding).is_none());
    }
}
