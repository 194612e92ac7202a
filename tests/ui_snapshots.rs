//! Every pane and the whole screen, rendered from fixture state with
//! ratatui's TestBackend, at 80×24 (tabs) and 160×48 (all panes).

mod common;

use common::fixture::{fixture, render};
use kubetutor::app::{App, Overlay, Pane};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn render_pane(app: &App, pane: Pane, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| kubetutor::ui::draw_pane(frame, app, pane, frame.area()))
        .unwrap();
    terminal.backend().to_string()
}

#[test]
fn whole_screen_160x48() {
    insta::assert_snapshot!(render(&fixture(), 160, 48));
}

#[test]
fn whole_screen_80x24_shows_one_pane_under_tabs() {
    let mut app = fixture();
    insta::assert_snapshot!("80x24_editor", render(&app, 80, 24));
    app.focus = Pane::Checks;
    insta::assert_snapshot!("80x24_checks", render(&app, 80, 24));
}

#[test]
fn each_pane() {
    let mut app = fixture();
    app.show_hints = true;
    for pane in Pane::ORDER {
        for (width, height) in [(80, 22), (60, 24)] {
            insta::assert_snapshot!(
                format!("pane_{}_{width}x{height}", pane.title().to_lowercase()),
                render_pane(&app, pane, width, height)
            );
        }
    }
}

#[test]
fn help_and_menu_overlays() {
    let mut app = fixture();
    app.overlays.open(Overlay::Help);
    insta::assert_snapshot!("help_160x48", render(&app, 160, 48));
    app.overlays.close();
    app.overlays.open(Overlay::Menu(0));
    insta::assert_snapshot!("menu_80x24", render(&app, 80, 24));
}

#[test]
fn the_docs_list_every_key_the_help_shows() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/tutor.md")).unwrap();
    for (keys, what, scope) in kubetutor::app::keys::KEYS {
        let row = format!("| {keys} | {what} | {scope} |");
        assert!(
            readme.contains(&row),
            "docs/tutor.md lacks the key row {row}"
        );
    }
}

#[test]
fn presenter_layout_100x30_and_160x48() {
    let mut app = fixture();
    app.presenter = true;
    app.last_keys = ["F10", "Down", "Enter", "Ctrl-S"]
        .into_iter()
        .map(String::from)
        .collect();
    insta::assert_snapshot!("presenter_100x30", render(&app, 100, 30));
    insta::assert_snapshot!("presenter_160x48", render(&app, 160, 48));
}

#[test]
fn reset_dialogs() {
    use kubetutor::app::ResetView;
    let mut app = fixture();
    let objects: Vec<String> = [
        "Pod pod-default",
        "RoleBinding list-pods_demo-sa",
        "Role list-pods",
        "ServiceAccount demo-sa",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    app.overlays.open(Overlay::Reset(ResetView::Confirm {
        from: 0,
        objects: objects.clone(),
        kept: Vec::new(),
    }));
    insta::assert_snapshot!("reset_confirm_100x30", render(&app, 100, 30));
    let lines = vec![
        "deleting Pod pod-default …".to_string(),
        "✓ Pod pod-default is gone".to_string(),
    ];
    app.overlays.close();
    app.overlays.open(Overlay::Reset(ResetView::Running {
        from: 0,
        objects,
        gone: 1,
        keep_drafts: false,
        lines,
    }));
    insta::assert_snapshot!("reset_running_100x30", render(&app, 100, 30));
}

#[test]
fn the_lesson_picker_says_where_the_lessons_come_from() {
    let mut app = fixture();
    app.lessons = vec![(app.lesson.id.clone(), app.lesson.title.clone())];
    app.lessons_root = "built-in lessons (kubetutor 0.1.0)".into();
    app.overlays.open(Overlay::Picker(0));
    let screen = render(&app, 100, 30);
    assert!(
        screen.contains("built-in lessons (kubetutor 0.1.0)"),
        "{screen}"
    );
    assert!(
        screen.contains("Lessons (↑↓ Enter, Esc closes)"),
        "{screen}"
    );
}

/// The overlay that takes the keys is the one on top of the screen: a paste
/// question that arrives while help is open is drawn over help, not under it.
#[test]
fn a_paste_question_over_help_is_drawn_on_top() {
    let mut app = fixture();
    app.focus = Pane::Lesson;
    app.overlays.open(Overlay::Help);
    kubetutor::app::update(&mut app, kubetutor::app::Msg::Paste("name: x".into()));
    let screen = render(&app, 160, 48);
    assert!(screen.contains("Put it in the editor of step"), "{screen}");
    assert!(screen.contains(" Paste "), "{screen}");
}
