//! Quitting: at once for a signal, and on a second Ctrl-C while a reset or an
//! apply runs; work a quit cuts short is said on the way out (`farewell`),
//! never left half done in silence.

use super::{App, Effect, ResetView};

/// Quits now (a signal asks no questions).
pub fn now(app: &mut App) -> Vec<Effect> {
    app.farewell = unfinished(app);
    app.quitting = true;
    vec![Effect::Save, Effect::Quit]
}

/// Quits, but while a reset or an apply runs, only on the second ask: the
/// first says what quitting now would leave half done.
pub fn asking(app: &mut App) -> Vec<Effect> {
    match unfinished(app) {
        Some(what) if !app.quit_asked => {
            app.quit_asked = true;
            app.notice = Some(
                format!("Still running: {what}. Press Ctrl-C again to quit now anyway.").into(),
            );
            Vec::new()
        }
        _ => now(app),
    }
}

/// What quitting now would cut short, in words, with what to do about it.
fn unfinished(app: &App) -> Option<String> {
    let namespace = &app.lesson.namespace;
    if let Some(ResetView::Running { objects, gone, .. }) = app.overlays.reset() {
        return Some(format!(
            "a reset had deleted {gone} of {} objects when it was interrupted; \
             progress was not reset. Run `kubetutor reset -n {namespace}` to finish it",
            objects.len()
        ));
    }
    app.applying.then(|| {
        format!(
            "an apply was interrupted: its documents may be applied or not. \
             Run `kubetutor verify -n {namespace}` to see where the lesson stands"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Msg, Overlay, new_editor, update};
    use crate::engine::actor::EngineUpdate;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn app() -> App {
        crate::app::first_lesson_app()
    }

    fn ctrl_c(app: &mut App) -> Vec<Effect> {
        update(
            app,
            Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        )
    }

    fn quits(effects: &[Effect]) -> bool {
        effects.iter().any(|e| matches!(e, Effect::Quit))
    }

    fn running_reset(app: &mut App) {
        app.overlays.open(Overlay::Reset(ResetView::Running {
            from: 0,
            objects: vec!["Pod a".into(), "Role b".into(), "ServiceAccount c".into()],
            gone: 1,
            keep_drafts: false,
            lines: Vec::new(),
        }));
    }

    #[test]
    fn ctrl_c_during_a_reset_asks_once_then_quits_and_says_what_is_left() {
        let mut app = app();
        running_reset(&mut app);
        assert!(!quits(&ctrl_c(&mut app)), "the first Ctrl-C only asks");
        let notice = app.notice.clone().unwrap();
        assert!(notice.contains("Ctrl-C again"), "{notice}");
        assert!(quits(&ctrl_c(&mut app)));
        let farewell = app.farewell.clone().expect("said on the way out");
        assert!(farewell.contains("deleted 1 of 3 objects"), "{farewell}");
        assert!(farewell.contains("kubetutor reset -n lab"), "{farewell}");
    }

    #[test]
    fn a_signal_during_a_reset_quits_at_once_and_says_what_is_left() {
        let mut app = app();
        running_reset(&mut app);
        assert!(quits(&update(&mut app, Msg::Signal("SIGHUP"))));
        assert!(app.farewell.unwrap().contains("kubetutor reset"));
    }

    #[test]
    fn ctrl_c_during_an_apply_asks_and_after_it_quits_at_once() {
        let mut app = app();
        app.steps[app.current].editor = new_editor("apiVersion: v1");
        update(
            &mut app,
            Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
        );
        assert!(app.applying);
        assert!(!quits(&ctrl_c(&mut app)));
        assert!(
            app.notice
                .clone()
                .unwrap()
                .contains("an apply was interrupted")
        );
        update(&mut app, Msg::Engine(EngineUpdate::Applied(Ok(Vec::new()))));
        assert!(!app.applying);
        assert!(quits(&ctrl_c(&mut app)));
        assert_eq!(app.farewell, None, "nothing was cut short");
    }
}
