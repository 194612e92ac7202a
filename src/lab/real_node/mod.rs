//! The real node (`kubetutor lab up --real-node`): a kubelet with containerd
//! and runc that runs real containers, kube-proxy for Services, CoreDNS for
//! the cluster domain, on a host-only bridge. Built from their Go modules by
//! `assets/lab/build-real-node.sh` into a cache of its own; the images (pause
//! and a busybox + curl toolbox) are made there too, with no registry.
//!
//! In this mode the API server listens on every address (Pods reach it at
//! the bridge address through the `kubernetes` Service, whose endpoint is
//! that address) and our firewall chains drop whatever reaches the bridge
//! address or the API server's port from any interface but loopback and the
//! bridge. The kwok node stays, tainted, so Pods land on the real node.

mod build;
pub(crate) mod cgroups;
pub(crate) mod chains;
mod cleanup;
pub(crate) mod config;
mod down;
mod images;
mod machine;
pub(crate) mod made;
pub(crate) mod network;
mod objects;
mod owner;
mod start;
pub(crate) mod sysctls;

use std::fs;
use std::path::PathBuf;

use anyhow::Context;

use super::paths::LabPaths;
use super::pki;
pub use build::{BUILD_TIME, DIR_ENV, NodeBuild, check_built, locate, pod_image_for};
pub use down::down;
pub use machine::{check_machine, is_root};
pub use objects::forget;
pub use owner::check as check_no_other_node;
pub use start::{running, start};

/// The real node's name (its kubelet's client certificate says system:node:<this>).
pub const NODE_NAME: &str = "kubetutor-node";
/// The host-only bridge Pods attach to.
pub const BRIDGE: &str = "kubetutor0";
/// The host's address on the bridge: Pods' gateway, DNS server, and the
/// `kubernetes` Service's endpoint.
pub const GATEWAY: &str = "10.87.0.1";
pub const POD_SUBNET: &str = "10.87.0.0/24";
pub const RANGE_START: &str = "10.87.0.10";
pub const RANGE_END: &str = "10.87.0.250";
pub const CLUSTER_DOMAIN: &str = "cluster.local";
/// Taint that keeps Pods off the kwok node while a real node is there.
pub const KWOK_TAINT: &str = "kubetutor.dev/fake-node";

/// The node's processes, in start order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeComponent {
    Containerd,
    Kubelet,
    KubeProxy,
    CoreDns,
}

impl NodeComponent {
    pub const ALL: [NodeComponent; 4] = [
        NodeComponent::Containerd,
        NodeComponent::Kubelet,
        NodeComponent::KubeProxy,
        NodeComponent::CoreDns,
    ];
    pub fn name(self) -> &'static str {
        match self {
            NodeComponent::Containerd => "containerd",
            NodeComponent::Kubelet => "kubelet",
            NodeComponent::KubeProxy => "kube-proxy",
            NodeComponent::CoreDns => "coredns",
        }
    }
}

/// `<lab>/node`
pub fn node_dir(paths: &LabPaths) -> PathBuf {
    paths.root().join("node")
}

fn pid_file(paths: &LabPaths, component: NodeComponent) -> PathBuf {
    paths.pid_file(component.name())
}

/// Before the control plane starts: the machine allows it, the build is
/// there, the node's certificates exist (the API server needs its kubelet
/// client certificate), and the network with its firewall is up (the API
/// server listens on every address in this mode).
pub fn prepare(
    paths: &LabPaths,
    apiserver_port: u16,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<NodeBuild> {
    check_machine()?;
    // Before anything of this node exists: the machine-wide names it uses
    // (bridge, address, chains) must not be another lab's.
    owner::claim(paths.root())?;
    let build = locate(progress)?;
    let dir = node_dir(paths);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // Before anything of the node runs: what is already on the machine (so
    // `down` removes only what the node made), and what it changes (`down`
    // puts it back).
    let made = made::ensure(&dir)?;
    sysctls::save(&dir)?;
    let theirs = chains::fixed_present(&made.chains_before);
    if !theirs.is_empty() {
        progress(&format!(
            "note: this machine had firewall chains of another Kubernetes before the lab's node \
             started ({}); the node's kube-proxy and kubelet share them, and `lab down` leaves them",
            theirs.join(", ")
        ));
    }
    cgroups::create(&made.cgroup_parent).context("creating the real node's cgroups")?;
    let issued = pki::ensure_node_clients(paths)?;
    if !issued.is_empty() {
        progress(&format!("issued {} for the real node", issued.join(", ")));
    }
    network::up(apiserver_port).context("setting up the real node's bridge and firewall")?;
    progress(&format!(
        "{:<24} {GATEWAY}/24, host-only (firewall chains {} and {})",
        BRIDGE,
        network::INPUT_CHAIN,
        network::FORWARD_CHAIN
    ));
    Ok(build)
}

/// The API server's flags changed for a real node: listen on every address
/// (the firewall keeps it to loopback and the bridge), advertise the bridge
/// address so the `kubernetes` Service gets it as endpoint, and present a
/// client certificate to the kubelet (exec, logs).
pub fn apiserver_args(args: &mut Vec<String>, paths: &LabPaths) {
    for arg in args.iter_mut() {
        if arg.starts_with("--bind-address=") {
            *arg = "--bind-address=0.0.0.0".into();
        } else if arg.starts_with("--advertise-address=") {
            *arg = format!("--advertise-address={GATEWAY}");
        } else if arg.starts_with("--endpoint-reconciler-type=") {
            *arg = "--endpoint-reconciler-type=lease".into();
        }
    }
    let pki = |name: &str| paths.pki_file(name).display().to_string();
    args.push(format!(
        "--kubelet-client-certificate={}",
        pki("apiserver-kubelet-client.crt")
    ));
    args.push(format!(
        "--kubelet-client-key={}",
        pki("apiserver-kubelet-client.key")
    ));
    args.push("--kubelet-preferred-address-types=InternalIP".into());
}

/// Whether the lab was last started with a real node.
pub fn present(paths: &LabPaths) -> bool {
    super::state::LabState::load(paths).is_some_and(|s| s.real_node)
}

/// Whether a real node may have left something to clean up here.
pub fn traces(paths: &LabPaths) -> bool {
    node_dir(paths).exists()
}
