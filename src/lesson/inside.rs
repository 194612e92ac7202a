//! Lessons are shared between people: a file a lesson names must be one of
//! its own. No absolute path, no `..`, and no symbolic link that leads out of
//! the lesson folder — else `editor: /etc/passwd` would load that file.

use std::path::{Component, Path, PathBuf};

/// `relative` resolved inside `dir`, or why not (for a lint error).
pub fn resolve(dir: &Path, relative: &str) -> Result<PathBuf, String> {
    let what = "name a file inside the lesson folder, relative to it (e.g. templates/demo.yaml)";
    if relative.trim().is_empty() {
        return Err(format!("the file name is empty; {what}"));
    }
    let path = Path::new(relative);
    if path.is_absolute() {
        return Err(format!("{relative:?} is an absolute path; {what}"));
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(format!("{relative:?} climbs out with `..`; {what}"));
    }
    let folder = dir
        .canonicalize()
        .map_err(|err| format!("cannot read the lesson folder {}: {err}", dir.display()))?;
    let file = folder
        .join(path)
        .canonicalize()
        .map_err(|err| format!("cannot read {relative}: {err}"))?;
    if !file.starts_with(&folder) {
        return Err(format!(
            "{relative:?} is a symbolic link to {}, outside the lesson folder; {what}",
            file.display()
        ));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kt-inside-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(dir.join("templates/a.yaml"), "kind: x").unwrap();
        dir
    }

    #[test]
    fn files_of_the_lesson_resolve() {
        let dir = lesson_dir("ok");
        let file = resolve(&dir, "templates/a.yaml").unwrap();
        assert!(file.ends_with("templates/a.yaml"));
        assert!(resolve(&dir, "./templates/a.yaml").is_ok());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn absolute_paths_dot_dot_and_outward_links_are_refused() {
        let dir = lesson_dir("bad");
        std::os::unix::fs::symlink("/etc/passwd", dir.join("templates/passwd.yaml")).unwrap();
        std::os::unix::fs::symlink("/etc", dir.join("etc")).unwrap();
        for (relative, says) in [
            ("/etc/passwd", "absolute path"),
            ("../../etc/passwd", "`..`"),
            ("templates/../a.yaml", "`..`"),
            ("templates/passwd.yaml", "symbolic link"),
            ("etc/passwd", "symbolic link"),
            ("", "empty"),
            ("templates/missing.yaml", "cannot read"),
        ] {
            let err = resolve(&dir, relative).unwrap_err();
            assert!(err.contains(says), "{relative:?}: {err}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
