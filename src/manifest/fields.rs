//! The rules for fields every object has: metadata's keys (the client
//! drops unknown ones silently, so they are caught here) and object names.

/// Every field of ObjectMeta.
pub const METADATA_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

/// The candidate within two edits of `word`, if there is one.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Object names: most kinds take a DNS subdomain, Services a DNS label; any
/// other kind at least a valid path segment.
pub fn check_name(kind: &str, name: &str) -> Result<(), String> {
    const SUBDOMAIN_KINDS: &[&str] = &[
        "Pod",
        "ServiceAccount",
        "ConfigMap",
        "Secret",
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "PersistentVolumeClaim",
        "Ingress",
        "NetworkPolicy",
        "PodDisruptionBudget",
    ];
    let lower_alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if name == "." || name == ".." || name.contains('/') || name.contains('%') {
        return Err("cannot be a name: no '/', '%', '.' or '..'".into());
    }
    if kind == "Service" {
        let ok = name.len() <= 63
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.ends_with(lower_alnum)
            && name.chars().all(|c| lower_alnum(c) || c == '-');
        return ok.then_some(()).ok_or_else(|| {
            "is not a valid Service name: lower-case letters, digits and '-', starting with a letter, at most 63".into()
        });
    }
    if SUBDOMAIN_KINDS.contains(&kind) {
        let ok = name.len() <= 253
            && name.starts_with(lower_alnum)
            && name.ends_with(lower_alnum)
            && name.chars().all(|c| lower_alnum(c) || c == '-' || c == '.');
        return ok.then_some(()).ok_or_else(|| {
            "is not a valid name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit".into()
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspellings_find_their_field() {
        assert_eq!(closest("lables", METADATA_FIELDS), Some("labels"));
        assert_eq!(closest("namespce", METADATA_FIELDS), Some("namespace"));
        assert_eq!(closest("colour", METADATA_FIELDS), None);
    }

    #[test]
    fn names_follow_the_kinds_rules() {
        assert!(check_name("Pod", "pod-demo-sa").is_ok());
        assert!(check_name("Pod", "Pod_Demo").is_err());
        assert!(check_name("Service", "1svc").is_err());
        assert!(check_name("Role", "system:reader").is_ok());
        assert!(check_name("Role", "a/b").is_err());
    }
}
