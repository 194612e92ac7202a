//! Where the real node's binaries and images are: the build folder of
//! `assets/lab/build-real-node.sh` (cached, keyed by what it builds), found
//! or built on first use, and the image lesson Pods run on such a lab.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context;

use crate::lab::paths::LabPaths;

/// Environment variable naming a real-node build folder (bin/, cni/, images/).
pub const DIR_ENV: &str = "KUBETUTOR_REAL_NODE_DIR";
/// What the real-node build costs, said before it starts.
pub const BUILD_TIME: &str = "about 10 minutes on 2 cores the first time (kubelet, kube-proxy, \
                              containerd, runc, CNI plugins, CoreDNS, two images)";
/// The build script's exit code for "not built yet".
const NOT_BUILT: i32 = 3;

/// The real-node build: `<cache>/real-node/<key>/`.
#[derive(Debug, Clone)]
pub struct NodeBuild {
    pub dir: PathBuf,
}

impl NodeBuild {
    pub fn bin(&self, name: &str) -> PathBuf {
        self.dir.join("bin").join(name)
    }
    pub fn cni(&self) -> PathBuf {
        self.dir.join("cni")
    }
    pub fn image(&self, file: &str) -> PathBuf {
        self.dir.join("images").join(file)
    }
    /// PAUSE_IMAGE, TOOLBOX_IMAGE, TOOLBOX_DESCRIPTION from images.env.
    pub fn images_env(&self, key: &str) -> Option<String> {
        let text = fs::read_to_string(self.image("images.env")).ok()?;
        text.lines()
            .filter_map(|l| l.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
    }
    pub fn toolbox_image(&self) -> Option<String> {
        self.images_env("TOOLBOX_IMAGE")
    }
}

/// The image lesson Pods run (`${POD_IMAGE}`) when `kubeconfig` (or
/// $KUBECONFIG) is the kubeconfig of a lab running a real node: the toolbox
/// image the lab built, since no registry is reachable. None elsewhere (the
/// lesson's default then, an image a normal cluster pulls; kwok never pulls).
pub fn pod_image_for(kubeconfig: Option<&Path>) -> Option<String> {
    let paths = LabPaths::from_env().ok()?;
    let given = kubeconfig
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("KUBECONFIG").map(PathBuf::from))?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(&given, &paths.kubeconfig()) {
        return None;
    }
    if !crate::lab::state::LabState::load(&paths)?.real_node {
        return None;
    }
    check_built().ok()?.toolbox_image()
}

fn script() -> anyhow::Result<PathBuf> {
    Ok(crate::lab::bins::build_script()?.with_file_name("build-real-node.sh"))
}

/// The real-node build folder if it is complete (`$KUBETUTOR_REAL_NODE_DIR`
/// or the build script's `--check`); Err says what is missing.
pub fn check_built() -> anyhow::Result<NodeBuild> {
    if let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(NodeBuild { dir: dir.into() });
    }
    let script = script()?;
    let output = Command::new("bash")
        .arg(&script)
        .arg("--check")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running bash {}", script.display()))?;
    match (
        output.status.code(),
        crate::lab::bins::last_line(&output.stdout),
    ) {
        (Some(0), Some(dir)) => Ok(NodeBuild { dir }),
        (Some(NOT_BUILT), Some(dir)) => anyhow::bail!(
            "the real node is not built yet ({}): {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        _ => anyhow::bail!("{}", String::from_utf8_lossy(&output.stderr).trim()),
    }
}

/// The build folder, built first when needed (its progress goes to stderr).
pub fn locate(progress: &mut dyn FnMut(&str)) -> anyhow::Result<NodeBuild> {
    if let Ok(build) = check_built() {
        return Ok(build);
    }
    progress(&format!(
        "building the real node from its Go modules: {BUILD_TIME}"
    ));
    let script = script()?;
    let started = Instant::now();
    let output = Command::new("bash")
        .arg(&script)
        .env(
            "KUBETUTOR_REAL_NODE_BUILD_COMMAND",
            "kubetutor lab up --real-node",
        )
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running bash {}", script.display()))?;
    if !output.status.success() {
        anyhow::bail!("building the real node failed (see the messages above)");
    }
    let dir = crate::lab::bins::last_line(&output.stdout)
        .context("build-real-node.sh printed no folder")?;
    progress(&format!(
        "real node built in {} s: {}",
        started.elapsed().as_secs(),
        dir.display()
    ));
    Ok(NodeBuild { dir })
}
