//! The lessons travel inside the binary: with no folder named, `kubetutor
//! lessons` uses the built-in ones (written to the cache folder) from any
//! directory; a folder named by --lessons-dir or $KUBETUTOR_LESSONS wins.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// kubetutor run from `cwd`, its cache in `cache`, no lessons folder named
/// unless `env` names one: (success, stdout, stderr).
fn kubetutor_in(
    cwd: &Path,
    cache: &Path,
    args: &[&str],
    env: &[(&str, &Path)],
) -> (bool, String, String) {
    let mut command = Command::new(common::KUBETUTOR);
    command
        .args(args)
        .current_dir(cwd)
        .env_remove("KUBETUTOR_LESSONS")
        .env("XDG_CACHE_HOME", cache);
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("kubetutor runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The lesson ids in the checkout's lessons/ folder.
fn shipped_ids() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    kubetutor::lesson::catalog::list(&root)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn with_no_folder_named_the_built_in_lessons_are_listed_from_anywhere() {
    let cwd = common::temp_dir("nowhere");
    let cache = common::temp_dir("cache");
    let (ok, stdout, stderr) = kubetutor_in(&cwd, &cache, &["lessons"], &[]);
    assert!(ok, "{stdout}{stderr}");
    let first = stdout.lines().next().unwrap_or_default();
    let expected_root: PathBuf = cache.join("kubetutor/lessons");
    assert!(
        first.starts_with(&format!(
            "lessons root: {}/{}-",
            expected_root.display(),
            env!("CARGO_PKG_VERSION")
        )) && first.contains("built into kubetutor"),
        "{first}"
    );
    let ids = shipped_ids();
    assert!(!ids.is_empty());
    for id in &ids {
        assert!(
            stdout
                .lines()
                .skip(1)
                .any(|l| l.starts_with(&format!("{id} "))),
            "{id} missing from:\n{stdout}"
        );
    }
    // The second start reuses the folder the first wrote.
    let (ok, again, _) = kubetutor_in(&cwd, &cache, &["lessons"], &[]);
    assert!(ok);
    assert_eq!(again.lines().next(), Some(first));

    let (ok, lint, stderr) = kubetutor_in(&cwd, &cache, &["lessons", "lint"], &[]);
    assert!(ok, "{lint}{stderr}");
    assert_eq!(lint.lines().next(), Some(first));
    assert_eq!(
        lint.lines().filter(|l| l.starts_with("ok ")).count(),
        ids.len(),
        "{lint}"
    );
    std::fs::remove_dir_all(&cwd).unwrap();
    std::fs::remove_dir_all(&cache).unwrap();
}

#[test]
fn a_named_folder_wins_over_the_built_in_lessons() {
    let cwd = common::temp_dir("named");
    let cache = common::temp_dir("cache");
    let mine = cwd.join("my-lessons");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac"),
        &mine.join("my-own-lesson"),
    );

    let (ok, stdout, stderr) = kubetutor_in(
        &cwd,
        &cache,
        &["lessons", "--lessons-dir", mine.to_str().unwrap()],
        &[],
    );
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(
        stdout.lines().next().unwrap(),
        format!("lessons root: {} (named by --lessons-dir)", mine.display())
    );
    assert!(stdout.contains("my-own-lesson "), "{stdout}");
    assert!(!stdout.contains("serviceaccount-rbac "), "{stdout}");

    let (ok, stdout, stderr) =
        kubetutor_in(&cwd, &cache, &["lessons"], &[("KUBETUTOR_LESSONS", &mine)]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(
        stdout.lines().next().unwrap(),
        format!(
            "lessons root: {} (named by $KUBETUTOR_LESSONS)",
            mine.display()
        )
    );
    assert!(stdout.contains("my-own-lesson "), "{stdout}");
    // Nothing was written to the cache: the built-in lessons were not needed.
    assert!(!cache.join("kubetutor").exists());
    std::fs::remove_dir_all(&cwd).unwrap();
    std::fs::remove_dir_all(&cache).unwrap();
}
