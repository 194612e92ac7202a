//! `needs:` must list every object a check reads outside the lesson namespace:
//! `kubetutor class create` grants attendees exactly that list, so a read it
//! misses would leave every attendee's step undecided ("cannot read …").

use super::model::{Check, LessonSpec};
use super::vars::PLACEHOLDER;

/// An object a check reads in a namespace written literally (not `${NAMESPACE}`).
#[derive(Debug, PartialEq, Eq)]
pub struct OutsideRead<'a> {
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
}

/// Reads outside the lesson namespace that `needs:` does not list. `spec` is
/// the lesson as written, with `${NAMESPACE}` left in place.
pub fn unlisted(spec: &LessonSpec) -> Vec<OutsideRead<'_>> {
    let mut missing: Vec<OutsideRead> = Vec::new();
    for check in spec.steps.iter().flat_map(|s| &s.checks) {
        let (kind, namespace, name) = match check {
            Check::Exists(o) | Check::Absent(o) => (&o.kind, &o.namespace, &o.name),
            Check::Field(f) => (&f.kind, &f.namespace, &f.name),
            _ => continue,
        };
        let Some(namespace) = namespace.as_deref() else {
            continue;
        };
        let listed = spec
            .needs
            .iter()
            .any(|n| n.kind == *kind && n.namespace == namespace && n.name == *name);
        let read = OutsideRead {
            kind,
            namespace,
            name,
        };
        if namespace != PLACEHOLDER && !listed && !missing.contains(&read) {
            missing.push(read);
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> LessonSpec {
        crate::yaml::from_str(yaml).unwrap()
    }

    const STEPS: &str = "steps:
  - id: a
    title: A
    text: a.md
    checks:
      - exists: {kind: Service, name: kubernetes, namespace: default}
      - field: {kind: Service, name: kubernetes, namespace: default, path: spec.type, equals: ClusterIP}
      - exists: {kind: Pod, name: p, namespace: \"${NAMESPACE}\"}
      - exists: {kind: Pod, name: q}
";

    #[test]
    fn a_read_in_a_literal_namespace_must_be_listed_once() {
        let lesson = spec(&format!("id: x\ntitle: X\n{STEPS}"));
        assert_eq!(
            unlisted(&lesson),
            vec![OutsideRead {
                kind: "Service",
                namespace: "default",
                name: "kubernetes"
            }]
        );
    }

    #[test]
    fn a_listed_read_and_the_lesson_namespace_pass() {
        let lesson = spec(&format!(
            "id: x\ntitle: X\nneeds:\n  - {{kind: Service, namespace: default, name: kubernetes, why: step a}}\n{STEPS}"
        ));
        assert!(unlisted(&lesson).is_empty());
    }
}
