//! An RBAC model over a snapshot of Roles, ClusterRoles and their bindings.
//! It only *explains*: the verdict of an `access` check is always the API
//! server's (SubjectAccessReview). Tests check that this model agrees with it.

use crate::tree::Tree;

use super::snapshot::{Snapshot, name_of, namespace_of};

/// A question RBAC answers: may `user` (with `groups`) `verb` `resource` in `namespace`?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRequest {
    pub user: String,
    pub groups: Vec<String>,
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub namespace: String,
}

impl AccessRequest {
    /// A ServiceAccount, with the groups the API server gives every ServiceAccount token.
    pub fn service_account(
        namespace: &str,
        name: &str,
        verb: &str,
        group: &str,
        resource: &str,
    ) -> Self {
        Self {
            user: format!("system:serviceaccount:{namespace}:{name}"),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".into(),
            ],
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            namespace: namespace.into(),
        }
    }

    /// The ServiceAccount (namespace, name) this request is about, if it is one.
    fn service_account_parts(&self) -> Option<(&str, &str)> {
        let rest = self.user.strip_prefix("system:serviceaccount:")?;
        rest.split_once(':')
    }
}

/// True when `rule` (a PolicyRule as JSON) allows verb on group/resource.
pub fn rule_allows(rule: &Tree, verb: &str, group: &str, resource: &str) -> bool {
    let has = |field: &str, wanted: &str| {
        rule[field]
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i == "*" || i == wanted))
    };
    has("verbs", verb) && has("apiGroups", group) && has("resources", resource)
}

/// The rules of the role a binding refers to, if that role exists.
fn rules_of<'a>(snapshot: &'a Snapshot, binding: &Tree) -> Option<&'a [Tree]> {
    let role_ref = &binding["roleRef"];
    let name = role_ref["name"].as_str()?;
    let role = match role_ref["kind"].as_str()? {
        "Role" => snapshot.get("Role", namespace_of(binding), name)?,
        "ClusterRole" => snapshot.get("ClusterRole", "", name)?,
        _ => return None,
    };
    role["rules"].as_array()
}

fn subject_matches(subject: &Tree, binding_namespace: &str, request: &AccessRequest) -> bool {
    let name = subject["name"].as_str().unwrap_or_default();
    match subject["kind"].as_str().unwrap_or_default() {
        "User" => name == request.user,
        "Group" => request.groups.iter().any(|g| g == name),
        "ServiceAccount" => {
            let namespace = subject["namespace"]
                .as_str()
                .filter(|n| !n.is_empty())
                .unwrap_or(binding_namespace);
            request.user == format!("system:serviceaccount:{namespace}:{name}")
        }
        _ => false,
    }
}

fn binds(binding: &Tree, request: &AccessRequest) -> bool {
    binding["subjects"].as_array().is_some_and(|subjects| {
        subjects
            .iter()
            .any(|s| subject_matches(s, namespace_of(binding), request))
    })
}

/// Binds the request's user itself (a User or ServiceAccount subject), not one of its groups.
fn binds_directly(binding: &Tree, request: &AccessRequest) -> bool {
    binding["subjects"].as_array().is_some_and(|subjects| {
        subjects
            .iter()
            .filter(|s| s["kind"] != "Group")
            .any(|s| subject_matches(s, namespace_of(binding), request))
    })
}

fn grants(snapshot: &Snapshot, binding: &Tree, request: &AccessRequest) -> bool {
    binds(binding, request)
        && rules_of(snapshot, binding).is_some_and(|rules| {
            rules
                .iter()
                .any(|r| rule_allows(r, &request.verb, &request.group, &request.resource))
        })
}

/// What RBAC in the snapshot says about `request`.
pub fn allows(snapshot: &Snapshot, request: &AccessRequest) -> bool {
    snapshot
        .of_kind("ClusterRoleBinding")
        .any(|b| grants(snapshot, b, request))
        || snapshot
            .in_namespace("RoleBinding", &request.namespace)
            .any(|b| grants(snapshot, b, request))
}

/// The binding that grants `request`, named for a message.
pub fn granting_binding(snapshot: &Snapshot, request: &AccessRequest) -> Option<String> {
    snapshot
        .of_kind("ClusterRoleBinding")
        .find(|b| grants(snapshot, b, request))
        .map(|b| format!("ClusterRoleBinding {}", name_of(b)))
        .or_else(|| {
            snapshot
                .in_namespace("RoleBinding", &request.namespace)
                .find(|b| grants(snapshot, b, request))
                .map(|b| format!("RoleBinding {}", name_of(b)))
        })
}

/// Why `request` is denied: the likely mistakes, most specific first. Empty
/// when the snapshot shows nothing close to a grant.
pub fn explain_denial(snapshot: &Snapshot, request: &AccessRequest) -> Vec<String> {
    explain_denial_as_seen(snapshot, request, true)
}

/// `explain_denial` for a viewer who may or may not read ClusterRoles and
/// ClusterRoleBindings: when they cannot, a ClusterRole missing from the
/// snapshot proves nothing and is not called missing.
pub fn explain_denial_as_seen(
    snapshot: &Snapshot,
    request: &AccessRequest,
    cluster_rbac_seen: bool,
) -> Vec<String> {
    let mut reasons = Vec::new();
    let what = format!(
        "{} {}",
        request.verb,
        resource_label(&request.group, &request.resource)
    );
    let sa = request.service_account_parts();

    let bindings: Vec<(&str, &Tree)> = snapshot
        .of_kind("RoleBinding")
        .map(|b| ("RoleBinding", b))
        .chain(
            snapshot
                .of_kind("ClusterRoleBinding")
                .map(|b| ("ClusterRoleBinding", b)),
        )
        .collect();

    for (kind, binding) in &bindings {
        let name = name_of(binding);
        let binding_ns = namespace_of(binding);
        let binds_subject = binds(binding, request);
        // Bindings that mention our ServiceAccount's name but do not bind it.
        if let Some((sa_ns, sa_name)) = sa
            && !binds_subject
        {
            for subject in binding["subjects"].as_array().into_iter().flatten() {
                if subject["name"].as_str() != Some(sa_name) {
                    continue;
                }
                match subject["kind"].as_str().unwrap_or_default() {
                    "ServiceAccount" => {
                        let subject_ns = subject["namespace"].as_str().unwrap_or(binding_ns);
                        reasons.push(format!(
                            "{kind} {name} binds ServiceAccount {sa_name} of namespace {subject_ns}, \
                             but the ServiceAccount is in {sa_ns}: set subjects[].namespace to {sa_ns}"
                        ));
                    }
                    other => reasons.push(format!(
                        "{kind} {name} binds a {other} called {sa_name}; for a ServiceAccount use \
                         kind: ServiceAccount with namespace: {sa_ns}"
                    )),
                }
            }
        }
        if !binds_subject {
            continue;
        }
        if *kind == "RoleBinding" && binding_ns != request.namespace {
            reasons.push(format!(
                "RoleBinding {name} is in namespace {binding_ns}, so it grants nothing in {}: \
                 create it in {}",
                request.namespace, request.namespace
            ));
            continue;
        }
        let role_kind = binding["roleRef"]["kind"].as_str().unwrap_or_default();
        let role_name = binding["roleRef"]["name"].as_str().unwrap_or_default();
        match rules_of(snapshot, binding) {
            None if role_kind == "ClusterRole" && !cluster_rbac_seen => {}
            None => {
                let other = match role_kind {
                    "Role" if snapshot.get("ClusterRole", "", role_name).is_some() => {
                        Some("ClusterRole")
                    }
                    "ClusterRole" if snapshot.get("Role", binding_ns, role_name).is_some() => {
                        Some("Role")
                    }
                    _ => None,
                };
                reasons.push(match other {
                    Some(actual) => format!(
                        "{kind} {name} refers to {role_kind} {role_name}, but {role_name} is a {actual}: \
                         set roleRef.kind to {actual} (roleRef cannot change: delete and recreate the binding)"
                    ),
                    None => format!("{kind} {name} refers to {role_kind} {role_name}, which does not exist"),
                });
            }
            Some(rules) => {
                let near = rules
                    .iter()
                    .filter_map(|r| {
                        explain_rule(r, &request.verb, &request.group, &request.resource)
                    })
                    .collect::<Vec<_>>();
                if near.is_empty() {
                    // Group bindings every account has (system:discovery, …) are
                    // not the learner's doing: mention only bindings naming them.
                    if binds_directly(binding, request) {
                        reasons.push(format!(
                            "{role_kind} {role_name} (bound by {kind} {name}) has no rule allowing {what}"
                        ));
                    }
                } else {
                    reasons.extend(
                        near.into_iter()
                            .map(|n| format!("{role_kind} {role_name}: {n}")),
                    );
                }
            }
        }
    }
    if reasons.is_empty()
        && let Some((_, sa_name)) = sa
    {
        let cluster = if cluster_rbac_seen {
            "(and no ClusterRoleBinding)"
        } else {
            "(ClusterRoleBindings are not visible to you)"
        };
        reasons.push(format!(
            "no RoleBinding in {} {cluster} gives ServiceAccount {sa_name} a role that allows {what}",
            request.namespace
        ));
    }
    reasons
}

/// The rule-level mistake that keeps `rule` from allowing verb on group/resource.
pub fn explain_rule(rule: &Tree, verb: &str, group: &str, resource: &str) -> Option<String> {
    let list = |field: &str| -> Vec<String> {
        rule[field]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (verbs, groups, resources) = (list("verbs"), list("apiGroups"), list("resources"));
    let matches = |items: &[String], wanted: &str| items.iter().any(|i| i == "*" || i == wanted);
    // A resource written nearly right: another case, or singular for plural.
    let close_spelling = resources.iter().find(|r| {
        r.eq_ignore_ascii_case(resource)
            || format!("{r}s").eq_ignore_ascii_case(resource)
            || r.eq_ignore_ascii_case(resource.trim_end_matches('s'))
    });
    if !matches(&resources, resource) {
        if let Some(written) = close_spelling {
            return Some(format!(
                "resources has {written:?}; resource names are lower-case plurals: write {resource:?}"
            ));
        }
        return None; // a rule about something else entirely
    }
    if !matches(&groups, group) {
        let shown = if group.is_empty() {
            "\"\" (the core group)".to_string()
        } else {
            format!("{group:?}")
        };
        let hint = if group.is_empty() && groups.iter().any(|g| g == "v1" || g == "core") {
            " — \"v1\" is a version, not a group; the core group is the empty string"
        } else {
            ""
        };
        return Some(format!(
            "apiGroups is {groups:?}; {resource} needs {shown}{hint}"
        ));
    }
    if !matches(&verbs, verb) {
        return Some(format!("verbs is {verbs:?}, which lacks {verb:?}"));
    }
    None
}

fn resource_label(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn role(ns: &str, name: &str, rules: serde_json::Value) -> serde_json::Value {
        json!({"kind": "Role", "metadata": {"name": name, "namespace": ns}, "rules": rules})
    }
    fn binding(
        ns: &str,
        name: &str,
        role_kind: &str,
        role: &str,
        subjects: serde_json::Value,
    ) -> serde_json::Value {
        json!({"kind": "RoleBinding", "metadata": {"name": name, "namespace": ns},
               "roleRef": {"kind": role_kind, "name": role, "apiGroup": "rbac.authorization.k8s.io"},
               "subjects": subjects})
    }
    fn sa_subject(name: &str, ns: &str) -> serde_json::Value {
        json!([{"kind": "ServiceAccount", "name": name, "namespace": ns}])
    }
    fn list_pods() -> AccessRequest {
        AccessRequest::service_account("default", "demo-sa", "list", "", "pods")
    }
    fn seed_role() -> serde_json::Value {
        role(
            "default",
            "list-pods",
            json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]),
        )
    }

    #[test]
    fn the_seed_setup_allows_listing_pods() {
        let s = Snapshot::new().with(seed_role()).with(binding(
            "default",
            "list-pods_demo-sa",
            "Role",
            "list-pods",
            sa_subject("demo-sa", "default"),
        ));
        assert!(allows(&s, &list_pods()));
        assert_eq!(
            granting_binding(&s, &list_pods()).as_deref(),
            Some("RoleBinding list-pods_demo-sa")
        );
        assert!(!allows(
            &s,
            &AccessRequest::service_account("default", "demo-sa", "delete", "", "pods")
        ));
    }

    #[test]
    fn equivalent_spellings_are_allowed_too() {
        let wide = role(
            "default",
            "list-pods",
            json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]),
        );
        let s = Snapshot::new().with(wide).with(binding(
            "default",
            "b",
            "Role",
            "list-pods",
            sa_subject("demo-sa", "default"),
        ));
        assert!(allows(&s, &list_pods()));
        let cluster_role = json!({"kind": "ClusterRole", "metadata": {"name": "pod-reader"},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["list"]}]});
        let s = Snapshot::new().with(cluster_role).with(binding(
            "default",
            "b",
            "ClusterRole",
            "pod-reader",
            sa_subject("demo-sa", "default"),
        ));
        assert!(allows(&s, &list_pods()));
    }

    fn explain(s: &Snapshot) -> String {
        assert!(!allows(s, &list_pods()));
        explain_denial(s, &list_pods()).join("\n")
    }

    #[test]
    fn names_a_role_ref_to_a_missing_role() {
        let s = Snapshot::new().with(seed_role()).with(binding(
            "default",
            "list-pods_demo-sa",
            "Role",
            "list-pod",
            sa_subject("demo-sa", "default"),
        ));
        assert_eq!(
            explain(&s),
            "RoleBinding list-pods_demo-sa refers to Role list-pod, which does not exist"
        );
    }

    #[test]
    fn names_a_role_ref_kind_mismatch() {
        let s = Snapshot::new().with(seed_role()).with(binding(
            "default",
            "b",
            "ClusterRole",
            "list-pods",
            sa_subject("demo-sa", "default"),
        ));
        assert!(
            explain(&s).contains("set roleRef.kind to Role"),
            "{}",
            explain(&s)
        );
    }

    #[test]
    fn names_a_subject_in_the_wrong_namespace() {
        let s = Snapshot::new().with(seed_role()).with(binding(
            "default",
            "b",
            "Role",
            "list-pods",
            sa_subject("demo-sa", "kube-system"),
        ));
        assert!(
            explain(&s).contains("of namespace kube-system, but the ServiceAccount is in default"),
            "{}",
            explain(&s)
        );
    }

    #[test]
    fn names_a_user_subject_used_for_a_service_account() {
        let s = Snapshot::new().with(seed_role()).with(binding(
            "default",
            "b",
            "Role",
            "list-pods",
            json!([{"kind": "User", "name": "demo-sa"}]),
        ));
        assert!(
            explain(&s).contains("binds a User called demo-sa"),
            "{}",
            explain(&s)
        );
    }

    #[test]
    fn names_a_binding_in_another_namespace() {
        let other = role(
            "other",
            "list-pods",
            json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]),
        );
        let s = Snapshot::new().with(other).with(binding(
            "other",
            "b",
            "Role",
            "list-pods",
            sa_subject("demo-sa", "default"),
        ));
        assert!(
            explain(&s).contains("RoleBinding b is in namespace other"),
            "{}",
            explain(&s)
        );
    }

    #[test]
    fn names_rule_typos() {
        let cases = [
            (
                json!({"apiGroups": [""], "resources": ["pod"], "verbs": ["list"]}),
                "write \"pods\"",
            ),
            (
                json!({"apiGroups": ["v1"], "resources": ["pods"], "verbs": ["list"]}),
                "\"v1\" is a version, not a group",
            ),
            (
                json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}),
                "lacks \"list\"",
            ),
        ];
        for (rule, expected) in cases {
            let s = Snapshot::new()
                .with(role("default", "list-pods", json!([rule])))
                .with(binding(
                    "default",
                    "b",
                    "Role",
                    "list-pods",
                    sa_subject("demo-sa", "default"),
                ));
            assert!(
                explain(&s).contains(expected),
                "{} should contain {expected}",
                explain(&s)
            );
        }
    }

    #[test]
    fn with_nothing_close_it_says_no_binding_grants_it() {
        // Bindings every authenticated account has are not mentioned.
        let discovery = json!({"kind": "ClusterRoleBinding", "metadata": {"name": "system:discovery"},
            "roleRef": {"kind": "ClusterRole", "name": "system:discovery", "apiGroup": "rbac.authorization.k8s.io"},
            "subjects": [{"kind": "Group", "name": "system:authenticated"}]});
        let discovery_role = json!({"kind": "ClusterRole", "metadata": {"name": "system:discovery"},
            "rules": [{"nonResourceURLs": ["/api"], "verbs": ["get"]}]});
        let s = Snapshot::new()
            .with(seed_role())
            .with(discovery)
            .with(discovery_role);
        assert!(
            explain(&s).starts_with("no RoleBinding in default"),
            "{}",
            explain(&s)
        );
    }
}
