//! Command-line twins of what the TUI does, built on the same functions.

pub mod calls;
pub mod class;
pub mod lab;
pub mod lessons;
pub mod reset;
pub mod run;

use std::path::PathBuf;

use clap::Args;

use crate::cluster::connect::Target;
use crate::lesson::catalog;

/// Which cluster: kubectl's flags.
#[derive(Args, Debug, Clone, Default)]
pub struct ClusterArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: its current context).
    #[arg(long, global = true)]
    pub context: Option<String>,
}

impl ClusterArgs {
    pub fn target(&self) -> Target {
        Target {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
        }
    }
}

/// The lesson opened when none is named (by `--lesson` or the kubeconfig).
pub const DEFAULT_LESSON: &str = "serviceaccount-rbac";

/// Which lesson, where.
#[derive(Args, Debug, Clone)]
pub struct LessonArgs {
    /// Lesson id (see `kubetutor lessons`; default: the one a class kubeconfig
    /// names, else serviceaccount-rbac).
    #[arg(long)]
    pub lesson: Option<String>,
    /// Namespace to work in (default: the kubeconfig context's, else the lesson's own).
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
    /// Folder holding the lessons (default: $KUBETUTOR_LESSONS, ./lessons, or the built-in ones).
    #[arg(long)]
    pub lessons_dir: Option<PathBuf>,
}

impl LessonArgs {
    /// These arguments with what was not given taken from the kubeconfig's
    /// context: its namespace (as kubectl does) and the lesson a class gave it.
    pub fn with_context_defaults(&self, cluster: &ClusterArgs) -> LessonArgs {
        let defaults = crate::cluster::context::defaults(&cluster.target());
        LessonArgs {
            lesson: self.lesson.clone().or(defaults.lesson),
            namespace: self.namespace.clone().or(defaults.namespace),
            lessons_dir: self.lessons_dir.clone(),
        }
    }

    pub fn lesson_id(&self) -> &str {
        self.lesson.as_deref().unwrap_or(DEFAULT_LESSON)
    }

    pub fn root(&self) -> PathBuf {
        self.lessons_root().dir
    }

    /// The lessons root and why it was chosen.
    pub fn lessons_root(&self) -> catalog::Root {
        catalog::root(self.lessons_dir.as_deref())
    }

    /// Loads the lesson, or an error listing each problem with its position.
    pub fn load(&self) -> anyhow::Result<crate::lesson::Lesson> {
        let root = self.root();
        let dir = root.join(self.lesson_id());
        if !dir.join(crate::lesson::load::LESSON_FILE).is_file() {
            let known: Vec<String> = catalog::list(&root).into_iter().map(|(id, _)| id).collect();
            anyhow::bail!(
                "no lesson {:?} in {}; lessons there: {}",
                self.lesson_id(),
                root.display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
        }
        crate::lesson::Lesson::load(&dir, self.namespace.as_deref()).map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!(
                "the lesson has errors (run `kubetutor lessons lint`):\n{}",
                list.join("\n")
            )
        })
    }
}
