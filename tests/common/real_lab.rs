//! A real-node lab (`kubetutor lab up --real-node`) in a folder of its own
//! for the real-node tests, and the reason to skip where the machine cannot
//! run one: not root, the machine refuses a bridge, an overlay mount,
//! iptables or cgroups, or the real-node build
//! (`assets/lab/build-real-node.sh`) is not there. Set
//! KUBETUTOR_REAL_NODE_SKIP to a reason to skip on purpose.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::KUBETUTOR;

/// Written straight to stderr: libtest captures print!/eprint!, not this.
pub fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "real_node: {text}");
}

pub fn skip_reason() -> Option<String> {
    if let Ok(reason) = std::env::var("KUBETUTOR_REAL_NODE_SKIP")
        && !reason.is_empty()
    {
        return Some(reason);
    }
    // Root, the tools, a bridge, an overlay mount, iptables, cgroups: what
    // the machine refuses is a reason to skip, with its own error.
    if let Err(refused) = kubetutor::lab::real_node::check_machine() {
        return Some(format!("{refused:#}"));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lab/build-real-node.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("--check")
        .output()
        .expect("bash runs");
    if !out.status.success() {
        return Some(format!(
            "the real node is not built ({}); build it with assets/lab/build-real-node.sh",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    None
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A real-node lab in its own folder, stopped and purged when dropped.
pub struct RealLab {
    pub dir: PathBuf,
}

impl RealLab {
    pub fn kubetutor(&self, args: &[&str]) -> Output {
        Command::new(KUBETUTOR)
            .args(args)
            .env("KUBETUTOR_LAB_DIR", &self.dir)
            .env("KUBECONFIG", self.dir.join("kubeconfig"))
            .env("XDG_STATE_HOME", self.dir.join("state"))
            .output()
            .expect("kubetutor runs")
    }

    pub fn bin_dir(&self) -> PathBuf {
        let state: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(self.dir.join("lab.json")).unwrap())
                .unwrap();
        PathBuf::from(state["bin_dir"].as_str().unwrap())
    }

    pub fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> Output {
        super::run_kubectl(&self.bin_dir(), &self.dir.join("kubeconfig"), args, stdin)
    }

    pub fn kubectl_ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.kubectl(args, stdin);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed:\n{}",
            text(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn rss_kib(&self, component: &str) -> Option<u64> {
        let record: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(self.dir.join("pids").join(format!("{component}.pid")))
                .ok()?,
        )
        .ok()?;
        let pid = record["pid"].as_i64()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

impl Drop for RealLab {
    fn drop(&mut self) {
        let out = self.kubetutor(&["lab", "down", "--purge"]);
        if !out.status.success() {
            say(&format!("lab down --purge failed:\n{}", text(&out)));
        }
    }
}

/// The toolbox image `lab up --real-node` names ("Pods use the image …: …").
pub fn toolbox_image(up: &Output) -> String {
    String::from_utf8_lossy(&up.stderr)
        .lines()
        .find_map(|l| l.split("use the image ").nth(1))
        .map(|rest| rest.split(':').take(2).collect::<Vec<_>>().join(":"))
        .expect("lab up names the toolbox image")
        .trim()
        .to_string()
}
