//! The lesson last opened on a cluster, so `kubetutor` without `--lesson`
//! reopens it: a lesson chosen in the menu is not forgotten on a restart.
//! One small file per (cluster, namespace asked for); what it holds is
//! untrusted (a lesson id must look like one and still exist).

use std::path::{Path, PathBuf};

/// `progress/last-lesson-<hash>.txt`, beside the progress files.
pub fn path(state_dir: &Path, server: &str, namespace: Option<&str>) -> PathBuf {
    // The progress file name's hash, of the same parts minus the lesson.
    let named = super::name::path(state_dir, server, namespace.unwrap_or(""), "");
    let hash = named
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.rsplit('-').next())
        .unwrap_or("0")
        .to_string();
    state_dir
        .join("progress")
        .join(format!("last-lesson-{hash}.txt"))
}

pub fn remember(state_dir: &Path, server: &str, namespace: Option<&str>, id: &str) {
    let path = path(state_dir, server, namespace);
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    // Losing it only means the default lesson opens next time.
    if let Err(err) = std::fs::write(&path, id) {
        tracing::warn!("could not remember the lesson in {}: {err}", path.display());
    }
}

pub fn recall(state_dir: &Path, server: &str, namespace: Option<&str>) -> Option<String> {
    let text = std::fs::read_to_string(path(state_dir, server, namespace)).ok()?;
    let id = text.trim();
    let looks_like_an_id = !id.is_empty()
        && id.len() <= 63
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    looks_like_an_id.then(|| id.to_string())
}

/// The lesson to open: the one named (`--lesson`, a class kubeconfig), else
/// the one opened last if it still exists, else `default`.
pub fn first_lesson(
    named: Option<&str>,
    remembered: Option<String>,
    default: &str,
    exists: impl Fn(&str) -> bool,
) -> String {
    match (named, remembered) {
        (Some(id), _) => id.to_string(),
        (None, Some(id)) if exists(&id) => id,
        _ => default.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lesson_picked_in_the_menu_opens_again_without_lesson() {
        let dir = std::env::temp_dir().join(format!("kt-last-lesson-{}", std::process::id()));
        let server = "https://127.0.0.1:6443";
        assert_eq!(recall(&dir, server, None), None);
        remember(&dir, server, None, "jobs-cronjobs");
        let remembered = recall(&dir, server, None);
        assert_eq!(remembered.as_deref(), Some("jobs-cronjobs"));
        assert_eq!(
            recall(&dir, "https://other:6443", None),
            None,
            "per cluster"
        );
        let exists = |id: &str| id != "gone";
        assert_eq!(
            first_lesson(None, remembered.clone(), "serviceaccount-rbac", exists),
            "jobs-cronjobs"
        );
        assert_eq!(
            first_lesson(
                Some("deployments"),
                remembered,
                "serviceaccount-rbac",
                exists
            ),
            "deployments",
            "--lesson wins"
        );
        assert_eq!(
            first_lesson(None, Some("gone".into()), "serviceaccount-rbac", exists),
            "serviceaccount-rbac"
        );
        // A file that holds something else is not a lesson id.
        std::fs::write(path(&dir, server, None), "../../etc/passwd").unwrap();
        assert_eq!(recall(&dir, server, None), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}
