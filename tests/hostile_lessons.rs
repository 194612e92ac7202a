//! The hostile-lesson corpus: lessons a stranger could hand a learner whose
//! kubeconfig is cluster-admin (`--lessons-dir`). Each is refused by
//! `lessons lint` and by the loader (whatever path loads it) with a message
//! at a file, line and column; and on the lab, trying to verify each changes
//! nothing in the cluster.
//!
//! `tests/hostile_lessons/<id>/` holds the lessons written as files, each
//! with `expect` (what the refusal says); the ones a repository cannot hold
//! (a symbolic link out, a FIFO, a 100 MB file) are made at test time.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kubetutor::lesson::Lesson;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile_lessons")
}

/// (lesson folder, what its refusal says), the written ones.
fn written() -> Vec<(PathBuf, String)> {
    let mut cases: Vec<(PathBuf, String)> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|dir| {
            let expect = std::fs::read_to_string(dir.join("expect")).unwrap();
            (dir, expect.trim().to_string())
        })
        .collect();
    cases.sort();
    cases
}

/// A lesson that loads, copied to `root/<id>` for a made-at-test-time case.
fn good_lesson(root: &Path, id: &str) -> PathBuf {
    let dir = root.join(id);
    std::fs::create_dir_all(dir.join("steps")).unwrap();
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("lesson.yaml"),
        format!(
            "id: {id}\ntitle: A lesson\nowns:\n  - {{kind: ServiceAccount, name: demo-sa}}\nsteps:\n  \
             - id: first\n    title: First step\n    text: steps/first.md\n    \
             editor: templates/sa.yaml\n    checks:\n      - exists: {{kind: ServiceAccount, name: demo-sa}}\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("steps/first.md"), "# First\n").unwrap();
    std::fs::write(dir.join("templates/sa.yaml"), "kind: ServiceAccount\n").unwrap();
    dir
}

/// The cases a repository cannot hold, made under `root`.
fn made(root: &Path) -> Vec<(PathBuf, String)> {
    let outside = root.join("secret.txt");
    std::fs::write(&outside, "a file of the learner's\n").unwrap();

    let link_text = good_lesson(root, "symlink-text");
    std::fs::remove_file(link_text.join("steps/first.md")).unwrap();
    std::os::unix::fs::symlink(&outside, link_text.join("steps/first.md")).unwrap();

    let link_lesson = good_lesson(root, "symlink-lesson");
    let yaml = std::fs::read(link_lesson.join("lesson.yaml")).unwrap();
    let elsewhere = root.join("elsewhere.yaml");
    std::fs::write(&elsewhere, yaml).unwrap();
    std::fs::remove_file(link_lesson.join("lesson.yaml")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, link_lesson.join("lesson.yaml")).unwrap();

    let fifo = good_lesson(root, "fifo-text");
    std::fs::remove_file(fifo.join("steps/first.md")).unwrap();
    nix::unistd::mkfifo(&fifo.join("steps/first.md"), nix::sys::stat::Mode::S_IRWXU).unwrap();

    // 100 MB, sparse: no disk written.
    let big = good_lesson(root, "big-template");
    std::fs::File::create(big.join("templates/sa.yaml"))
        .unwrap()
        .set_len(100 << 20)
        .unwrap();

    vec![
        (link_text, "outside the lesson folder".into()),
        (link_lesson, "outside the lesson folder".into()),
        (fifo, "not a regular file".into()),
        (big, "at most 4 MiB".into()),
    ]
}

fn all_cases(root: &Path) -> Vec<(PathBuf, String)> {
    let mut cases = written();
    cases.extend(made(root));
    cases
}

#[test]
fn the_corpus_has_every_kind_of_hostile_lesson() {
    let root = common::temp_dir("hostile-count");
    let cases = all_cases(&root);
    assert!(cases.len() >= 20, "{} cases", cases.len());
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn the_loader_refuses_each_at_a_file_line_and_column() {
    let root = common::temp_dir("hostile-load");
    for (dir, expect) in all_cases(&root) {
        let started = std::time::Instant::now();
        let errors = Lesson::load(&dir, None).expect_err(&format!("{} loads", dir.display()));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{}: took {:?}",
            dir.display(),
            started.elapsed()
        );
        let hit = errors.iter().find(|e| e.message.contains(&expect));
        let Some(hit) = hit else {
            panic!("{}: no error says {expect:?}: {errors:?}", dir.display());
        };
        assert!(hit.file.starts_with(&dir), "{hit}");
        // A file's own contents (a FIFO, a size) have no line: the error is
        // then at the line of lesson.yaml naming it, or the file as a whole.
        let whole_file = [
            "not a regular file",
            "at most 4 MiB",
            "outside the lesson folder",
        ];
        assert!(
            hit.line >= 1 || whole_file.iter().any(|w| expect.contains(w)),
            "{}: no line in {hit}",
            dir.display()
        );
    }
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn lessons_lint_refuses_each_and_says_where() {
    let root = common::temp_dir("hostile-lint");
    for (dir, expect) in all_cases(&root) {
        let out = common::kubetutor(&["lessons", "lint", dir.to_str().unwrap()], &[]);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.status.success(),
            "{}: lint passed:\n{said}",
            dir.display()
        );
        assert!(said.contains(&expect), "{}: {said}", dir.display());
        assert!(
            said.contains("lesson.yaml") || said.contains(".yaml:") || said.contains(".md"),
            "{said}"
        );
        assert!(
            !said.contains('\u{1b}') && !said.contains('\u{7}'),
            "{}: the terminal got an escape: {said:?}",
            dir.display()
        );
    }
    let _ = std::fs::remove_dir_all(root);
}

/// Every object of the cluster a lesson could reach, by kind, namespace,
/// name and uid: every cluster-scoped object, and every object of the
/// cluster's own namespaces and of the namespaces the lessons name. Left
/// out, so that other tests on the shared lab do not count as changes:
/// Events and Leases (the cluster writes them all the time), IPAddresses
/// (the API server allocates one for every Service, in any namespace), other
/// namespaces, and objects named after a test namespace (`kt-…`).
fn every_object(namespaces: &BTreeSet<String>) -> BTreeSet<String> {
    let lab = common::lab();
    let kinds = lab.kubectl(&["api-resources", "--verbs=list", "-o", "name"], None);
    let kinds: Vec<String> = String::from_utf8_lossy(&kinds.stdout)
        .lines()
        .filter(|k| {
            !k.starts_with("events") && !k.starts_with("leases") && !k.starts_with("ipaddresses")
        })
        .map(str::to_string)
        .collect();
    let out = lab.kubectl(
        &[
            "get",
            &kinds.join(","),
            "-A",
            "-o",
            "jsonpath={range .items[*]}{.kind}|{.metadata.namespace}|{.metadata.name}|{.metadata.uid}{\"\\n\"}{end}",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|line| {
            let mut parts = line.split('|');
            let (kind, namespace, name) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
            );
            let watched = |n: &str| namespaces.contains(n);
            match (kind, namespace) {
                ("Namespace", "") => watched(name),
                (_, "") => !name.contains("kt-"),
                (_, namespace) => watched(namespace),
            }
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn on_the_lab_verifying_each_changes_nothing() {
    let root = common::temp_dir("hostile-lab");
    let cases = all_cases(&root);
    let state = common::temp_dir("hostile-lab-state");
    let mut namespaces: BTreeSet<String> =
        ["default", "kube-system", "kube-public", "kube-node-lease"]
            .map(String::from)
            .into();
    namespaces.extend(
        cases
            .iter()
            .map(|(dir, _)| dir.file_name().unwrap().to_string_lossy().into_owned()),
    );
    namespaces.insert("hostile-extra".into());
    let before = every_object(&namespaces);
    for (dir, expect) in &cases {
        let id = dir.file_name().unwrap().to_str().unwrap();
        let lessons_dir = dir.parent().unwrap().to_str().unwrap();
        let (ok, said) = common::run_on_lab(
            &["verify", "--lessons-dir", lessons_dir, "--lesson", id],
            &state,
        );
        assert!(!ok, "{id}: verify ran:\n{said}");
        assert!(said.contains(expect.as_str()), "{id}: {said}");
    }
    let after = every_object(&namespaces);
    let added: Vec<_> = after.difference(&before).collect();
    let removed: Vec<_> = before.difference(&after).collect();
    assert!(
        added.is_empty() && removed.is_empty(),
        "the cluster changed: added {added:?}, removed {removed:?}"
    );
    eprintln!(
        "{} hostile lessons verified; {} objects the same before and after",
        cases.len(),
        before.len()
    );
    let _ = std::fs::remove_dir_all(root);
    let _ = std::fs::remove_dir_all(state);
}

/// Text from the cluster reaches `verify`'s output escaped: a ConfigMap value
/// holding an escape sequence (retitle the window, clear the screen) is
/// quoted by a failing check, and the terminal gets no escape.
#[tokio::test]
async fn verify_prints_cluster_text_without_terminal_escapes() {
    let client = common::lab().client().await;
    let ns = common::TestNamespace::create(&client, "escapes").await;
    common::lab().apply(
        &ns.name,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: greeting\ndata:\n  text: \"\\e]0;pwned\\a\\e[2J\"\n",
    );
    let root = common::temp_dir("escapes-lesson");
    let dir = good_lesson(&root, "quotes-the-cluster");
    std::fs::write(
        dir.join("lesson.yaml"),
        "id: quotes-the-cluster\ntitle: A lesson\nowns:\n  - {kind: ConfigMap, name: greeting}\nsteps:\n  \
         - id: first\n    title: First step\n    text: steps/first.md\n    checks:\n      \
         - field: {kind: ConfigMap, name: greeting, path: data.text, equals: hello}\n",
    )
    .unwrap();
    let state = common::temp_dir("escapes-state");
    let (ok, said) = common::run_on_lab(
        &[
            "verify",
            "--lessons-dir",
            root.to_str().unwrap(),
            "--lesson",
            "quotes-the-cluster",
            "-n",
            &ns.name,
        ],
        &state,
    );
    assert!(!ok, "{said}");
    assert!(said.contains("pwned"), "the value is quoted: {said}");
    assert!(
        !said.contains('\u{1b}') && !said.contains('\u{7}'),
        "the terminal got an escape: {said:?}"
    );
    let _ = std::fs::remove_dir_all(root);
    let _ = std::fs::remove_dir_all(state);
}

/// `class status` prints what attendees and the cluster wrote escaped: a
/// value with an escape sequence in an attendee's namespace, quoted by the
/// failing check of the step they are on, reaches the instructor's terminal
/// as text.
#[test]
fn class_status_prints_attendee_text_without_terminal_escapes() {
    let class = format!("esc{:06x}", rand::random::<u32>() & 0xff_ffff);
    let root = common::temp_dir("escapes-class-lesson");
    let dir = good_lesson(&root, "quotes-the-attendee");
    std::fs::write(
        dir.join("lesson.yaml"),
        "id: quotes-the-attendee\ntitle: A lesson\nowns:\n  - {kind: ConfigMap, name: greeting}\nsteps:\n  \
         - id: first\n    title: First step\n    text: steps/first.md\n    checks:\n      \
         - field: {kind: ConfigMap, name: greeting, path: data.text, equals: hello}\n",
    )
    .unwrap();
    let state = common::temp_dir("escapes-class-state");
    let files = common::temp_dir("escapes-class-files").join("files");
    let root_arg = root.to_str().unwrap();
    let (ok, said) = common::run_on_lab(
        &[
            "class",
            "create",
            &class,
            "--attendees",
            "1",
            "--lessons-dir",
            root_arg,
            "--lesson",
            "quotes-the-attendee",
            "--out",
            files.to_str().unwrap(),
        ],
        &state,
    );
    assert!(ok, "{said}");
    common::lab().apply(
        &format!("{class}-01"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: greeting\ndata:\n  text: \"\\e]0;pwned\\a\\e[2J\"\n",
    );
    let (ok, said) = common::run_on_lab(
        &["class", "status", &class, "--lessons-dir", root_arg],
        &state,
    );
    let (_, deleted) = common::run_on_lab(&["class", "delete", &class], &state);
    assert!(ok, "{said}");
    assert!(said.contains("pwned"), "the value is quoted: {said}");
    assert!(
        !said.contains('\u{1b}') && !said.contains('\u{7}'),
        "the terminal got an escape: {said:?}"
    );
    assert!(deleted.contains(&class), "{deleted}");
    let _ = std::fs::remove_dir_all(root);
    let _ = std::fs::remove_dir_all(state);
    let _ = std::fs::remove_dir_all(files.parent().unwrap());
}
