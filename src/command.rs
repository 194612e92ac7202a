//! The `kubetutor` command line: its arguments, resolved into plain values
//! for the runtimes (`tui`, `cli`), which it wires together. It lives in the
//! library and src/main.rs only calls `main`: a binary crate instantiates
//! again every generic function of the library it reaches (the async
//! commands under `block_on`, clap's derive). The binary alone took 43 s of
//! a release build on 2 cores; library and binary together now take 120 s
//! instead of 140 s, on the newcomer's way to the first lesson.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{self, ClusterArgs, LessonArgs, lab::LabAction};
use clap::{CommandFactory, Parser, Subcommand};

/// `--version`: this build and the lab components it builds and runs.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (lab: ",
    env!("KUBETUTOR_LAB_PINS"),
    ")"
);

/// A terminal tutor for hands-on Kubernetes. Without a command, opens the tutor.
#[derive(Parser)]
#[command(version = VERSION, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    cluster: ClusterArgs,
    #[command(flatten)]
    lesson: LessonArgs,
    /// Start the local lab first (building it on first use) and use it.
    #[arg(long)]
    lab: bool,
    /// Presenter mode for a shared screen: big titles, every step open, tokens masked.
    #[arg(long)]
    presenter: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run the local lab: a real control plane on 127.0.0.1 with one kwok node.
    Lab {
        #[command(subcommand)]
        action: LabAction,
    },
    /// A class on one shared cluster: attendee namespaces and kubeconfigs, a live board.
    Class {
        #[command(subcommand)]
        action: cli::class::ClassAction,
    },
    /// List the lessons, or check lesson files (`lessons lint [PATH]`).
    Lessons {
        #[command(subcommand)]
        action: Option<LessonsAction>,
        /// Folder holding the lessons (default: $KUBETUTOR_LESSONS, else the built-in ones).
        #[arg(long, global = true)]
        lessons_dir: Option<PathBuf>,
        /// Namespace whose progress to show (default: the kubeconfig context's, else each lesson's own).
        #[arg(long, short = 'n')]
        namespace: Option<String>,
        /// Print what each lesson declares it does beyond its namespace with
        /// your rights, what it creates unasked, and whether you accepted it.
        #[arg(long)]
        show_rights: bool,
    },
    /// Check every step of a lesson against the cluster: ✓ or ✗ with the reason.
    Verify {
        #[command(flatten)]
        lesson: LessonArgs,
    },
    /// Delete what a lesson made (nothing else) and start it over, or one step.
    Reset {
        #[command(flatten)]
        lesson: LessonArgs,
        /// Go back to this step (id): its objects and later steps' are deleted.
        #[arg(long)]
        step: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Keep the editor drafts (default: back to the templates).
        #[arg(long)]
        keep_drafts: bool,
        /// Seconds to wait for deletions (finalizers) before giving up.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Create a token for a ServiceAccount (TokenRequest) and show its claims.
    Token {
        /// The ServiceAccount.
        service_account: String,
        /// Its namespace (default: the kubeconfig context's).
        #[arg(long, short = 'n')]
        namespace: Option<String>,
        /// Print the whole token (it is a password: only on a screen nobody else sees).
        #[arg(long)]
        reveal: bool,
    },
    /// Send a request to the API server as anonymous, a ServiceAccount, or a Pod.
    Call {
        /// anonymous, sa:NAME, or pod:NAME (the Pod's own token, bound to it).
        #[arg(long = "as", default_value = "anonymous")]
        caller: String,
        /// Namespace of the ServiceAccount or Pod (default: the kubeconfig context's).
        #[arg(long, short = 'n')]
        namespace: Option<String>,
        /// GET, POST, …
        method: String,
        /// e.g. /api/v1/namespaces/default/pods
        path: String,
    },
    /// Check what kubetutor needs: Go, the lab's cache and health, the kubeconfig,
    /// the API server, your rights for the lesson, the terminal. Exits 1 when
    /// something blocks.
    Doctor {
        #[command(flatten)]
        lesson: LessonArgs,
    },
    /// Print a shell completion script (e.g. `kubetutor completions bash >
    /// ~/.local/share/bash-completion/completions/kubetutor`).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (e.g. `kubetutor man > ~/.local/share/man/man1/kubetutor.1`).
    Man,
    /// Apply the reference solutions and run the actions, step by step.
    Solve {
        #[command(flatten)]
        lesson: LessonArgs,
        /// Stop after this step (id); default: the whole lesson.
        #[arg(long)]
        through: Option<String>,
    },
}

#[derive(Subcommand)]
enum LessonsAction {
    /// Check lesson files; errors are printed as file:line:column.
    Lint {
        /// A lesson folder, or a folder of lessons (default: the lessons folder).
        path: Option<PathBuf>,
    },
    /// Prove each lesson's checks on the cluster: every step's solution
    /// passes, its template does not, and every example gets the verdict it
    /// names — as you, and as a class attendee. Needs a user who may create
    /// namespaces and grant RBAC (the lab's admin). Exits 1 on a disagreement.
    Test {
        /// Lesson ids (default: every lesson).
        ids: Vec<String>,
        /// Whose rights: admin (your kubeconfig's user), attendee, or both.
        #[arg(long = "as", value_enum, default_value = "both")]
        who: Who,
        /// Cases run at once (each in its own scratch namespace).
        #[arg(long, default_value_t = 4)]
        jobs: usize,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Who {
    Admin,
    Attendee,
    Both,
}

/// The `kubetutor` command (src/main.rs calls only this).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = run(cli);
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime = || tokio::runtime::Runtime::new();
    if cli.command.is_some() {
        // `kubetutor class status | head` ends quietly when head has read
        // enough, as any command-line tool does, instead of panicking.
        // SAFETY: restoring a signal's default action, before any thread starts.
        let _ = unsafe {
            nix::sys::signal::signal(
                nix::sys::signal::Signal::SIGPIPE,
                nix::sys::signal::SigHandler::SigDfl,
            )
        };
    }
    // With no kubeconfig at all, a running local lab is used (and said so).
    let uses_cluster = !matches!(
        cli.command,
        Some(
            Command::Lab { .. }
                | Command::Lessons { .. }
                | Command::Class { .. }
                | Command::Completions { .. }
                | Command::Man
        )
    );
    let mut cli = cli;
    if uses_cluster && !cli.lab {
        let (cluster, line) = cli.cluster.or_running_lab();
        if let Some(line) = line {
            eprintln!("{line}");
        }
        cli.cluster = cluster;
    }
    let Some(command) = cli.command else {
        let mut cluster = cli.cluster;
        // `--lab`: the tutor opens as soon as the lab's kubeconfig is written
        // (a second); the lab builds and starts behind it.
        let lab = if cli.lab {
            let paths = crate::lab::LabPaths::from_env()?;
            let lab = crate::lab::background::Background::start(paths.clone())?;
            cluster.kubeconfig = Some(paths.kubeconfig());
            Some(lab)
        } else {
            None
        };
        let lesson = cli.lesson.with_context_defaults(&cluster);
        let tutor = crate::tui::run(crate::tui::Tutor {
            target: cluster.target(),
            chosen: cluster.chosen.clone(),
            lesson: lesson.lesson_id().to_string(),
            lesson_named: lesson.lesson.is_some(),
            lessons: lesson.source(),
            lessons_dir: lesson.lessons_dir.clone(),
            presenter: cli.presenter,
            accept_rights: lesson.accept_rights,
            lab: lab.as_ref().map(|lab| lab.phase()),
        });
        // The terminal is restored by now: say what became of the lab.
        if let Some(said) = lab.and_then(|lab| lab.finish()) {
            eprintln!("kubetutor: {said}.");
        }
        return tutor;
    };
    match command {
        Command::Lab { action } => cli::lab::run(action),
        Command::Class { action } => cli::class::run(action, &cli.cluster, &crate::tui::board::run),
        Command::Lessons {
            action,
            lessons_dir,
            namespace,
            show_rights,
        } => {
            let root = crate::lesson::catalog::resolve(lessons_dir.as_deref())?;
            match action {
                None if show_rights => cli::lessons::show_rights(&root, namespace.as_deref()),
                None => cli::lessons::list(&root, &cli.cluster, namespace.as_deref()),
                Some(LessonsAction::Lint { path: Some(path) }) => cli::lessons::lint(&path),
                Some(LessonsAction::Lint { path: None }) => {
                    println!("{root}");
                    cli::lessons::lint(&root.path)
                }
                Some(LessonsAction::Test { ids, who, jobs }) => {
                    use crate::proof::As;
                    let who = match who {
                        Who::Admin => vec![As::Admin],
                        Who::Attendee => vec![As::Attendee],
                        Who::Both => vec![As::Admin, As::Attendee],
                    };
                    let (cluster, line) = cli.cluster.or_running_lab();
                    if let Some(line) = line {
                        eprintln!("{line}");
                    }
                    let options = cli::lessons_test::TestOptions {
                        ids: &ids,
                        who: &who,
                        jobs,
                    };
                    runtime()?.block_on(cli::lessons_test::run(&root, &cluster, &options))
                }
            }
        }
        Command::Verify { lesson } => {
            let lesson = lesson.with_context_defaults(&cli.cluster);
            runtime()?.block_on(cli::run::verify(&lesson, &cli.cluster))
        }
        Command::Reset {
            lesson,
            step,
            yes,
            keep_drafts,
            timeout,
        } => {
            let options = cli::reset::ResetOptions {
                step: step.as_deref(),
                yes,
                keep_drafts,
                timeout: std::time::Duration::from_secs(timeout),
            };
            let lesson = lesson.with_context_defaults(&cli.cluster);
            runtime()?.block_on(cli::reset::run(&lesson, &cli.cluster, &options))
        }
        Command::Token {
            service_account,
            namespace,
            reveal,
        } => runtime()?.block_on(cli::calls::token(
            &cli.cluster,
            namespace.as_deref(),
            &service_account,
            reveal,
        )),
        Command::Call {
            caller,
            namespace,
            method,
            path,
        } => runtime()?.block_on(cli::calls::call(
            &cli.cluster,
            namespace.as_deref(),
            &caller,
            &method,
            &path,
        )),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "kubetutor", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { lesson } => runtime()?.block_on(cli::doctor::run(&lesson, &cli.cluster)),
        Command::Solve { lesson, through } => {
            let lesson = lesson.with_context_defaults(&cli.cluster);
            runtime()?.block_on(cli::run::solve(&lesson, &cli.cluster, through.as_deref()))
        }
    }
}
