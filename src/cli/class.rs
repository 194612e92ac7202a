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
        /// The lesson (default: serviceaccount-rbac).
        #[arg(long)]
        lesson: Option<String>,
        /// How long the attendees' tokens are valid, in hours.
        #[arg(long, default_value_t = 8)]
        token_hours: i64,
        /// Folder for the kubeconfig files (default: ./NAME).
        #[arg(long)]
        out: Option<PathBuf>,
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
    },
    /// Delete every namespace, Role and RoleBinding the class made (by its label), and nothing else.
    Delete { name: String },
}

pub fn run(action: ClassAction, cluster: &ClusterArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    let mut progress = |line: &str| eprintln!("class: {line}");
    match action {
        ClassAction::Create {
            name,
            attendees,
            lesson,
            token_hours,
            out,
            lessons_dir,
        } => {
            anyhow::ensure!(
                (1..=24 * 366).contains(&token_hours),
                "--token-hours {token_hours}: give between 1 and 8784 hours"
            );
            let root = lessons_dir.unwrap_or_else(catalog::default_root);
            let id = lesson.unwrap_or_else(|| super::DEFAULT_LESSON.to_string());
            let lesson = crate::lesson::Lesson::load(&root.join(&id), None).map_err(|errors| {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                anyhow::anyhow!("lesson {id} does not load:\n{}", list.join("\n"))
            })?;
            let out = out.unwrap_or_else(|| PathBuf::from(&name));
            runtime.block_on(async {
                let config = cluster.target().config().await?;
                let client = kube::Client::try_from(config.clone())?;
                let kinds = Kinds::discover(&client).await?;
                let options = class::create::CreateOptions {
                    class: &name,
                    attendees,
                    lesson: &lesson,
                    token_seconds: token_hours * 3600,
                    out,
                };
                let created =
                    class::create::create(&client, &config, &kinds, &options, &mut progress).await?;
                println!(
                    "Class {name}: {} attendees ({} new), lesson {}.",
                    created.files.len(),
                    created.added.len(),
                    lesson.id
                );
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
        } => {
            drop(runtime); // the board runs its own
            let root = lessons_dir.unwrap_or_else(catalog::default_root);
            class::board::run::run(&name, cluster, &root, presenter)
        }
        ClassAction::Status {
            name,
            output,
            lessons_dir,
        } => {
            anyhow::ensure!(
                output == "table" || output == "json",
                "-o {output}: use table or json"
            );
            class::check_name(&name)?;
            let root = lessons_dir.unwrap_or_else(catalog::default_root);
            runtime.block_on(async {
                let config = cluster.target().config().await?;
                let client = kube::Client::try_from(config.clone())?;
                let attendees = class::roster::attendees(&client, &name).await?;
                anyhow::ensure!(
                    !attendees.is_empty(),
                    "class {name} has no attendees on this cluster"
                );
                let evaluated = class::status::evaluate(&config, &root, &attendees).await?;
                if output == "json" {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&class::status::json(&name, &evaluated))?
                    );
                } else {
                    print!("{}", class::status::table(&evaluated));
                }
                Ok(ExitCode::SUCCESS)
            })
        }
        ClassAction::Delete { name } => runtime.block_on(async {
            let config = cluster.target().config().await?;
            let client = kube::Client::try_from(config)?;
            let deleted = class::delete::delete(&client, &name, &mut progress).await?;
            println!("Class {name}: {deleted} objects deleted; nothing else was touched.");
            Ok(ExitCode::SUCCESS)
        }),
    }
}
