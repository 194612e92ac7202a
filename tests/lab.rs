//! The local lab answers as the seed exercise says a real cluster does.
//! Every check here is a real request to the lab's API server.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{TestNamespace, lab, seed};
use http::Method;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::Api;
use kube::runtime::wait::await_condition;
use kubetutor::cluster::request::{self, Identity};
use kubetutor::cluster::token;
use kubetutor::lab::components::NODE_NAME;

async fn get(identity: &Identity, path: &str) -> request::ApiResponse {
    let config = lab().config().await;
    request::send(&config, identity, Method::GET, path, None)
        .await
        .expect("request is answered")
}

async fn token_for(namespace: &str, service_account: &str) -> Identity {
    let client = lab().client().await;
    let token = token::request(&client, namespace, service_account, 600, None)
        .await
        .expect("TokenRequest succeeds");
    Identity::Bearer(token)
}

fn message(response: &request::ApiResponse) -> String {
    response
        .json()
        .and_then(|j| j["message"].as_str().map(String::from))
        .unwrap_or_default()
}

#[tokio::test]
async fn anonymous_get_api_v1_is_forbidden() {
    let response = get(&Identity::Anonymous, "/api/v1").await;
    assert_eq!(response.status, 403, "{}", response.body);
    let json = response.json().expect("a Status object");
    assert_eq!(json["kind"], "Status");
    assert_eq!(json["reason"], "Forbidden");
    assert_eq!(
        message(&response),
        r#"forbidden: User "system:anonymous" cannot get path "/api/v1""#
    );
}

#[tokio::test]
async fn default_token_discovers_the_api_but_cannot_list_pods() {
    let identity = token_for("default", "default").await;

    let discovery = get(&identity, "/api/v1").await;
    assert_eq!(discovery.status, 200, "{}", discovery.body);
    assert_eq!(discovery.json().unwrap()["kind"], "APIResourceList");

    let pods = get(&identity, "/api/v1/namespaces/default/pods").await;
    assert_eq!(pods.status, 403, "{}", pods.body);
    let text = message(&pods);
    assert!(
        text.contains(r#"User "system:serviceaccount:default:default""#),
        "{text}"
    );
    assert!(text.contains(r#"cannot list resource "pods""#), "{text}");
    assert!(text.contains(r#"in the namespace "default""#), "{text}");
}

#[tokio::test]
async fn demo_sa_with_the_seed_role_and_binding_lists_pods() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "rbac").await;
    let identity = token_for(&ns.name, "default").await;
    let path = format!("/api/v1/namespaces/{}/pods", ns.name);

    lab().apply(&ns.name, seed::demo_sa());
    let demo = token_for(&ns.name, "demo-sa").await;
    assert_eq!(get(&demo, &path).await.status, 403, "no Role bound yet");

    lab().apply(&ns.name, &seed::role_list_pods(&ns.name));
    lab().apply(&ns.name, &seed::role_binding_list_pods(&ns.name));
    // The authorizer learns of the binding through its informer, a moment after
    // kubectl returns: ask again for a few seconds before calling it a failure.
    let deadline = Instant::now() + Duration::from_secs(5);
    let listed = loop {
        let response = get(&demo, &path).await;
        if response.status == 200 || Instant::now() > deadline {
            break response;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.json().unwrap()["kind"], "PodList");

    // The binding names demo-sa only: the namespace's default account is still refused.
    assert_eq!(get(&identity, &path).await.status, 403);
}

#[tokio::test]
async fn a_new_namespace_gets_its_default_service_account_by_itself() {
    // TestNamespace::create creates only the namespace and waits for the account
    // the controller-manager adds; it panics if none appears within 30 s.
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "sa").await;
    let out = lab().kubectl(
        &[
            "get",
            "serviceaccount",
            "default",
            "-n",
            &ns.name,
            "-o",
            "name",
        ],
        None,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "serviceaccount/default"
    );
}

#[tokio::test]
async fn the_kubernetes_service_exists_in_default() {
    let services: Api<Service> = Api::namespaced(lab().client().await, "default");
    let service = services
        .get("kubernetes")
        .await
        .expect("the kubernetes Service");
    let spec = service.spec.unwrap();
    assert_eq!(spec.cluster_ip.as_deref(), Some("10.96.0.1"));
    assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
    assert_eq!(spec.ports.unwrap()[0].port, 443);
}

#[tokio::test]
async fn the_seed_pod_runs_on_the_kwok_node_with_a_projected_token() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "pod").await;
    lab().apply(&ns.name, seed::demo_sa());

    let applied = Instant::now();
    lab().apply(&ns.name, &seed::pod("pod-demo-sa", Some("demo-sa")));
    let pods: Api<Pod> = Api::namespaced(client, &ns.name);
    let running = await_condition(pods.clone(), "pod-demo-sa", |pod: Option<&Pod>| {
        pod.and_then(|p| p.status.as_ref())
            .and_then(|s| s.phase.as_deref())
            == Some("Running")
    });
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("pod-demo-sa is Running within 10 s of kubectl apply")
        .unwrap();
    eprintln!("pod-demo-sa Running {:?} after apply", applied.elapsed());

    let pod = pods.get("pod-demo-sa").await.unwrap();
    let spec = pod.spec.unwrap();
    // On a kwok node of the lab: the first (NODE_NAME) or one `lab nodes` added.
    let node = spec.node_name.as_deref().unwrap_or_default();
    let kwok = NODE_NAME.trim_end_matches(char::is_numeric);
    assert!(node.starts_with(kwok), "scheduled to {node:?}");
    assert_eq!(spec.service_account_name.as_deref(), Some("demo-sa"));
    // The ServiceAccount admission plugin adds the projected token volume and mounts it.
    let volume = spec
        .volumes
        .unwrap_or_default()
        .into_iter()
        .find(|v| v.name.starts_with("kube-api-access-"))
        .expect("a kube-api-access-* volume");
    let sources = volume.projected.unwrap().sources.unwrap();
    assert!(
        sources.iter().any(|s| s.service_account_token.is_some()),
        "token source"
    );
    assert!(
        sources.iter().any(|s| s
            .config_map
            .as_ref()
            .is_some_and(|c| c.name == "kube-root-ca.crt")),
        "ca.crt from the kube-root-ca.crt ConfigMap"
    );
    let mounts = spec.containers[0].volume_mounts.clone().unwrap_or_default();
    assert!(
        mounts
            .iter()
            .any(|m| m.mount_path == "/var/run/secrets/kubernetes.io/serviceaccount"),
        "{mounts:?}"
    );
}

#[tokio::test]
async fn a_pod_naming_a_missing_service_account_is_rejected_by_the_server() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "nosa").await;
    let out = lab().kubectl(
        &["apply", "-n", &ns.name, "-f", "-"],
        Some(&seed::pod("pod-demo-sa", Some("demo-sa"))),
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            r#"error looking up service account {}/demo-sa: serviceaccount "demo-sa" not found"#,
            ns.name
        )),
        "{stderr}"
    );
}

#[tokio::test]
async fn tls_is_verified_with_the_lab_ca() {
    let mut config = lab().config().await;
    assert!(!config.accept_invalid_certs);
    // A client that trusts some other CA must refuse the lab's certificate.
    let other_ca = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    config.root_cert = Some(vec![other_ca.cert.der().to_vec()]);
    let err = request::send(&config, &Identity::Anonymous, Method::GET, "/version", None)
        .await
        .expect_err("a client with the wrong CA must not connect");
    let text = format!("{err:#}").to_lowercase();
    assert!(
        text.contains("certificate") || text.contains("tls"),
        "{text}"
    );
    // With the lab's CA the same request goes through.
    let ok = get(&Identity::Anonymous, "/version").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[test]
fn every_lab_listener_is_on_loopback() {
    let lab = lab();
    let status = kubetutor::lab::status(&lab.paths);
    let mut inodes_by_component = Vec::new();
    for s in &status {
        let pid = s
            .pid
            .unwrap_or_else(|| panic!("{} is not running", s.component.name()));
        let mut inodes = HashSet::new();
        for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .flatten()
        {
            if let Ok(target) = std::fs::read_link(fd.path()) {
                let target = target.to_string_lossy().into_owned();
                if let Some(inode) = target
                    .strip_prefix("socket:[")
                    .and_then(|t| t.strip_suffix(']'))
                {
                    inodes.insert(inode.to_string());
                }
            }
        }
        inodes_by_component.push((s.component.name(), inodes));
    }
    let listeners = listening_sockets();
    for (name, inodes) in &inodes_by_component {
        let own: Vec<&(String, String)> = listeners
            .iter()
            .filter(|(_, inode)| inodes.contains(inode))
            .collect();
        assert!(!own.is_empty(), "{name} listens nowhere?");
        for (address, _) in own {
            assert!(
                address.starts_with("127.0.0.1:"),
                "{name} listens on {address}"
            );
        }
    }
}

/// (address, inode) of every TCP socket in LISTEN state, from /proc/net/tcp{,6}.
fn listening_sockets() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (file, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 10 || cols[3] != "0A" {
                continue; // 0A = LISTEN
            }
            let (addr, port) = cols[1].split_once(':').unwrap();
            let port = u16::from_str_radix(port, 16).unwrap();
            let address = if v6 {
                format!("[{addr}]:{port}") // never loopback-v4 text: fails the assertion
            } else {
                let n = u32::from_str_radix(addr, 16).unwrap();
                let ip = std::net::Ipv4Addr::from(n.swap_bytes());
                format!("{ip}:{port}")
            };
            out.push((address, cols[9].to_string()));
        }
    }
    out
}
