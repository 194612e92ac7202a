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

/// build.sh builds only what is missing, says one line per component with
/// its time (the Go tool's own lines go to its log), tells kubetutor its
/// plan by name and its progress in lines `BuildEvent` reads, installs each
/// component before it says it is done (kubetutor starts it on that line),
/// and exits 0 with the folder on its last line (a trap once turned a good
/// build's status into 1). Only kubectl and kwok are missing here, and Go's
/// build cache holds them compiled: seconds.
#[test]
fn a_build_says_a_line_per_component_and_its_progress_and_succeeds() {
    use kubetutor::lab::build_progress::BuildEvent;
    use std::io::BufRead;
    let cache = common::temp_dir("build-one");
    let built = PathBuf::from(checkout_bin_dir());
    let bin = cache
        .join(built.parent().unwrap().file_name().unwrap())
        .join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let missing = ["kubectl", "kwok", kubetutor::lab::bins::KWOK_STAGES];
    for artifact in kubetutor::lab::bins::ARTIFACTS {
        if !missing.contains(artifact) {
            std::os::unix::fs::symlink(built.join(artifact), bin.join(artifact)).unwrap();
        }
    }
    let mut child = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lab/build.sh"))
        .env("KUBETUTOR_LAB_CACHE", &cache)
        .env("KUBETUTOR_LAB_PROGRESS", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = String::new();
    let mut events = Vec::new();
    for line in std::io::BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(event) = BuildEvent::parse(&line) {
            // What "done" promises, checked the moment it is said.
            if let BuildEvent::Done { component, .. } = &event {
                assert!(
                    bin.join(component).is_file(),
                    "{component} said done before it was installed:\n{stderr}"
                );
            }
            events.push(event);
        }
        stderr.push_str(&line);
        stderr.push('\n');
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().last(),
        bin.to_str()
    );
    for artifact in missing {
        assert!(bin.join(artifact).is_file(), "{artifact}:\n{stderr}");
    }
    assert!(
        stderr.contains("lab build: [1/2] kubectl: done in "),
        "{stderr}"
    );
    assert!(
        !stderr.lines().any(|l| l.starts_with("go: ")),
        "the Go tool's lines go to the log:\n{stderr}"
    );
    // In the lab's start order, kwok (quick once the Kubernetes binaries
    // filled Go's cache) last.
    assert!(
        matches!(&events[..], [
            BuildEvent::Plan { total: 2, components: Some(planned), .. },
            BuildEvent::Start { index: 1, component: first },
            BuildEvent::Done { index: 1, .. },
            BuildEvent::Start { index: 2, component: second },
            BuildEvent::Done { index: 2, .. },
        ] if planned == &["kubectl", "kwok"] && first == "kubectl" && second == "kwok"),
        "{events:?}\n{stderr}"
    );
    let times = std::fs::read_to_string(cache.join("build-times")).unwrap();
    assert!(times.starts_with("kubectl "), "{times}");
    std::fs::remove_dir_all(&cache).unwrap();
}

/// The lab's Go modules (control plane, kwok, etcd, the real node's kubelet)
/// pin every module they share at one version: Go's build cache then
/// compiles a shared package once for the whole lab (kwok builds in about
/// 13 s after kube-apiserver instead of 78 s). A bump in one go.mod that is
/// not made in the others would quietly double that work; this says which.
#[test]
fn the_labs_go_modules_pin_shared_dependencies_at_one_version() {
    use std::collections::BTreeMap;
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lab");
    let files = ["kube", "kwok", "etcd", "node/kube"];
    // module → (version → the go.mod files pinning it so)
    let mut pins: BTreeMap<String, BTreeMap<String, Vec<&str>>> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(lab.join(file).join("go.mod")).unwrap();
        let mut replaced = BTreeMap::new();
        let mut required = BTreeMap::new();
        for line in text.lines() {
            let line = line.split("//").next().unwrap().trim();
            let line = line
                .strip_prefix("require ")
                .or_else(|| line.strip_prefix("replace "))
                .unwrap_or(line);
            let words: Vec<&str> = line.split_whitespace().collect();
            match words[..] {
                // `old => new version`: the version the build uses.
                [old, "=>", _, version] => {
                    replaced.insert(old.to_string(), version.to_string());
                }
                [module, version] if version.starts_with('v') && module.contains('.') => {
                    required.insert(module.to_string(), version.to_string());
                }
                _ => {}
            }
        }
        required.extend(replaced);
        for (module, version) in required {
            pins.entry(module)
                .or_default()
                .entry(version)
                .or_default()
                .push(file);
        }
    }
    let differing: Vec<String> = pins
        .iter()
        .filter(|(_, versions)| versions.len() > 1)
        .map(|(module, versions)| format!("{module}: {versions:?}"))
        .collect();
    assert!(
        differing.is_empty(),
        "modules pinned at different versions (give each the highest, with `go get \
         MODULE@VERSION` in each folder):\n{}",
        differing.join("\n")
    );
    assert!(
        pins.get("google.golang.org/grpc")
            .is_some_and(|v| v.values().next().unwrap().len() == 4),
        "the check reads the files: gRPC is in all four"
    );
}
