//! Which kinds, in which namespaces, a lesson's checks depend on.

use std::collections::BTreeSet;

use super::watch::WatchTarget;
use crate::checks::local::object_namespace;
use crate::lesson::Lesson;
use crate::lesson::model::{Action, Caller, Check};

const RBAC: [&str; 4] = ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"];

/// Every (kind, namespace) the lesson's checks, actions and owned objects read.
pub fn watch_targets(lesson: &Lesson) -> BTreeSet<WatchTarget> {
    let ns = lesson.namespace.as_str();
    let mut targets = BTreeSet::new();
    let mut add = |kind: &str, namespace: Option<&str>| {
        targets.insert(WatchTarget {
            kind: kind.to_string(),
            namespace: object_namespace(kind, namespace, ns).to_string(),
        });
    };
    for owned in &lesson.owns {
        add(&owned.kind, owned.namespace.as_deref());
    }
    for step in &lesson.steps {
        for check in &step.checks {
            match check {
                Check::Exists(c) | Check::Absent(c) => add(&c.kind, c.namespace.as_deref()),
                Check::Field(c) => add(&c.kind, c.namespace.as_deref()),
                Check::Pod(_) => add("Pod", None),
                Check::Grants(c) => add(
                    if c.cluster_role {
                        "ClusterRole"
                    } else {
                        "Role"
                    },
                    None,
                ),
                // Server verdicts change with RBAC objects and the accounts and
                // pods they name: watch those so the check re-runs.
                Check::Count(c) => add(&c.kind, c.namespace.as_deref()),
                Check::Events(c) => add("Event", c.namespace.as_deref()),
                Check::Exec(_) => add("Pod", None),
                Check::Rejected(_) => {
                    for kind in ["ResourceQuota", "LimitRange", "Namespace"] {
                        add(kind, None);
                    }
                }
                Check::Access(_) | Check::Request(_) | Check::Token(_) => {
                    for kind in RBAC.into_iter().chain(["ServiceAccount", "Pod"]) {
                        add(kind, None);
                    }
                }
            }
        }
        if step
            .actions
            .iter()
            .any(|a| matches!(a, Action::Request(r) if matches!(r.caller, Caller::Pod(_))))
        {
            add("Pod", None);
        }
    }
    targets
}
