//! The quota-limitrange race (issue 26): `kubetutor solve --lesson
//! quota-limitrange --through defaults` in fresh namespaces, counting the
//! runs whose Pod `plain` was stored without the LimitRange's defaults (the
//! step that then never passes). Ignored by default: 100 runs take a few
//! minutes on the shared lab.
//!
//! Run: cargo test --test quota_race -- --ignored --nocapture
//! (QUOTA_RACE_RUNS=N for another count; QUOTA_RACE_KUBETUTOR=path to run
//! another build of kubetutor, e.g. one from before the fix)

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::Api;

/// With QUOTA_RACE_LOAD=N, N tasks keep the API server busy (ConfigMaps
/// created and deleted in a namespace of their own) for as long as the
/// returned guard lives: a busy server's informers lag more, as in a workshop.
async fn load(
    client: &kube::Client,
) -> Option<(common::TestNamespace, Vec<tokio::task::JoinHandle<()>>)> {
    use k8s_openapi::api::core::v1::ConfigMap;
    let tasks: usize = std::env::var("QUOTA_RACE_LOAD").ok()?.parse().ok()?;
    let namespace = common::TestNamespace::create(client, "quota-load").await;
    let handles = (0..tasks)
        .map(|task| {
            let maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace.name);
            tokio::spawn(async move {
                // Bounded: at most 20 minutes, at most 100,000 objects a task.
                let until = Instant::now() + Duration::from_secs(20 * 60);
                for i in 0u64..100_000 {
                    if Instant::now() > until {
                        break;
                    }
                    let mut map = ConfigMap::default();
                    map.metadata.name = Some(format!("load-{task}-{i}"));
                    map.data = Some([("i".to_string(), i.to_string())].into());
                    let _ = maps.create(&Default::default(), &map).await;
                    let _ = maps
                        .delete(&format!("load-{task}-{i}"), &Default::default())
                        .await;
                }
            })
        })
        .collect();
    println!("(API server kept busy by {tasks} tasks)");
    Some((namespace, handles))
}

/// How long one run may take before it counts as stuck (solve's own wait for
/// a failing step is 90 s; a good run takes about a second).
const RUN_BUDGET: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "100 fresh namespaces on the shared lab: run on demand"]
async fn solving_quota_limitrange_in_fresh_namespaces_never_loses_the_defaults() {
    let runs: usize = std::env::var("QUOTA_RACE_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let lab = common::lab();
    let client = lab.client().await;
    let kubeconfig = lab.paths.kubeconfig();
    let program = std::env::var("QUOTA_RACE_KUBETUTOR").unwrap_or(common::KUBETUTOR.to_string());
    let _load = load(&client).await;
    let state = common::temp_dir("quota-race");
    let mut failures = Vec::new();
    let started = Instant::now();
    for run in 0..runs {
        let namespace = common::TestNamespace::create(&client, "quota-race").await;
        let ns = namespace.name.clone();
        let mut solve = Command::new(&program)
            .args([
                "solve",
                "--lesson",
                "quota-limitrange",
                "-n",
                &ns,
                "--through",
                // The step whose solution creates Pod `plain` (the LimitRange
                // is the step before).
                "defaults",
            ])
            .env("KUBECONFIG", &kubeconfig)
            .env("XDG_STATE_HOME", &state)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
        let since = Instant::now();
        // The verdict is the stored Pod: with the defaults, or without.
        let verdict = loop {
            // Asked before the Pod, so a solve that ended has made it (or failed).
            let ended = solve.try_wait().unwrap();
            if let Some(pod) = pods.get_opt("plain").await.unwrap() {
                let spec = pod.spec.unwrap_or_default();
                let requests = spec.containers[0]
                    .resources
                    .as_ref()
                    .and_then(|r| r.requests.clone())
                    .unwrap_or_default();
                break requests.get("cpu").map(|q| q.0.clone());
            }
            if let Some(status) = ended {
                let out = solve.wait_with_output().unwrap();
                panic!(
                    "solve ended ({status}) without a Pod plain in {ns}:\n{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            assert!(since.elapsed() < RUN_BUDGET, "no Pod plain in {ns}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let ok = verdict.as_deref() == Some("100m");
        if ok {
            let status = solve.wait().unwrap();
            assert!(
                status.success(),
                "solve failed in {ns} with the defaults set"
            );
        } else {
            let _ = solve.kill();
            let _ = solve.wait();
            failures.push(format!("run {run}: {ns}: requests.cpu {verdict:?}"));
        }
        println!(
            "run {:>3}: {}  ({} failed so far)",
            run + 1,
            if ok { "defaults set" } else { "NO DEFAULTS" },
            failures.len()
        );
        drop(namespace);
    }
    println!(
        "\n{} failures in {runs} runs ({:.0} s)",
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    for failure in &failures {
        println!("  {failure}");
    }
    if let Some((_namespace, tasks)) = _load {
        tasks.iter().for_each(tokio::task::JoinHandle::abort);
    }
    let _ = std::fs::remove_dir_all(state);
    assert!(
        failures.is_empty(),
        "{} of {runs} runs lost the LimitRange defaults",
        failures.len()
    );
}

/// The mechanism, without `solve`: a Pod created right after a LimitRange,
/// in a fresh namespace, with and without a dry run of that Pod just before
/// (what `apply` does to check every document first). The LimitRanger
/// admission plugin reads LimitRanges from its informer; when that shows none
/// in the namespace it asks etcd and remembers the answer for 30 s, so a dry
/// run before the LimitRange exists leaves "none here" for a Pod admitted
/// before the informer has caught up.
#[tokio::test]
#[ignore = "the mechanism behind the race, measured: run on demand"]
async fn a_dry_run_before_the_limitrange_primes_limitrangers_cache() {
    use kube::api::PostParams;
    let runs: usize = std::env::var("QUOTA_RACE_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let client = common::lab().client().await;
    let limit_range: k8s_openapi::api::core::v1::LimitRange =
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "defaults"},
            "spec": {"limits": [{"type": "Container",
                "defaultRequest": {"cpu": "100m", "memory": "64Mi"},
                "default": {"cpu": "200m", "memory": "128Mi"}}]}
        }))
        .unwrap();
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "plain"},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]}
    }))
    .unwrap();
    // (dry run first, then wait until admission applies the LimitRange)
    for (primed, settle) in [(false, false), (true, false), (true, true)] {
        let mut lost = 0;
        for _ in 0..runs {
            let namespace = common::TestNamespace::create(&client, "lr-cache").await;
            let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace.name);
            let ranges: Api<k8s_openapi::api::core::v1::LimitRange> =
                Api::namespaced(client.clone(), &namespace.name);
            if primed {
                let dry = PostParams {
                    dry_run: true,
                    ..Default::default()
                };
                pods.create(&dry, &pod).await.unwrap();
            }
            let created = ranges
                .create(&PostParams::default(), &limit_range)
                .await
                .unwrap();
            if settle {
                let object: kube::api::DynamicObject =
                    serde_json::from_value(serde_json::to_value(&created).unwrap()).unwrap();
                let settled =
                    kubetutor::cluster::limit_range_settle::wait(&client, &namespace.name, &object)
                        .await;
                assert!(
                    matches!(
                        settled,
                        kubetutor::cluster::limit_range_settle::Settled::Seen(_)
                    ),
                    "{settled:?}"
                );
            }
            let stored = pods.create(&PostParams::default(), &pod).await.unwrap();
            let has_defaults = stored.spec.unwrap().containers[0]
                .resources
                .as_ref()
                .and_then(|r| r.requests.as_ref())
                .is_some_and(|r| r.contains_key("cpu"));
            if !has_defaults {
                lost += 1;
            }
            let _ = pods.delete("plain", &Default::default()).await;
            drop(namespace);
        }
        println!(
            "{}{}: {lost} of {runs} Pods stored without the LimitRange's defaults",
            if primed {
                "with a dry run first"
            } else {
                "without a dry run first"
            },
            if settle {
                ", then waiting until admission applies the LimitRange"
            } else {
                ""
            }
        );
        if settle {
            assert_eq!(
                lost, 0,
                "waiting for admission must leave no Pod without defaults"
            );
        }
    }
}
