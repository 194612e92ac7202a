//! `kubetutor lessons lint` rejects malformed lesson files, pointing at
//! file:line:column. One case per kind of error; no cluster needed.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

const GOOD_LESSON: &str = "id: demo
title: A demo lesson
namespace: demo
steps:
  - id: first
    title: First step
    text: steps/first.md
    editor: templates/sa.yaml
    checks:
      - exists: {kind: ServiceAccount, name: demo-sa}
";

/// A lesson folder named `demo` with `lesson.yaml` and its files.
fn lesson(lesson_yaml: &str, template: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("kubetutor-lint-{:08x}", rand::random::<u32>()));
    let dir = root.join("demo");
    fs::create_dir_all(dir.join("steps")).unwrap();
    fs::create_dir_all(dir.join("templates")).unwrap();
    fs::write(dir.join("lesson.yaml"), lesson_yaml).unwrap();
    fs::write(dir.join("steps/first.md"), "# First step\n").unwrap();
    fs::write(dir.join("templates/sa.yaml"), template).unwrap();
    dir
}

/// Runs lint on `dir`: (exit success, stdout).
fn lint(dir: &Path) -> (bool, String) {
    let out = common::kubetutor(&["lessons", "lint", dir.to_str().unwrap()], &[]);
    let _ = fs::remove_dir_all(dir.parent().unwrap());
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

const SA: &str = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: demo-sa\n";

/// Lint fails and prints `<file>:<line>:<column>: ...<message>...`.
fn assert_error(
    lesson_yaml: &str,
    template: &str,
    file: &str,
    line: usize,
    column: usize,
    message: &str,
) {
    let dir = lesson(lesson_yaml, template);
    let expected_prefix = format!("{}:{line}:{column}: ", dir.join(file).display());
    let (ok, out) = lint(&dir);
    assert!(!ok, "lint must fail:\n{out}");
    let found = out
        .lines()
        .any(|l| l.starts_with(&expected_prefix) && l.contains(message));
    assert!(
        found,
        "expected a line starting {expected_prefix:?} containing {message:?}, got:\n{out}"
    );
}

#[test]
fn a_good_lesson_passes_and_the_shipped_lessons_pass() {
    let (ok, out) = lint(&lesson(GOOD_LESSON, SA));
    assert!(ok, "{out}");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let out = common::kubetutor(&["lessons", "lint", shipped.to_str().unwrap()], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn yaml_syntax_error() {
    let bad = GOOD_LESSON.replace("title: First step", "title: [First step");
    assert_error(&bad, SA, "lesson.yaml", 6, 12, "");
}

#[test]
fn unknown_field() {
    let bad = GOOD_LESSON.replace("text: steps/first.md", "txt: steps/first.md");
    assert_error(&bad, SA, "lesson.yaml", 7, 5, "unknown field `txt`");
}

#[test]
fn unknown_check_kind() {
    let bad = GOOD_LESSON.replace("- exists:", "- exist:");
    assert_error(&bad, SA, "lesson.yaml", 10, 9, "unknown variant `exist`");
}

#[test]
fn missing_required_field() {
    let bad = GOOD_LESSON.replace(
        "{kind: ServiceAccount, name: demo-sa}",
        "{kind: ServiceAccount}",
    );
    assert_error(&bad, SA, "lesson.yaml", 10, 18, "missing field `name`");
}

#[test]
fn missing_file() {
    let bad = GOOD_LESSON.replace("steps/first.md", "steps/nope.md");
    assert_error(&bad, SA, "lesson.yaml", 7, 11, "cannot read steps/nope.md");
}

#[test]
fn duplicate_step_id() {
    let bad = format!("{GOOD_LESSON}  - id: first\n    title: Again\n    text: steps/first.md\n");
    assert_error(
        &bad,
        SA,
        "lesson.yaml",
        11,
        5,
        "step id \"first\" is used twice",
    );
}

#[test]
fn unknown_variable_in_lesson_and_in_template() {
    let bad = GOOD_LESSON.replace("name: demo-sa}", "name: ${NAMESPCE}}");
    assert_error(
        &bad,
        SA,
        "lesson.yaml",
        10,
        46,
        "unknown variable ${NAMESPCE}",
    );
    let template =
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n  namespace: ${NS}\n";
    assert_error(
        GOOD_LESSON,
        template,
        "templates/sa.yaml",
        5,
        14,
        "unknown variable ${NS}",
    );
}

#[test]
fn invalid_yaml_in_a_template() {
    assert_error(
        GOOD_LESSON,
        "apiVersion: v1\nkind: [ServiceAccount\n",
        "templates/sa.yaml",
        2,
        7,
        "",
    );
}

#[test]
fn malformed_field_path_and_missing_expectation() {
    let with_field = GOOD_LESSON.replace(
        "      - exists: {kind: ServiceAccount, name: demo-sa}",
        "      - field: {kind: ServiceAccount, name: demo-sa, path: 'metadata..name', equals: x}",
    );
    assert_error(&with_field, SA, "lesson.yaml", 10, 61, "empty key in path");
    let no_expectation = GOOD_LESSON.replace(
        "      - exists: {kind: ServiceAccount, name: demo-sa}",
        "      - field: {kind: ServiceAccount, name: demo-sa, path: metadata.name}",
    );
    assert_error(
        &no_expectation,
        SA,
        "lesson.yaml",
        10,
        60,
        "has no operator: give exists, equals, contains",
    );
}

#[test]
fn request_path_must_be_absolute() {
    let bad = GOOD_LESSON.replace(
        "      - exists: {kind: ServiceAccount, name: demo-sa}",
        "      - request: {as: anonymous, path: api/v1, expectStatus: 403}",
    );
    assert_error(&bad, SA, "lesson.yaml", 10, 40, "must start with /");
}

#[test]
fn id_must_match_the_folder_and_namespace_must_be_valid() {
    let bad = GOOD_LESSON.replace("id: demo\n", "id: other\n");
    assert_error(
        &bad,
        SA,
        "lesson.yaml",
        1,
        1,
        "differs from its folder name",
    );
    let bad = GOOD_LESSON.replace("namespace: demo", "namespace: Demo_NS");
    assert_error(&bad, SA, "lesson.yaml", 3, 1, "not a valid namespace name");
}

#[test]
fn a_read_outside_the_lesson_namespace_must_be_listed_in_needs() {
    let reads_default = GOOD_LESSON.replace(
        "name: demo-sa}",
        "name: demo-sa}\n      - exists: {kind: Service, name: kubernetes, namespace: default}",
    );
    // Line 11, column 51: `namespace: default` in the added check.
    assert_error(
        &reads_default,
        SA,
        "lesson.yaml",
        11,
        51,
        "reads Service default/kubernetes outside the lesson namespace, but `needs:` does not list it",
    );
    let listed = reads_default.replace(
        "steps:\n",
        "needs:\n  - {kind: Service, namespace: default, name: kubernetes, why: the first step reads it}\nsteps:\n",
    );
    let (ok, out) = lint(&lesson(&listed, SA));
    assert!(ok, "{out}");
}

#[test]
fn a_step_that_counts_with_nothing_done_is_a_warning_and_an_act_silences_it() {
    // GOOD_LESSON's step checks a ServiceAccount the lesson does not own and
    // asks for no act: on a namespace where it exists, it would count for free.
    let dir = lesson(GOOD_LESSON, SA);
    let yaml = dir.join("lesson.yaml");
    let (ok, out) = lint(&dir);
    assert!(ok, "a warning does not fail lint:\n{out}");
    let expected = format!(
        "{}:5:5: step first counts on a fresh namespace with nothing done",
        yaml.display()
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with(&expected) && l.ends_with("(warning)")),
        "{out}"
    );
    let asked = GOOD_LESSON.replace(
        "    checks:\n",
        "    predict:\n      question: Which?\n      choices:\n        - {answer: a, correct: true, feedback: yes}\n        - {answer: b, feedback: no}\n    checks:\n",
    );
    let (ok, out) = lint(&lesson(&asked, SA));
    assert!(ok && !out.contains("counts on a fresh namespace"), "{out}");
    // A step the learner builds must prove its checks with examples.
    let built = GOOD_LESSON.replace("    checks:\n", "    acts: [apply]\n    checks:\n");
    let (ok, out) = lint(&lesson(&built, SA));
    assert!(!ok, "{out}");
    assert!(out.contains("needs at least 2 of each"), "{out}");
}

#[test]
fn acts_and_predictions_must_be_possible() {
    let run_without_action = GOOD_LESSON.replace("    checks:\n", "    acts: [run]\n    checks:\n");
    assert_error(
        &run_without_action,
        SA,
        "lesson.yaml",
        9,
        12,
        "`acts` has run, but the step has no action to run",
    );
    let two_right = GOOD_LESSON.replace(
        "    checks:\n",
        "    predict:\n      question: Which?\n      choices:\n        - {answer: a, correct: true, feedback: yes}\n        - {answer: b, correct: true, feedback: also}\n    checks:\n",
    );
    assert_error(
        &two_right,
        SA,
        "lesson.yaml",
        10,
        17,
        "exactly one choice must be `correct: true`, 2 are",
    );
}

#[test]
fn files_outside_the_lesson_folder_are_refused_with_their_position() {
    for (editor, message) in [
        ("/etc/passwd", "is an absolute path"),
        ("../../../../etc/passwd", "climbs out with `..`"),
        (
            "templates/../../demo/templates/sa.yaml",
            "climbs out with `..`",
        ),
    ] {
        let bad = GOOD_LESSON.replace("editor: templates/sa.yaml", &format!("editor: {editor}"));
        assert_error(&bad, SA, "lesson.yaml", 8, 13, message);
    }
    // A symbolic link inside the folder that leads out of it.
    let dir = lesson(
        &GOOD_LESSON.replace("editor: templates/sa.yaml", "editor: templates/link.yaml"),
        SA,
    );
    std::os::unix::fs::symlink("/etc/passwd", dir.join("templates/link.yaml")).unwrap();
    let expected = format!("{}:8:13: ", dir.join("lesson.yaml").display());
    let (ok, out) = lint(&dir);
    assert!(!ok, "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with(&expected) && l.contains("symbolic link to /etc/passwd")),
        "{out}"
    );
    assert!(!out.contains("root:"), "the file was not read:\n{out}");
}

/// Quotes, `;`, `$(…)`, backticks and newlines in a request's method or
/// path: a lint error at the step, never a lesson that loads.
#[test]
fn hostile_request_methods_and_paths_are_lint_errors() {
    let request = |method: &str, path: &str| {
        GOOD_LESSON.replace(
            "      - exists: {kind: ServiceAccount, name: demo-sa}",
            &format!(
                "      - request:\n          as: anonymous\n          method: {method}\n          path: {path}\n          expectStatus: 403"
            ),
        )
    };
    for method in [
        "'GET; touch /tmp/x'",
        "\"GET\\ntouch /tmp/x\"",
        "'$(touch /tmp/x)'",
        "get",
        "TRACE",
    ] {
        let bad = request(method, "/api/v1");
        assert_error(&bad, SA, "lesson.yaml", 12, 11, "is not a request method");
    }
    for path in [
        "\"/api'; touch /tmp/x; '\"",
        "'/api/$(touch /tmp/x)'",
        "'/api;touch /tmp/x'",
        "\"/api\\ntouch /tmp/x\"",
        "'/api`id`'",
        "\"/api\\\"\"",
    ] {
        // Line 13 is `path:`; the column is the value's when it is written
        // plainly, else the key's.
        let dir = lesson(&request("GET", path), SA);
        let expected = format!("{}:13:", dir.join("lesson.yaml").display());
        let (ok, out) = lint(&dir);
        assert!(!ok, "{out}");
        assert!(
            out.lines()
                .any(|l| l.starts_with(&expected) && l.contains("step first: request path")),
            "{path}: {out}"
        );
    }
}

/// `kubetutor lessons` says first where its lessons come from; a `lessons`
/// folder of the current directory is never picked up unnamed.
#[test]
fn lessons_says_which_root_is_in_use_and_ignores_the_current_directory() {
    let dir = lesson(GOOD_LESSON, SA);
    let root = dir.parent().unwrap().canonicalize().unwrap();
    let run = |cwd: &Path, args: &[&str]| {
        let out = std::process::Command::new(common::KUBETUTOR)
            .args(args)
            .current_dir(cwd)
            .env_remove("KUBETUTOR_LESSONS")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let stdout = run(
        Path::new("/"),
        &["lessons", "--lessons-dir", root.to_str().unwrap()],
    );
    assert_eq!(
        stdout.lines().next(),
        Some(format!("lessons root: {} (named by --lessons-dir)", root.display()).as_str()),
        "{stdout}"
    );

    // A folder that happens to hold `lessons/` is a stranger's: not picked up.
    let cwd = common::temp_dir("cwd");
    fs::rename(&root, cwd.join("lessons")).unwrap();
    let stdout = run(&cwd, &["lessons"]);
    let first = stdout.lines().next().unwrap_or_default();
    assert!(first.contains("built into kubetutor"), "{stdout}");
    assert!(!stdout.contains("demo"), "{stdout}");
    let _ = fs::remove_dir_all(cwd);
}

/// GOOD_LESSON with its only check replaced by `check` (one line, indented 6).
fn with_check(check: &str) -> String {
    GOOD_LESSON.replace(
        "      - exists: {kind: ServiceAccount, name: demo-sa}",
        check,
    )
}

#[test]
fn the_new_check_kinds_are_linted_where_they_are_written() {
    // A field test that tests nothing.
    assert_error(
        &with_check("      - field: {kind: Service, name: web, path: spec.type}"),
        SA,
        "lesson.yaml",
        10,
        49,
        "has no operator",
    );
    // A regular expression that does not compile.
    assert_error(
        &with_check("      - field: {kind: Service, name: web, path: spec.type, matches: '('}"),
        SA,
        "lesson.yaml",
        10,
        49,
        "is not a regular expression",
    );
    // A count with no number to compare with, and a selector that does not parse.
    assert_error(
        &with_check("      - count: {kind: Pod, selector: 'app in web'}"),
        SA,
        "lesson.yaml",
        10,
        39,
        "parentheses",
    );
    assert_error(
        &with_check("      - count: {kind: Pod, selector: app=web}"),
        SA,
        "lesson.yaml",
        10,
        17,
        "needs `exactly`, `atLeast` or `atMost`",
    );
    // A rejected manifest that is not one.
    assert_error(
        &with_check("      - rejected: {manifest: 'kind: Pod', matches: quota}"),
        SA,
        "lesson.yaml",
        10,
        20,
        "the rejected manifest",
    );
    // exec needs `requires: [containers]`.
    assert_error(
        &with_check("      - exec: {pod: web, command: [true]}"),
        SA,
        "lesson.yaml",
        10,
        9,
        "add `requires: [containers]`",
    );
    // exec runs only in a Pod the lesson owns.
    let (ok, out) = lint(&lesson(
        &format!(
            "requires: [containers]\n{}",
            with_check("      - exec: {pod: web, command: [true]}")
        ),
        SA,
    ));
    assert!(
        !ok && out.contains("runs only in a Pod the lesson owns"),
        "{out}"
    );
    let (ok, out) = lint(&lesson(
        &format!(
            "requires: [containers]\nowns: [{{kind: Pod, name: web}}]\n{}",
            with_check("      - exec: {pod: web, command: [true]}")
        ),
        SA,
    ));
    assert!(ok, "{out}");
}

#[test]
fn lessons_lists_duration_difficulty_and_requirements() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let out = common::kubetutor(
        &["lessons", "--lessons-dir", shipped.to_str().unwrap()],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Each lesson with what its lesson.yaml says of it, in learning order:
    // the first lesson first, a lesson after its prerequisites.
    let mut at = Vec::new();
    for (id, dir) in kubetutor::lesson::catalog::list(&shipped) {
        let lesson = kubetutor::lesson::Lesson::load(&dir, None).unwrap();
        let minutes = lesson
            .meta
            .minutes
            .expect("every shipped lesson says how long");
        let difficulty = lesson.meta.difficulty.expect("and how hard");
        let mut meta = format!("{minutes} min · {difficulty}");
        if !lesson.meta.prerequisites.is_empty() {
            meta.push_str(&format!(
                " · after {}",
                lesson.meta.prerequisites.join(", ")
            ));
        }
        assert!(stdout.contains(&meta), "{id}: {meta:?} in:\n{stdout}");
        at.push((id.clone(), stdout.find(&format!("\n{id} ")).unwrap()));
    }
    let position = |id: &str| at.iter().find(|(i, _)| i == id).unwrap().1;
    assert!(
        at.iter()
            .all(|(_, p)| position("serviceaccount-rbac") <= *p),
        "{stdout}"
    );
    assert!(
        position("labels-owners") < position("deployments"),
        "{stdout}"
    );
    // The embedded lessons are the same.
    let out = common::kubetutor(&["lessons"], &[]);
    let embedded = String::from_utf8_lossy(&out.stdout);
    assert!(embedded.contains("jobs-cronjobs"), "{embedded}");

    let dir = lesson(
        &format!(
            "requires: [containers, networkPolicy]\nmeta: {{minutes: 5, difficulty: advanced}}\n{GOOD_LESSON}"
        ),
        SA,
    );
    let root = dir.parent().unwrap().to_path_buf();
    let out = common::kubetutor(&["lessons", "--lessons-dir", root.to_str().unwrap()], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("5 min · advanced · needs containers, networkPolicy"),
        "{stdout}"
    );
    let (ok, out) = lint(&dir);
    assert!(ok, "{out}");
}
