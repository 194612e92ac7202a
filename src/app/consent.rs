//! The question asked before a lesson that reaches beyond its namespace
//! acts (`lesson::consent`): what it declares and creates, shown over the
//! panes before the engine starts. A yes asks the runtime to remember it and
//! start the lesson; a no leaves the cluster untouched and says so.

use crossterm::event::{KeyCode, KeyEvent};

use super::keys::is_ctrl;
use super::{App, Connection, Effect, Overlay, quit};
use crate::lesson::consent::Ask;

/// The keys, as the dialog says them.
pub const ANSWER: &str =
    "y / Enter: accept and start the lesson · n / Esc: decline (nothing is created)";

/// Said in the status line while the answer is awaited, and after a no.
pub const WAITING: &str = "not started: the lesson asks first what it may do with your rights";
pub const DECLINED: &str = "not started: you declined what the lesson declares";

/// Opens the question (before the first frame; the engine waits for it).
pub fn ask(app: &mut App, ask: Ask) {
    app.connection = Connection::NotStarted(WAITING.into());
    app.overlays.open(Overlay::Consent(ask));
}

/// Whether the lesson waits for the learner's answer.
pub fn waiting(app: &App) -> bool {
    app.overlays
        .iter()
        .any(|overlay| matches!(overlay, Overlay::Consent(_)))
}

/// A key while the question is on top: y/Enter accepts, n/Esc declines,
/// Ctrl-C declines and asks to quit; any other key leaves it open.
pub fn on_key(app: &mut App, key: KeyEvent, ask: Ask) -> Vec<Effect> {
    let accept = matches!(key.code, KeyCode::Enter | KeyCode::Char('y' | 'Y'));
    let decline = matches!(key.code, KeyCode::Esc | KeyCode::Char('n' | 'N')) || is_ctrl(&key, 'c');
    if accept {
        app.overlays.close();
        app.connection = Connection::Connecting;
        app.notice = Some(
            format!(
                "Accepted lesson {} (version {}): it starts now, and will not ask again.",
                ask.lesson,
                crate::lesson::consent::short(&ask.version)
            )
            .into(),
        );
        return vec![Effect::AcceptRights(ask)];
    }
    if decline {
        app.overlays.close();
        app.connection = Connection::NotStarted(DECLINED.into());
        app.notice = Some(
            "Declined: nothing was created on the cluster. Esc opens the menu: choose another \
             lesson, or quit."
                .into(),
        );
        if is_ctrl(&key, 'c') {
            return quit::asking(app);
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::press;
    use crate::lesson::consent::Declared;

    fn asked() -> (App, Ask) {
        let mut app = crate::app::first_lesson_app();
        let ask = Ask {
            lesson: "reader".into(),
            title: "A reader".into(),
            version: "0123456789abcdef".into(),
            declared: Declared {
                beyond: vec!["create ClusterRoles".into()],
                creates: Vec::new(),
            },
        };
        super::ask(&mut app, ask.clone());
        (app, ask)
    }

    #[test]
    fn a_yes_asks_the_runtime_to_remember_and_start() {
        let (mut app, ask) = asked();
        assert!(waiting(&app));
        let effects = press(&mut app, KeyCode::Char('x'));
        assert!(
            effects.is_empty() && waiting(&app),
            "other keys leave it open"
        );
        let effects = press(&mut app, KeyCode::Enter);
        assert!(
            matches!(&effects[..], [Effect::AcceptRights(a)] if *a == ask),
            "{effects:?}"
        );
        assert!(!waiting(&app));
        assert_eq!(app.connection, Connection::Connecting);
    }

    #[test]
    fn a_no_starts_nothing_and_says_so() {
        let (mut app, _) = asked();
        press(&mut app, KeyCode::Char('n'));
        assert!(!waiting(&app));
        assert_eq!(app.connection, Connection::NotStarted(DECLINED.into()));
        assert!(
            app.notice
                .as_deref()
                .unwrap()
                .contains("nothing was created")
        );
    }
}
