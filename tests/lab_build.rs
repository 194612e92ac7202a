//! The lab's build inputs travel inside the binary: `kubetutor lab build` and
//! `lab up` run the embedded copy of build.sh from the cache folder, with no
//! checkout in reach, and find the very cache the checkout's script fills
//! (same key), so CI's cache and a developer's stay valid. No Go build runs
//! here: the binaries are already cached by the time tests run.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Where build.sh keeps the binaries for this user (as the test process sees it).
fn real_build_cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("KUBETUTOR_LAB_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::BaseDirs::new()
        .unwrap()
        .cache_dir()
        .join("kubetutor/lab")
}

/// The bin folder the checkout's own script names (`--check` builds nothing).
fn checkout_bin_dir() -> String {
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/build.sh"))
        .arg("--check")
        .env("KUBETUTOR_LAB_CACHE", real_build_cache())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the lab is not built on this machine: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// kubetutor from a folder with no checkout, its own XDG cache.
fn kubetutor_elsewhere(args: &[&str], cwd: &Path, cache: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(common::KUBETUTOR);
    command
        .args(args)
        .current_dir(cwd)
        .env("XDG_CACHE_HOME", cache)
        .env("KUBETUTOR_LAB_CACHE", real_build_cache())
        .env_remove("KUBETUTOR_LAB_BIN");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[test]
fn lab_build_from_anywhere_finds_the_cache_the_checkout_script_fills() {
    let cwd = common::temp_dir("build-cwd");
    let cache = common::temp_dir("build-cache");
    let started = Instant::now();
    let out = kubetutor_elsewhere(&["lab", "build"], &cwd, &cache, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "it built: {stderr}"
    );
    assert!(stderr.contains("already built"), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        checkout_bin_dir()
    );

    // The embedded build files were written whole to the cache, and match assets/lab.
    let sources: Vec<PathBuf> = std::fs::read_dir(cache.join("kubetutor/lab-src"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(sources.len(), 1, "{sources:?}");
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lab");
    for file in [
        "build.sh",
        "versions.env",
        "etcd/go.mod",
        "etcd/go.sum",
        "etcd/main.go",
        "kube/go.mod",
        "kube/go.sum",
        "kwok/go.mod",
        "kwok/go.sum",
    ] {
        assert_eq!(
            std::fs::read(sources[0].join(file)).unwrap(),
            std::fs::read(assets.join(file)).unwrap(),
            "{file}"
        );
    }
    std::fs::remove_dir_all(&cwd).unwrap();
    std::fs::remove_dir_all(&cache).unwrap();
}

#[test]
fn lab_up_from_anywhere_uses_the_cached_binaries_without_building() {
    let lab = common::lab();
    let cwd = common::temp_dir("up-cwd");
    let cache = common::temp_dir("up-cache");
    let lab_dir = lab.paths.root().to_str().unwrap().to_string();
    let out = kubetutor_elsewhere(
        &["lab", "up"],
        &cwd,
        &cache,
        &[("KUBETUTOR_LAB_DIR", &lab_dir)],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("building"), "{stderr}");
    assert_eq!(lab.bin_dir.to_str().unwrap(), checkout_bin_dir());
    std::fs::remove_dir_all(&cwd).unwrap();
    std::fs::remove_dir_all(&cache).unwrap();
}

#[test]
fn without_go_and_without_a_cache_it_says_what_to_install() {
    let cwd = common::temp_dir("nogo-cwd");
    let cache = common::temp_dir("nogo-cache");
    // PATH without any folder that holds `go` (bash stays reachable).
    let path: Vec<String> = std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .filter(|dir| !dir.join("go").exists())
        .map(|dir| dir.to_string_lossy().into_owned())
        .collect();
    let empty_cache = cache.join("lab-builds");
    let out = kubetutor_elsewhere(
        &["lab", "build"],
        &cwd,
        &cache,
        &[
            ("PATH", &path.join(":")),
            ("KUBETUTOR_LAB_CACHE", empty_cache.to_str().unwrap()),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("Go is not installed") && stderr.contains("kubetutor lab build"),
        "{stderr}"
    );
    assert!(
        !empty_cache.exists(),
        "nothing is built or created without Go"
    );
    std::fs::remove_dir_all(&cwd).unwrap();
    std::fs::remove_dir_all(&cache).unwrap();
}

/// A build cache holding the checkout's built binaries (symlinks), all but
/// `missing`, under the key the checkout's script computes.
fn cache_missing(prefix: &str, missing: &[&str]) -> (PathBuf, PathBuf) {
    let cache = common::temp_dir(prefix);
    let built = PathBuf::from(checkout_bin_dir());
    let bin = cache
        .join(built.parent().unwrap().file_name().unwrap())
        .join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for artifact in kubetutor::lab::bins::ARTIFACTS {
        if !missing.contains(artifact) {
            std::os::unix::fs::symlink(built.join(artifact), bin.join(artifact)).unwrap();
        }
    }
    (cache, bin)
}

fn build_sh(cache: &Path, path: Option<&str>) -> Output {
    let mut command = Command::new("bash");
    command
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lab/build.sh"))
        .env("KUBETUTOR_LAB_CACHE", cache)
        .env("KUBETUTOR_LAB_PROGRESS", "1");
    if let Some(path) = path {
        command.env("PATH", path);
    }
    command.output().unwrap()
}

/// build.sh builds only what is missing, says one line per component with
/// its time (the Go tool's own lines go to its log), tells kubetutor its
/// progress in lines `BuildEvent` reads, and exits 0 with the folder on its
/// last line (a trap once turned a good build's status into 1). Only
/// kubectl is missing here, and Go's build cache holds it compiled: seconds.
#[test]
fn a_build_says_a_line_per_component_and_its_progress_and_succeeds() {
    use kubetutor::lab::build_progress::BuildEvent;
    let (cache, bin) = cache_missing("build-one", &["kubectl"]);
    let out = build_sh(&cache, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().last(),
        bin.to_str()
    );
    assert!(bin.join("kubectl").is_file(), "{stderr}");
    assert!(
        stderr.contains("lab build: [1/1] kubectl: done in "),
        "{stderr}"
    );
    assert!(
        !stderr.lines().any(|l| l.starts_with("go: ")),
        "the Go tool's lines go to the log:\n{stderr}"
    );
    let events: Vec<BuildEvent> = stderr.lines().filter_map(BuildEvent::parse).collect();
    assert!(
        matches!(&events[..], [
            BuildEvent::Plan { total: 1, .. },
            BuildEvent::Start { index: 1, component: started },
            BuildEvent::Done { index: 1, component: done, .. },
        ] if started == "kubectl" && done == "kubectl"),
        "{events:?}\n{stderr}"
    );
    let times = std::fs::read_to_string(cache.join("build-times")).unwrap();
    assert!(times.starts_with("kubectl "), "{times}");
    std::fs::remove_dir_all(&cache).unwrap();
}

/// Two components of different lanes build side by side (kubectl in the
/// small lane, the scheduler in the Kubernetes lane): both start before
/// either is done, each is installed and says its time, and the log holds
/// each one's Go output as one block.
#[test]
fn components_of_both_lanes_build_at_once() {
    use kubetutor::lab::build_progress::{BuildEvent, BuildProgress};
    let (cache, bin) = cache_missing("build-two", &["kubectl", "kube-scheduler"]);
    let out = build_sh(&cache, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("two at a time"), "{stderr}");
    for b in ["kubectl", "kube-scheduler"] {
        assert!(bin.join(b).is_file(), "{b}: {stderr}");
    }
    let events: Vec<BuildEvent> = stderr.lines().filter_map(BuildEvent::parse).collect();
    let first_done = events
        .iter()
        .position(|e| matches!(e, BuildEvent::Done { .. }))
        .unwrap();
    let started_before: Vec<_> = events[..first_done]
        .iter()
        .filter_map(|e| match e {
            BuildEvent::Start { component, .. } => Some(component.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(started_before.len(), 2, "{events:?}");
    let mut progress = BuildProgress::new(std::time::Instant::now());
    for event in &events {
        progress.apply(event);
    }
    assert_eq!((progress.done, progress.total), (2, 2), "{events:?}");
    assert!(progress.building.is_empty(), "{events:?}");
    let log_dir = std::fs::read_dir(bin.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n == "build.log"))
        .unwrap();
    let log = std::fs::read_to_string(log_dir).unwrap();
    assert_eq!(log.matches("\n== kubectl: ").count(), 1, "{log}");
    assert_eq!(log.matches("\n== kube-scheduler: ").count(), 1, "{log}");
    std::fs::remove_dir_all(&cache).unwrap();
}

/// When one lane's build fails, the other lane's build is stopped at once
/// (not left compiling for minutes), nothing half-built is installed, and
/// the error names the component that failed and the log.
#[test]
fn a_failing_lane_stops_the_other_and_says_which_failed() {
    let (cache, bin) = cache_missing("build-fail", &["kubectl", "kube-scheduler"]);
    // A `go` that fails the scheduler's build and never finishes kubectl's
    // (it records its pid), and is the real Go for everything else.
    let fake = cache.join("fake-go");
    std::fs::create_dir_all(&fake).unwrap();
    let real_go = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v go"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let slow_pid = cache.join("slow.pid");
    let script = format!(
        "#!/bin/sh\n\
         case \"$*\" in\n\
         *cmd/kube-scheduler*) sleep 1; echo 'compile: boom' >&2; exit 1 ;;\n\
         *cmd/kubectl*) echo $$ > '{}'; exec sleep 600 ;;\n\
         esac\n\
         exec '{}' \"$@\"\n",
        slow_pid.display(),
        real_go.trim()
    );
    let go = fake.join("go");
    std::fs::write(&go, script).unwrap();
    std::fs::set_permissions(&go, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", fake.display(), std::env::var("PATH").unwrap());

    let started = Instant::now();
    let out = build_sh(&cache, Some(&path));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the other lane was not left running: {stderr}"
    );
    assert!(
        stderr.contains("kube-scheduler failed") && stderr.contains("build.log"),
        "{stderr}"
    );
    assert!(stderr.contains("compile: boom"), "what Go said: {stderr}");
    let pid: i32 = std::fs::read_to_string(&slow_pid)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Gone, or a zombie waiting for init to collect it: not running.
    let running = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(") ")
            .next()
            .is_some_and(|s| !s.starts_with('Z'))
    });
    assert!(
        !running,
        "kubectl's build (pid {pid}) was stopped: {stderr}"
    );
    assert!(!bin.join("kubectl").exists() && !bin.join("kube-scheduler").exists());
    std::fs::remove_dir_all(&cache).unwrap();
}
