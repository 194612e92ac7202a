//! Install it anywhere: `cargo install --path .` into a throw-away root, then
//! the installed binary, run from a folder with no checkout in reach and with
//! HOME and the XDG folders of its own, lists and lints its built-in lessons,
//! reports and starts the lab from the build cache, and verifies and solves a
//! lesson on the lab. Skips (saying so) only when cargo itself is missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{TestNamespace, lab};

/// The cargo that runs this test (cargo sets $CARGO), else the one on PATH.
fn cargo() -> Option<PathBuf> {
    let cargo = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"));
    let found = Command::new(&cargo).arg("--version").output();
    found.is_ok_and(|o| o.status.success()).then_some(cargo)
}

/// `cargo install --path . --root ROOT --debug --locked`, offline when that
/// works (every crate is already in cargo's cache after the test build).
fn install(cargo: &Path, root: &Path) -> PathBuf {
    let attempt = |offline: bool| {
        let mut command = Command::new(cargo);
        command
            .args(["install", "--path", env!("CARGO_MANIFEST_DIR"), "--root"])
            .arg(root)
            .args(["--debug", "--locked", "--bin", "kubetutor"]);
        if offline {
            command.arg("--offline");
        }
        command.output().expect("cargo install runs")
    };
    let mut out = attempt(true);
    if !out.status.success() {
        eprintln!(
            "cargo install --offline failed, trying online:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out = attempt(false);
    }
    assert!(
        out.status.success(),
        "cargo install failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let binary = root.join("bin/kubetutor");
    assert!(
        binary.is_file(),
        "{} missing after install",
        binary.display()
    );
    binary
}

/// A person's machine with the binary installed and nothing else of ours:
/// their own HOME, caches and state, working in a folder of their own.
struct Elsewhere {
    binary: PathBuf,
    home: PathBuf,
}

impl Elsewhere {
    fn run(&self, args: &[&str], env: &[(&str, &Path)]) -> (Option<i32>, String, String) {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .current_dir(self.home.join("work"))
            .env("HOME", &self.home)
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("XDG_STATE_HOME", self.home.join(".local/state"))
            .env_remove("KUBECONFIG")
            .env_remove("KUBETUTOR_LESSONS")
            .env_remove("KUBETUTOR_LAB_BIN");
        for (key, value) in env {
            command.env(key, value);
        }
        let Output {
            status,
            stdout,
            stderr,
        } = command.output().expect("the installed kubetutor runs");
        (
            status.code(),
            String::from_utf8_lossy(&stdout).into_owned(),
            String::from_utf8_lossy(&stderr).into_owned(),
        )
    }
}

/// Where build.sh keeps the lab's binaries for the user running the tests.
fn build_cache() -> PathBuf {
    std::env::var_os("KUBETUTOR_LAB_CACHE")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            directories::BaseDirs::new()
                .unwrap()
                .cache_dir()
                .join("kubetutor/lab")
        })
}

#[tokio::test]
async fn the_installed_binary_works_with_no_checkout_in_reach() {
    let Some(cargo) = cargo() else {
        println!("skipped: cargo is not installed, so `cargo install` cannot be tested here");
        return;
    };
    let lab = lab();
    let client = lab.client().await;
    let ns = TestNamespace::create(&client, "install").await;
    let root = common::temp_dir("install-root");
    let home = common::temp_dir("install-home");
    std::fs::create_dir_all(home.join("work")).unwrap();
    let binary = tokio::task::spawn_blocking({
        let root = root.clone();
        move || install(&cargo, &root)
    })
    .await
    .unwrap();
    let user = Elsewhere {
        binary,
        home: home.clone(),
    };
    let on_lab: &[(&str, &Path)] = &[
        ("KUBECONFIG", &lab.paths.kubeconfig()),
        ("KUBETUTOR_LAB_DIR", lab.paths.root()),
    ];

    // Every lesson of the checkout, built in.
    let (code, stdout, stderr) = user.run(&["lessons"], &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout
            .lines()
            .next()
            .unwrap()
            .contains(&format!("{}/.cache/kubetutor/lessons/", home.display())),
        "{stdout}"
    );
    let shipped =
        kubetutor::lesson::catalog::list(&Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons"));
    assert!(!shipped.is_empty());
    for (id, _) in &shipped {
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{id} "))),
            "{id}:\n{stdout}"
        );
    }
    let (code, stdout, stderr) = user.run(&["lessons", "lint"], &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");

    // The lab: status, and up from the build cache (no Go build).
    let (code, stdout, stderr) = user.run(&["lab", "status"], on_lab);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("all 5 components serve"), "{stdout}");
    let cache = build_cache();
    let (code, stdout, stderr) = user.run(
        &["lab", "up"],
        &[
            ("KUBETUTOR_LAB_DIR", lab.paths.root()),
            ("KUBETUTOR_LAB_CACHE", &cache),
        ],
    );
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(!stderr.contains("building"), "{stderr}");

    // verify fails on a fresh namespace, solve makes every step pass, verify agrees.
    let (code, stdout, _) = user.run(&["verify", "-n", &ns.name], on_lab);
    assert_eq!(code, Some(1), "{stdout}");
    let (code, stdout, stderr) = user.run(&["solve", "-n", &ns.name], on_lab);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let (code, stdout, stderr) = user.run(&["verify", "-n", &ns.name], on_lab);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("all ") && l.ends_with(" steps pass")),
        "{stdout}"
    );

    // doctor, with the lab as the only cluster.
    let (code, stdout, stderr) = user.run(
        &["doctor", "-n", &ns.name],
        &[
            ("KUBETUTOR_LAB_DIR", lab.paths.root()),
            ("KUBETUTOR_LAB_CACHE", &cache),
        ],
    );
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("chosen by kubetutor"), "{stdout}");

    std::fs::remove_dir_all(&root).unwrap();
    std::fs::remove_dir_all(&home).unwrap();
}
