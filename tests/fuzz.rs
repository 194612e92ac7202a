//! Property-based fuzzing (proptest; cargo-fuzz needs a nightly toolchain and
//! a sanitizer build of every dependency, too heavy for this machine) of the
//! parsers that read untrusted text: the editor's YAML → objects, the lesson
//! loader, the Markdown renderer, the JWT decoder, the progress file. Each input is either
//! random or a seed from `tests/fuzz_corpus/<target>/` with random edits
//! (bytes inserted, deleted, replaced, chunks duplicated), so most inputs are
//! nearly valid and reach deep into the parsers.
//!
//! `cargo test --test fuzz` runs a few hundred cases per target. For a long
//! run, give a duration per target in seconds:
//!
//!     KUBETUTOR_FUZZ_SECONDS=600 cargo test --test fuzz -- --test-threads=1 --nocapture
//!
//! A failing input is shrunk and saved in `tests/fuzz.proptest-regressions`,
//! and replayed first on every later run.
//!
//! Last long run (600 s per target, debug build, two at a time on a shared
//! 2-core machine, load 4–6), no failure:
//! YAML → objects 8,634,600 cases; lesson loader 160,200 (each writes a
//! lesson folder); Markdown renderer 7,238,800; JWT decoder 18,630,200.
//! Found on the way: the JWT lifetime overflowed (exp = i64::MAX, iat < 0),
//! fixed; a lone `\r` ends a line for YAML but not for `str::lines` (the
//! property was wrong, not the parser).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};

/// Cases per batch; a plain `cargo test` runs one batch per target.
const BATCH: u32 = 200;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(target);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    seeds
}

/// One random edit of `bytes`.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Replace(usize, u8),
    Duplicate(usize, usize),
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits {
        let len = bytes.len().max(1);
        match edit {
            Edit::Insert(at, new) => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, new.iter().copied());
            }
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Edit::Replace(at, byte) => {
                if !bytes.is_empty() {
                    let at = at % len;
                    bytes[at] = *byte;
                }
            }
            Edit::Duplicate(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                let chunk = bytes[at.min(end)..end].to_vec();
                bytes.splice(end..end, chunk);
            }
        }
    }
    bytes
}

/// Bytes YAML, Markdown and JWTs give meaning to, to insert more often than
/// chance would.
const MEANINGFUL: &[u8] = b":-?[]{},&*!|>'\"%@`#\n\t .=_/\\";

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop_oneof![3 => proptest::sample::select(MEANINGFUL), 1 => any::<u8>()];
    prop_oneof![
        (
            any::<usize>(),
            proptest::collection::vec(byte.clone(), 1..8)
        )
            .prop_map(|(a, b)| Edit::Insert(a, b)),
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), byte).prop_map(|(a, b)| Edit::Replace(a, b)),
        (any::<usize>(), 1usize..200).prop_map(|(a, n)| Edit::Duplicate(a, n)),
    ]
}

/// A seed with edits, or random bytes.
fn input(target: &str) -> impl Strategy<Value = Vec<u8>> + use<> {
    let seeds = corpus(target);
    let mutated = (
        proptest::sample::select(seeds),
        proptest::collection::vec(edit(), 0..12),
    )
        .prop_map(|(seed, edits)| apply(seed, &edits));
    prop_oneof![
        4 => mutated,
        1 => proptest::collection::vec(any::<u8>(), 0..512),
    ]
}

/// Runs `check` on inputs for `KUBETUTOR_FUZZ_SECONDS` (else one batch) and
/// prints how many it tried.
fn fuzz(target: &str, check: impl Fn(&[u8]) -> Result<(), TestCaseError>) {
    fuzz_with(target, input(target), |bytes: Vec<u8>| check(&bytes));
}

/// `fuzz` over any strategy.
fn fuzz_with<S: Strategy>(
    target: &str,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let seconds: u64 = std::env::var("KUBETUTOR_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut cases = 0u64;
    loop {
        let config = Config {
            cases: BATCH,
            failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
                "proptest-regressions",
            ))),
            source_file: Some(file!()),
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        if let Err(failure) = runner.run(&strategy, &check) {
            panic!("{target}: {failure}");
        }
        cases += u64::from(BATCH);
        if Instant::now() >= deadline {
            break;
        }
    }
    eprintln!(
        "fuzz {target}: {cases} cases in {:.1} s, no failure",
        started.elapsed().as_secs_f64()
    );
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Lines as YAML counts them: `\r\n`, `\r` and `\n` each end one. (A fuzz
/// run found a lone `\r` makes a line for the parser, not for `str::lines`.)
fn yaml_lines(text: &str) -> usize {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .lines()
        .count()
}

#[test]
fn yaml_to_objects() {
    fuzz("yaml", |bytes| {
        let text = text(bytes);
        match kubetutor::manifest::parse(&text, "fuzz") {
            Ok(manifests) => {
                for m in manifests {
                    prop_assert!(!m.kind.is_empty() && !m.name.is_empty());
                    prop_assert!(m.line >= 1 && m.line <= yaml_lines(&text).max(1));
                }
            }
            Err(err) => {
                // Every error names a line inside the text, when it names one.
                if let Some(line) = err.line() {
                    prop_assert!(line <= yaml_lines(&text) + 1, "{err} for {text:?}");
                }
                prop_assert!(!err.to_string().is_empty());
            }
        }
        Ok(())
    });
}

/// The shipped lesson's folder, copied, with `lesson.yaml` replaced.
fn lesson_folder(lesson_yaml: &[u8]) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let root = std::env::temp_dir().join(format!("kubetutor-fuzz-{:08x}", rand_u32()));
    let dir = root.join("serviceaccount-rbac");
    for sub in ["steps", "templates", "solutions"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for entry in std::fs::read_dir(shipped.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.join(sub).join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(dir.join("lesson.yaml"), lesson_yaml).unwrap();
    dir
}

fn rand_u32() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    std::process::id().wrapping_mul(65_599) ^ NEXT.fetch_add(1, Ordering::Relaxed)
}

#[test]
fn lesson_loader() {
    fuzz("lesson", |bytes| {
        let dir = lesson_folder(bytes);
        let result = kubetutor::lesson::Lesson::load(&dir, None);
        let _ = std::fs::remove_dir_all(dir.parent().unwrap());
        if let Err(errors) = result {
            prop_assert!(!errors.is_empty());
            for error in errors {
                // Errors point into the lesson folder, never elsewhere.
                prop_assert!(error.file.starts_with(&dir), "{error}");
                prop_assert!(!error.message.is_empty());
            }
        }
        Ok(())
    });
}

#[test]
fn markdown_renderer() {
    fuzz("markdown", |bytes| {
        let lines = kubetutor::ui::markdown::render(&text(bytes));
        // Rendering twice gives the same lines: no hidden state.
        prop_assert_eq!(lines, kubetutor::ui::markdown::render(&text(bytes)));
        Ok(())
    });
}

#[test]
fn jwt_decoder() {
    fuzz("jwt", |bytes| {
        let token = text(bytes);
        let token = token.trim();
        if let Ok(decoded) = kubetutor::cluster::jwt::decode(token) {
            let _ = decoded.lifetime_seconds();
        }
        let masked = kubetutor::cluster::jwt::mask(token);
        // The mask never shows more than its first ten characters.
        let shown: String = token.chars().take(10).collect();
        prop_assert!(masked.starts_with(&shown));
        if token.chars().count() > 20 {
            prop_assert!(!masked.contains(token));
        }
        Ok(())
    });
}

/// A progress file of the lesson's shape (its step ids, answers, drafts) with
/// numbers anywhere in range or far out of it, unknown ids, and random byte
/// edits on top: what a lesson edit, a hand edit or a crash leaves on disk.
fn progress_file(ids: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    let number = || prop_oneof![3 => 0usize..16, 1 => any::<usize>()];
    let id = prop_oneof![
        4 => proptest::sample::select(ids),
        1 => any::<String>(),
    ];
    let acts = (any::<bool>(), any::<bool>(), proptest::option::of(number()))
        .prop_map(|(applied, ran, answer)| serde_json::json!({"applied": applied, "ran": ran, "answer": answer}));
    let state = (
        number(),
        number(),
        proptest::collection::btree_map(id.clone(), any::<String>(), 0..4),
        proptest::collection::btree_map(id, acts, 0..8),
    )
        .prop_map(|(current, unlocked, drafts, acts)| {
            serde_json::to_vec(&serde_json::json!({
                "current": current, "unlocked": unlocked, "drafts": drafts, "acts": acts
            }))
            .unwrap()
        });
    (
        state,
        prop_oneof![3 => Just(Vec::new()), 1 => proptest::collection::vec(edit(), 0..4)],
    )
        .prop_map(|(bytes, edits)| apply(bytes, &edits))
}

#[test]
fn progress_file_against_its_lesson() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use kubetutor::app::{App, ClusterLabel, Msg, saved, update};
    use ratatui::{Terminal, backend::TestBackend};

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let lesson = kubetutor::lesson::Lesson::load(&dir, Some("lab")).unwrap();
    let ids = lesson.steps.iter().map(|s| s.id.clone()).collect();
    let folder =
        std::env::temp_dir().join(format!("kubetutor-fuzz-progress-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("progress.json");
    let terminal = std::cell::RefCell::new(Terminal::new(TestBackend::new(100, 30)).unwrap());
    fuzz_with("progress", progress_file(ids), |bytes| {
        let mut terminal = terminal.borrow_mut();
        std::fs::write(&file, &bytes).unwrap();
        let loaded = saved::load(&file);
        let mut app = App::new(lesson.clone(), ClusterLabel::default(), loaded.state);
        // A valid app: every index the tutor reads is inside the lesson.
        let steps = app.lesson.steps.len();
        prop_assert!(app.unlocked < steps && app.current <= app.unlocked);
        for (step, state) in app.lesson.steps.iter().zip(&app.steps) {
            let choices = step.predict.as_ref().map_or(0, |p| p.choices.len());
            prop_assert!(
                state.acts.answer.is_none_or(|a| a < choices),
                "{:?}",
                state.acts
            );
        }
        // What was dropped is said, once: the state saved now fits as it is.
        let again = App::new(
            lesson.clone(),
            ClusterLabel::default(),
            Some(app.saved_state()),
        );
        prop_assert!(again.output.is_empty(), "{:?}", again.output);
        // Every step draws, and keys on it do not panic.
        for index in 0..steps {
            app.current = index;
            terminal.draw(|f| kubetutor::ui::draw(f, &app)).unwrap();
        }
        app.current = app.unlocked;
        for key in ['1', '2', '9', 'r', 'n', 'p'] {
            update(
                &mut app,
                Msg::Key(KeyEvent::new(KeyCode::Char(key), KeyModifiers::NONE)),
            );
            terminal.draw(|f| kubetutor::ui::draw(f, &app)).unwrap();
        }
        // load moves a damaged file aside; start each case clean.
        for entry in std::fs::read_dir(&folder).unwrap() {
            let _ = std::fs::remove_file(entry.unwrap().path());
        }
        Ok(())
    });
    let _ = std::fs::remove_dir_all(folder);
}
