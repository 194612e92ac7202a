//! Facts about Kubernetes names that every layer needs and none owns: which
//! kinds live in no namespace, how a kind reads in the plural. A leaf: it
//! imports nothing of ours.

/// Kinds that are not namespaced, among those lessons use.
pub const CLUSTER_KINDS: &[&str] = &[
    "ClusterRole",
    "ClusterRoleBinding",
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    // The rest of the built-in cluster-scoped kinds: a lesson naming one is
    // told it acts beyond its namespace, not taken for namespaced.
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "CustomResourceDefinition",
    "APIService",
    "PriorityClass",
    "RuntimeClass",
    "IngressClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "VolumeAttributesClass",
    "CertificateSigningRequest",
    "ClusterTrustBundle",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "DeviceClass",
    "IPAddress",
    "ServiceCIDR",
    "ComponentStatus",
];

/// Is this kind cluster-scoped (lives in no namespace)?
pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_KINDS.contains(&kind)
}

/// The namespace an object named by a lesson lives in: none ("") for
/// cluster-scoped kinds, else the one written, else the lesson's.
pub fn object_namespace<'a>(
    kind: &str,
    namespace: Option<&'a str>,
    lesson_namespace: &'a str,
) -> &'a str {
    if is_cluster_scoped(kind) {
        ""
    } else {
        namespace.unwrap_or(lesson_namespace)
    }
}

/// What the name of a cluster-scoped object a learner makes starts with:
/// their namespace and a dot. A namespace name (a DNS label) has no dot, so
/// `team.` can never be the start of another namespace's prefix, as `team-`
/// would be of `team-2-`; and a dot is allowed both in RBAC object names and
/// in label values (an aggregation selector's).
pub fn cluster_prefix(namespace: &str) -> String {
    format!("{namespace}.")
}

/// "Pods", "Policies", "Ingresses".
pub fn plural(kind: &str) -> String {
    if let Some(stem) = kind.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'o', 'u'])
    {
        format!("{stem}ies")
    } else if kind.ends_with('s') || kind.ends_with("ch") || kind.ends_with('x') {
        format!("{kind}es")
    } else {
        format!("{kind}s")
    }
}

/// "1 Pod", "3 Pods".
pub fn count(n: usize, kind: &str) -> String {
    if n == 1 {
        format!("1 {kind}")
    } else {
        format!("{n} {}", plural(kind))
    }
}

/// "This object", "These 5 objects": what a reset is about to delete.
pub fn these_objects(n: usize) -> String {
    if n == 1 {
        "This object".into()
    } else {
        format!("These {n} objects")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_never_plural() {
        assert_eq!(these_objects(1), "This object");
        assert_eq!(these_objects(5), "These 5 objects");
    }

    #[test]
    fn plurals_read_as_english() {
        assert_eq!(plural("Pod"), "Pods");
        assert_eq!(plural("NetworkPolicy"), "NetworkPolicies");
        assert_eq!(plural("Ingress"), "Ingresses");
        assert_eq!(plural("Gateway"), "Gateways");
        assert_eq!(count(1, "LimitRange"), "1 LimitRange");
        assert_eq!(count(0, "ReplicaSet"), "0 ReplicaSets");
    }

    #[test]
    fn cluster_scoped_kinds_have_no_namespace() {
        assert_eq!(object_namespace("ClusterRole", Some("x"), "lab"), "");
        assert_eq!(object_namespace("Pod", None, "lab"), "lab");
        assert_eq!(
            object_namespace("Service", Some("default"), "lab"),
            "default"
        );
    }
}
