//! How the learner moves through a lesson: reports from the engine, the
//! learner's acts, and what they make of each step (done, holds already,
//! regressed), which steps open, and what the footer says about it.

use super::{App, Effect, acts_log};
use crate::engine::StepReport;
use crate::lesson::model::Act;

/// Stores a step's report: held at some point, regressed (done before,
/// failing now — not merely undecided, as during an outage).
pub fn record(app: &mut App, report: StepReport) {
    let index = report.index;
    app.passed[index] |= report.passed();
    app.regressed[index] = app.done[index] && !report.passed() && !report.undecided();
    app.reports[index] = Some(report);
}

/// The engine's first reports: what holds, and which steps the saved acts
/// already make done. Steps open up to the first that needs the learner.
pub fn on_started(app: &mut App, reports: Vec<StepReport>) -> Vec<Effect> {
    for report in reports {
        record(app, report);
    }
    for index in 0..app.lesson.steps.len() {
        app.settle_done(index);
    }
    let first_open = (0..app.lesson.steps.len())
        .find(|i| !app.passable(*i))
        .unwrap_or(app.lesson.steps.len() - 1);
    app.unlocked = app.unlocked.max(first_open);
    if app.holds_already(app.current) {
        app.notice = Some(holds_already_notice(app, app.current));
    }
    let mut effects = vec![Effect::Save];
    // The step the learner is on may have objects to fix (a restart, or step 1).
    if !app.step().setup.is_empty() {
        effects.push(Effect::Engine(
            crate::engine::actor::EngineCommand::SetupStep(app.current),
        ));
    }
    effects
}

/// A step's report changed, whichever step it is.
pub fn on_step_report(app: &mut App, report: StepReport) -> Vec<Effect> {
    let index = report.index;
    let was_failing = app.reports[index]
        .as_ref()
        .is_some_and(|r| !r.passed() && !r.undecided());
    let first_failure = report
        .outcomes
        .iter()
        .find(|(_, o)| !o.passed && !o.undecided)
        .map(|(_, o)| o.message.clone());
    let was_regressed = app.regressed[index];
    // Failing, then holding, while the tutor watched: the learner built it
    // (from the editor, or with kubectl in another terminal).
    let built = was_failing && report.passed();
    let passed_now = report.passed();
    record(app, report);
    if index == app.current {
        after_apply(app, passed_now, first_failure.as_deref());
    }
    if built && app.lesson.steps[index].acts.contains(&Act::Apply) {
        app.acts[index].applied = true;
    }
    if app.regressed[index] && !was_regressed {
        if let Some(why) = first_failure {
            app.notice = Some(format!("! Step {} no longer holds: {why}", index + 1));
        }
        return Vec::new();
    }
    advance(app, index)
}

/// The current step's checks changed. An apply error from before is stale
/// once the step holds (fixed from kubectl, say): it goes. A notice that
/// says an apply worked gets what is still missing, so an apply that changed
/// nothing visible still says something.
fn after_apply(app: &mut App, passed: bool, first_failure: Option<&str>) {
    if passed && app.apply_error.take().is_some() {
        let current = app.current;
        app.editors[current].set_cursor_line_style(ratatui::style::Style::default());
    }
    let applied = app
        .notice
        .as_deref()
        .and_then(|n| n.strip_prefix(super::update::APPLIED))
        .map(|rest| rest.trim_end_matches('.').to_string());
    if let (Some(what), Some(why), false) = (applied, first_failure, passed) {
        app.notice = Some(format!("Applied{what}; still to do: {why}"));
    }
}

/// The learner's apply from the editor succeeded while on the current step.
pub fn on_applied(app: &mut App) -> Vec<Effect> {
    let index = app.current;
    if app.lesson.steps[index].acts.contains(&Act::Apply) && !app.acts[index].applied {
        app.acts[index].applied = true;
        let mut effects = advance(app, index);
        effects.push(Effect::Save);
        return effects;
    }
    Vec::new()
}

/// Acts done with `kubetutor call`, `token` or `solve` in another terminal.
pub fn on_acts_elsewhere(app: &mut App, entries: Vec<acts_log::Entry>) -> Vec<Effect> {
    let mut effects = Vec::new();
    for entry in entries {
        let Some(index) = app.lesson.step_index(&entry.step) else {
            continue;
        };
        let acts = &mut app.acts[index];
        let new = match entry.did {
            acts_log::Did::Applied => !std::mem::replace(&mut acts.applied, true),
            acts_log::Did::Ran => !std::mem::replace(&mut acts.ran, true),
        };
        if new {
            effects.extend(advance(app, index));
            effects.push(Effect::Save);
        }
    }
    effects
}

/// One of step `index`'s actions ran and its answer is on screen.
pub fn on_ran(app: &mut App, index: usize) -> Vec<Effect> {
    if app.acts[index].ran {
        return Vec::new();
    }
    app.acts[index].ran = true;
    let mut effects = advance(app, index);
    effects.push(Effect::Save);
    effects
}

/// The learner picked choice `choice` (0-based) of the current step's prediction.
pub fn on_answer(app: &mut App, choice: usize) -> Vec<Effect> {
    let index = app.current;
    let Some(predict) = &app.lesson.steps[index].predict else {
        return Vec::new();
    };
    if let Some(given) = app.acts[index].answer {
        app.notice = Some(format!(
            "You predicted {}: {}. Run it (r) to see.",
            given + 1,
            predict.choices[given].answer
        ));
        return Vec::new();
    }
    let Some(picked) = predict.choices.get(choice) else {
        app.notice = Some(format!("Choose 1 to {}.", predict.choices.len()));
        return Vec::new();
    };
    let verdict = if picked.correct {
        "✓ Right"
    } else {
        "✗ Not quite"
    };
    let next = if app.lesson.steps[index].actions.is_empty() {
        ""
    } else {
        " Now run it (r) and see."
    };
    app.notice = Some(format!("{verdict}: why is under the question.{next}"));
    app.acts[index].answer = Some(choice);
    // The feedback is under the question, at the end of the text.
    app.lesson_scroll = super::LESSON_END;
    let mut effects = advance(app, index);
    effects.push(Effect::Save);
    effects
}

/// Step `index` may have become done: mark it, open what it opens, and say so.
fn advance(app: &mut App, index: usize) -> Vec<Effect> {
    let unlocked_before = app.unlocked;
    let became_done = app.settle_done(index);
    let last = app.lesson.steps.len() - 1;
    // Each step in reach that is done (or cannot be decided, its acts done)
    // opens the next, so work done ahead counts at once.
    while app.unlocked < last && app.passable(app.unlocked) {
        app.unlocked += 1;
    }
    let step = index + 1;
    if became_done {
        app.notice = Some(if index == last {
            "✓ Lesson complete. Well done!".into()
        } else if index == app.current && !app.presenter && app.unlocked > index {
            // `n` in the editor would type an n: name the key that works here.
            let next = if app.focus == super::Pane::Editor {
                "Ctrl-N"
            } else {
                "n"
            };
            format!("✓ Step {step} done. Press {next} for the next step.")
        } else if index == app.current {
            format!("✓ Step {step} done.")
        } else {
            format!(
                "✓ Step {step} ({}) is done: seen in the cluster.",
                app.lesson.steps[index].title
            )
        });
    } else if index == app.current && app.holds_already(index) && app.notice.is_none() {
        app.notice = Some(holds_already_notice(app, index));
    }
    if app.unlocked != unlocked_before {
        vec![Effect::Save]
    } else {
        Vec::new()
    }
}

/// "Step N holds already: it counts once you …".
pub fn holds_already_notice(app: &App, index: usize) -> String {
    format!(
        "Step {} holds already: it counts once you {}.",
        index + 1,
        app.acts_missing(index).join(", then ")
    )
}
