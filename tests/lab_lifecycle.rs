//! `kubetutor lab up | down | status` on a throw-away lab of the test's own
//! (its own state folder and ports), so the shared lab keeps running.

mod common;

use std::path::Path;

use common::kubetutor;

/// Every process whose command line mentions `dir` (a lab's state folder).
fn processes_using(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) || name == std::process::id().to_string() {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(&needle) {
                found.push(format!("{name}: {cmdline}"));
            }
        }
    }
    found
}

fn run(args: &[&str], dir: &Path) -> (bool, String, String) {
    let out = kubetutor(args, &[("KUBETUTOR_LAB_DIR", dir.to_str().unwrap())]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn up_is_idempotent_down_leaves_nothing_and_up_works_again() {
    let dir = tempdir("lifecycle");

    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(ok, "first up failed:\n{err}");
    let (ok, status, _) = run(&["lab", "status"], &dir);
    assert!(ok, "status exits 0 when everything runs:\n{status}");
    assert_eq!(status.matches("running").count(), 5, "{status}");
    assert!(
        status.contains("127.0.0.1:") && status.contains("kube-apiserver.log"),
        "{status}"
    );

    let (ok, _, again) = run(&["lab", "up"], &dir);
    assert!(ok, "second up failed:\n{again}");
    assert_eq!(
        again.matches("already running").count(),
        5,
        "second up reuses the lab:\n{again}"
    );

    let (ok, _, err) = run(&["lab", "down"], &dir);
    assert!(ok, "down failed:\n{err}");
    assert_eq!(
        processes_using(&dir),
        Vec::<String>::new(),
        "lab down left processes behind"
    );
    let (ok, status, _) = run(&["lab", "status"], &dir);
    assert!(!ok, "status exits non-zero when the lab is stopped");
    assert_eq!(status.matches("stopped").count(), 5, "{status}");

    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(ok, "up after down failed:\n{err}");
    let out = std::process::Command::new(common::lab().bin_dir.join("kubectl"))
        .args(["get", "--raw", "/readyz"])
        .env("KUBECONFIG", dir.join("kubeconfig"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok", "{out:?}");

    let (ok, _, err) = run(&["lab", "down", "--purge"], &dir);
    assert!(ok, "down --purge failed:\n{err}");
    assert!(processes_using(&dir).is_empty());
    assert!(!dir.exists(), "--purge removes the lab folder");
}

#[test]
fn a_component_that_exits_is_named_with_the_tail_of_its_log() {
    let dir = tempdir("crash");
    // The real binaries, except a kube-scheduler that refuses its flags and exits,
    // after etcd, the API server and the controller-manager have started.
    // (`cat` stands in: a real program failing with a real message.)
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for artifact in kubetutor::lab::bins::ARTIFACTS {
        let target = match *artifact {
            "kube-scheduler" => std::path::PathBuf::from("/bin/cat"),
            _ => common::lab().bin_dir.join(artifact),
        };
        std::os::unix::fs::symlink(target, bin.join(artifact)).unwrap();
    }

    let out = kubetutor(
        &["lab", "up"],
        &[
            ("KUBETUTOR_LAB_DIR", dir.join("state").to_str().unwrap()),
            ("KUBETUTOR_LAB_BIN", bin.to_str().unwrap()),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("kube-scheduler exited while starting"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unrecognized option '--bind-address=127.0.0.1'"),
        "log tail: {stderr}"
    );
    assert!(
        stderr.contains("kube-apiserver           ready"),
        "the failure came late: {stderr}"
    );
    assert_eq!(
        processes_using(&dir),
        Vec::<String>::new(),
        "a failed up stops the components it started"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_binaries_say_how_to_build_them() {
    let dir = tempdir("nobin");
    let out = kubetutor(
        &["lab", "up"],
        &[
            ("KUBETUTOR_LAB_DIR", dir.to_str().unwrap()),
            ("KUBETUTOR_LAB_BIN", dir.join("empty").to_str().unwrap()),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("lacks etcd") && stderr.contains("lab/build.sh"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tempdir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "kubetutor-test-{prefix}-{:08x}",
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
