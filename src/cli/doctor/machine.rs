//! What this machine offers: Go (to build the lab), the lab's build cache, the
//! lab itself, and the terminal.

use std::io::IsTerminal;
use std::process::Command;

use super::Finding;
use crate::lab::{self, Health, LabPaths, bins};

pub async fn findings() -> Vec<Finding> {
    let go = go();
    let cache = cache();
    let lab = lab_health().await;
    vec![go, cache, lab]
}

/// "go1.26.8" → [1, 26, 8].
fn version_numbers(text: &str) -> Vec<u32> {
    text.trim_start_matches("go")
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|n| n.parse().unwrap_or(0))
        .collect()
}

fn go() -> Finding {
    let minimum = bins::pinned_versions()
        .into_iter()
        .find(|(k, _)| k == "GO_MIN")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let install = format!(
        "install Go {minimum} or newer (https://go.dev/dl/) and put it on PATH; \
         it is needed only to build the lab (`kubetutor lab build`)"
    );
    let output = Command::new("go")
        .args(["env", "GOVERSION"])
        .env("GOTOOLCHAIN", "local")
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if version_numbers(&version) >= version_numbers(&minimum) {
                Finding::ok(
                    "go",
                    format!("{version} (the lab needs {minimum} or newer)"),
                )
            } else {
                Finding::warn(
                    "go",
                    format!("{version} is older than the {minimum} the lab's modules need"),
                    install,
                )
            }
        }
        _ => Finding::warn("go", "not found on PATH", install),
    }
}

fn cache() -> Finding {
    if let Some(dir) = std::env::var_os(bins::BIN_DIR_ENV).filter(|d| !d.is_empty()) {
        let dir = std::path::PathBuf::from(dir);
        return match bins::check_complete(&dir) {
            Ok(()) => Finding::ok(
                "lab cache",
                format!("{} (from ${})", dir.display(), bins::BIN_DIR_ENV),
            ),
            Err(err) => Finding::warn(
                "lab cache",
                format!("{err:#}"),
                format!(
                    "unset {} or point it at a complete folder",
                    bins::BIN_DIR_ENV
                ),
            ),
        };
    }
    match bins::check_cache() {
        Ok(bins::Cache::Built(dir)) => {
            Finding::ok("lab cache", format!("built: {}", dir.display()))
        }
        Ok(bins::Cache::NotBuilt(dir)) => Finding::warn(
            "lab cache",
            format!("not built yet ({})", dir.display()),
            format!("`{}` ({})", bins::BUILD_COMMAND, bins::BUILD_TIME),
        ),
        Err(err) => Finding::warn(
            "lab cache",
            format!("cannot tell: {err:#}"),
            "install Go (the cache is keyed on its version), or set KUBETUTOR_LAB_BIN to a folder of lab binaries",
        ),
    }
}

async fn lab_health() -> Finding {
    let paths = match LabPaths::from_env() {
        Ok(paths) => paths,
        Err(err) => return Finding::warn("lab", format!("{err:#}"), "set KUBETUTOR_LAB_DIR"),
    };
    let report = lab::health(&paths).await;
    let serving = report
        .iter()
        .filter(|c| c.health == Health::Serving)
        .count();
    let due = lab::certificates_due_for_renewal(&paths);
    if serving == report.len()
        && let Some((stem, end)) = due.first()
    {
        return Finding::warn(
            "lab",
            format!(
                "all {serving} components serve, but {} certificate(s) expire within 30 days \
                 (first: {stem}.crt on {})",
                due.len(),
                end.date()
            ),
            "`kubetutor lab up` renews them and restarts the components that use them",
        );
    }
    if serving == report.len() {
        return Finding::ok(
            "lab",
            format!(
                "all {serving} components serve ({})",
                paths.root().display()
            ),
        );
    }
    if report.iter().all(|c| c.health == Health::Stopped) {
        return Finding::warn(
            "lab",
            format!("not running ({})", paths.root().display()),
            "`kubetutor lab up` starts it (only needed if you use the local lab)",
        );
    }
    let broken: Vec<String> = report
        .iter()
        .filter_map(|c| match &c.health {
            Health::Serving => None,
            Health::NotServing(why) => Some(format!(
                "{} does not serve: {why}",
                c.status.component.name()
            )),
            Health::Stopped => Some(format!("{} stopped", c.status.component.name())),
        })
        .collect();
    Finding::warn(
        "lab",
        format!(
            "{serving} of {} components serve; {}",
            report.len(),
            broken.join("; ")
        ),
        "`kubetutor lab up` restarts what does not serve; `kubetutor lab status` shows the logs",
    )
}

/// Size and colours of the terminal kubetutor runs in.
pub fn terminal() -> Finding {
    if !std::io::stdout().is_terminal() {
        return Finding::ok(
            "terminal",
            "not a terminal (output is redirected): run `kubetutor doctor` in the terminal you use for the tutor to check its size and colours",
        );
    }
    let colours = colours();
    match crossterm::terminal::size() {
        Ok((width, height)) if width >= 100 && height >= 30 => Finding::ok(
            "terminal",
            format!(
                "{width}×{height}, {colours}{}",
                if width < 120 {
                    " (below 120×30 the panes are tabs)"
                } else {
                    ""
                }
            ),
        ),
        Ok((width, height)) => Finding::warn(
            "terminal",
            format!(
                "{width}×{height}, {colours}: smaller than the 100×30 the tutor is laid out for"
            ),
            "make the window larger or the font smaller (120×30 shows every pane at once)",
        ),
        Err(err) => Finding::warn(
            "terminal",
            format!("cannot read its size: {err}"),
            "run kubetutor in a terminal emulator (not a pipe or a dumb terminal)",
        ),
    }
}

fn colours() -> String {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if !var("NO_COLOR").is_empty() {
        return "colours off (NO_COLOR is set)".into();
    }
    let colorterm = var("COLORTERM");
    let term = var("TERM");
    if colorterm == "truecolor" || colorterm == "24bit" {
        "24-bit colour".into()
    } else if term.contains("256") {
        "256 colours".into()
    } else if term == "dumb" || term.is_empty() {
        format!("TERM={term:?}: colours may not show (set TERM, e.g. xterm-256color)")
    } else {
        format!("basic colours (TERM={term})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_versions_compare_by_number_not_by_text() {
        assert!(version_numbers("go1.26.8") >= version_numbers("1.26.0"));
        assert!(version_numbers("go1.100.0") > version_numbers("1.26.0"));
        assert!(version_numbers("go1.25.9") < version_numbers("1.26.0"));
    }
}
