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

mod cleanup;
pub mod config;
pub mod network;
pub mod sysctls;

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};

use super::paths::LabPaths;
use super::process::{self, PidRecord};
use super::{kubeconfig, pki};
use config::NodeLayout;

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

/// Environment variable naming a real-node build folder (bin/, cni/, images/).
pub const DIR_ENV: &str = "KUBETUTOR_REAL_NODE_DIR";
/// What the real-node build costs, said before it starts.
pub const BUILD_TIME: &str = "about 10 minutes on 2 cores the first time (kubelet, kube-proxy, \
                              containerd, runc, CNI plugins, CoreDNS, two images)";
const NOT_BUILT: i32 = 3;

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
    if !super::state::LabState::load(&paths)?.real_node {
        return None;
    }
    check_built().ok()?.toolbox_image()
}

fn script() -> anyhow::Result<PathBuf> {
    Ok(super::bins::build_script()?.with_file_name("build-real-node.sh"))
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
    match (output.status.code(), super::bins::last_line(&output.stdout)) {
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
    let dir =
        super::bins::last_line(&output.stdout).context("build-real-node.sh printed no folder")?;
    progress(&format!(
        "real node built in {} s: {}",
        started.elapsed().as_secs(),
        dir.display()
    ));
    Ok(NodeBuild { dir })
}

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

/// `<lab>/node`
pub fn node_dir(paths: &LabPaths) -> PathBuf {
    paths.root().join("node")
}

fn node_kubeconfig(paths: &LabPaths, name: &str) -> PathBuf {
    paths.component_kubeconfig(&format!("node-{name}"))
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
    let build = locate(progress)?;
    let dir = node_dir(paths);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // Before anything of the node runs: what it changes, `down` puts back.
    sysctls::save(&dir)?;
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

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The node's loopback health ports, chosen once and kept in `node/ports.json`:
/// the configuration files of running components must not change (kube-proxy
/// exits when its file does: "content of the proxy server's configuration
/// file was updated").
fn node_ports(dir: &Path) -> anyhow::Result<[u16; 5]> {
    let file = dir.join("ports.json");
    if let Some(ports) = fs::read_to_string(&file)
        .ok()
        .and_then(|t| serde_json::from_str::<[u16; 5]>(&t).ok())
    {
        return Ok(ports);
    }
    let mut ports = [0; 5];
    for port in &mut ports {
        *port = free_port()?;
    }
    write(&file, &serde_json::to_string(&ports)?)?;
    Ok(ports)
}

/// Writes `text` unless the file already holds it (a running component may
/// watch its file).
fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Plain HTTP GET on loopback; Ok(status).
fn http_status(port: u16, path: &str) -> Result<u16, String> {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no HTTP answer on 127.0.0.1:{port}{path}"))
}

/// After the control plane serves: start containerd (and import the
/// images), the kubelet (until its node is Ready), kube-proxy and CoreDNS.
/// What already runs is kept.
pub async fn start(
    paths: &LabPaths,
    build: &NodeBuild,
    apiserver_port: u16,
    client: &Client,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    let dir = node_dir(paths);
    let began = Instant::now();
    for sub in ["containerd", "kubelet", "runc", "cni/net.d", "cni/ipam"] {
        fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("creating {}", dir.join(sub).display()))?;
    }
    let ports = node_ports(&dir)?;
    let pause_image = build
        .images_env("PAUSE_IMAGE")
        .context("images.env names no PAUSE_IMAGE")?;
    let ca_file = paths.pki_file("ca.crt");
    let cni_bin = build.cni();
    let bin = build.dir.join("bin");
    let layout = NodeLayout {
        dir: &dir,
        bin: &bin,
        cni_bin: &cni_bin,
        pause_image: &pause_image,
        ca_file: &ca_file,
        kubelet_healthz: ports[0],
        proxy_healthz: ports[1],
        proxy_metrics: ports[2],
        dns_health: ports[3],
        dns_ready: ports[4],
    };
    for name in ["kubelet", "kube-proxy", "coredns"] {
        kubeconfig::write_client(paths, &node_kubeconfig(paths, name), apiserver_port, name)?;
    }
    write(
        &dir.join("containerd/config.toml"),
        &layout.containerd_toml(),
    )?;
    write(
        &layout.cni_conf_dir().join("10-kubetutor.conflist"),
        &layout.cni_conflist(),
    )?;
    write(&dir.join("resolv.conf"), &layout.host_resolv_conf())?;
    write(&dir.join("kubelet/config.yaml"), &layout.kubelet_config())?;
    let proxy_kubeconfig = node_kubeconfig(paths, "kube-proxy");
    write(
        &dir.join("kube-proxy.yaml"),
        &layout.kube_proxy_config(&proxy_kubeconfig),
    )?;
    let dns_kubeconfig = node_kubeconfig(paths, "coredns");
    write(&dir.join("Corefile"), &layout.corefile(&dns_kubeconfig))?;

    let socket = layout.containerd_socket();
    start_once(paths, NodeComponent::Containerd, progress, async {
        let record = spawn(
            paths,
            NodeComponent::Containerd,
            &build.bin("containerd"),
            &["--config".into(), path(&dir.join("containerd/config.toml"))],
        )?;
        wait(
            paths,
            NodeComponent::Containerd,
            &record,
            Duration::from_secs(60),
            || ctr(build, &socket, &["version"]).map(drop),
        )
        .await?;
        Ok(String::new())
    })
    .await?;
    import_images(build, &socket, progress)?;

    start_once(paths, NodeComponent::Kubelet, progress, async {
        let args = vec![
            format!("--config={}", path(&dir.join("kubelet/config.yaml"))),
            format!("--kubeconfig={}", path(&node_kubeconfig(paths, "kubelet"))),
            format!("--root-dir={}", path(&dir.join("kubelet"))),
            format!("--cert-dir={}", path(&dir.join("kubelet/pki"))),
            format!("--hostname-override={NODE_NAME}"),
            format!("--node-ip={GATEWAY}"),
            "--v=1".into(),
        ];
        let record = spawn(paths, NodeComponent::Kubelet, &build.bin("kubelet"), &args)?;
        let nodes: Api<Node> = Api::all(client.clone());
        let healthz = layout.kubelet_healthz;
        wait_async(
            paths,
            NodeComponent::Kubelet,
            &record,
            Duration::from_secs(120),
            || {
                let nodes = nodes.clone();
                async move {
                    http_ok(healthz, "/healthz")?;
                    match nodes.get_opt(NODE_NAME).await {
                        Ok(Some(node)) if super::probe::is_ready(&node) => Ok(()),
                        Ok(Some(_)) => Err(format!("node {NODE_NAME} is not Ready yet")),
                        Ok(None) => Err(format!("node {NODE_NAME} is not registered yet")),
                        Err(e) => Err(e.to_string()),
                    }
                }
            },
        )
        .await?;
        Ok(format!(" (node {NODE_NAME} Ready)"))
    })
    .await?;
    taint_kwok_node(client).await?;

    start_once(paths, NodeComponent::KubeProxy, progress, async {
        let record = spawn(
            paths,
            NodeComponent::KubeProxy,
            &build.bin("kube-proxy"),
            &[format!("--config={}", path(&dir.join("kube-proxy.yaml")))],
        )?;
        let port = layout.proxy_healthz;
        wait(
            paths,
            NodeComponent::KubeProxy,
            &record,
            Duration::from_secs(60),
            || http_ok(port, "/healthz"),
        )
        .await?;
        Ok(String::new())
    })
    .await?;
    network::jump_first()?;

    start_once(paths, NodeComponent::CoreDns, progress, async {
        coredns_rbac(client).await?;
        let record = spawn(
            paths,
            NodeComponent::CoreDns,
            &build.bin("coredns"),
            &["-conf".into(), path(&dir.join("Corefile"))],
        )?;
        let port = layout.dns_ready;
        wait(
            paths,
            NodeComponent::CoreDns,
            &record,
            Duration::from_secs(60),
            || http_ok(port, "/ready"),
        )
        .await?;
        Ok(String::new())
    })
    .await?;
    progress(&format!(
        "real node {NODE_NAME} ready in {:.1} s (Pods use the image {}: {})",
        began.elapsed().as_secs_f64(),
        build.toolbox_image().unwrap_or_default(),
        build.images_env("TOOLBOX_DESCRIPTION").unwrap_or_default()
    ));
    Ok(())
}

/// Starts a node component with `start` (spawn it, wait until it is ready;
/// its answer is added to the progress line) unless it runs already, and
/// says how long it took. `start` is not run at all for a running component.
async fn start_once(
    paths: &LabPaths,
    component: NodeComponent,
    progress: &mut dyn FnMut(&str),
    start: impl std::future::Future<Output = anyhow::Result<String>>,
) -> anyhow::Result<()> {
    let name = component.name();
    if running(paths, component).is_some() {
        progress(&format!("{name:<24} already running"));
        return Ok(());
    }
    let t0 = Instant::now();
    let said = start.await?;
    progress(&format!(
        "{name:<24} ready in {:.1} s{said}",
        t0.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// An HTTP health endpoint on 127.0.0.1 answers 200.
fn http_ok(port: u16, path: &str) -> Result<(), String> {
    match http_status(port, path)? {
        200 => Ok(()),
        s => Err(format!("{path} answered {s}")),
    }
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

fn pid_file(paths: &LabPaths, component: NodeComponent) -> PathBuf {
    paths.pid_file(component.name())
}

/// The component's process, if it runs.
pub fn running(paths: &LabPaths, component: NodeComponent) -> Option<PidRecord> {
    PidRecord::read(&pid_file(paths, component)).filter(PidRecord::is_running)
}

fn spawn(
    paths: &LabPaths,
    component: NodeComponent,
    program: &Path,
    args: &[String],
) -> anyhow::Result<PidRecord> {
    process::spawn_detached(
        program,
        args,
        &paths.log_file(component.name()),
        &pid_file(paths, component),
    )
}

fn failure(paths: &LabPaths, component: NodeComponent, what: &str) -> anyhow::Error {
    let log = paths.log_file(component.name());
    anyhow::anyhow!(
        "{} {what}. Last lines of {}:\n{}",
        component.name(),
        log.display(),
        process::tail(&log, 25)
    )
}

async fn wait(
    paths: &LabPaths,
    component: NodeComponent,
    record: &PidRecord,
    timeout: Duration,
    mut probe: impl FnMut() -> Result<(), String>,
) -> anyhow::Result<()> {
    wait_async(paths, component, record, timeout, || {
        let result = probe();
        async move { result }
    })
    .await
}

async fn wait_async<F, Fut>(
    paths: &LabPaths,
    component: NodeComponent,
    record: &PidRecord,
    timeout: Duration,
    mut probe: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let began = Instant::now();
    let mut last = String::from("not asked yet");
    while began.elapsed() < timeout {
        if !record.is_running() {
            return Err(failure(paths, component, "exited while starting"));
        }
        match probe().await {
            Ok(()) => return Ok(()),
            Err(why) => last = why,
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(failure(
        paths,
        component,
        &format!(
            "was not ready after {} s (last probe: {last})",
            timeout.as_secs()
        ),
    ))
}

fn ctr(build: &NodeBuild, socket: &Path, args: &[&str]) -> Result<String, String> {
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
fn import_images(
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
        let tar = path(&build.image(file));
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

/// Keeps new Pods off the kwok node (it runs no containers) while a real node is up.
async fn taint_kwok_node(client: &Client) -> anyhow::Result<()> {
    let nodes: Api<Node> = Api::all(client.clone());
    let patch = serde_json::json!({
        "spec": {"taints": [{"key": KWOK_TAINT, "value": "true", "effect": "NoSchedule"}]}
    });
    nodes
        .patch(
            super::components::NODE_NAME,
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .context("tainting the kwok node")?;
    Ok(())
}

/// A lab that ran a real node and now starts without one: the kwok node
/// takes Pods again (its taint goes) and the real node's Node object, which
/// no kubelet will update any more, is deleted.
pub async fn forget(client: &Client) -> anyhow::Result<()> {
    let nodes: Api<Node> = Api::all(client.clone());
    let kwok = super::components::NODE_NAME;
    if let Some(node) = nodes.get_opt(kwok).await? {
        let taints: Vec<_> = node
            .spec
            .and_then(|s| s.taints)
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.key != KWOK_TAINT)
            .collect();
        let patch = serde_json::json!({"spec": {"taints": taints}});
        nodes
            .patch(kwok, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .context("removing the real-node taint from the kwok node")?;
    }
    if nodes.get_opt(NODE_NAME).await?.is_some() {
        nodes
            .delete(NODE_NAME, &Default::default())
            .await
            .with_context(|| format!("deleting the node {NODE_NAME}"))?;
    }
    Ok(())
}

/// A read-only ClusterRole over what CoreDNS's kubernetes plugin watches,
/// bound to CoreDNS's certificate identity.
async fn coredns_rbac(client: &Client) -> anyhow::Result<()> {
    use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
    let name = "system:kubetutor:coredns";
    let role = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": [
            {"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"], "verbs": ["list", "watch"]},
            {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"]}
        ]
    });
    let binding = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}]
    });
    let params = PatchParams::apply("kubetutor-lab").force();
    Api::<ClusterRole>::all(client.clone())
        .patch(name, &params, &Patch::Apply(role))
        .await
        .context("creating CoreDNS's ClusterRole")?;
    Api::<ClusterRoleBinding>::all(client.clone())
        .patch(name, &params, &Patch::Apply(binding))
        .await
        .context("binding CoreDNS's ClusterRole")?;
    Ok(())
}

/// Whether the lab was last started with a real node.
pub fn present(paths: &LabPaths) -> bool {
    super::state::LabState::load(paths).is_some_and(|s| s.real_node)
}

/// Whether a real node may have left something to clean up here.
pub fn traces(paths: &LabPaths) -> bool {
    node_dir(paths).exists()
}

/// Stops the node and removes what it made on the machine: containers (runc),
/// containerd's shims, mounts under the lab folder, kube-proxy's rules, our
/// firewall chains, the bridge, the kubelet's cgroups. Problems are
/// collected and reported, not stopping the rest of the cleanup.
pub fn down(paths: &LabPaths, progress: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
    let dir = node_dir(paths);
    let build = check_built().ok();
    let mut problems = Vec::new();
    for component in NodeComponent::ALL.into_iter().rev() {
        let file = pid_file(paths, component);
        let Some(record) = PidRecord::read(&file) else {
            continue;
        };
        if !record.is_gone() {
            match process::stop(&record, Duration::from_secs(10)) {
                Ok(_) => progress(&format!(
                    "{:<24} stopped (pid {})",
                    component.name(),
                    record.pid
                )),
                Err(e) => problems.push(format!("stopping {}: {e}", component.name())),
            }
        }
        if component == NodeComponent::Containerd {
            // Containers outlive containerd (their shims are not its children).
            problems.extend(cleanup::containers(build.as_ref(), &dir));
        }
        let _ = fs::remove_file(&file);
    }
    if build.is_none() {
        problems.extend(cleanup::containers(None, &dir));
    }
    if let Some(build) = &build {
        let output = Command::new(build.bin("kube-proxy"))
            .arg("--cleanup")
            .stdin(Stdio::null())
            .output();
        if let Ok(out) = output
            && !out.status.success()
        {
            problems.push(format!(
                "kube-proxy --cleanup: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    problems.extend(cleanup::mounts(&dir));
    problems.extend(network::down());
    problems.extend(cleanup::cgroups());
    problems.extend(sysctls::restore(&dir));
    if problems.is_empty() {
        progress(
            "real node: containers, mounts, firewall chains and the bridge removed; \
             kernel settings it changed restored",
        );
        Ok(())
    } else {
        anyhow::bail!(
            "the real node stopped, but some of its traces remain:\n  {}",
            problems.join("\n  ")
        )
    }
}
