//! `rights:` — what a lesson needs beyond admin of its namespace, as data the
//! learner and the instructor can read. Lint checks the declaration against
//! what the lesson really does (a solution creating a LimitRange needs
//! `manage: [LimitRange]`), refuses rights that would let a learner leave
//! their namespace unseen, and says which steps need which right, so a
//! learner without it is told plainly at those steps.

use std::collections::BTreeSet;

use super::model::{Action, POD_SECURITY_LABELS as POD_SECURITY_PREFIX, Right};
use crate::k8s_names::is_cluster_scoped;

/// Namespaced kinds the `admin` ClusterRole may read but not write: a lesson
/// that makes them declares `manage:`.
/// https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles
/// ("admin … does not allow write access to resource quota or to the namespace itself").
pub const BEYOND_ADMIN: &[&str] = &["LimitRange", "ResourceQuota"];

/// Cluster-scoped kinds a lesson may make, under `clusterRoles:`.
pub const CLUSTER_ROLE_KINDS: &[&str] = &["ClusterRole", "ClusterRoleBinding"];

/// What a lesson's ClusterRoles may let a learner read across the cluster
/// (get, list, watch): workload objects and their traces, never Secrets,
/// ConfigMaps or anything that holds credentials. The admission policy that
/// bounds the grant (`class::policy`) allows exactly these.
pub const CLUSTER_READS: &[&str] = &[
    "pods",
    "services",
    "endpointslices",
    "deployments",
    "replicasets",
    "statefulsets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "events",
];

/// Pod Security levels a learner may set on their own namespace without
/// leaving their sandbox; `privileged` would let them run Pods that own the node.
/// https://kubernetes.io/docs/concepts/security/pod-security-standards/
pub const SAFE_LEVELS: &[&str] = &["baseline", "restricted"];

/// What kind of right, for sentences and for the grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// Write these namespaced kinds in the lesson namespace.
    Manage(Vec<String>),
    /// Set these labels (keys) of the lesson namespace.
    LabelNamespace(Vec<String>),
    /// Create read-only ClusterRoles (and bindings) named `<namespace>.…`.
    ClusterRoles(Vec<String>),
}

impl Right {
    /// The one thing this right grants (lint makes sure there is one).
    pub fn need(&self) -> Option<Need> {
        match (
            self.manage.is_empty(),
            self.label_namespace.is_empty(),
            &self.cluster_roles,
        ) {
            (false, true, None) => Some(Need::Manage(self.manage.clone())),
            (true, false, None) => Some(Need::LabelNamespace(
                self.label_namespace.keys().cloned().collect(),
            )),
            (true, true, Some(roles)) => Some(Need::ClusterRoles(roles.reads.clone())),
            _ => None,
        }
    }

    /// Would this right let a learner leave their namespace's sandbox?
    /// (`privileged` Pod Security on their own namespace.) `class create`
    /// grants it only when the instructor says so.
    /// (A `privileged` level is never granted: lint refuses it.)
    pub fn risk(&self) -> Option<String> {
        self.cluster_roles.as_ref().map(|roles| {
            format!(
                "ClusterRoles bound by ClusterRoleBindings let the learner's ServiceAccounts read {} \
                 in every namespace (names and specs of other people's objects)",
                roles.reads.join(", ")
            )
        })
    }

    /// One line for people: what it allows and why.
    pub fn describe(&self, namespace: &str) -> String {
        let what = match self.need() {
            Some(Need::Manage(kinds)) => format!(
                "create, change and delete {} in {namespace}",
                kinds
                    .iter()
                    .map(|k| crate::k8s_names::plural(k))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            Some(Need::LabelNamespace(_)) => format!(
                "label namespace {namespace}: {}",
                self.label_namespace
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.join("|")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(Need::ClusterRoles(reads)) => format!(
                "create ClusterRoles and ClusterRoleBindings named {namespace}.… that read {} \
                 (get, list, watch), bound to ServiceAccounts of {namespace} only",
                reads.join(", ")
            ),
            None => "nothing (the declaration is incomplete)".into(),
        };
        format!("{what} — {}", self.why)
    }
}

/// Problems with a lesson's `rights:` on their own; each as (text to point
/// at, message).
pub fn lint(rights: &[Right]) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    for right in rights {
        let at = || right.why.clone();
        if right.need().is_none() {
            problems.push((
                at(),
                "a right gives exactly one of `manage`, `labelNamespace` or `clusterRoles`".into(),
            ));
        }
        if right.why.trim().is_empty() {
            problems.push((
                "why:".into(),
                "a right says `why` the lesson needs it".into(),
            ));
        }
        for kind in &right.manage {
            if is_cluster_scoped(kind) {
                problems.push((
                    kind.clone(),
                    format!(
                        "{kind} is cluster-scoped: `manage` covers the lesson namespace only \
                         (ClusterRoles go under `clusterRoles`)"
                    ),
                ));
            } else if !BEYOND_ADMIN.contains(&kind.as_str()) {
                problems.push((
                    kind.clone(),
                    format!(
                        "admin of a namespace may already write {kind}s there; `manage` lists only \
                         what it may not ({})",
                        BEYOND_ADMIN.join(", ")
                    ),
                ));
            }
        }
        for (key, values) in &right.label_namespace {
            if !key.starts_with(POD_SECURITY_PREFIX) {
                problems.push((
                    key.clone(),
                    format!(
                        "a lesson may set Pod Security labels of its namespace only \
                         ({POD_SECURITY_PREFIX}…), not {key:?}"
                    ),
                ));
            }
            if values.is_empty() {
                problems.push((key.clone(), format!("{key}: list the values it may take")));
            }
            let version = key.ends_with("-version");
            for value in values {
                if !version && !SAFE_LEVELS.contains(&value.as_str()) {
                    problems.push((
                        key.clone(),
                        format!(
                            "{key}={value}: a learner may set {} only; {value} would let them run \
                             Pods that own the node, and is never granted",
                            SAFE_LEVELS.join(" or ")
                        ),
                    ));
                }
            }
        }
        if let Some(roles) = &right.cluster_roles {
            if roles.reads.is_empty() {
                problems.push((
                    "clusterRoles".into(),
                    "clusterRoles: list the resources its roles may read".into(),
                ));
            }
            for resource in &roles.reads {
                // `group/resource` outside the core group: rules name the resource.
                let plural = resource.rsplit('/').next().unwrap_or(resource);
                if !CLUSTER_READS.contains(&plural) {
                    problems.push((
                        resource.clone(),
                        format!(
                            "a lesson's ClusterRoles may not read {resource:?} across the cluster; \
                             they may read: {}",
                            CLUSTER_READS.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    problems
}

/// Kinds the lesson may make beyond admin: every `manage` kind, and the
/// ClusterRole kinds when `clusterRoles` is declared.
pub fn declared_kinds(rights: &[Right]) -> BTreeSet<String> {
    let mut kinds: BTreeSet<String> = rights.iter().flat_map(|r| r.manage.clone()).collect();
    if rights.iter().any(|r| r.cluster_roles.is_some()) {
        kinds.extend(CLUSTER_ROLE_KINDS.iter().map(|k| k.to_string()));
    }
    kinds
}

/// Is the label `key=value` on the lesson namespace declared?
pub fn label_declared(rights: &[Right], key: &str, value: &str) -> bool {
    rights.iter().any(|r| {
        r.label_namespace
            .get(key)
            .is_some_and(|values| values.iter().any(|v| v == value))
    })
}

/// The rights a step uses: those covering a kind its YAML (solution,
/// template, setup) makes, and the namespace labels its actions set.
pub fn used_by(rights: &[Right], kinds: &BTreeSet<String>, actions: &[Action]) -> Vec<usize> {
    rights
        .iter()
        .enumerate()
        .filter(|(_, right)| {
            right.manage.iter().any(|k| kinds.contains(k))
                || (right.cluster_roles.is_some()
                    && CLUSTER_ROLE_KINDS.iter().any(|k| kinds.contains(*k)))
                || actions.iter().any(|a| match a {
                    Action::LabelNamespace(labels) => {
                        labels.keys().any(|k| right.label_namespace.contains_key(k))
                    }
                    _ => false,
                })
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rights(yaml: &str) -> Vec<Right> {
        crate::yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn a_right_grants_one_thing_for_a_reason() {
        let ok = rights(
            "- {manage: [LimitRange, ResourceQuota], why: steps 1 and 2}
- {labelNamespace: {pod-security.kubernetes.io/enforce: [baseline, restricted]}, why: step 3}
- {clusterRoles: {reads: [pods, services]}, why: steps 1-4}",
        );
        assert_eq!(lint(&ok), Vec::new());
        assert_eq!(
            ok[0].need(),
            Some(Need::Manage(vec![
                "LimitRange".into(),
                "ResourceQuota".into()
            ]))
        );
        assert!(ok[0].risk().is_none() && ok[1].risk().is_none());
        assert!(ok[2].risk().is_some());
        assert!(ok[2].risk().unwrap().contains("every namespace"));
        assert!(ok[1].describe("lab").starts_with("label namespace lab"));
    }

    #[test]
    fn rights_that_reach_too_far_are_named() {
        let bad = rights(
            "- {manage: [Pod], why: x}
- {manage: [ClusterRole], why: x}
- {labelNamespace: {team: [a]}, why: x}
- {clusterRoles: {reads: [secrets]}, why: x}
- {labelNamespace: {pod-security.kubernetes.io/enforce: [privileged]}, why: x}
- {manage: [LimitRange], labelNamespace: {pod-security.kubernetes.io/warn: [baseline]}, why: x}",
        );
        let messages: Vec<String> = lint(&bad).into_iter().map(|(_, m)| m).collect();
        for words in [
            "may already write Pods",
            "cluster-scoped",
            "Pod Security labels of its namespace only",
            "may not read \"secrets\"",
            "never granted",
            "exactly one of",
        ] {
            assert!(
                messages.iter().any(|m| m.contains(words)),
                "{words} in {messages:?}"
            );
        }
    }

    #[test]
    fn a_step_uses_the_rights_its_yaml_and_actions_need() {
        let declared = rights(
            "- {manage: [LimitRange], why: a}
- {labelNamespace: {pod-security.kubernetes.io/warn: [restricted]}, why: b}",
        );
        let kinds: BTreeSet<String> = ["LimitRange".to_string(), "Pod".into()].into();
        assert_eq!(used_by(&declared, &kinds, &[]), vec![0]);
        let label = Action::LabelNamespace(
            [(
                "pod-security.kubernetes.io/warn".into(),
                "restricted".into(),
            )]
            .into(),
        );
        assert_eq!(used_by(&declared, &BTreeSet::new(), &[label]), vec![1]);
        assert!(label_declared(
            &declared,
            "pod-security.kubernetes.io/warn",
            "restricted"
        ));
        assert!(!label_declared(
            &declared,
            "pod-security.kubernetes.io/warn",
            "privileged"
        ));
    }
}
