//! The real node's configuration files, rendered from the lab's folders and
//! ports. Pure text: unit-tested without starting anything.

use std::path::Path;

use super::{BRIDGE, CLUSTER_DOMAIN, GATEWAY, NODE_NAME, POD_SUBNET, RANGE_END, RANGE_START};

/// Where things live under `<lab>/node/`, and the images' names.
#[derive(Debug, Clone)]
pub struct NodeLayout<'a> {
    /// `<lab>/node`
    pub dir: &'a Path,
    /// The real-node build's `bin/` and `cni/`.
    pub bin: &'a Path,
    pub cni_bin: &'a Path,
    pub pause_image: &'a str,
    pub ca_file: &'a Path,
    /// The lab's own cgroup (`made.rs`): the kubelet's `cgroupRoot`.
    pub cgroup_parent: &'a str,
    /// 127.0.0.1 ports of the node's health endpoints.
    pub kubelet_healthz: u16,
    pub proxy_healthz: u16,
    pub proxy_metrics: u16,
    pub dns_health: u16,
    pub dns_ready: u16,
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

impl NodeLayout<'_> {
    pub fn containerd_socket(&self) -> std::path::PathBuf {
        self.dir.join("containerd/containerd.sock")
    }
    pub fn runc_root(&self) -> std::path::PathBuf {
        self.dir.join("runc")
    }
    pub fn cni_conf_dir(&self) -> std::path::PathBuf {
        self.dir.join("cni/net.d")
    }

    /// containerd 2.x (config version 3): its own root, state and socket
    /// under the lab folder, runc from the build, Pod network namespaces in
    /// its state folder (not /var/run/netns), no registry ever asked for the
    /// pause image (it is imported and pinned), CRI streaming on loopback.
    pub fn containerd_toml(&self) -> String {
        let dir = self.dir;
        format!(
            r#"version = 3
root = "{root}"
state = "{state}"
disabled_plugins = ["io.containerd.nri.v1.nri"]

[grpc]
  address = "{socket}"

[ttrpc]
  address = "{socket}.ttrpc"

[plugins.'io.containerd.internal.v1.opt']
  path = "{opt}"

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "{pause}"

[plugins.'io.containerd.cri.v1.runtime']
  enable_selinux = false
  netns_mounts_under_state_dir = true
  # Never below containerd's own: where root lacks CAP_SYS_RESOURCE (this
  # lab's machine), runc cannot lower oom_score_adj (the kubelet asks -998 for
  # the pause container) and every sandbox would fail with EACCES.
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      runtime_path = "{shim}"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "{runc}"
        Root = "{runc_root}"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["{cni_bin}"]
    conf_dir = "{cni_conf}"
    max_conf_num = 1

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
"#,
            root = p(&dir.join("containerd/root")),
            state = p(&dir.join("containerd/state")),
            socket = p(&self.containerd_socket()),
            opt = p(&dir.join("containerd/opt")),
            pause = self.pause_image,
            shim = p(&self.bin.join("containerd-shim-runc-v2")),
            runc = p(&self.bin.join("runc")),
            runc_root = p(&self.runc_root()),
            cni_bin = p(self.cni_bin),
            cni_conf = p(&self.cni_conf_dir()),
        )
    }

    /// One host-only bridge: no masquerade (nothing leaves the machine), the
    /// gateway is the host's address on it; IPAM state kept in the lab folder.
    pub fn cni_conflist(&self) -> String {
        serde_json::to_string_pretty(&serde_json::json!({
            "cniVersion": "1.0.0",
            "name": "kubetutor-lab",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": BRIDGE,
                    "isGateway": true,
                    "ipMasq": false,
                    "hairpinMode": true,
                    "ipam": {
                        "type": "host-local",
                        "dataDir": p(&self.dir.join("cni/ipam")),
                        "ranges": [[{
                            "subnet": POD_SUBNET,
                            "rangeStart": RANGE_START,
                            "rangeEnd": RANGE_END,
                            "gateway": GATEWAY,
                        }]],
                        "routes": [{"dst": "0.0.0.0/0"}],
                    },
                },
                {"type": "loopback"}
            ]
        }))
        .expect("static JSON")
    }

    /// The kubelet: listens on the bridge address only (the API server
    /// reaches it there for exec and logs), x509 + webhook auth, cgroupfs on
    /// this kernel's cgroup v1 (`failCgroupV1: false`: Kubernetes >= 1.35
    /// refuses v1 otherwise), the node's own DNS server on the bridge.
    /// `protectKernelDefaults: false`: the kubelet sets its kernel settings
    /// (true would make it refuse to start); `sysctls.rs` saves and restores them.
    /// `cgroupRoot`: the Pods' `kubepods` under the lab's own cgroup, never at
    /// the top of the hierarchy where another Kubernetes keeps its own.
    pub fn kubelet_config(&self) -> String {
        format!(
            r#"apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: {GATEWAY}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: {healthz}
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: {ca}
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
cgroupRoot: /{cgroup_parent}
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://{socket}
clusterDomain: {CLUSTER_DOMAIN}
clusterDNS:
- {GATEWAY}
resolvConf: {resolv}
maxPods: 20
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "1Mi"
  nodefs.available: "1%"
  imagefs.available: "1%"
  nodefs.inodesFree: "1%"
protectKernelDefaults: false
enableServer: true
registerNode: true
"#,
            healthz = self.kubelet_healthz,
            cgroup_parent = self.cgroup_parent,
            ca = p(self.ca_file),
            socket = p(&self.containerd_socket()),
            resolv = p(&self.dir.join("resolv.conf")),
        )
    }

    /// What Pods with `dnsPolicy: Default` get: the node's DNS, never the
    /// machine's resolvers (the lab is offline by design).
    pub fn host_resolv_conf(&self) -> String {
        format!("nameserver {GATEWAY}\n")
    }

    /// kube-proxy in iptables mode: its health and metrics on loopback, node
    /// ports only on the bridge address, no conntrack sysctl changes.
    pub fn kube_proxy_config(&self, kubeconfig: &Path) -> String {
        format!(
            r#"apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: {kubeconfig}
mode: iptables
hostnameOverride: {NODE_NAME}
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:{healthz}
metricsBindAddress: 127.0.0.1:{metrics}
clusterCIDR: {POD_SUBNET}
nodePortAddresses:
- {GATEWAY}/32
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
"#,
            kubeconfig = p(kubeconfig),
            healthz = self.proxy_healthz,
            metrics = self.proxy_metrics,
        )
    }

    /// CoreDNS on the bridge address: the cluster domain from the lab's API
    /// server and nothing else (no forward: the lab is offline, other names
    /// are refused at once instead of timing out).
    pub fn corefile(&self, kubeconfig: &Path) -> String {
        format!(
            r#"{CLUSTER_DOMAIN}:53 in-addr.arpa:53 ip6.arpa:53 {{
    bind {GATEWAY}
    errors
    health 127.0.0.1:{health}
    ready 127.0.0.1:{ready}
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        kubeconfig {kubeconfig} kubetutor-lab
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }}
    cache 30
}}
"#,
            health = self.dns_health,
            ready = self.dns_ready,
            kubeconfig = p(kubeconfig),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> (std::path::PathBuf, std::path::PathBuf) {
        ("/lab/node".into(), "/cache/bin".into())
    }

    fn with<R>(f: impl FnOnce(&NodeLayout) -> R) -> R {
        let (dir, bin) = layout();
        let cni = std::path::PathBuf::from("/cache/cni");
        let ca = std::path::PathBuf::from("/lab/pki/ca.crt");
        f(&NodeLayout {
            dir: &dir,
            bin: &bin,
            cni_bin: &cni,
            pause_image: "kubetutor.local/pause:1",
            ca_file: &ca,
            cgroup_parent: "kubetutor-lab-0a0b0c0d",
            kubelet_healthz: 1001,
            proxy_healthz: 1002,
            proxy_metrics: 1003,
            dns_health: 1004,
            dns_ready: 1005,
        })
    }

    #[test]
    fn containerd_keeps_everything_in_the_lab_folder_and_uses_the_built_runc() {
        let toml = with(|l| l.containerd_toml());
        for needed in [
            r#"root = "/lab/node/containerd/root""#,
            r#"address = "/lab/node/containerd/containerd.sock""#,
            r#"sandbox = "kubetutor.local/pause:1""#,
            r#"BinaryName = "/cache/bin/runc""#,
            r#"Root = "/lab/node/runc""#,
            r#"runtime_path = "/cache/bin/containerd-shim-runc-v2""#,
            "netns_mounts_under_state_dir = true",
            "restrict_oom_score_adj = true",
            r#"stream_server_address = "127.0.0.1""#,
        ] {
            assert!(toml.contains(needed), "{needed} missing from\n{toml}");
        }
    }

    #[test]
    fn the_pod_network_is_a_host_only_bridge_without_masquerade() {
        let conf: serde_json::Value = serde_json::from_str(&with(|l| l.cni_conflist())).unwrap();
        let bridge = &conf["plugins"][0];
        assert_eq!(bridge["bridge"], BRIDGE);
        assert_eq!(bridge["ipMasq"], false);
        assert_eq!(bridge["ipam"]["ranges"][0][0]["gateway"], GATEWAY);
        assert_eq!(bridge["ipam"]["dataDir"], "/lab/node/cni/ipam");
    }

    #[test]
    fn kubelet_and_dns_listen_on_the_bridge_and_loopback_only() {
        let kubelet = with(|l| l.kubelet_config());
        assert!(kubelet.contains(&format!("address: {GATEWAY}\n")));
        assert!(kubelet.contains("failCgroupV1: false"));
        assert!(kubelet.contains("cgroupRoot: /kubetutor-lab-0a0b0c0d\n"));
        assert!(kubelet.contains("anonymous:\n    enabled: false"));
        let corefile = with(|l| l.corefile(Path::new("/k")));
        assert!(corefile.contains(&format!("bind {GATEWAY}")));
        assert!(corefile.contains("health 127.0.0.1:1004"));
        assert!(!corefile.contains("forward"));
        let proxy = with(|l| l.kube_proxy_config(Path::new("/k")));
        assert!(proxy.contains("healthzBindAddress: 127.0.0.1:1002"));
        assert!(proxy.contains(&format!("- {GATEWAY}/32")));
    }
}
