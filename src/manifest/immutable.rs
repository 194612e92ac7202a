//! Refusals of a change to a field that cannot change once the object
//! exists: a binding's roleRef, a Deployment's selector, most of a Pod's
//! spec, a Job's template. Re-applying cannot fix them; deleting the object
//! and creating it again can. This names the field and says why it is fixed.

/// The field a refusal says cannot change (as the learner writes it:
/// `roleRef`, `spec.selector`, `serviceAccountName`), and why, in a few
/// words (empty when the reason is the kind's own); None for any other refusal.
pub fn refused_change(message: &str) -> Option<(String, &'static str)> {
    if message.contains("cannot change roleRef") {
        // https://kubernetes.io/docs/reference/access-authn-authz/rbac/#clusterrolebinding-example:
        // "After you create a binding, you cannot change the Role or ClusterRole that it refers to."
        return Some((
            "roleRef".into(),
            "a binding's role is fixed, so what it grants cannot change under its subjects",
        ));
    }
    if message.contains("pod updates may not change fields other than") {
        return Some((
            changed_pod_field(message).unwrap_or_else(|| "spec".into()),
            "most of a Pod's spec is fixed when it is created: only its images, \
             activeDeadlineSeconds and added tolerations may change",
        ));
    }
    if message.contains("field is immutable") || message.contains("are forbidden") {
        let path = field_before_invalid(message)?;
        let why = if path == "spec.selector" {
            // https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#label-selector-updates:
            // "In API version apps/v1, a Deployment's label selector is immutable after it gets created."
            "the selector decides which Pods are its own"
        } else if path.starts_with("spec.template") || path == "spec.completions" {
            "a Job's Pod template and completions are fixed once it is created"
        } else {
            ""
        };
        return Some((path, why));
    }
    None
}

/// `… is invalid: spec.selector: Invalid value: …: field is immutable` →
/// `spec.selector`.
fn field_before_invalid(message: &str) -> Option<String> {
    let before = message.split(": Invalid value").next()?;
    let before = before.split(": Forbidden").next()?;
    let path = before.rsplit(": ").next()?.trim();
    (!path.is_empty() && !path.contains(' ')).then(|| path.to_string())
}

/// The Pod refusal carries a diff of the spec; its `+` lines name what was
/// changed (`+ "ServiceAccountName": "other",` → `serviceAccountName`).
fn changed_pod_field(message: &str) -> Option<String> {
    let fields: Vec<String> = message
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix('+'))
        .filter(|line| !line.starts_with('+'))
        .filter_map(|line| line.trim().strip_prefix('"')?.split('"').next())
        .map(|go_name| {
            let mut chars = go_name.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_lowercase().chain(chars).collect()
            })
        })
        .collect();
    (!fields.is_empty()).then(|| fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_servers_refusals_name_the_field() {
        let said = r#"RoleBinding.rbac.authorization.k8s.io "b" is invalid: roleRef: Invalid value: {"APIGroup":"rbac.authorization.k8s.io","Kind":"Role","Name":"r2"}: cannot change roleRef"#;
        assert_eq!(refused_change(said).unwrap().0, "roleRef");

        let said = r#"Deployment.apps "d" is invalid: spec.selector: Invalid value: {"matchLabels":{"app":"other"}}: field is immutable"#;
        let (field, why) = refused_change(said).unwrap();
        assert_eq!(field, "spec.selector");
        assert!(why.contains("selector"));

        let said = "Pod \"p\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`\n@@ -138,7 +138,7 @@\n  \"NodeSelector\": null,\n- \"ServiceAccountName\": \"default\",\n+ \"ServiceAccountName\": \"other\",\n  \"AutomountServiceAccountToken\": null,";
        assert_eq!(refused_change(said).unwrap().0, "serviceAccountName");

        let said = r#"Job.batch "hello" is invalid: spec.completions: Invalid value: 3: field is immutable"#;
        assert_eq!(refused_change(said).unwrap().0, "spec.completions");
    }

    #[test]
    fn other_refusals_are_not_about_immutability() {
        assert_eq!(
            refused_change(r#"Pod "p" is invalid: spec.containers[0].image: Required value"#),
            None
        );
        assert_eq!(
            refused_change("forbidden: User \"x\" cannot create pods"),
            None
        );
    }
}
