//! `kubetutor lab build | up | down | status | env | nodes`.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::lab::{self, Health, LabPaths, PODS_PER_NODE, UpOptions, bins};

/// Exit status of `lab status` when not every component serves.
const NOT_ALL_SERVING: u8 = 3;

#[derive(Subcommand, Debug)]
pub enum LabAction {
    /// Build the lab's binaries from their pinned Go modules (needs Go): about
    /// 6 minutes on 2 cores the first time, at once when already built; one
    /// line per component, the Go tool's output in a log. `up` builds when
    /// needed too.
    Build,
    /// Start the lab (building its binaries on first use); reuses the components
    /// that serve, restarts those that do not. Fails unless the whole lab serves.
    Up {
        /// Port for the API server on 127.0.0.1 (default: the previous one, or a free one).
        #[arg(long)]
        port: Option<u16>,
        /// Also run a real node: kubelet, containerd and runc (real containers),
        /// kube-proxy and CoreDNS on a host-only bridge; built from their Go
        /// modules on first use (about 10 minutes). Needs root. kwok stays the default.
        #[arg(long)]
        real_node: bool,
    },
    /// Stop every lab process; returns once each has exited and freed its ports
    /// and etcd's data directory.
    Down {
        /// Also delete the lab's state: certificates, etcd data, logs.
        #[arg(long)]
        purge: bool,
    },
    /// Show whether each component runs and serves (asked on its health
    /// endpoint), its port and its log. Exits 3 unless all serve.
    Status,
    /// Print `export KUBECONFIG=...` for the lab (use: eval "$(kubetutor lab env)").
    Env,
    /// Make the lab have COUNT fake (kwok) nodes, 110 Pods each, and wait until
    /// they are Ready (benchmarks with many Pods need more than one).
    Nodes {
        #[arg(value_parser = clap::value_parser!(u32).range(1..=1000))]
        count: u32,
    },
}

pub fn run(action: LabAction) -> anyhow::Result<ExitCode> {
    let paths = LabPaths::from_env()?;
    let mut progress = |line: &str| eprintln!("lab: {line}");
    match action {
        LabAction::Build => build(&mut progress),
        LabAction::Up { port, real_node } => {
            let runtime = tokio::runtime::Runtime::new()?;
            let options = UpOptions { port, real_node };
            let report = runtime.block_on(lab::up(&paths, &options, &mut progress))?;
            let started: Vec<&str> = report.started.iter().map(|c| c.name()).collect();
            let what = match started.len() {
                0 => "nothing to start".to_string(),
                n if n == lab::Component::ALL.len() => "started everything".to_string(),
                _ => format!("started {}", started.join(", ")),
            };
            eprintln!(
                "lab: ready in {:.1} s ({what}). Use it with:\n  export KUBECONFIG={}\n  \
                 (or: eval \"$(kubetutor lab env)\")",
                report.elapsed.as_secs_f64(),
                paths.kubeconfig().display()
            );
            Ok(ExitCode::SUCCESS)
        }
        LabAction::Down { purge } => {
            lab::down(&paths, purge, &mut progress)?;
            Ok(ExitCode::SUCCESS)
        }
        LabAction::Status => status(&paths),
        LabAction::Env => {
            // Read by `eval`: quoted, so a path with spaces or `$` stays a path.
            println!("export KUBECONFIG={}", shell_quoted(&paths.kubeconfig()));
            Ok(ExitCode::SUCCESS)
        }
        LabAction::Nodes { count } => {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(nodes(&paths, count, &mut progress))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn build(progress: &mut dyn FnMut(&str)) -> anyhow::Result<ExitCode> {
    if let bins::Cache::Built(dir) = bins::check_cache()? {
        progress(&format!("already built: {}", dir.display()));
        println!("{}", dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    progress(&format!(
        "building the lab's control plane from its Go modules: {}",
        bins::BUILD_TIME
    ));
    let (dir, took) = bins::build()?;
    progress(&format!(
        "built in {} min {} s: {}",
        took.as_secs() / 60,
        took.as_secs() % 60,
        dir.display()
    ));
    println!("{}", dir.display());
    Ok(ExitCode::SUCCESS)
}

fn status(paths: &LabPaths) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(lab::health(paths));
    println!("lab folder: {}", paths.root().display());
    let mut not_serving = 0;
    for c in &report {
        let name = c.status.component.name();
        let pid = c.status.pid.map(|p| format!("pid {p}")).unwrap_or_default();
        let state = match &c.health {
            Health::Serving => "running, serving",
            Health::NotServing(_) => "running, NOT SERVING",
            Health::Stopped => "stopped",
        };
        let port = c
            .status
            .port
            .map(|p| format!("127.0.0.1:{p}"))
            .unwrap_or_default();
        println!(
            "  {name:<24} {state:<21} {pid:<10} {port:<16} log {}",
            c.status.log.display()
        );
        match &c.health {
            Health::Serving => {}
            Health::NotServing(reason) => {
                println!("  {:<24} └ {reason}", "");
                not_serving += 1;
            }
            Health::Stopped => not_serving += 1,
        }
    }
    let mut total = report.len();
    if lab::real_node::present(paths) {
        total += lab::real_node::NodeComponent::ALL.len();
        // The real node's processes (`lab up --real-node`): running or not;
        // `lab up --real-node` waits for each to serve when it starts it.
        for component in lab::real_node::NodeComponent::ALL {
            let name = component.name();
            let (state, pid) = match lab::real_node::running(paths, component) {
                Some(record) => ("running", format!("pid {}", record.pid)),
                None => {
                    not_serving += 1;
                    ("stopped", String::new())
                }
            };
            println!(
                "  {name:<24} {state:<21} {pid:<10} {:<16} log {}",
                "",
                paths.log_file(name).display()
            );
        }
    }
    if report.iter().any(|c| c.status.pid.is_some()) {
        println!("kubeconfig: {}", paths.kubeconfig().display());
    }
    if let Some(bin) = lab::bin_dir(paths) {
        println!("binaries:   {}", bin.display());
    }
    // Components read their certificates at start; only `lab up` renews.
    let due = lab::certificates_due_for_renewal(paths);
    if let Some((stem, end)) = due.first() {
        let count = due.len();
        let date = end.date();
        println!(
            "certificates: {count} expire within 30 days (first: {stem}.crt, on {date}); \
             `kubetutor lab up` renews them and restarts the components that use them"
        );
    }
    // The exit status tells scripts whether the whole lab serves.
    if not_serving == 0 {
        println!("all {total} components serve");
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "not ready: {not_serving} of {total} components do not serve; \
             `kubetutor lab up` (re)starts them"
        );
        Ok(ExitCode::from(NOT_ALL_SERVING))
    }
}

async fn nodes(paths: &LabPaths, count: u32, progress: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
    let admin = lab::admin_config(paths)
        .await
        .context("the lab has no kubeconfig yet: start it with `kubetutor lab up`")?;
    let client = crate::transport::client(&admin)?;
    client.apiserver_version().await.with_context(|| {
        format!(
            "the lab's API server does not answer (kubeconfig {}): start it with `kubetutor lab up`",
            paths.kubeconfig().display()
        )
    })?;
    let removed = lab::remove_nodes_from(&client, count).await?;
    if !removed.is_empty() {
        progress(&format!(
            "removed {} (their Pods are deleted)",
            removed.join(", ")
        ));
    }
    let names = lab::add_nodes(&client, count).await?;
    progress(&format!(
        "{} kwok node{} Ready ({}): room for {} Pods, {PODS_PER_NODE} each",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        span(&names),
        names.len() as u32 * PODS_PER_NODE
    ));
    Ok(())
}

/// "kwok-node-0" or "kwok-node-0 … kwok-node-4".
fn span(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [first, .., last] => format!("{first} … {last}"),
    }
}

/// `path` as one shell word: single-quoted, a `'` inside written `'\''`.
fn shell_quoted(path: &std::path::Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

#[cfg(test)]
mod env_tests {
    use super::*;

    #[test]
    fn lab_env_prints_a_path_eval_reads_back_whole() {
        let path = std::path::Path::new("/tmp/a b/$(touch x)/it's/kubeconfig");
        let line = format!("export KUBECONFIG={}", shell_quoted(path));
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{line}; printf %s \"$KUBECONFIG\""))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), path.to_str().unwrap());
    }
}
