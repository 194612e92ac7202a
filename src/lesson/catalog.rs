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

/// Where lessons are opened from and how: the lessons root, the namespace
/// (None: each lesson's own) and what `${POD_IMAGE}` stands for (None: the
/// default). The tutor keeps one to switch lessons; the commands open one.
#[derive(Debug, Clone)]
pub struct LessonSource {
    pub root: PathBuf,
    pub namespace: Option<String>,
    pub pod_image: Option<String>,
}

impl LessonSource {
    /// Loads lesson `id`, or an error naming the lessons there, or listing
    /// each problem of the lesson with its position.
    pub fn load(&self, id: &str) -> anyhow::Result<super::Lesson> {
        check_id(id).map_err(|why| anyhow::anyhow!(why))?;
        let dir = self.root.join(id);
        if !dir.join(LESSON_FILE).is_file() {
            let known: Vec<String> = list(&self.root).into_iter().map(|(id, _)| id).collect();
            anyhow::bail!(
                "no lesson {id:?} in {}; lessons there: {}",
                self.root.display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
        }
        let pod_image = self
            .pod_image
            .as_deref()
            .unwrap_or(super::vars::DEFAULT_POD_IMAGE);
        super::Lesson::load_for(&dir, self.namespace.as_deref(), pod_image).map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!(
                "the lesson has errors (run `kubetutor lessons lint`):\n{}",
                list.join("\n")
            )
        })
    }
}

/// Ok when `id` names a lesson folder directly under a lessons root. An id
/// comes from `--lesson`, a kubeconfig or a namespace annotation (an
/// attendee's, a stranger's): `..`, `/` or an absolute path would open any
/// folder on the machine as a lesson.
pub fn check_id(id: &str) -> Result<(), String> {
    let plain = !id.is_empty()
        && id.len() <= 253
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not a lesson id: an id is a folder name of letters, digits, '-', '_' and '.' \
             (no '/', no leading '.'); see `kubetutor lessons`",
            id.escape_debug().to_string()
        ))
    }
}

/// The lesson a newcomer starts with: first in every list, opened when none
/// is named.
pub const FIRST_LESSON: &str = "serviceaccount-rbac";

/// The lessons under `root` in learning order: a lesson after its
/// prerequisites, then the first lesson first, then easier before harder,
/// then by id. A lesson that does not load keeps its place by id at the end
/// (`lessons` shows its errors).
pub fn in_learning_order(root: &Path) -> Vec<(String, PathBuf)> {
    let all = list(root);
    let meta: Vec<Option<super::model::Meta>> = all
        .iter()
        .map(|(_, dir)| super::Lesson::load(dir, None).ok().map(|l| l.meta))
        .collect();
    order(
        &all.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        &meta,
    )
    .into_iter()
    .map(|i| all[i].clone())
    .collect()
}

/// Indexes of `ids` in learning order (see `in_learning_order`).
fn order(ids: &[&str], meta: &[Option<super::model::Meta>]) -> Vec<usize> {
    use super::model::Difficulty;
    let rank = |i: usize| {
        let difficulty = match meta[i].as_ref().and_then(|m| m.difficulty) {
            Some(Difficulty::Beginner) => 0,
            Some(Difficulty::Intermediate) => 1,
            Some(Difficulty::Advanced) => 2,
            None => 3,
        };
        (
            meta[i].is_none(),
            ids[i] != FIRST_LESSON,
            difficulty,
            ids[i],
        )
    };
    let prerequisites = |i: usize| -> Vec<usize> {
        meta[i]
            .iter()
            .flat_map(|m| &m.prerequisites)
            .filter_map(|p| ids.iter().position(|id| id == p))
            .collect()
    };
    let mut placed: Vec<usize> = Vec::new();
    while placed.len() < ids.len() {
        let ready = (0..ids.len())
            .filter(|i| !placed.contains(i))
            .filter(|i| prerequisites(*i).iter().all(|p| placed.contains(p)))
            .min_by_key(|i| rank(*i))
            // A cycle of prerequisites: take the easiest of what is left.
            .or_else(|| {
                (0..ids.len())
                    .filter(|i| !placed.contains(i))
                    .min_by_key(|i| rank(*i))
            });
        match ready {
            Some(next) => placed.push(next),
            None => break,
        }
    }
    placed
}

#[cfg(test)]
mod order_tests {
    use super::*;
    use crate::lesson::model::{Difficulty, Meta};

    fn meta(difficulty: Difficulty, prerequisites: &[&str]) -> Option<Meta> {
        Some(Meta {
            minutes: None,
            difficulty: Some(difficulty),
            prerequisites: prerequisites.iter().map(|p| p.to_string()).collect(),
        })
    }

    #[test]
    fn prerequisites_first_then_the_first_lesson_then_easier() {
        let ids = [
            "deployments",
            "labels-owners",
            "pod-security",
            FIRST_LESSON,
            "broken",
        ];
        let metas = [
            meta(Difficulty::Beginner, &["labels-owners"]),
            meta(Difficulty::Beginner, &[]),
            meta(Difficulty::Intermediate, &[]),
            meta(Difficulty::Beginner, &[]),
            None,
        ];
        let ordered: Vec<&str> = order(&ids, &metas).into_iter().map(|i| ids[i]).collect();
        assert_eq!(
            ordered,
            [
                FIRST_LESSON,
                "labels-owners",
                "deployments",
                "pod-security",
                "broken"
            ]
        );
    }

    #[test]
    fn lesson_ids_that_leave_the_root_are_refused() {
        for bad in [
            "..",
            "../x",
            "/etc",
            "a/b",
            "",
            ".hidden",
            "x\u{1b}[2J",
            "a\\b",
        ] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
        for good in ["serviceaccount-rbac", "jobs-cronjobs", "v1.2_x"] {
            assert!(check_id(good).is_ok(), "{good}");
        }
        let source = LessonSource {
            root: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons"),
            namespace: None,
            pod_image: None,
        };
        let err = source
            .load("../tests/hostile_lessons/request-delete")
            .unwrap_err();
        assert!(err.to_string().contains("is not a lesson id"), "{err}");
    }

    #[test]
    fn the_shipped_lessons_start_with_the_first_lesson() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
        let ordered = in_learning_order(&root);
        assert_eq!(ordered[0].0, FIRST_LESSON);
        let position = |id: &str| ordered.iter().position(|(i, _)| i == id).unwrap();
        assert!(position("labels-owners") < position("deployments"));
    }
}
