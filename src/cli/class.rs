//! `kubetutor class create | board | status | delete`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::ClusterArgs;
use crate::class;
use crate::cluster::kinds::Kinds;
use crate::lesson::catalog;

#[derive(Subcommand, Debug)]
pub enum ClassAction {
    /// A namespace, an account (admin there, nothing elsewhere) and a kubeconfig
    /// per attendee. Again: adds missing attendees and renews every token.
    Create {
        /// The class name (begins every attendee namespace: NAME-01, NAME-02, …).
        name: String,
        /// How many attendees.
        #[arg(long)]
        attendees: usize,
        /// The lesson (default: serviceaccount-rbac); several, comma-separated
        /// (the first opens), or `all`: each attendee may take them all in
        /// their namespace, and is granted what each needs.
        #[arg(long)]
        lesson: Option<String>,
        /// Grant rights a lesson declares that reach beyond an attendee's
        /// namespace (create refuses them otherwise, and says the risk).
        #[arg(long)]
        allow_risky_rights: bool,
        /// Accept what the lessons declare they do beyond their namespace
        /// (see `kubetutor lessons --show-rights`): create refuses a lesson
        /// that is not shipped with kubetutor until its version is accepted.
        #[arg(long)]
        accept_rights: bool,
        /// How long the attendees' tokens are valid, in hours.
        #[arg(long, default_value_t = 8)]
        token_hours: i64,
        /// Folder for the kubeconfig files (default: ./NAME).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The ResourceQuota of each attendee namespace: KEY=VALUE,… changes
        /// or adds counts (pods=30, count/jobs.batch=20, …; see
        /// docs/classroom.md for the defaults), `none` makes none.
        #[arg(long, value_name = "KEY=VALUE,…|none")]
        quota: Option<String>,
        /// The LimitRange of each attendee namespace, per container:
        /// KEY=VALUE,… with keys defaultRequest.cpu, defaultRequest.memory,
        /// default.cpu, default.memory, max.cpu, max.memory; `none` makes none.
        #[arg(long, value_name = "KEY=VALUE,…|none")]
        limit_range: Option<String>,
        /// Folder holding the lessons.
        #[arg(long)]
        lessons_dir: Option<PathBuf>,
    },
    /// The live board: a row per attendee, a column per step.
    Board {
        name: String,
        /// Start in the projector view.
        #[arg(long)]
        presenter: bool,
        #[command(flatten)]
        limits: LimitArgs,
        /// Folder holding the lessons.
        #[arg(long)]
        lessons_dir: Option<PathBuf>,
    },
    /// Every attendee's steps, evaluated once: a table, or JSON with `-o json`.
    Status {
        name: String,
        /// table or json.
        #[arg(long, short = 'o', default_value = "table")]
        output: String,
        /// Folder holding the lessons.
        #[arg(long)]
        lessons_dir: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Delete what the class made (its record, each object checked by UID), and nothing else.
    Delete { name: String },
}

/// When an attendee counts as stuck or gone.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct LimitArgs {
    /// Stuck: on one step with a failing check or an apply error for longer
    /// than this many minutes.
    #[arg(long, default_value_t = 5.0)]
    pub stuck_minutes: f64,
    /// Gone: their tutor not seen for longer than this many minutes.
    #[arg(long, default_value_t = 10.0)]
    pub gone_minutes: f64,
}

impl LimitArgs {
    pub fn limits(self) -> anyhow::Result<class::presence::Limits> {
        class::presence::Limits::from_minutes(self.stuck_minutes, self.gone_minutes)
    }
}

/// The live board's runtime (`tui::board::run`), given by the caller: a
/// terminal runtime is not the command line's to start.
pub type BoardRuntime<'a> = &'a dyn Fn(
    &str,
    &crate::cluster::connect::Target,
    &std::path::Path,
    bool,
    class::presence::Limits,
) -> anyhow::Result<ExitCode>;

pub fn run(
    action: ClassAction,
    cluster: &ClusterArgs,
    board: BoardRuntime,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    let mut progress = |line: &str| eprintln!("class: {line}");
    match action {
        ClassAction::Create {
            name,
            attendees,
            lesson,
            allow_risky_rights,
            accept_rights,
            token_hours,
            out,
            quota,
            limit_range,
            lessons_dir,
        } => {
            let sizes =
                class::bounds::Sizes::from_flags(quota.as_deref(), limit_range.as_deref())?;
            anyhow::ensure!(
                (1..=24 * 366).contains(&token_hours),
                "--token-hours {token_hours}: give between 1 and 8784 hours"
            );
            let root = lessons_dir.unwrap_or_else(catalog::default_root);
            let named = lesson.unwrap_or_else(|| super::DEFAULT_LESSON.to_string());
            let ids: Vec<String> = if named == "all" {
                crate::lesson::catalog::in_learning_order(&root)
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect()
            } else {
                named.split(',').map(|id| id.trim().to_string()).collect()
            };
            let mut lessons = Vec::new();
            for id in &ids {
                lessons.push(crate::lesson::Lesson::load(&root.join(id), None).map_err(
                    |errors| {
                        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                        anyhow::anyhow!("lesson {id} does not load:\n{}", list.join("\n"))
                    },
                )?);
            }
            // The rights are granted to every attendee: the instructor reads
            // and accepts them first, as a learner does.
            for lesson in &lessons {
                super::accepted(lesson, accept_rights)?;
            }
            let (lesson, also) = lessons
                .split_first()
                .ok_or_else(|| anyhow::anyhow!("--lesson names no lesson"))?;
            let out = out.unwrap_or_else(|| PathBuf::from(&name));
            runtime.block_on(async {
                let config = cluster.target().config().await?;
                let client = crate::transport::client(&config)?;
                let kinds = Kinds::discover(&client).await?;
                let options = class::create::CreateOptions {
                    class: &name,
                    attendees,
                    lesson,
                    also,
                    allow_risky: allow_risky_rights,
                    token_seconds: token_hours * 3600,
                    sizes,
                    out,
                };
                let created =
                    class::create::create(&client, &config, &kinds, &options, &mut progress).await?;
                println!(
                    "Class {name}: {} attendees ({} new), lesson{} {}.",
                    created.files.len(),
                    created.added.len(),
                    if also.is_empty() { "" } else { "s" },
                    ids.join(", ")
                );
                for line in &created.bounds {
                    println!("{line}.");
                }
                if !created.rights.is_empty() {
                    println!("Beyond admin of their namespace, the lessons need each attendee to:");
                    for right in &created.rights {
                        println!("  - {right}");
                    }
                }
                if created.grants.is_empty() {
                    println!("Each attendee is admin of their namespace and may read nothing outside it.");
                } else {
                    println!(
                        "Each attendee is admin of their namespace; outside it, the lesson's checks need them to:"
                    );
                    for grant in &created.grants {
                        println!("  - {grant}");
                    }
                }
                if let Some(shortened) = &created.shortened {
                    println!("{shortened}.");
                }
                if !created.revoked.is_empty() {
                    println!(
                        "Tokens renewed: the kubeconfig files handed out before to {} attendee{} \
                         ({}) no longer work (their accounts were re-created; the API server \
                         refuses the old tokens). Hand out the new files.",
                        created.revoked.len(),
                        if created.revoked.len() == 1 { "" } else { "s" },
                        created.revoked.join(", ")
                    );
                }
                println!("Hand each attendee their file; they run:");
                for file in &created.files {
                    println!("  kubetutor --kubeconfig {}", file.display());
                }
                println!("Watch the class: kubetutor class board {name}");
                Ok(ExitCode::SUCCESS)
            })
        }
        ClassAction::Board {
            name,
            presenter,
            lessons_dir,
            limits,
        } => {
            let limits = limits.limits()?;
            drop(runtime); // the board runs its own
            let root = lessons_dir.unwrap_or_else(catalog::default_root);
            board(&name, &cluster.target(), &root, presenter, limits)
        }
        ClassAction::Status {
            name,
            output,
            lessons_dir,
            limits,
        } => {
            let limits = limits.limits()?;
            anyhow::ensure!(
                output == "table" || output == "json",
                "-o {output}: use table or json"
            );
            class::check_name(&name)?;
            let root = lessons_dir.unwrap_or_else(catalog::default_root);
            runtime.block_on(async {
                let config = cluster.target().config().await?;
                let client = crate::transport::client(&config)?;
                let attendees = class::roster::attendees(&client, &name).await?;
                anyhow::ensure!(
                    !attendees.is_empty(),
                    "class {name} has no attendees on this cluster"
                );
                // Each lesson's checks run with the instructor's credentials:
                // only a version accepted on this machine (lesson ids come
                // from the cluster, so nothing is accepted here).
                let lessons = attendees
                    .iter()
                    .map(|a| class::status::lesson_for(&root, a))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                crate::app::saved::approved::require_all(
                    &crate::app::saved::state_dir()?,
                    &lessons,
                )?;
                let evaluation = class::status::evaluate(&config, &attendees, lessons).await?;
                let evaluated = &evaluation.attendees;
                let now = class::publish::unix_now();
                if output == "json" {
                    let json = class::status::json_with_watches(&name, &evaluation, now, limits);
                    println!("{}", serde_json::to_string_pretty(&json)?);
                } else {
                    // Attendee names and the cluster's messages: no escapes.
                    print!(
                        "{}",
                        crate::lesson::untrusted::printable(&class::status::table(
                            evaluated, now, limits
                        ))
                    );
                }
                Ok(ExitCode::SUCCESS)
            })
        }
        ClassAction::Delete { name } => runtime.block_on(async {
            let config = cluster.target().config().await?;
            let client = crate::transport::client(&config)?;
            let deleted = class::delete::delete(&client, &name, &mut progress).await?;
            let what = if deleted.left.is_empty() {
                "nothing else was touched".to_string()
            } else {
                format!(
                    "left alone, not made by it though named as it named them: {}",
                    deleted.left.join(", ")
                )
            };
            println!("Class {name}: {} objects deleted; {what}.", deleted.count);
            if !deleted.files.is_empty() {
                println!(
                    "Its kubeconfig files are still on disk (their tokens no longer work); remove them with:"
                );
                println!("  rm {}", deleted.files.join(" "));
            }
            Ok(ExitCode::SUCCESS)
        }),
    }
}
