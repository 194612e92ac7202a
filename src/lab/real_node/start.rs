//! Starting the real node once the control plane serves: its files written,
//! then each component in turn from one table (program, arguments, how long
//! it may take, how it shows it is ready), with one wait-until-ready for all
//! of them, and what each one needs done before the next starts (images
//! imported, the kwok node tainted, the firewall jump moved first).

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use k8s_openapi::api::core::v1::Node;
use kube::{Api, Client};

use super::build::NodeBuild;
use super::config::NodeLayout;
use super::{
    GATEWAY, NODE_NAME, NodeComponent, cgroups, images, made, network, node_dir, objects, pid_file,
};
use crate::lab::health::wait_ready;
use crate::lab::paths::LabPaths;
use crate::lab::process::{self, PidRecord};
use crate::lab::{kubeconfig, probe};

/// How a component shows it is ready.
enum Ready {
    /// containerd: `ctr version` answers on its socket.
    Containerd(PathBuf),
    /// The kubelet: its /healthz answers, and its Node is registered and Ready.
    Node { healthz: u16 },
    /// An HTTP endpoint on 127.0.0.1 answers 200.
    Http { port: u16, path: &'static str },
}

/// One row of the start table.
struct Start {
    component: NodeComponent,
    program: PathBuf,
    args: Vec<String>,
    /// How long it may take to get ready.
    timeout: Duration,
    ready: Ready,
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
    let began = Instant::now();
    let dir = node_dir(paths);
    let ports = node_ports(&dir)?;
    let pause_image = build
        .images_env("PAUSE_IMAGE")
        .context("images.env names no PAUSE_IMAGE")?;
    let ca_file = paths.pki_file("ca.crt");
    let cni_bin = build.cni();
    let bin = build.dir.join("bin");
    let made = made::load(&dir).context(
        "the real node's record (node/made.json) is missing: run `kubetutor lab down`, \
         then `kubetutor lab up --real-node` again",
    )?;
    let layout = NodeLayout {
        dir: &dir,
        bin: &bin,
        cni_bin: &cni_bin,
        pause_image: &pause_image,
        ca_file: &ca_file,
        cgroup_parent: &made.cgroup_parent,
        kubelet_healthz: ports[0],
        proxy_healthz: ports[1],
        proxy_metrics: ports[2],
        dns_health: ports[3],
        dns_ready: ports[4],
    };
    write_files(paths, &layout, apiserver_port)?;

    for row in table(paths, build, &layout) {
        let component = row.component;
        let starting = running(paths, component).is_none();
        if component == NodeComponent::CoreDns && starting {
            objects::coredns_rbac(client).await?;
        }
        if matches!(component, NodeComponent::Kubelet | NodeComponent::CoreDns)
            && starting
            && let Some(found) = network::ensure_gateway()
                .with_context(|| format!("{} listens on {GATEWAY}", component.name()))?
        {
            progress(&format!(
                "{:<24} set up again before {} starts: {found}",
                super::BRIDGE,
                component.name()
            ));
        }
        start_once(paths, row, build, client, &made.cgroup_parent, progress).await?;
        // What the next component needs of this one.
        match component {
            NodeComponent::Containerd => {
                images::import_images(build, &layout.containerd_socket(), progress)?
            }
            NodeComponent::Kubelet => objects::taint_kwok_node(client).await?,
            NodeComponent::KubeProxy => network::jump_first()?,
            NodeComponent::CoreDns => {}
        }
    }
    progress(&format!(
        "real node {NODE_NAME} ready in {:.1} s (Pods use the image {}: {})",
        began.elapsed().as_secs_f64(),
        build.toolbox_image().unwrap_or_default(),
        build.images_env("TOOLBOX_DESCRIPTION").unwrap_or_default()
    ));
    Ok(())
}

/// The node's components, in start order.
fn table(paths: &LabPaths, build: &NodeBuild, layout: &NodeLayout) -> [Start; 4] {
    let dir = layout.dir;
    let kubeconfig = |name: &str| path(&node_kubeconfig(paths, name));
    [
        Start {
            component: NodeComponent::Containerd,
            program: build.bin("containerd"),
            args: vec!["--config".into(), path(&dir.join("containerd/config.toml"))],
            timeout: Duration::from_secs(60),
            ready: Ready::Containerd(layout.containerd_socket()),
        },
        Start {
            component: NodeComponent::Kubelet,
            program: build.bin("kubelet"),
            args: vec![
                format!("--config={}", path(&dir.join("kubelet/config.yaml"))),
                format!("--kubeconfig={}", kubeconfig("kubelet")),
                format!("--root-dir={}", path(&dir.join("kubelet"))),
                format!("--cert-dir={}", path(&dir.join("kubelet/pki"))),
                format!("--hostname-override={NODE_NAME}"),
                format!("--node-ip={GATEWAY}"),
                "--v=1".into(),
            ],
            timeout: Duration::from_secs(120),
            ready: Ready::Node {
                healthz: layout.kubelet_healthz,
            },
        },
        Start {
            component: NodeComponent::KubeProxy,
            program: build.bin("kube-proxy"),
            args: vec![format!("--config={}", path(&dir.join("kube-proxy.yaml")))],
            timeout: Duration::from_secs(60),
            ready: Ready::Http {
                port: layout.proxy_healthz,
                path: "/healthz",
            },
        },
        Start {
            component: NodeComponent::CoreDns,
            program: build.bin("coredns"),
            args: vec!["-conf".into(), path(&dir.join("Corefile"))],
            timeout: Duration::from_secs(60),
            ready: Ready::Http {
                port: layout.dns_ready,
                path: "/ready",
            },
        },
    ]
}

/// Starts a component unless it runs already — spawn it, wait until it is
/// ready — and says how long it took.
async fn start_once(
    paths: &LabPaths,
    row: Start,
    build: &NodeBuild,
    client: &Client,
    cgroup_parent: &str,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    let name = row.component.name();
    if running(paths, row.component).is_some() {
        progress(&format!("{name:<24} already running"));
        return Ok(());
    }
    let t0 = Instant::now();
    // In the lab's own cgroup: what it starts (containerd's shims, their
    // containers' leftovers) is the lab's, and `lab down` finds it there.
    let procs = cgroups::daemons_procs(cgroup_parent)
        .context("no cgroup hierarchy is mounted on this machine")?;
    let record = process::spawn_detached_in_cgroup(
        &row.program,
        &row.args,
        &paths.log_file(name),
        &pid_file(paths, row.component),
        &procs,
    )?;
    let nodes: Api<Node> = Api::all(client.clone());
    let ready = &row.ready;
    wait_ready(name, &record, paths, row.timeout, || {
        let nodes = nodes.clone();
        async move {
            match ready {
                Ready::Containerd(socket) => images::ctr(build, socket, &["version"]).map(drop),
                Ready::Http { port, path } => http_ok(*port, path),
                Ready::Node { healthz } => {
                    http_ok(*healthz, "/healthz")?;
                    match nodes.get_opt(NODE_NAME).await {
                        Ok(Some(node)) if probe::is_ready(&node) => Ok(()),
                        Ok(Some(_)) => Err(format!("node {NODE_NAME} is not Ready yet")),
                        Ok(None) => Err(format!("node {NODE_NAME} is not registered yet")),
                        Err(e) => Err(e.to_string()),
                    }
                }
            }
        }
    })
    .await?;
    let said = match row.ready {
        Ready::Node { .. } => format!(" (node {NODE_NAME} Ready)"),
        _ => String::new(),
    };
    progress(&format!(
        "{name:<24} ready in {:.1} s{said}",
        t0.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// The component's process, if it runs.
pub fn running(paths: &LabPaths, component: NodeComponent) -> Option<PidRecord> {
    PidRecord::read(&pid_file(paths, component)).filter(PidRecord::is_running)
}

/// The node's folders, client kubeconfigs and configuration files.
fn write_files(paths: &LabPaths, layout: &NodeLayout, apiserver_port: u16) -> anyhow::Result<()> {
    let dir = layout.dir;
    for sub in ["containerd", "kubelet", "runc", "cni/net.d", "cni/ipam"] {
        fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("creating {}", dir.join(sub).display()))?;
    }
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
    write(&dir.join("Corefile"), &layout.corefile(&dns_kubeconfig))
}

fn node_kubeconfig(paths: &LabPaths, name: &str) -> PathBuf {
    paths.component_kubeconfig(&format!("node-{name}"))
}

fn path(p: &Path) -> String {
    p.display().to_string()
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

/// An HTTP health endpoint on 127.0.0.1 answers 200.
fn http_ok(port: u16, path: &str) -> Result<(), String> {
    match http_status(port, path)? {
        200 => Ok(()),
        s => Err(format!("{path} answered {s}")),
    }
}
