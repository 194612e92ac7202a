//! What a machine must allow before a real node can run on it: root, the
//! tools, a bridge device, an overlay mount, iptables, cgroups. Each check
//! tries the real thing and reports the machine's own error.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context;

use super::BRIDGE;

/// Whether this process runs as root (effective uid 0, from /proc/self/status).
pub fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// What this machine must allow; Err names the first thing it does not,
/// with the machine's own error: root, the tools, a bridge device, an
/// overlay mount (containerd's snapshotter), iptables, cgroups.
pub fn check_machine() -> anyhow::Result<()> {
    if !is_root() {
        anyhow::bail!(
            "a real node needs root (it creates a bridge, firewall rules, mounts and cgroups)"
        );
    }
    for tool in ["ip", "iptables", "mount", "umount"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            anyhow::bail!(
                "a real node needs `{tool}` (Debian: apt-get install iproute2 iptables mount)"
            );
        }
    }
    let attempt = |what: &str, script: &str| -> anyhow::Result<()> {
        let out = Command::new("sh")
            .args(["-c", script])
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("checking {what}"))?;
        if !out.status.success() {
            anyhow::bail!(
                "this machine refuses {what}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    };
    if !Command::new("ip")
        .args(["link", "show", BRIDGE])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        attempt(
            "a bridge device",
            "ip link add kt-preflight0 type bridge && ip link del kt-preflight0",
        )?;
    }
    attempt(
        "an overlay mount",
        "d=$(mktemp -d) && mkdir $d/l $d/u $d/w $d/m && \
         mount -t overlay overlay -o lowerdir=$d/l,upperdir=$d/u,workdir=$d/w $d/m; \
         s=$?; umount $d/m 2>/dev/null; rm -rf $d; exit $s",
    )?;
    attempt("iptables", "iptables -w -n -L INPUT >/dev/null")?;
    if !Path::new("/sys/fs/cgroup/cpu").exists()
        && !Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
    {
        anyhow::bail!("this machine has no cgroup hierarchy under /sys/fs/cgroup");
    }
    Ok(())
}
