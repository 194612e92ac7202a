//! Finding the lab's binaries, building them on first use.
//!
//! One source of truth for the build: `assets/lab/build.sh`. The binary embeds
//! `assets/lab/` and runs that script from a copy in its cache folder, so an
//! installed kubetutor needs no checkout; CI runs the same script in place.
//! The script keys its output on the pinned files and the Go version, so both
//! ways find the same `~/.cache/kubetutor/lab/<key>/bin`.

use std::io::BufRead;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::build_progress::BuildEvent;
use crate::embedded;

/// Environment variable naming a folder that already holds the binaries.
pub const BIN_DIR_ENV: &str = "KUBETUTOR_LAB_BIN";

/// Environment variable naming a script run instead of the embedded build.sh,
/// with the same contract (`--check`; the bin folder on stdout's last line;
/// the `@` progress lines on stderr). Tests use it for a build they control.
pub const BUILD_SCRIPT_ENV: &str = "KUBETUTOR_LAB_BUILD_SCRIPT";

/// Environment variable moving the build cache (read by build.sh).
pub const CACHE_ENV: &str = "KUBETUTOR_LAB_CACHE";

/// The command people run to build the lab (named in build.sh's messages).
pub const BUILD_COMMAND: &str = "kubetutor lab build";

/// What a first build costs, said before it starts so nobody thinks it hangs.
pub const BUILD_TIME: &str = "about 6 minutes on 2 cores (more on a busy machine) and a few GB \
                              of RAM the first time; later builds find the cache and return at once";

/// build.sh's exit status for `--check` when the binaries are not built yet.
const NOT_BUILT: i32 = 3;

/// Every file `build.sh` puts in the bin folder: the executables (kubectl
/// too: it matches the server's version) and kwok's stage definitions.
pub const ARTIFACTS: &[&str] = &[
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "kwok",
    KWOK_STAGES,
];

/// kwok's node and pod lifecycle stages (kwok refuses to start without any).
pub const KWOK_STAGES: &str = "kwok-stages.yaml";

/// The embedded build inputs written to `~/.cache/kubetutor/lab-src/<version>-<hash>/`;
/// returns its build.sh.
/// `$KUBETUTOR_LAB_BUILD_SCRIPT` instead, when set.
pub fn build_script() -> anyhow::Result<PathBuf> {
    if let Some(script) = std::env::var_os(BUILD_SCRIPT_ENV).filter(|s| !s.is_empty()) {
        return Ok(PathBuf::from(script));
    }
    let parent = embedded::cache_root()?.join("lab-src");
    let dir = embedded::materialise(&embedded::LAB, &parent)
        .context("writing the lab's build files to the cache folder")?;
    Ok(dir.join("build.sh"))
}

/// Whether the build cache holds every binary, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cache {
    Built(PathBuf),
    NotBuilt(PathBuf),
}

/// Asks build.sh (`--check`: it builds nothing) where the binaries are and
/// whether they are complete. Needs Go: the key includes its version.
pub fn check_cache() -> anyhow::Result<Cache> {
    let script = build_script()?;
    let output = script_command(&script)
        .arg("--check")
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("running bash {}", script.display()))?;
    let dir = last_line(&output.stdout);
    match (output.status.code(), dir) {
        (Some(0), Some(dir)) => Ok(Cache::Built(dir)),
        (Some(NOT_BUILT), Some(dir)) => Ok(Cache::NotBuilt(dir)),
        _ => anyhow::bail!(
            "{}",
            String::from_utf8_lossy(&output.stderr)
                .trim()
                .trim_start_matches("lab build: error: ")
        ),
    }
}

/// What a running build says: a progress event, or a line for people.
#[derive(Debug)]
pub enum BuildOutput<'a> {
    Event(BuildEvent),
    Line(&'a str),
}

/// Stops a running build from another thread (the tutor quitting while the
/// lab builds): the whole process group, Go's compilers included, gets
/// SIGTERM; build.sh then removes its half-built binary (see its traps).
#[derive(Debug, Clone, Default)]
pub struct BuildStopper(Arc<Mutex<StopState>>);

#[derive(Debug, Default)]
struct StopState {
    /// The build's process group, while it runs.
    group: Option<i32>,
    stopped: bool,
}

impl BuildStopper {
    /// Stops the build if one runs (and any build this stopper would start
    /// later); whether one was running.
    pub fn stop(&self) -> bool {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        state.stopped = true;
        let Some(group) = state.group else {
            return false;
        };
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(group),
            nix::sys::signal::Signal::SIGTERM,
        );
        true
    }

    fn stopped(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).stopped
    }

    fn running(&self, group: Option<i32>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).group = group;
    }
}

/// The build failed: its last lines (build.sh prints the end of the Go
/// tool's log and what to do) say why.
#[derive(Debug)]
pub struct BuildFailed {
    pub said: Vec<String>,
    pub stopped: bool,
}

/// How many of the build's last lines a failure keeps.
const FAILURE_LINES: usize = 60;

impl std::fmt::Display for BuildFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.stopped {
            return write!(
                f,
                "the lab's build was stopped; what was built stays in the cache, and \
                 `{BUILD_COMMAND}` goes on from there"
            );
        }
        write!(
            f,
            "building the lab's binaries failed (its messages say why); fix the cause and \
             run `{BUILD_COMMAND}` again"
        )
    }
}

impl std::error::Error for BuildFailed {}

/// Runs build.sh (its lines for people go to stderr) and returns the bin
/// folder and how long it took.
pub fn build() -> anyhow::Result<(PathBuf, Duration)> {
    build_reporting(
        &mut |output| {
            if let BuildOutput::Line(line) = output {
                eprintln!("{line}");
            }
        },
        &BuildStopper::default(),
    )
}

/// Runs build.sh, handing each of its stderr lines to `on` (progress lines
/// as events); `stopper` can stop it. Returns the bin folder and how long it
/// took; a `BuildFailed` error when it fails or is stopped.
pub fn build_reporting(
    on: &mut dyn FnMut(BuildOutput<'_>),
    stopper: &BuildStopper,
) -> anyhow::Result<(PathBuf, Duration)> {
    let script = build_script()?;
    let started = Instant::now();
    if stopper.stopped() {
        return Err(BuildFailed {
            said: Vec::new(),
            stopped: true,
        }
        .into());
    }
    let mut child = script_command(&script)
        .env("KUBETUTOR_LAB_PROGRESS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: stopping it stops Go's children too.
        .process_group(0)
        .spawn()
        .with_context(|| format!("running bash {}", script.display()))?;
    stopper.running(Some(child.id() as i32));
    let mut said: std::collections::VecDeque<String> = Default::default();
    let stderr = child.stderr.take().expect("stderr is piped");
    for line in std::io::BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        match BuildEvent::parse(&line) {
            Some(event) => on(BuildOutput::Event(event)),
            None => {
                on(BuildOutput::Line(&line));
                if said.len() == FAILURE_LINES {
                    said.pop_front();
                }
                said.push_back(line);
            }
        }
    }
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut out, &mut stdout);
    }
    let status = child.wait();
    stopper.running(None);
    let status = status.with_context(|| format!("waiting for bash {}", script.display()))?;
    if !status.success() {
        return Err(BuildFailed {
            said: said.into(),
            stopped: stopper.stopped(),
        }
        .into());
    }
    let dir = last_line(stdout.as_bytes())
        .with_context(|| format!("{} printed no folder", script.display()))?;
    check_complete(&dir)?;
    Ok((dir, started.elapsed()))
}

/// Where the binaries are: `$KUBETUTOR_LAB_BIN` (which must be complete),
/// else the build cache, complete or not.
pub fn find() -> anyhow::Result<Cache> {
    if let Some(dir) = std::env::var_os(BIN_DIR_ENV).filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        check_complete(&dir)
            .with_context(|| format!("{BIN_DIR_ENV} is set to {}", dir.display()))?;
        return Ok(Cache::Built(dir));
    }
    check_cache()
}

/// The pins of versions.env (KUBERNETES_VERSION, ETCD_VERSION, KWOK_VERSION,
/// GO_MIN), in file order, from the embedded copy.
pub fn pinned_versions() -> Vec<(String, String)> {
    let text = embedded::LAB
        .get_file("versions.env")
        .and_then(|f| f.contents_utf8())
        .unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn script_command(script: &Path) -> Command {
    let mut command = Command::new("bash");
    command
        .arg(script)
        .env("KUBETUTOR_LAB_BUILD_COMMAND", BUILD_COMMAND)
        .stdin(Stdio::null());
    command
}

/// The folder a build script prints as its last line (its result).
pub(super) fn last_line(stdout: &[u8]) -> Option<PathBuf> {
    String::from_utf8_lossy(stdout)
        .lines()
        .last()
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
}

pub fn check_complete(dir: &Path) -> anyhow::Result<()> {
    let missing: Vec<&str> = ARTIFACTS
        .iter()
        .copied()
        .filter(|b| !dir.join(b).is_file())
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "{} lacks {}; build them with `{BUILD_COMMAND}` (it needs Go)",
            dir.display(),
            missing.join(", "),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pins_are_read_from_versions_env() {
        let pins = pinned_versions();
        let keys: Vec<&str> = pins.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "KUBERNETES_VERSION",
                "ETCD_VERSION",
                "KWOK_VERSION",
                "GO_MIN"
            ]
        );
        assert!(pins[0].1.starts_with("v1."), "{pins:?}");
    }
}
