//! Progress file names: a readable slug (lesson, namespace) plus a hash of the
//! cluster it belongs to. The hash is SHA-256, whose output is fixed by its
//! specification; `DefaultHasher` (used before) may change with any Rust
//! release and would orphan every learner's progress on upgrade.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// `progress/<lesson>-<namespace>-<16 hex digits>.json` for one (cluster
/// server, namespace, lesson).
pub fn path(state_dir: &Path, server: &str, namespace: &str, lesson: &str) -> PathBuf {
    let mut hasher = Sha256::new();
    // NUL separators: ("a", "bc") and ("ab", "c") must not hash alike.
    for part in [server, namespace, lesson] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("{}-{}-{hex}.json", slug(lesson), slug(namespace));
    state_dir.join("progress").join(name)
}

/// The name the tutor used before version-stable names, computed the way it
/// was then, only to find such a file once and rename it.
pub fn legacy_path(state_dir: &Path, server: &str, namespace: &str, lesson: &str) -> PathBuf {
    use std::hash::{Hash, Hasher};
    #[allow(deprecated)] // exactly the old hasher, or the old name is not found
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    server.hash(&mut hasher);
    namespace.hash(&mut hasher);
    let key = format!("{lesson}-{namespace}-{:016x}.json", hasher.finish());
    state_dir.join("progress").join(key)
}

/// Letters, digits, `-` and `_` kept (at most 40), anything else `_`:
/// a lesson id or namespace never makes a path separator or a hidden file.
fn slug(text: &str) -> String {
    let slug: String = text
        .chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if slug.is_empty() { "_".into() } else { slug }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_pinned_so_an_upgrade_finds_the_same_file() {
        // If this changes, every learner's progress is orphaned: never update
        // the expected name without migrating the old one.
        let name = path(
            Path::new("/s"),
            "https://127.0.0.1:6443",
            "default",
            "serviceaccount-rbac",
        );
        // = the first 16 hex digits of
        // `printf 'https://127.0.0.1:6443\0default\0serviceaccount-rbac\0' | sha256sum`
        assert_eq!(
            name,
            Path::new("/s/progress/serviceaccount-rbac-default-3692cd5c81e9ded3.json")
        );
    }

    #[test]
    fn every_part_of_the_key_changes_the_name() {
        let dir = Path::new("/s");
        let a = path(dir, "https://127.0.0.1:1", "ns", "l");
        assert_ne!(a, path(dir, "https://127.0.0.1:2", "ns", "l"));
        assert_ne!(a, path(dir, "https://127.0.0.1:1", "other", "l"));
        assert_ne!(a, path(dir, "https://127.0.0.1:1", "ns", "m"));
        assert_ne!(path(dir, "a", "bc", "l"), path(dir, "ab", "c", "l"));
    }

    #[test]
    fn hostile_ids_stay_inside_the_progress_folder() {
        let p = path(Path::new("/s"), "x", "../../etc", "/passwd");
        assert_eq!(p.parent(), Some(Path::new("/s/progress")));
        assert!(!p.file_name().unwrap().to_string_lossy().starts_with('.'));
    }
}
