//! Finding the lab's binaries, building them on first use from a source checkout.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

/// Environment variable naming a folder that already holds the binaries.
pub const BIN_DIR_ENV: &str = "KUBETUTOR_LAB_BIN";

/// Every file `lab/build.sh` puts in the bin folder: the executables (kubectl
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

/// The build script of the checkout this binary was compiled from.
pub fn build_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("lab")
        .join("build.sh")
}

/// The folder with every lab binary: `$KUBETUTOR_LAB_BIN`, or what `lab/build.sh`
/// prints (it returns at once when its cache is complete, else builds).
pub fn locate() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(BIN_DIR_ENV).filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        check_complete(&dir)
            .with_context(|| format!("{BIN_DIR_ENV} is set to {}", dir.display()))?;
        return Ok(dir);
    }
    let script = build_script();
    if !script.exists() {
        anyhow::bail!(
            "the lab's binaries were not found. From a kubetutor checkout, run `lab/build.sh` \
             (it needs Go) and set {BIN_DIR_ENV} to the folder it prints on its last line."
        );
    }
    let output = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !output.status.success() {
        anyhow::bail!(
            "building the lab's binaries failed (see the messages above); \
             fix the cause and run `{}` again",
            script.display()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let dir = stdout
        .lines()
        .last()
        .map(PathBuf::from)
        .with_context(|| format!("{} printed no folder", script.display()))?;
    check_complete(&dir)?;
    Ok(dir)
}

pub fn check_complete(dir: &Path) -> anyhow::Result<()> {
    let missing: Vec<&str> = ARTIFACTS
        .iter()
        .copied()
        .filter(|b| !dir.join(b).is_file())
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "{} lacks {}; build them with `{}`",
            dir.display(),
            missing.join(", "),
            build_script().display()
        );
    }
    Ok(())
}
