//! The reset dialog (menu → Reset): asking the engine what the lesson made,
//! confirming, following the deletions, and starting the lesson over from
//! the step the reset began at.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Effect, Overlay, keys, nav, new_editor, quit};
use crate::cluster::reset::ResetEvent;
use crate::engine::actor::EngineCommand;

/// Where a reset started from the menu stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetView {
    /// Asking the cluster what the lesson made.
    Planning { from: usize },
    /// Showing what will be deleted (and what is kept: named by the lesson,
    /// not made by kubetutor); waiting for the learner's answer.
    Confirm {
        from: usize,
        objects: Vec<String>,
        kept: Vec<String>,
    },
    /// Deleting: `gone` of `objects`; `lines` says what happens.
    Running {
        from: usize,
        objects: Vec<String>,
        gone: usize,
        keep_drafts: bool,
        lines: Vec<String>,
    },
    /// Finished with objects left (named in `lines`), or could not start.
    Failed { lines: Vec<String> },
}

/// Opens the dialog and asks the engine what a reset from step `from` deletes.
pub fn plan(app: &mut App, from: usize) -> Vec<Effect> {
    app.overlays
        .open(Overlay::Reset(ResetView::Planning { from }));
    vec![Effect::Engine(EngineCommand::PlanReset(from))]
}

/// A key while the dialog is on top.
pub fn on_key(app: &mut App, key: KeyEvent, view: ResetView) -> Vec<Effect> {
    match (view, key.code) {
        (ResetView::Confirm { from, objects, .. }, KeyCode::Enter | KeyCode::Char('k')) => {
            let keep_drafts = key.code == KeyCode::Char('k');
            app.overlays.replace_top(Overlay::Reset(ResetView::Running {
                from,
                objects,
                gone: 0,
                keep_drafts,
                lines: Vec::new(),
            }));
            app.quit_asked = false;
            vec![Effect::Engine(EngineCommand::ExecuteReset)]
        }
        (
            ResetView::Confirm { .. } | ResetView::Planning { .. } | ResetView::Failed { .. },
            KeyCode::Esc,
        ) => {
            app.overlays.close();
            Vec::new()
        }
        (ResetView::Failed { .. }, KeyCode::Enter) => {
            app.overlays.close();
            Vec::new()
        }
        // Ctrl-C asks first: a reset stopped halfway leaves objects behind.
        (ResetView::Running { .. }, _) if keys::is_ctrl(&key, 'c') => quit::asking(app),
        _ => Vec::new(), // a running reset is not interrupted by other keys
    }
}

/// The engine's plan: what will be deleted, or why nothing can be.
pub fn on_plan(app: &mut App, plan: Result<(Vec<String>, Vec<String>), String>) -> Vec<Effect> {
    if let Some(view) = app.overlays.reset_mut()
        && let ResetView::Planning { from } = *view
    {
        *view = match plan {
            Ok((objects, kept)) => ResetView::Confirm {
                from,
                objects,
                kept,
            },
            Err(message) => ResetView::Failed {
                lines: vec![message],
            },
        };
    }
    Vec::new()
}

/// One deletion moved on.
pub fn on_progress(app: &mut App, event: ResetEvent) -> Vec<Effect> {
    if let Some(ResetView::Running { gone, lines, .. }) = app.overlays.reset_mut() {
        match event {
            ResetEvent::Deleting(object) => lines.push(format!("deleting {object} …")),
            ResetEvent::Gone { object, .. } => {
                *gone += 1;
                lines.push(format!("✓ {object} is gone"));
            }
            ResetEvent::HeldBy { object, finalizers } => lines.push(format!(
                "{object} is held by finalizers {}: waiting …",
                finalizers.join(", ")
            )),
            ResetEvent::Restored(what) => lines.push(format!("✓ {what}")),
        }
    }
    Vec::new()
}

/// The deletions ended: the lesson starts over, or the dialog says what is left.
pub fn on_done(app: &mut App, result: Result<(), Vec<String>>) -> Vec<Effect> {
    let Some(ResetView::Running {
        from, keep_drafts, ..
    }) = app.overlays.reset().cloned()
    else {
        return Vec::new();
    };
    match result {
        Ok(()) => {
            app.overlays.close_reset();
            restart_from(app, from, keep_drafts);
            vec![Effect::ClearActsLog, Effect::Save]
        }
        Err(mut failures) => {
            failures.push("Progress was not reset. Fix the above and reset again.".into());
            if let Some(view) = app.overlays.reset_mut() {
                *view = ResetView::Failed { lines: failures };
            }
            Vec::new()
        }
    }
}

/// Acts from other terminals, in order: a `kubetutor reset` starts over
/// here, the rest count as acts (`progress`).
pub fn on_acts_elsewhere(app: &mut App, entries: Vec<super::acts_log::Entry>) -> Vec<Effect> {
    use super::acts_log::Did;
    let mut effects = Vec::new();
    for entry in entries {
        let keep_drafts = match entry.did {
            Did::Reset => false,
            Did::ResetKeepingDrafts => true,
            Did::Applied | Did::Ran => {
                effects.extend(super::progress::on_acts_elsewhere(app, vec![entry]));
                continue;
            }
        };
        if let Some(index) = app.lesson.step_index(&entry.step) {
            restarted_elsewhere(app, index, keep_drafts);
            effects.extend([Effect::ClearActsLog, Effect::Save]);
        }
    }
    effects
}

/// `kubetutor reset` in another terminal deleted the objects: progress goes
/// back as after a reset from the menu. The engine's reports stay (it sends
/// only what changes, and it saw the deletions through its watches).
fn restarted_elsewhere(app: &mut App, from: usize, keep_drafts: bool) {
    let reports: Vec<_> = app.steps.iter().map(|s| s.report.clone()).collect();
    restart_from(app, from, keep_drafts);
    for (state, report) in app.steps.iter_mut().zip(reports) {
        state.report = report;
    }
    let said = app.notice.take().map(|n| n.to_string()).unwrap_or_default();
    app.tell_lasting(format!("`kubetutor reset` ran in another terminal. {said}"));
}

/// After a reset from step `from`: that step is current, the ones after it are
/// locked and not done, and their editors hold the templates again (unless kept).
fn restart_from(app: &mut App, from: usize, keep_drafts: bool) {
    // An apply error (and F8's offer) was about objects that are gone now.
    app.apply_error = None;
    app.current = from;
    app.steps_cursor = from;
    app.unlocked = from;
    for index in from..app.lesson.steps.len() {
        let state = &mut app.steps[index];
        // The engine sends every step's report again once the deletions are in.
        state.report = None;
        state.passed = false;
        state.done = false;
        state.regressed = false;
        // Starting over: the learner builds, runs and answers again.
        state.acts = Default::default();
        if !keep_drafts {
            let template = app.lesson.steps[index].template.as_deref();
            state.editor = new_editor(template.unwrap_or_default());
        }
    }
    let drafts = if keep_drafts {
        "drafts kept"
    } else {
        "editors back to their templates"
    };
    app.notice = Some(format!("✓ Reset done: back to step {}, {drafts}.", from + 1).into());
    nav::keep_focus_on_arrival(app);
}
