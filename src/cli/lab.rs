//! `kubetutor lab up | down | status | env`.

use std::process::ExitCode;

use clap::Subcommand;

use crate::lab::{self, LabPaths, UpOptions};

#[derive(Subcommand, Debug)]
pub enum LabAction {
    /// Start the lab (building its binaries on first use); reuses a running one.
    Up {
        /// Port for the API server on 127.0.0.1 (default: the previous one, or a free one).
        #[arg(long)]
        port: Option<u16>,
    },
    /// Stop every lab process.
    Down {
        /// Also delete the lab's state: certificates, etcd data, logs.
        #[arg(long)]
        purge: bool,
    },
    /// Show which components run, their ports and their logs.
    Status,
    /// Print `export KUBECONFIG=...` for the lab (use: eval "$(kubetutor lab env)").
    Env,
}

pub fn run(action: LabAction) -> anyhow::Result<ExitCode> {
    let paths = LabPaths::from_env()?;
    let mut progress = |line: &str| eprintln!("lab: {line}");
    match action {
        LabAction::Up { port } => {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(lab::up(&paths, &UpOptions { port }, &mut progress))?;
            eprintln!(
                "lab: ready. Use it with:\n  export KUBECONFIG={}\n  (or: eval \"$(kubetutor lab env)\")",
                paths.kubeconfig().display()
            );
            Ok(ExitCode::SUCCESS)
        }
        LabAction::Down { purge } => {
            lab::down(&paths, purge, &mut progress)?;
            Ok(ExitCode::SUCCESS)
        }
        LabAction::Status => {
            let status = lab::status(&paths);
            let running = status.iter().filter(|s| s.pid.is_some()).count();
            println!("lab folder: {}", paths.root().display());
            for s in &status {
                let state = match s.pid {
                    Some(pid) => format!("running  pid {pid:<8}"),
                    None => "stopped             ".to_string(),
                };
                let port = s.port.map(|p| format!("127.0.0.1:{p}")).unwrap_or_default();
                println!(
                    "  {:<24} {state} {port:<16} log {}",
                    s.component.name(),
                    s.log.display()
                );
            }
            if running > 0 {
                println!("kubeconfig: {}", paths.kubeconfig().display());
            }
            if let Some(bin) = lab::bin_dir(&paths) {
                println!("binaries:   {}", bin.display());
            }
            // Exit status tells scripts whether the whole lab runs.
            Ok(if running == status.len() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            })
        }
        LabAction::Env => {
            println!("export KUBECONFIG={}", paths.kubeconfig().display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
