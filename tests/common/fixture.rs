//! A TUI state as a learner halfway through the first lesson sees it, for
//! snapshot tests and the render benchmark.

use std::path::Path;

use kubetutor::app::{App, ClusterLabel, Msg, update};
use kubetutor::checks::{Outcome, Snapshot};
use kubetutor::engine::StepReport;
use kubetutor::engine::actor::EngineUpdate;
use kubetutor::engine::link::Link;
use kubetutor::engine::scope::LessonScopes;
use kubetutor::lesson::Lesson;
use serde_json::json;

/// The first lesson in namespace `lab`, on step 9 (RoleBinding), with the
/// cluster and checks as a learner halfway through would see them.
pub fn fixture() -> App {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let lesson = Lesson::load(&dir, Some("lab")).unwrap();
    let label = ClusterLabel {
        context: "kubetutor-lab".into(),
        server: "https://127.0.0.1:6443".into(),
    };
    let progress = [
        true, true, true, true, true, true, true, true, false, false, false, true,
    ];
    // The learner answered, ran and applied everything of the steps they did.
    let acts = lesson
        .steps
        .iter()
        .zip(progress)
        .filter(|(_, done)| *done)
        .map(|(step, _)| {
            let acts = kubetutor::app::StepActs {
                applied: true,
                ran: true,
                answer: step.predict.as_ref().and_then(|p| p.correct()),
            };
            (step.id.clone(), acts)
        })
        .collect();
    let saved = kubetutor::app::SavedState {
        current: 8,
        unlocked: 8,
        drafts: Default::default(),
        acts,
    };
    let mut app = App::new(lesson, label, Some(saved));
    // Steps that pass have every check passing; the others are still to do.
    let reports = progress
        .iter()
        .enumerate()
        .map(|(index, passed)| StepReport {
            index,
            outcomes: app.lesson.steps[index]
                .checks
                .iter()
                .map(|c| {
                    let outcome = if *passed {
                        Outcome::pass("holds")
                    } else {
                        Outcome::fail("not yet")
                    };
                    (c.clone(), outcome)
                })
                .collect(),
        })
        .collect();
    update(&mut app, Msg::Engine(EngineUpdate::Started(reports)));
    update(
        &mut app,
        Msg::Engine(EngineUpdate::Link(Link::Connected { limited: vec![] })),
    );
    let snapshot = Snapshot::new()
        .with(json!({"kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "lab"}}))
        .with(json!({"kind": "ServiceAccount", "metadata": {"name": "demo-sa", "namespace": "lab"}}))
        .with(json!({"kind": "Role", "metadata": {"name": "list-pods", "namespace": "lab"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]}))
        .with(json!({"kind": "RoleBinding", "metadata": {"name": "list-pods_demo-sa", "namespace": "lab"},
            "roleRef": {"kind": "Role", "name": "list-pod"},
            "subjects": [{"kind": "ServiceAccount", "name": "demo-sa", "namespace": "lab"}]}))
        .with(json!({"kind": "Pod", "metadata": {"name": "pod-default", "namespace": "lab"},
            "spec": {"serviceAccountName": "default"}, "status": {"phase": "Running"}}))
        .with(json!({"kind": "Service", "metadata": {"name": "kubernetes", "namespace": "default"},
            "spec": {"clusterIP": "10.96.0.1", "ports": [{"port": 443}]}}));
    let scopes = LessonScopes::of(&app.lesson);
    let view = kubetutor::engine::view::build(&snapshot, &scopes.pane, &scopes.named, &|_| None);
    update(&mut app, Msg::Engine(EngineUpdate::Cluster(view)));
    let checks = app.lesson.steps[8].checks.clone();
    let report = StepReport {
        index: 8,
        outcomes: vec![(
            checks[0].clone(),
            Outcome::fail(
                "The API server says ServiceAccount demo-sa may not list pods in lab yet: RoleBinding \
                 list-pods_demo-sa refers to Role list-pod, which does not exist",
            ),
        )],
    };
    update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![report])));
    update(
        &mut app,
        Msg::Engine(EngineUpdate::Action(kubetutor::engine::ActionOutput {
            title: "GET /api/v1/namespaces/lab/pods".into(),
            lines: vec![
                "as Pod pod-default (ServiceAccount default)".into(),
                "→ 403 Forbidden: pods is forbidden".into(),
            ],
            step: Some(5),
        })),
    );
    assert!(app.connection.is_connected());
    app
}

/// The whole screen of `app` at `width`×`height`, as text.
#[allow(dead_code)] // not every test binary draws
pub fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| kubetutor::ui::draw(frame, app))
        .unwrap();
    terminal.backend().to_string()
}

/// About 1 MB of YAML for the editor: a ConfigMap's head (`head`), then
/// `key: xxx…` lines; the test of big buffers and the TUI benchmark use it.
pub fn big_buffer(head: &str) -> String {
    let line = format!("  {}: {}\n", "key", "x".repeat(60));
    format!("{head}{}", line.repeat((1 << 20) / line.len()))
}

/// The keys a big buffer is edited with, round after round: type, move
/// down, a page down, break the line, take back one space of its indent.
pub const BIG_BUFFER_KEYS: [crossterm::event::KeyCode; 5] = [
    crossterm::event::KeyCode::Char('a'),
    crossterm::event::KeyCode::Down,
    crossterm::event::KeyCode::PageDown,
    crossterm::event::KeyCode::Enter,
    crossterm::event::KeyCode::Backspace,
];
