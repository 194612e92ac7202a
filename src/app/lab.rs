//! `kubetutor --lab` while the lab builds and starts (`lab::background`):
//! the lesson is there to read and its predictions to answer; what needs the
//! cluster waits, said as waiting (never as a failure); once the lab is up the
//! runtime is asked to start the lesson's engine.

use super::{App, Connection, Effect, consent};
use crate::engine::actor::EngineCommand;
use crate::lab::background::LabPhase;

/// Said in the Checks pane of a step while the lab is on its way.
pub const WAITING: &str = "⧗ waiting for the lab: this step's checks run once it is up";

/// The lab's new phase.
pub fn on_phase(app: &mut App, phase: LabPhase) -> Vec<Effect> {
    let was_waiting = app.waiting_for_lab();
    let effects = match &phase {
        // The API server serves: the engine starts, the rest of the lab
        // joins as it comes (`lab::arrivals`).
        LabPhase::Ready | LabPhase::Partly { .. } if was_waiting => {
            let declined = app.connection == Connection::NotStarted(consent::DECLINED.into());
            if consent::waiting(app) || declined {
                Vec::new()
            } else {
                app.connection = Connection::Connecting;
                app.notice = Some("The lab is up: connecting…".into());
                vec![Effect::StartEngine]
            }
        }
        LabPhase::Failed(text) if !matches!(app.lab, Some(LabPhase::Failed(_))) => {
            app.output.push("── the lab did not start".into());
            app.output.extend(text.lines().map(str::to_string));
            app.output_unseen = true;
            app.connection = Connection::Unreachable(
                "the lab did not start; the Output pane says why and what to do".into(),
            );
            app.notice = Some(
                "The lab did not start: the Output pane says why. Your drafts are kept.".into(),
            );
            Vec::new()
        }
        _ => Vec::new(),
    };
    app.lab = Some(phase);
    effects
}

/// Said under a step's checks while the lab is partly up and some fail: a
/// check may need what is not there yet (the default ServiceAccount is made
/// by kube-controller-manager, a Pod runs once kube-scheduler and kwok are).
pub const PARTLY_UP: &str = "⧗ the lab is still coming up (the status bar says how far): a \
                             check that needs its controllers, scheduler or node passes once \
                             they run";

/// What the learner asked of the cluster while the lab is not up is not
/// sent (there is nowhere to send it); they are told, and the editor keeps
/// their text.
///
/// A step's setup asked on arriving at it is dropped quietly: the engine
/// sets up the step the learner is on when it starts.
pub fn hold_back(app: &mut App, effects: &mut Vec<Effect>) {
    let mut asked = false;
    effects.retain(|effect| match effect {
        Effect::Engine(EngineCommand::SetupStep(_)) => false,
        Effect::Engine(_) => {
            asked = true;
            false
        }
        _ => true,
    });
    if asked {
        app.applying = false;
        app.notice = Some(NOT_SENT.into());
    }
}

/// Said when something for the cluster was asked before the lab is up.
pub const NOT_SENT: &str = "The lab is not up yet (the status bar says how far it is): nothing \
                            was sent; your text stays in the editor.";

impl App {
    /// The lab is still building or starting: nothing can reach it yet.
    pub fn waiting_for_lab(&self) -> bool {
        self.lab.as_ref().is_some_and(LabPhase::is_waiting)
    }

    /// The lab's API server serves, the rest of it is still on its way.
    pub fn lab_partly_up(&self) -> bool {
        self.lab.as_ref().is_some_and(LabPhase::is_partly_up)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::app::{Msg, first_lesson_app, update};
    use crate::lab::build_progress::BuildProgress;

    fn building() -> LabPhase {
        LabPhase::Building(BuildProgress::new(Instant::now()))
    }

    #[test]
    fn the_engine_starts_when_the_lab_is_up_and_not_before() {
        let mut app = first_lesson_app();
        assert!(update(&mut app, Msg::Lab(building())).is_empty());
        assert!(app.waiting_for_lab());
        let effects = update(
            &mut app,
            Msg::Lab(LabPhase::Starting("etcd starting".into())),
        );
        assert!(effects.is_empty());
        let effects = update(&mut app, Msg::Lab(LabPhase::Ready));
        assert!(matches!(effects[..], [Effect::StartEngine]), "{effects:?}");
        assert!(!app.waiting_for_lab());
        assert_eq!(app.connection, Connection::Connecting);
        // Said once: a repeated Ready starts nothing more.
        assert!(update(&mut app, Msg::Lab(LabPhase::Ready)).is_empty());
    }

    #[test]
    fn the_engine_starts_once_the_api_server_serves_while_the_rest_is_built() {
        let mut app = first_lesson_app();
        update(&mut app, Msg::Lab(building()));
        let mut build = BuildProgress::new(Instant::now());
        build.total = 6;
        build.done = 2;
        build.building = Some("kubectl".into());
        let partly = LabPhase::Partly {
            build: Some(build),
            said: "the API server is up".into(),
        };
        let effects = update(&mut app, Msg::Lab(partly.clone()));
        assert!(matches!(effects[..], [Effect::StartEngine]), "{effects:?}");
        assert!(!app.waiting_for_lab(), "the learner's applies go through");
        assert!(app.lab_partly_up());
        // More progress, then the whole lab: nothing starts twice.
        assert!(update(&mut app, Msg::Lab(partly)).is_empty());
        assert!(update(&mut app, Msg::Lab(LabPhase::Ready)).is_empty());
        assert!(!app.lab_partly_up());
    }

    #[test]
    fn a_lesson_waiting_for_its_rights_answer_is_not_started_by_the_lab() {
        let mut app = first_lesson_app();
        update(&mut app, Msg::Lab(building()));
        app.connection = Connection::NotStarted(consent::DECLINED.into());
        assert!(update(&mut app, Msg::Lab(LabPhase::Ready)).is_empty());
    }

    #[test]
    fn an_apply_before_the_lab_is_up_sends_nothing_and_keeps_the_text() {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let mut app = first_lesson_app();
        update(&mut app, Msg::Lab(building()));
        app.steps[app.current].editor = crate::app::new_editor("kind: ServiceAccount");
        let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        let effects = update(&mut app, Msg::Key(ctrl_s));
        assert!(
            !effects.iter().any(|e| matches!(e, Effect::Engine(_))),
            "{effects:?}"
        );
        assert!(!app.applying, "no answer will come: not waiting for one");
        assert_eq!(app.notice.as_deref(), Some(NOT_SENT));
        assert_eq!(app.editor().lines(), ["kind: ServiceAccount"]);
        // Arriving at a step with setup objects is not "something sent".
        app.notice = None;
        let mut effects = vec![Effect::Engine(EngineCommand::SetupStep(3)), Effect::Save];
        hold_back(&mut app, &mut effects);
        assert!(matches!(effects[..], [Effect::Save]), "{effects:?}");
        assert_eq!(app.notice, None);
        // Once the lab is up, the same key sends it.
        update(&mut app, Msg::Lab(LabPhase::Ready));
        let effects = update(&mut app, Msg::Key(ctrl_s));
        assert!(
            effects.iter().any(|e| matches!(e, Effect::Engine(_))),
            "{effects:?}"
        );
    }

    #[test]
    fn a_failure_is_shown_whole_and_the_drafts_stay() {
        let mut app = first_lesson_app();
        app.steps[0].editor.insert_str("kind: ServiceAccount");
        update(&mut app, Msg::Lab(building()));
        let text = "lab build: error: kube-apiserver failed (the Go tool's output: /c/build.log)\n\
                    fix the cause and run `kubetutor lab build` again";
        let effects = update(&mut app, Msg::Lab(LabPhase::Failed(text.into())));
        assert!(effects.is_empty());
        assert!(!app.waiting_for_lab());
        let output = app.output.join("\n");
        assert!(output.ends_with(text), "{output}");
        assert!(matches!(app.connection, Connection::Unreachable(_)));
        assert_eq!(app.steps[0].editor.lines()[0], "kind: ServiceAccount");
        // The same failure again (a lesson switch replays it) is not repeated.
        update(&mut app, Msg::Lab(LabPhase::Failed(text.into())));
        assert_eq!(app.output.join("\n"), output);
    }
}
