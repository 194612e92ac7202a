//! F9: delete and re-create the object an apply could not change (a field
//! fixed once the object exists). Offered only after the error that names
//! the object, and asked once more by name before anything is deleted.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Effect, Overlay};
use crate::cluster::apply::ApplyError;
use crate::engine::actor::EngineCommand;

/// The object to delete and create again, as the question names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recreate {
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

impl Recreate {
    /// What the dialog says.
    pub fn question(&self) -> Vec<String> {
        let place = if self.namespace.is_empty() {
            String::new()
        } else {
            format!(" in namespace {}", self.namespace)
        };
        vec![
            format!("Delete {} {}{place}", self.kind, self.name),
            "and create it again from the editor?".into(),
            "What it owns (its Pods, its ReplicaSets) is deleted with it.".into(),
            String::new(),
            "y / Enter: delete and re-create · any other key: keep it".into(),
        ]
    }
}

/// F9: the question, when the last apply error offers it.
pub fn ask(app: &mut App) -> Vec<Effect> {
    match &app.apply_error {
        Some(ApplyError::Immutable {
            kind,
            name,
            namespace,
            ..
        }) => {
            let offer = Recreate {
                kind: kind.clone(),
                name: name.clone(),
                namespace: namespace.clone(),
            };
            app.overlays.open(Overlay::Recreate(offer));
        }
        _ => {
            app.notice = Some(
                "F9 deletes and re-creates an object only after an apply error says a field of it \
                 cannot change: nothing to do now."
                    .into(),
            );
        }
    }
    Vec::new()
}

/// A key while the question is on top (it closes, whatever the answer).
pub fn on_key(app: &mut App, key: KeyEvent, offer: Recreate) -> Vec<Effect> {
    app.overlays.close();
    if !matches!(key.code, KeyCode::Enter | KeyCode::Char('y')) {
        app.notice =
            Some(format!("{} {} kept: nothing was deleted.", offer.kind, offer.name).into());
        return Vec::new();
    }
    let text = app.editor().lines().join("\n");
    app.applying = true;
    app.notice = Some(
        format!(
            "Deleting {} {}, then applying the editor …",
            offer.kind, offer.name
        )
        .into(),
    );
    vec![Effect::Engine(EngineCommand::Recreate {
        kind: offer.kind,
        name: offer.name,
        text,
    })]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{first_lesson_app, press};

    fn immutable_error() -> ApplyError {
        ApplyError::Immutable {
            line: 7,
            column: 1,
            kind: "RoleBinding".into(),
            name: "list-pods_demo-sa".into(),
            namespace: "lab".into(),
            message: "roleRef cannot change".into(),
        }
    }

    #[test]
    fn f8_asks_by_name_and_only_yes_deletes() {
        let mut app = first_lesson_app();
        app.apply_error = Some(immutable_error());
        press(&mut app, KeyCode::F(9));
        let Some(Overlay::Recreate(offer)) = app.overlays.top().cloned() else {
            panic!("no question: {:?}", app.overlays.top());
        };
        assert!(
            offer.question()[0].contains("Delete RoleBinding list-pods_demo-sa in namespace lab")
        );

        let effects = press(&mut app, KeyCode::Char('n'));
        assert!(effects.is_empty(), "{effects:?}");
        assert!(app.overlays.is_empty());
        assert!(app.notice.as_deref().unwrap().contains("kept"));

        press(&mut app, KeyCode::F(9));
        let effects = press(&mut app, KeyCode::Char('y'));
        assert!(
            matches!(&effects[..], [Effect::Engine(EngineCommand::Recreate { kind, name, .. })]
                if kind == "RoleBinding" && name == "list-pods_demo-sa"),
            "{effects:?}"
        );
    }

    #[test]
    fn without_such_an_error_f8_says_so_and_opens_nothing() {
        let mut app = first_lesson_app();
        press(&mut app, KeyCode::F(9));
        assert!(app.overlays.is_empty());
        assert!(
            app.notice
                .as_deref()
                .unwrap()
                .contains("only after an apply error")
        );
    }
}
