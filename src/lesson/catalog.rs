//! Finding lessons: every folder with a `lesson.yaml` under the lessons root.

use std::fmt;
use std::path::{Path, PathBuf};

use super::load::LESSON_FILE;
use crate::embedded;

/// Environment variable naming the lessons root.
pub const LESSONS_DIR_ENV: &str = "KUBETUTOR_LESSONS";

/// Why this root: a folder the user named wins over the built-in lessons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootSource {
    Flag,
    Env,
    BuiltIn,
}

/// The lessons root in use, and why.
#[derive(Debug, Clone)]
pub struct LessonsRoot {
    pub path: PathBuf,
    pub source: RootSource,
}

impl LessonsRoot {
    /// A few words for the TUI: "built-in lessons (kubetutor 0.1.0)", or the
    /// folder and what named it.
    pub fn short(&self) -> String {
        match self.source {
            RootSource::Flag => format!("from {} (--lessons-dir)", self.path.display()),
            RootSource::Env => format!("from {} (${LESSONS_DIR_ENV})", self.path.display()),
            RootSource::BuiltIn => {
                format!("built-in lessons (kubetutor {})", env!("CARGO_PKG_VERSION"))
            }
        }
    }
}

impl fmt::Display for LessonsRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.source {
            RootSource::Flag => "named by --lessons-dir".to_string(),
            RootSource::Env => format!("named by ${LESSONS_DIR_ENV}"),
            RootSource::BuiltIn => format!(
                "built into kubetutor {}; --lessons-dir or ${LESSONS_DIR_ENV} names another folder",
                env!("CARGO_PKG_VERSION")
            ),
        };
        write!(f, "lessons root: {} ({why})", self.path.display())
    }
}

/// `flag` (`--lessons-dir`), else `$KUBETUTOR_LESSONS`, else the lessons built
/// into this binary, written once to the cache folder (see `embedded`).
pub fn resolve(flag: Option<&Path>) -> anyhow::Result<LessonsRoot> {
    if let Some(path) = flag {
        return Ok(LessonsRoot {
            path: path.to_path_buf(),
            source: RootSource::Flag,
        });
    }
    if let Some(dir) = std::env::var_os(LESSONS_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(LessonsRoot {
            path: PathBuf::from(dir),
            source: RootSource::Env,
        });
    }
    let parent = embedded::cache_root()?.join("lessons");
    Ok(LessonsRoot {
        path: embedded::materialise(&embedded::LESSONS, &parent)?,
        source: RootSource::BuiltIn,
    })
}

/// The root when no folder is named on the command line. Should the cache be
/// unwritable, the error is printed and the (empty) cache path returned, so
/// the caller's "no lessons in …" names the folder too.
pub fn default_root() -> PathBuf {
    match resolve(None) {
        Ok(root) => root.path,
        Err(err) => {
            eprintln!("error: cannot write the built-in lessons to the cache folder: {err:#}");
            embedded::cache_root()
                .map(|c| c.join("lessons"))
                .unwrap_or_else(|_| PathBuf::from("lessons"))
        }
    }
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
