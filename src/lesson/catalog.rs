//! Finding lessons: every folder with a `lesson.yaml` under the lessons root.

use std::path::{Path, PathBuf};

use super::load::LESSON_FILE;

/// Environment variable naming the lessons root.
pub const LESSONS_DIR_ENV: &str = "KUBETUTOR_LESSONS";

/// `$KUBETUTOR_LESSONS`, else `./lessons` when present, else the lessons of the
/// checkout this binary was built from.
pub fn default_root() -> PathBuf {
    root(None).dir
}

/// The lessons root in use, and why that one: lessons are untrusted input,
/// so the learner is shown where they come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub dir: PathBuf,
    pub chosen_by: ChosenBy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChosenBy {
    Flag,
    Env,
    /// A `lessons` folder of the current directory: picked up without being
    /// asked for, so it gets a warning.
    CurrentDir,
    Checkout,
}

impl Root {
    /// "lessons from /abs/path (--lessons-dir)".
    pub fn describe(&self) -> String {
        let why = match self.chosen_by {
            ChosenBy::Flag => "--lessons-dir".to_string(),
            ChosenBy::Env => format!("${LESSONS_DIR_ENV}"),
            ChosenBy::CurrentDir => "./lessons in the current directory".to_string(),
            ChosenBy::Checkout => "the checkout kubetutor was built from".to_string(),
        };
        let dir = self.dir.canonicalize().unwrap_or_else(|_| self.dir.clone());
        format!("lessons from {} ({why})", dir.display())
    }

    /// Said when the root was picked up from the current directory.
    pub fn warning(&self) -> Option<String> {
        (self.chosen_by == ChosenBy::CurrentDir).then(|| {
            "warning: using the lessons folder of the current directory; lessons are shared files, \
             so run them only if you trust them (choose with --lessons-dir or $KUBETUTOR_LESSONS)"
                .to_string()
        })
    }
}

/// `flag` (--lessons-dir), else `$KUBETUTOR_LESSONS`, else `./lessons` when it
/// holds lessons, else the lessons of the checkout this binary was built from.
pub fn root(flag: Option<&Path>) -> Root {
    let (dir, chosen_by) = if let Some(dir) = flag {
        (dir.to_path_buf(), ChosenBy::Flag)
    } else if let Some(dir) = std::env::var_os(LESSONS_DIR_ENV).filter(|d| !d.is_empty()) {
        (PathBuf::from(dir), ChosenBy::Env)
    } else {
        let local = PathBuf::from("lessons");
        let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
        let same_as_checkout = local.canonicalize().ok() == checkout.canonicalize().ok();
        if local.join(".").is_dir() && has_lessons(&local) && !same_as_checkout {
            (local, ChosenBy::CurrentDir)
        } else {
            (checkout, ChosenBy::Checkout)
        }
    };
    Root { dir, chosen_by }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_says_where_and_why() {
        let flag = root(Some(Path::new("/no/such/lessons")));
        assert_eq!(
            flag.describe(),
            "lessons from /no/such/lessons (--lessons-dir)"
        );
        assert_eq!(flag.warning(), None);
        let local = Root {
            dir: PathBuf::from("/x/lessons"),
            chosen_by: ChosenBy::CurrentDir,
        };
        assert!(
            local
                .describe()
                .ends_with("(./lessons in the current directory)")
        );
        assert!(local.warning().unwrap().contains("--lessons-dir"));
    }
}
