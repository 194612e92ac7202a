//! `kubetutor token` and `kubetutor call` reproduce the seed's answers on the
//! lab, the from-a-pod path says how it was sent, and no token ever lands in
//! kubetutor's state folder or logs.

mod common;

use std::time::Duration;

use common::tmux::Tmux;
use common::{KUBETUTOR, TestNamespace, lab, seed};

/// True when `text` holds something shaped like a whole JWT (three base64url parts).
fn contains_jwt(text: &str) -> bool {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices("eyJ").any(|(i, _)| {
        let parts: Vec<&str> = text[i..].splitn(3, '.').collect();
        parts.len() == 3
            && parts[0].len() > 10
            && parts[0].chars().all(is_b64)
            && parts[1].len() > 20
            && parts[1].chars().all(is_b64)
            && parts[2].chars().take(20).filter(|c| is_b64(*c)).count() == 20
    })
}

#[tokio::test]
async fn the_seed_answers_from_the_command_line() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "calls").await;
    let n = ns.name.as_str();
    let state = common::temp_dir("calls");

    let (ok, out) = common::run_on_lab(&["token", "default", "-n", n], &state);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("\"sub\": \"system:serviceaccount:{n}:default\"")),
        "{out}"
    );
    assert!(
        out.contains("hidden") && !contains_jwt(&out),
        "masked by default:\n{out}"
    );
    let (ok, out) = common::run_on_lab(&["token", "default", "-n", n, "--reveal"], &state);
    assert!(
        ok && contains_jwt(&out),
        "--reveal prints the token:\n{out}"
    );

    let (_, out) = common::run_on_lab(&["call", "--as", "anonymous", "GET", "/api/v1"], &state);
    assert!(
        out.contains(
            r#"→ 403 Forbidden: forbidden: User "system:anonymous" cannot get path "/api/v1""#
        ),
        "{out}"
    );

    let (_, out) = common::run_on_lab(
        &["call", "--as", "sa:default", "-n", n, "GET", "/api/v1"],
        &state,
    );
    assert!(out.contains("→ 200 OK (APIResourceList"), "{out}");
    let pods = format!("/api/v1/namespaces/{n}/pods");
    let (_, out) = common::run_on_lab(
        &["call", "--as", "sa:default", "-n", n, "GET", &pods],
        &state,
    );
    assert!(
        out.contains(&format!(
            r#"→ 403 Forbidden: pods is forbidden: User "system:serviceaccount:{n}:default" cannot list resource "pods" in API group "" in the namespace "{n}""#
        )),
        "{out}"
    );

    lab().apply(n, seed::demo_sa());
    lab().apply(n, &seed::role_list_pods(n));
    lab().apply(n, &seed::role_binding_list_pods(n));
    lab().apply(n, &seed::pod("pod-demo-sa", Some("demo-sa")));
    tokio::time::sleep(Duration::from_millis(500)).await; // the authorizer's informer catches up
    let (_, out) = common::run_on_lab(
        &["call", "--as", "pod:pod-demo-sa", "-n", n, "GET", &pods],
        &state,
    );
    assert!(out.contains("→ 200 OK (PodList: pod-demo-sa)"), "{out}");
    assert!(
        out.contains("as Pod pod-demo-sa (ServiceAccount demo-sa)"),
        "{out}"
    );
    assert!(
        out.contains("sent by kubetutor to the API server with this Pod's own token"),
        "the fallback says so:\n{out}"
    );

    let (ok, out) = common::run_on_lab(
        &["call", "--as", "pod:nope", "-n", n, "GET", "/api"],
        &state,
    );
    assert!(!ok && out.contains("there is no Pod nope"), "{out}");
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn no_token_is_written_to_the_state_folder_or_the_logs() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "notoken").await;
    let state = common::temp_dir("calls");

    let (ok, out) = common::run_on_lab(&["solve", "-n", &ns.name], &state);
    assert!(ok, "{out}");
    common::run_on_lab(&["token", "demo-sa", "-n", &ns.name], &state);
    // The TUI too: run the token action (step 3) and a call from a pod (step 11).
    common::learner_did_everything(&state, &ns.name);
    let command = format!(
        "XDG_STATE_HOME={} KUBECONFIG={} KUBETUTOR_LOG=debug {KUBETUTOR} -n {}; sleep 30",
        state.display(),
        lab().paths.kubeconfig().display(),
        ns.name
    );
    let tmux = Tmux::start(&command, 160, 48);
    tmux.wait_for("connected", Duration::from_secs(15));
    tmux.keys(&["C-n", "C-n"]);
    tmux.wait_for("3. A token", Duration::from_secs(10));
    tmux.keys(&["F6"]);
    tmux.wait_for("hidden", Duration::from_secs(10));
    assert!(
        !contains_jwt(&tmux.screen().replace([' ', '\n', '│'], "")),
        "masked by default"
    );
    // Revealed only when asked for, from the menu.
    tmux.keys(&["F10", "Down", "Down", "Enter"]); // solve, run, "Show this step's token in full"
    tmux.wait_for("revealed", Duration::from_secs(10));
    let output = common::tmux::pane_text(&tmux.screen(), "Output").replace(' ', "");
    // The pane is too short for the whole token; its header and claims parts show.
    assert!(
        output.contains("token:eyJ") && output.contains(".eyJ"),
        "the menu reveals the token: {output}"
    );
    for _ in 0..8 {
        tmux.keys(&["C-n"]);
    }
    tmux.wait_for("11. The same call", Duration::from_secs(10));
    tmux.keys(&["F6"]);
    tmux.wait_for("PodList", Duration::from_secs(10));
    tmux.keys(&["C-c"]);
    std::thread::sleep(Duration::from_millis(500));
    drop(tmux);

    let mut files = 0;
    let mut stack = vec![state.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files += 1;
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                assert!(!contains_jwt(&text), "{} holds a token", path.display());
            }
        }
    }
    assert!(
        files >= 2,
        "the progress file and the log were written ({files} files)"
    );
    let _ = std::fs::remove_dir_all(state);
}

#[test]
fn the_jwt_detector_finds_tokens_and_not_masks() {
    let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdCJ9.MEUCIQDabcdefghijklmnopqrstuvwxyz";
    assert!(contains_jwt(&format!("token: {token}\n")));
    assert!(!contains_jwt("token: eyJhbGciOi… (677 characters, hidden)"));
}

#[tokio::test]
async fn pods_on_the_kwok_node_are_never_exec_targets() {
    // An exec would make the API server dial the fake node's address: the lab
    // must take the bound-token path every time.
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "noexec").await;
    lab().apply(&ns.name, &seed::pod("pod-default", None));
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), &ns.name);
    let scheduled = kube::runtime::wait::await_condition(
        pods.clone(),
        "pod-default",
        |p: Option<&k8s_openapi::api::core::v1::Pod>| {
            p.and_then(|p| p.spec.as_ref())
                .and_then(|s| s.node_name.as_ref())
                .is_some()
        },
    );
    tokio::time::timeout(Duration::from_secs(10), scheduled)
        .await
        .unwrap()
        .unwrap();
    let pod = kubetutor::tree::Tree::from(
        serde_json::to_value(pods.get("pod-default").await.unwrap()).unwrap(),
    );
    assert!(!kubetutor::cluster::pod_exec::runs_containers(&client, &pod).await);
}
