//! The node's two images (pause, and the busybox + curl toolbox lesson Pods
//! run) imported into containerd from the build's tarballs: no registry is
//! ever asked.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context;

use super::build::NodeBuild;

pub fn ctr(build: &NodeBuild, socket: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new(build.bin("ctr"))
        .arg("--address")
        .arg(socket)
        .args(["--namespace", "k8s.io"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}

/// The pause and toolbox images into containerd's `k8s.io` namespace, unless
/// they are there already.
pub fn import_images(
    build: &NodeBuild,
    socket: &Path,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    let present = ctr(build, socket, &["images", "list", "-q"]).map_err(anyhow::Error::msg)?;
    for (key, file) in [
        ("PAUSE_IMAGE", "pause.tar"),
        ("TOOLBOX_IMAGE", "toolbox.tar"),
    ] {
        let name = build
            .images_env(key)
            .with_context(|| format!("images.env names no {key}"))?;
        if present.lines().any(|l| l.trim() == name) {
            continue;
        }
        let tar = build.image(file).display().to_string();
        ctr(
            build,
            socket,
            &["images", "import", "--platform", "linux/amd64", &tar],
        )
        .map_err(|e| anyhow::anyhow!("importing {tar} into containerd: {e}"))?;
        progress(&format!("{:<24} imported {name}", "image"));
    }
    Ok(())
}
