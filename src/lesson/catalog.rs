//! Finding lessons: every folder with a `lesson.yaml` under the lessons root.

use std::path::{Path, PathBuf};

use super::load::LESSON_FILE;

/// Environment variable naming the lessons root.
pub const LESSONS_DIR_ENV: &str = "KUBETUTOR_LESSONS";

/// `$KUBETUTOR_LESSONS`, else `./lessons` when present, else the lessons of the
/// checkout this binary was built from.
pub fn default_root() -> PathBuf {
    if let Some(dir) = std::env::var_os(LESSONS_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("lessons");
    if local.join(".").is_dir() && has_lessons(&local) {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons")
}

/// (id, folder) of every lesson under `root`, sorted by id.
pub fn list(root: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut lessons: Vec<(String, PathBuf)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(LESSON_FILE).is_file())
        .filter_map(|p| Some((p.file_name()?.to_str()?.to_string(), p)))
        .collect();
    lessons.sort();
    lessons
}

fn has_lessons(root: &Path) -> bool {
    !list(root).is_empty()
}
