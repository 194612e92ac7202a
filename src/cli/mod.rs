//! Command-line twins of what the TUI does, built on the same functions.

pub(crate) mod acts;
pub mod calls;
pub mod class;
pub mod doctor;
pub mod lab;
pub mod lessons;
pub mod lessons_test;
pub mod reset;
pub mod run;
mod waiting;

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
    /// Set when kubetutor chose the cluster itself (the running local lab):
    /// a few words for the status bar.
    #[arg(skip)]
    pub chosen: Option<String>,
}

impl ClusterArgs {
    /// These arguments, or the local lab's kubeconfig when the user has no
    /// kubeconfig at all (no --kubeconfig, --context, $KUBECONFIG nor
    /// ~/.kube/config) and the lab runs; then also the line that says so.
    /// Newcomers who started the lab once need no `eval "$(kubetutor lab env)"`.
    pub fn or_running_lab(&self) -> (ClusterArgs, Option<String>) {
        let named = self.kubeconfig.is_some()
            || self.context.is_some()
            || std::env::var_os("KUBECONFIG").is_some_and(|k| !k.is_empty());
        let home_config = directories::BaseDirs::new()
            .map(|b| b.home_dir().join(".kube/config"))
            .is_some_and(|p| p.exists());
        if named || home_config {
            return (self.clone(), None);
        }
        let Some(kubeconfig) = crate::lab::running_kubeconfig() else {
            return (self.clone(), None);
        };
        let line = format!(
            "kubetutor: no kubeconfig given (--kubeconfig, $KUBECONFIG, ~/.kube/config) and \
             the local lab is running: using the local lab ({})",
            kubeconfig.display()
        );
        let chosen = ClusterArgs {
            kubeconfig: Some(kubeconfig),
            context: None,
            chosen: Some("the local lab: you have no kubeconfig".into()),
        };
        (chosen, Some(line))
    }

    pub fn target(&self) -> Target {
        Target {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
        }
    }
}

/// The lesson opened when none is named (by `--lesson` or the kubeconfig).
pub const DEFAULT_LESSON: &str = crate::lesson::catalog::FIRST_LESSON;

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
    /// Folder holding the lessons (default: $KUBETUTOR_LESSONS, else the built-in ones).
    #[arg(long)]
    pub lessons_dir: Option<PathBuf>,
    /// What `${POD_IMAGE}` stands for on the cluster used (see
    /// `lab::real_node::pod_image_for`); None: the default.
    #[arg(skip)]
    pub pod_image: Option<String>,
    /// Accept what the lesson declares it does beyond its namespace with your
    /// rights (see `kubetutor lessons --show-rights`): remembered for this
    /// version of the lesson, so it is asked once.
    #[arg(long)]
    pub accept_rights: bool,
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
            pod_image: self
                .pod_image
                .clone()
                .or_else(|| crate::lab::real_node::pod_image_for(cluster.kubeconfig.as_deref())),
            accept_rights: self.accept_rights,
        }
    }

    pub fn lesson_id(&self) -> &str {
        self.lesson.as_deref().unwrap_or(DEFAULT_LESSON)
    }

    pub fn root(&self) -> PathBuf {
        self.lessons_dir
            .clone()
            .unwrap_or_else(catalog::default_root)
    }

    /// Where and how lessons open: the root, the namespace, `${POD_IMAGE}`.
    pub fn source(&self) -> catalog::LessonSource {
        catalog::LessonSource {
            root: self.root(),
            namespace: self.namespace.clone(),
            pod_image: self.pod_image.clone(),
        }
    }

    /// Loads the lesson, or an error listing each problem with its position.
    pub fn load(&self) -> anyhow::Result<crate::lesson::Lesson> {
        self.source().load(self.lesson_id())
    }

    /// Loads the lesson for a command that acts on the cluster with the
    /// user's rights (verify, solve, reset): one that reaches beyond its
    /// namespace runs only once this version of it was accepted, here with
    /// `--accept-rights` or earlier in the tutor.
    pub fn load_accepted(&self) -> anyhow::Result<crate::lesson::Lesson> {
        let lesson = self.load()?;
        accepted(&lesson, self.accept_rights)?;
        Ok(lesson)
    }
}

/// Ok when `lesson` stays in its namespace, is shipped with kubetutor, or
/// this version of it was accepted before; with `accept`, accepts it now
/// (and says so); otherwise an error saying what it declares and how to
/// accept it.
pub fn accepted(lesson: &crate::lesson::Lesson, accept: bool) -> anyhow::Result<()> {
    let state_dir = crate::app::saved::state_dir()?;
    let Some(ask) = crate::app::saved::approved::to_ask(&state_dir, lesson) else {
        return Ok(());
    };
    let said = ask.lines().join("\n");
    if accept {
        crate::app::saved::approved::approve(&state_dir, &ask)?;
        eprintln!(
            "{said}\nkubetutor: accepted (--accept-rights), remembered in {}.",
            crate::app::saved::approved::where_remembered(&state_dir).display()
        );
        return Ok(());
    }
    anyhow::bail!(
        "{said}\nkubetutor does not act for a lesson that reaches beyond its namespace until you \
         accept it: read the above, then run the command again with --accept-rights (or open \
         the lesson in the tutor and answer its question). `kubetutor lessons --show-rights` \
         lists what every lesson declares."
    )
}
