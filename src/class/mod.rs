//! A class on one shared cluster: a namespace per attendee, a kubeconfig that
//! reaches only it, and the instructor's live board of everyone's progress,
//! read straight from each namespace by the same engine and checks the
//! learners use — outcomes, not telemetry, with no server of ours.
//!
//! Everything a class is lives in the cluster, labelled
//! `kubetutor.dev/class=<name>`: the attendee namespaces (which also carry
//! the attendee's number and, as an annotation, the lesson), the attendees'
//! ServiceAccounts and RoleBindings, and the Roles that grant what the
//! lesson's checks read outside the namespace (`needs:` in lesson.yaml).
//! The label finds things; it proves nothing (anyone may set it): what the
//! class made, by UID, is in its own record (`ledger`), and `delete` goes by
//! that. What each attendee's tutor publishes is in `record`.

pub mod answers;
pub(crate) mod board;
pub mod bounds;
pub(crate) mod create;
pub(crate) mod delete;
pub mod ledger;
pub(crate) mod policy;
pub mod presence;
pub(crate) mod progress;
pub mod publish;
pub mod record;
pub(crate) mod renew;
pub mod rights;
pub(crate) mod roster;
pub(crate) mod status;

/// Label on everything a class creates.
pub const CLASS_LABEL: &str = "kubetutor.dev/class";
/// Label on an attendee's namespace: their number, "01", "02"…
pub const ATTENDEE_LABEL: &str = "kubetutor.dev/attendee";
/// Annotation on an attendee's namespace: the lesson id.
pub const LESSON_ANNOTATION: &str = "kubetutor.dev/lesson";
/// Annotation on an attendee's namespace: every lesson the class may take
/// there, comma-separated (the first is `LESSON_ANNOTATION`'s).
pub const LESSONS_ANNOTATION: &str = "kubetutor.dev/lessons";
/// The attendee's ServiceAccount in their namespace.
pub const ACCOUNT: &str = "attendee";

/// The namespace of attendee `number` (1-based) of `class`.
pub fn namespace(class: &str, number: usize) -> String {
    format!("{class}-{number:02}")
}

/// A class name must make valid namespace names and label values.
pub fn check_name(class: &str) -> anyhow::Result<()> {
    let valid = !class.is_empty()
        && class.len() <= 50
        && class
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && class.starts_with(|c: char| c.is_ascii_lowercase())
        && !class.ends_with('-');
    if valid {
        Ok(())
    } else {
        anyhow::bail!(
            "class name {class:?}: use lower-case letters, digits and '-', starting with a letter, \
             at most 50 characters (it begins every attendee's namespace name)"
        )
    }
}

/// The labels of everything `class` creates.
pub fn labels(class: &str) -> std::collections::BTreeMap<String, String> {
    [(CLASS_LABEL.to_string(), class.to_string())].into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_make_valid_namespaces() {
        assert_eq!(namespace("k8s-101", 3), "k8s-101-03");
        assert!(check_name("k8s-101").is_ok());
        for bad in ["", "K8s", "1abc", "a_b", "abc-", &"a".repeat(51)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
