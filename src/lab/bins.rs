//! Finding the lab's binaries, building them on first use.
//!
//! One source of truth for the build: `assets/lab/build.sh`. The binary embeds
//! `assets/lab/` and runs that script from a copy in its cache folder, so an
//! installed kubetutor needs no checkout; CI runs the same script in place.
//! The script keys its output on the pinned files and the Go version, so both
//! ways find the same `~/.cache/kubetutor/lab/<key>/bin`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::embedded;

/// Environment variable naming a folder that already holds the binaries.
pub const BIN_DIR_ENV: &str = "KUBETUTOR_LAB_BIN";

/// Environment variable moving the build cache (read by build.sh).
pub const CACHE_ENV: &str = "KUBETUTOR_LAB_CACHE";

/// The command people run to build the lab (named in build.sh's messages).
pub const BUILD_COMMAND: &str = "kubetutor lab build";

/// What a first build costs, said before it starts so nobody thinks it hangs.
pub const BUILD_TIME: &str = "about 10–15 minutes on 2 cores and a few GB of RAM the first time; \
                              later builds find the cache and return at once";

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
pub fn build_script() -> anyhow::Result<PathBuf> {
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

/// Runs build.sh (its progress goes to stderr) and returns the bin folder and
/// how long it took.
pub fn build() -> anyhow::Result<(PathBuf, Duration)> {
    let script = build_script()?;
    let started = Instant::now();
    let output = script_command(&script)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running bash {}", script.display()))?;
    if !output.status.success() {
        anyhow::bail!(
            "building the lab's binaries failed (see the messages above); \
             fix the cause and run `{BUILD_COMMAND}` again"
        );
    }
    let dir = last_line(&output.stdout)
        .with_context(|| format!("{} printed no folder", script.display()))?;
    check_complete(&dir)?;
    Ok((dir, started.elapsed()))
}

/// The folder with every lab binary: `$KUBETUTOR_LAB_BIN`, else the build
/// cache, built first when it is not complete (saying how long that takes).
pub fn locate(progress: &mut dyn FnMut(&str)) -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(BIN_DIR_ENV).filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        check_complete(&dir)
            .with_context(|| format!("{BIN_DIR_ENV} is set to {}", dir.display()))?;
        return Ok(dir);
    }
    if let Cache::Built(dir) = check_cache()? {
        return Ok(dir);
    }
    progress(&format!(
        "building the lab's control plane from its Go modules: {BUILD_TIME}"
    ));
    let (dir, took) = build()?;
    progress(&format!("lab binaries built in {} s", took.as_secs()));
    Ok(dir)
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
