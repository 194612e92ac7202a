//! The real-node lab (`kubetutor lab up --real-node`) on a lab folder of its
//! own: the seed's Pods run real containers (containerd + runc), `kubetutor
//! call --as pod:…` runs curl inside them, `kubectl exec` works, Pod DNS
//! resolves `kubernetes.default.svc`, and the bridge address is unreachable
//! from another interface.
//!
//! Skipped, with the reason written to the terminal (not captured by the test
//! harness), where the machine cannot run a real node (`common::real_lab`).

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use common::real_lab::{RealLab, say, skip_reason, text, toolbox_image};
use common::temp_dir;

/// The seed's Pods and RBAC from the lesson's solutions, with the one image
/// the real node has (no registry is reachable): the toolbox, named as it is.
fn seed_objects(image: &str, namespace: &str) -> String {
    let lesson =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac/solutions");
    let mut docs = Vec::new();
    for file in [
        "pod-default.yaml",
        "demo-sa.yaml",
        "role-list-pods.yaml",
        "role-binding-list-pods.yaml",
        "pod-demo-sa.yaml",
    ] {
        let path = lesson.join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        docs.push(kubetutor::lesson::vars::substitute_with(&text, namespace, image).unwrap());
    }
    docs.join("\n---\n")
}

#[test]
fn the_seed_runs_in_real_containers_on_the_real_node() {
    if let Some(reason) = skip_reason() {
        say(&format!("SKIPPED: {reason}"));
        return;
    }
    let lab = RealLab {
        dir: temp_dir("real-node-lab"),
    };
    let began = Instant::now();
    let up = lab.kubetutor(&["lab", "up", "--real-node"]);
    assert!(
        up.status.success(),
        "`kubetutor lab up --real-node` failed:\n{}",
        text(&up)
    );
    say(&format!(
        "lab up --real-node: {:.1} s",
        began.elapsed().as_secs_f64()
    ));
    let image = toolbox_image(&up);

    // The seed's Pods, with the toolbox image; the Pod says which image runs.
    let ns = "seed";
    lab.kubectl_ok(&["create", "namespace", ns], None);
    let objects = seed_objects(&image, ns);
    assert!(objects.contains("pod-demo-sa"), "{objects}");
    lab.kubectl_ok(&["apply", "-n", ns, "-f", "-"], Some(&objects));
    lab.kubectl_ok(
        &[
            "wait",
            "-n",
            ns,
            "--for=condition=Ready",
            "pod/pod-default",
            "pod/pod-demo-sa",
            "--timeout=180s",
        ],
        None,
    );
    let status = lab.kubectl_ok(
        &[
            "get", "pod", "pod-default", "-n", ns, "-o",
            "jsonpath={.spec.nodeName} {.status.containerStatuses[0].containerID} {.status.containerStatuses[0].image}",
        ],
        None,
    );
    assert!(
        status.starts_with("kubetutor-node containerd://") && status.ends_with(&image),
        "the Pod runs a real container from the toolbox image: {status}"
    );

    // `kubetutor call --as pod:…` runs curl inside the container.
    let call = |pod: &str, path: &str| {
        let out = lab.kubetutor(&["call", "--as", &format!("pod:{pod}"), "-n", ns, "GET", path]);
        text(&out)
    };
    let out = call("pod-default", "/api/v1");
    assert!(out.contains("from inside its container"), "{out}");
    assert!(out.contains("→ 200"), "{out}");
    let pods_path = format!("/api/v1/namespaces/{ns}/pods");
    let out = call("pod-default", &pods_path);
    assert!(
        out.contains("from inside its container") && out.contains("→ 403"),
        "{out}"
    );
    let out = call("pod-demo-sa", &pods_path);
    assert!(
        out.contains("from inside its container")
            && out.contains("→ 200")
            && out.contains("PodList"),
        "{out}"
    );

    // kubectl exec, the Pod's mounted namespace file, and DNS.
    let exec = |args: &[&str]| {
        let mut all = vec!["exec", "-n", ns, "pod-default", "--"];
        all.extend(args);
        lab.kubectl_ok(&all, None)
    };
    assert_eq!(
        exec(&[
            "cat",
            "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
        ]),
        ns
    );
    let resolved = exec(&["nslookup", "kubernetes.default.svc.cluster.local"]);
    assert!(resolved.contains("10.96.0.1"), "{resolved}");
    // The short name through the Pod's search path, as curl resolves it.
    let version = exec(&[
        "curl",
        "-sS",
        "--cacert",
        "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
        "https://kubernetes.default.svc/version",
    ]);
    assert!(version.contains("\"gitVersion\""), "{version}");

    // Over kubetutor's own transport: an exec runs on an HTTP/1.1 connection
    // of its own (a WebSocket cannot ride on HTTP/2), beside the one shared
    // HTTP/2 connection, and that connection closes with the exec.
    let (during, after) = exec_connections(&lab.dir.join("kubeconfig"), ns, "pod-default");
    assert_eq!(
        (during, after),
        (2, 1),
        "connections to the API server while an exec runs, and after it"
    );

    // The lesson as written: `${POD_IMAGE}` is the toolbox on this lab, so
    // `solve` (the lesson's own solutions, its calls from the Pods) passes.
    let kubeconfig = lab.dir.join("kubeconfig");
    let kubeconfig = kubeconfig.to_str().unwrap();
    lab.kubectl_ok(&["create", "namespace", "lesson"], None);
    let solved = lab.kubetutor(&["solve", "--kubeconfig", kubeconfig, "-n", "lesson"]);
    assert!(
        solved.status.success(),
        "the first lesson, solved as written on the real node:\n{}",
        text(&solved)
    );
    let running = lab.kubectl_ok(
        &[
            "get",
            "pod",
            "pod-demo-sa",
            "-n",
            "lesson",
            "-o",
            "jsonpath={.spec.containers[0].image} {.status.containerStatuses[0].containerID}",
        ],
        None,
    );
    assert!(
        running.starts_with(&format!("{image} containerd://")),
        "the lesson's Pod names the toolbox and runs it: {running}"
    );

    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(lab.dir.join("lab.json")).unwrap()).unwrap();
    let apiserver_port = state["ports"]["apiserver"].as_u64().unwrap() as u16;
    bridge_unreachable_from_another_interface(apiserver_port);
    let before = kernel_settings_before(&lab);

    for component in [
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kwok",
        "containerd",
        "kubelet",
        "kube-proxy",
        "coredns",
    ] {
        if let Some(kib) = lab.rss_kib(component) {
            say(&format!("{component:<24} RSS {} MiB", kib / 1024));
        }
    }

    // `lab down` puts back the kernel settings the node changed.
    drop(lab);
    for (key, value) in before {
        let now = std::fs::read_to_string(Path::new("/proc/sys").join(&key)).unwrap();
        assert_eq!(now.trim(), value, "/proc/sys/{key} after lab down");
    }
}

/// The values `lab up --real-node` recorded before the node started.
fn kernel_settings_before(lab: &RealLab) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(lab.dir.join("node/sysctls-before.json"))
        .expect("lab up --real-node records the kernel settings it may change");
    let values: std::collections::BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
    assert!(values.contains_key("net/ipv4/ip_forward"), "{text}");
    values.into_iter().collect()
}

fn sh(script: &str) -> Output {
    Command::new("sh")
        .args(["-c", script])
        .output()
        .expect("sh runs")
}

/// A network namespace plays "another machine" on a veth link: it reaches a
/// listener on the host's veth address, and not the same listener at the
/// bridge address (our firewall chain drops it).
fn bridge_unreachable_from_another_interface(apiserver_port: u16) {
    let listener = TcpListener::bind("0.0.0.0:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = stream.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    });
    let ns = format!("kt-outside-{}", std::process::id());
    let host_if = "kt-out-h";
    let setup = format!(
        "set -e
ip netns add {ns}
ip link add {host_if} type veth peer name kt-out-n
ip link set kt-out-n netns {ns}
ip addr add 10.86.255.1/30 dev {host_if}
ip link set {host_if} up
ip netns exec {ns} ip addr add 10.86.255.2/30 dev kt-out-n
ip netns exec {ns} ip link set kt-out-n up
ip netns exec {ns} ip link set lo up
ip netns exec {ns} ip route add 10.87.0.0/24 via 10.86.255.1"
    );
    let out = sh(&setup);
    let cleanup = format!("ip link del {host_if} 2>/dev/null; ip netns del {ns} 2>/dev/null; true");
    if !out.status.success() {
        sh(&cleanup);
        panic!("setting up the outside namespace failed:\n{}", text(&out));
    }
    let curl = |address: &str| {
        sh(&format!(
            "ip netns exec {ns} curl -sS --connect-timeout 3 http://{address}:{port}/"
        ))
    };
    let via_veth = curl("10.86.255.1");
    let via_bridge = curl("10.87.0.1");
    // The API server listens on every address in this mode: from outside,
    // neither the bridge address nor the host's other addresses answer.
    let api = |address: &str| {
        sh(&format!(
            "ip netns exec {ns} curl -sSk --connect-timeout 3 https://{address}:{apiserver_port}/readyz"
        ))
    };
    let api_via_bridge = api("10.87.0.1");
    let api_via_veth = api("10.86.255.1");
    let from_host = sh(&format!(
        "curl -sS --connect-timeout 3 http://10.87.0.1:{port}/"
    ));
    sh(&cleanup);
    assert!(
        via_veth.status.success() && String::from_utf8_lossy(&via_veth.stdout) == "ok",
        "the outside namespace reaches the host's listener on the veth: {}",
        text(&via_veth)
    );
    assert!(
        from_host.status.success(),
        "the host itself reaches the bridge address: {}",
        text(&from_host)
    );
    assert!(
        !via_bridge.status.success(),
        "the bridge address must be unreachable from another interface, got: {}",
        text(&via_bridge)
    );
    assert!(
        !api_via_bridge.status.success() && !api_via_veth.status.success(),
        "the API server must be unreachable from another interface: {} / {}",
        text(&api_via_bridge),
        text(&api_via_veth)
    );
    say(
        "bridge address 10.87.0.1 and the API server's port: reachable from the host, dropped from another interface",
    );
}

/// This process's connections to the API server while an exec (`sleep 2`)
/// runs in `pod` through `kubetutor::transport`, and after it ends.
fn exec_connections(kubeconfig: &Path, ns: &str, pod: &str) -> (usize, usize) {
    use k8s_openapi::api::core::v1::Pod;
    use kube::Api;
    use kube::api::AttachParams;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let file = kube::config::Kubeconfig::read_from(kubeconfig).unwrap();
        let config = kube::Config::from_custom_kubeconfig(file, &Default::default())
            .await
            .unwrap();
        let port = config.cluster_url.port_u16().unwrap();
        let count = || common::connections_to(std::process::id(), port);
        let client = kubetutor::transport::client(&config).unwrap();
        let pods: Api<Pod> = Api::namespaced(client, ns);
        pods.get(pod).await.unwrap();
        let mut process = pods
            .exec(pod, ["sleep", "2"], &AttachParams::default().stderr(false))
            .await
            .unwrap();
        let status = process.take_status().unwrap();
        let during = count();
        let status = status.await;
        let _ = process.join().await;
        assert_eq!(
            status.and_then(|s| s.status).as_deref(),
            Some("Success"),
            "the exec ran"
        );
        let since = Instant::now();
        let mut after = count();
        while after != 1 && since.elapsed() < std::time::Duration::from_secs(5) {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            after = count();
        }
        (during, after)
    })
}
