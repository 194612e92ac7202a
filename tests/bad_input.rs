//! The bad-input corpus (issue 12, point 4), table-driven: what a learner may
//! paste into the editor, what a lesson author may write, each with the error
//! it must get (what, where: line and column when there is one). Through the
//! editor's apply path: the pure checks for every case, the TUI's update for
//! every case (the editor's text survives), the real lab where only the server
//! can answer (nothing applied when any document is bad). Through
//! `lessons lint` (the same loader) for lesson folders.

mod common;
#[path = "bad_input/editor_cases.rs"]
mod editor_cases;
#[path = "bad_input/lint_cases.rs"]
mod lint_cases;

use std::time::{Duration, Instant};

use editor_cases::Expect;
use kubetutor::app::{App, ClusterLabel, Msg, Pane, new_editor};
use kubetutor::cluster::apply::ApplyError;
use kubetutor::engine::actor::{EngineCommand, EngineUpdate};
use kubetutor::manifest;

const NAMESPACE: &str = "corpus";

/// (line, column) an error points at; column None for whole documents.
fn position(err: &ApplyError) -> (usize, Option<usize>) {
    match err {
        ApplyError::Yaml(e) => (e.line, Some(e.column)),
        ApplyError::Invalid { line, column, .. } | ApplyError::Immutable { line, column, .. } => {
            (*line, Some(*column))
        }
        ApplyError::Document { line, .. } | ApplyError::Server { line, .. } => (*line, None),
        ApplyError::Empty => (0, None),
    }
}

/// Every case, judged; all mismatches reported at once.
#[test]
fn every_editor_case_gets_its_error_at_its_place() {
    let cases = editor_cases::cases();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut wrong = Vec::new();
    for case in &cases {
        let started = Instant::now();
        let result = manifest::parse(&case.text, NAMESPACE);
        let took = started.elapsed();
        if took > Duration::from_secs(2) {
            wrong.push(format!("{}: took {took:?}", case.name));
        }
        let verdict = match (&case.expect, &result) {
            (Expect::Empty, Err(ApplyError::Empty)) => None,
            (Expect::Documents(n), Ok(docs)) if docs.len() == *n => None,
            (Expect::Error(says, line, column), Err(err)) => {
                let text = err.to_string();
                let at = position(err);
                // Line 0 in the table: any line (the parser's own choice).
                let placed =
                    *line == 0 || at == (*line, *column) || (column.is_none() && at.0 == *line);
                (!text.contains(says) || !placed).then(|| {
                    format!("said {text:?} at {at:?}; expected {says:?} at ({line}, {column:?})")
                })
            }
            (_, other) => Some(format!("got {:?}", other.as_ref().map(Vec::len))),
        };
        if let Some(verdict) = verdict {
            wrong.push(format!("{}: {verdict}", case.name));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The shipped lesson in an App with the editor focused on a step with a
/// template.
fn app_with_editor_text(text: &str) -> App {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let lesson = kubetutor::lesson::Lesson::load(&dir, Some(NAMESPACE)).unwrap();
    let mut app = App::new(lesson, ClusterLabel::default(), None);
    app.steps[app.current].editor = new_editor(text);
    app.focus = Pane::Editor;
    app
}

fn ctrl_s() -> Msg {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))
}

/// Through the TUI's update: Ctrl-S sends the editor's text as it is, the
/// error comes back, the text is untouched and the error is shown.
#[test]
fn a_failed_apply_leaves_the_editors_text_intact_in_every_case() {
    for case in editor_cases::cases() {
        let Err(err) = manifest::parse(&case.text, NAMESPACE) else {
            continue;
        };
        let mut app = app_with_editor_text(&case.text);
        let before: Vec<String> = app.editor().lines().to_vec();
        let effects = kubetutor::app::update(&mut app, ctrl_s());
        let sent = effects.iter().any(|e| {
            matches!(e, kubetutor::app::Effect::Engine(EngineCommand::Apply(text))
                if *text == before.join("\n"))
        });
        // An empty editor is refused before anything is sent.
        assert!(
            sent || case.text.trim().is_empty(),
            "{}: the editor's text was not sent as it is",
            case.name
        );
        kubetutor::app::update(&mut app, Msg::Engine(EngineUpdate::Applied(Err(err))));
        assert_eq!(
            app.editor().lines(),
            &before[..],
            "{}: the text changed",
            case.name
        );
        if sent {
            assert!(
                app.output.iter().any(|l| l.starts_with("apply failed")),
                "{}: the failure is shown",
                case.name
            );
        }
    }
}

/// The screen's characters in reading order, frames and spaces dropped: a
/// message wrapped over rows reads whole.
fn screen_words(app: &App, width: u16, height: u16) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| kubetutor::ui::draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut text = String::new();
    for y in 0..height {
        for x in 0..width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    words(&text.replace(['│', '┃', '─', '━'], " "))
}

/// Without any whitespace: a word longer than a row (a 300-character
/// name) is broken inside, which no spacing rule can join back.
fn words(text: &str) -> String {
    text.split_whitespace().collect()
}

/// Every apply error of the corpus can be read whole at 80×24, 100×30
/// (also in presenter mode) and 120×36: at once
/// (the notice under the panes wraps), or after one key (Tab, to the next
/// pane).
#[test]
fn every_apply_error_is_shown_whole_at_every_size_after_at_most_one_key() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut cut = Vec::new();
    let mut at_once = 0;
    let mut errors = 0;
    for case in editor_cases::cases() {
        let Err(err) = manifest::parse(&case.text, NAMESPACE) else {
            continue;
        };
        errors += 1;
        let message = words(&err.to_string());
        for (width, height, presenter) in [
            (80, 24, false),
            (100, 30, false),
            (100, 30, true),
            (120, 36, false),
        ] {
            let mut app = app_with_editor_text(&case.text);
            app.presenter = presenter;
            kubetutor::app::update(&mut app, ctrl_s());
            kubetutor::app::update(
                &mut app,
                Msg::Engine(EngineUpdate::Applied(Err(err.clone()))),
            );
            if screen_words(&app, width, height).contains(&message) {
                at_once += 1;
                continue;
            }
            kubetutor::app::update(
                &mut app,
                Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)),
            );
            let screen = screen_words(&app, width, height);
            if !screen.contains(&message) {
                cut.push(format!(
                    "{} at {width}x{height} (presenter: {presenter}): {message:?}\n  screen: {screen}",
                    case.name
                ));
            }
        }
    }
    assert!(errors >= 40, "only {errors} errors");
    assert!(cut.is_empty(), "{} cut:\n{}", cut.len(), cut.join("\n"));
    eprintln!(
        "{at_once} of {} screens whole at once, the rest after one key",
        errors * 4
    );
}

/// A 1 MB buffer is edited and drawn as any other: every key of 50 lands
/// where the cursor is, and the frame shows the line being edited. How long
/// a key and its frame take is a figure, not a pass mark:
/// `cargo bench --bench tui` prints it (median, p95, max).
#[test]
fn keys_on_a_1_mb_buffer_edit_it_and_are_drawn() {
    use crossterm::event::{KeyEvent, KeyModifiers};
    use ratatui::{Terminal, backend::TestBackend};
    let text = common::fixture::big_buffer(editor_cases_cm());
    let mut app = app_with_editor_text(&text);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    terminal.draw(|f| kubetutor::ui::draw(f, &app)).unwrap();
    // Each round of five: one `a` and one line more (Backspace takes back a
    // space of the new line's indent), the cursor further down.
    let rounds = 10;
    for key in common::fixture::BIG_BUFFER_KEYS
        .into_iter()
        .cycle()
        .take(5 * rounds)
    {
        kubetutor::app::update(&mut app, Msg::Key(KeyEvent::new(key, KeyModifiers::NONE)));
        terminal.draw(|f| kubetutor::ui::draw(f, &app)).unwrap();
    }
    let editor = &app.steps[app.current].editor;
    let lines = editor.lines();
    assert_eq!(
        lines.len(),
        text.lines().count() + rounds,
        "each Enter broke a line"
    );
    let typed: usize = lines.iter().map(|l| l.matches('a').count()).sum();
    let before: usize = text.matches('a').count();
    assert_eq!(typed - before, rounds, "each `a` typed is in the text");
    let ratatui_textarea::DataCursor(row, _) = editor.cursor();
    assert!(row > 100, "the cursor went down the buffer (row {row})");
    let screen: String = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|cell| cell.symbol())
        .collect();
    assert!(
        screen.contains(&format!("Ln {}", row + 1)),
        "the frame shows the line being edited (Ln {})",
        row + 1
    );
}

fn editor_cases_cm() -> &'static str {
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n"
}

#[test]
fn every_lint_case_gets_its_error_at_its_place() {
    let cases = lint_cases::cases();
    let mut wrong = Vec::new();
    for case in &cases {
        if let Some(why) = lint_cases::judge(case) {
            wrong.push(format!("{}: {why}", case.name));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// What only the server can judge: kinds it serves, fields of their schemas,
/// value types. Each bad document comes after a good one, and the good one
/// must not be applied either: a dry run of every document comes first.
#[tokio::test]
async fn on_the_lab_a_bad_document_keeps_every_document_out() {
    use kubetutor::cluster::apply::{ApplyTarget, apply_yaml};
    use kubetutor::cluster::kinds::Kinds;
    let client = common::lab().client().await;
    let ns = common::TestNamespace::create(&client, "corpus").await;
    let kinds = Kinds::discover(&client).await.unwrap();
    let target = ApplyTarget {
        namespace: &ns.name,
        lesson: "corpus",
    };
    let good = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good-first\n---\n";
    let pod = |spec: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: busybox\n{spec}"
        )
    };
    // (case, document after the good one, what the error says, its line)
    let cases: Vec<(&str, String, &str, usize)> = vec![
        ("unknown kind", "apiVersion: v1\nkind: ConfigMapp\nmetadata: {name: x}\n".into(), "serves no kind ConfigMapp", 6),
        ("unknown apiVersion", "apiVersion: v2\nkind: ConfigMap\nmetadata: {name: x}\n".into(), "in apiVersion v2", 6),
        ("unknown group", "apiVersion: nothing.example.com/v1\nkind: Widget\nmetadata: {name: x}\n".into(), "serves no kind Widget", 6),
        ("unknown top-level field", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nspec: {}\n".into(), "spec is not a field of the top level: check its spelling and its indentation", 9),
        ("misspelled metadata field", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  lables: {a: b}\n".into(), "metadata.lables is not a field of metadata (did you mean labels?)", 10),
        ("misspelled container field", pod("    imagee: x\n"), "imagee is not a field of a container (spec.containers[name=\"c\"])", 14),
        ("serviceAccountName under the container", pod("    serviceAccountName: default\n"), "serviceAccountName belongs under spec, not under a container (spec.containers[name=\"c\"])", 14),
        ("a rule without apiGroups", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\nrules:\n- resources: [pods]\n  verbs: [list]\n".into(), "rules[0].apiGroups is missing and required", 10),
        ("number as a string", pod("    ports:\n    - containerPort: \"80\"\n"), "containerPort", 0),
        ("string where a list belongs", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\nrules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: get\n".into(), "verbs", 0),
        ("bad enum value", pod("  restartPolicy: Sometimes\n"), "restartPolicy", 0),
        ("cluster-scoped kind with a namespace", format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: kt-corpus\n  namespace: {}\n", ns.name), "is cluster-scoped", 6),
    ];
    let mut wrong = Vec::new();
    for (name, bad, says, line) in &cases {
        let text = format!("{good}{bad}");
        match apply_yaml(&kinds, &text, &target).await {
            Ok(applied) => wrong.push(format!("{name}: applied {applied:?}")),
            Err(err) => {
                let said = err.to_string();
                let at = err.line().unwrap_or(0);
                if !said.contains(says) || (*line != 0 && at != *line) {
                    wrong.push(format!(
                        "{name}: said {said:?} at line {at}; expected {says:?} at {line}"
                    ));
                }
            }
        }
        let out = common::lab().kubectl(&["get", "configmap", "good-first", "-n", &ns.name], None);
        if out.status.success() {
            wrong.push(format!("{name}: the good first document was applied"));
            common::lab().kubectl(&["delete", "configmap", "good-first", "-n", &ns.name], None);
        }
    }
    // And a cluster-scoped kind written well is applied, with its namespace.
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: kt-corpus-reader\nrules: []\n";
    let target_ns = ns.name.clone();
    let applied = apply_yaml(&kinds, &format!("{good}{role}"), &target)
        .await
        .unwrap();
    assert_eq!(applied.len(), 2);
    let label = common::lab().kubectl(
        &[
            "get",
            "clusterrole",
            "kt-corpus-reader",
            "-o",
            "jsonpath={.metadata.labels.kubetutor\\.dev/namespace}",
        ],
        None,
    );
    common::lab().kubectl(&["delete", "clusterrole", "kt-corpus-reader"], None);
    assert_eq!(String::from_utf8_lossy(&label.stdout), target_ns);
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
