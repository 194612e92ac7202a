//! How the learner moves through a lesson: reports from the engine, the
//! learner's acts, and what they make of each step (done, holds already,
//! regressed), which steps open, and what the footer says about it.

use super::{App, Effect, Pane, acts_log, editor};
use crate::engine::StepReport;
use crate::lesson::model::Act;

/// Stores a step's report: held at some point, regressed (done before,
/// failing now — not merely undecided, as during an outage).
pub fn record(app: &mut App, report: StepReport) {
    // A step a later step changes on purpose (`undoneBy`) is not broken.
    let expected_to_change = app.lesson.steps[report.index].undone_by.is_some();
    let state = &mut app.steps[report.index];
    state.passed |= report.passed();
    state.regressed = state.done && !report.passed() && !report.undecided() && !expected_to_change;
    state.report = Some(report);
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
        app.notice = Some(holds_already_notice(app, app.current).into());
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
    let was_failing = app.steps[index]
        .report
        .as_ref()
        .is_some_and(|r| !r.passed() && !r.undecided());
    let first_failure = report
        .outcomes
        .iter()
        .find(|(_, o)| !o.passed && !o.undecided)
        .map(|(_, o)| o.message.clone());
    let was_regressed = app.steps[index].regressed;
    // Its first report: the scopes it reads finished their first list after
    // the engine started. Nothing was seen happening; another step's
    // done-ness is taken as at start, without a notice over the current one.
    let first_elsewhere = app.steps[index].report.is_none() && index != app.current;
    // Failing, then holding, while the tutor watched: the learner built it
    // (from the editor, or with kubectl in another terminal).
    let built = was_failing && report.passed();
    let passed_now = report.passed();
    record(app, report);
    if index == app.current {
        after_apply(app, passed_now, first_failure.as_deref());
    }
    if built && app.lesson.steps[index].acts.contains(&Act::Apply) {
        app.steps[index].acts.applied = true;
    }
    if app.steps[index].regressed && !was_regressed {
        if let Some(why) = first_failure {
            app.notice = Some(format!("! Step {} no longer holds: {why}", index + 1).into());
        }
        return Vec::new();
    }
    if first_elsewhere {
        let kept = app.notice.take();
        let effects = advance(app, index);
        app.notice = kept;
        if app.notice.is_none() && app.holds_already(app.current) {
            app.notice = Some(holds_already_notice(app, app.current).into());
        }
        return effects;
    }
    advance(app, index)
}

/// The current step's checks changed. An apply error from before is stale
/// once the step holds (fixed from kubectl, say): it goes. A notice that
/// says an apply worked gets what is still missing, so an apply that changed
/// nothing visible still says something.
fn after_apply(app: &mut App, passed: bool, first_failure: Option<&str>) {
    if passed && app.apply_error.take().is_some() {
        editor::unmark_error_line(&mut app.steps[app.current].editor);
    }
    let applied = app
        .notice
        .as_ref()
        .and_then(|n| n.applied_names())
        .map(str::to_string);
    if let (Some(what), Some(why), false) = (applied, first_failure, passed) {
        app.notice = Some(format!("Applied {what}; still to do: {why}").into());
    }
}

/// The learner's apply from the editor succeeded while on the current step.
pub fn on_applied(app: &mut App) -> Vec<Effect> {
    let index = app.current;
    if app.lesson.steps[index].acts.contains(&Act::Apply) && !app.steps[index].acts.applied {
        app.steps[index].acts.applied = true;
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
        let acts = &mut app.steps[index].acts;
        let new = match entry.did {
            acts_log::Did::Applied => !std::mem::replace(&mut acts.applied, true),
            acts_log::Did::Ran => !std::mem::replace(&mut acts.ran, true),
            // Taken by `reset::on_acts_elsewhere` before they reach here.
            acts_log::Did::Reset | acts_log::Did::ResetKeepingDrafts => false,
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
    if app.steps[index].acts.ran {
        return Vec::new();
    }
    app.steps[index].acts.ran = true;
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
    if let Some(given) = app.steps[index].acts.answer
        && let Some(given_choice) = predict.choices.get(given)
    {
        app.notice = Some(
            format!(
                "You predicted {}: {}. Run it (r) to see.",
                given + 1,
                given_choice.answer
            )
            .into(),
        );
        return Vec::new();
    }
    let Some(picked) = predict.choices.get(choice) else {
        app.notice = Some(format!("Choose 1 to {}.", predict.choices.len()).into());
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
    app.notice = Some(if app.presenter {
        // The room discusses before the projector says who was right.
        format!(
            "The room's answer: {}. {} reveals whether it is right.",
            choice + 1,
            super::REVEAL_KEYS
        )
        .into()
    } else {
        format!("{verdict}: why is under the question.{next}").into()
    });
    app.steps[index].acts.answer = Some(choice);
    // The feedback is under the question, at the end of the text.
    app.scroll.lesson.to_end();
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
        let said: String = if index == last {
            match super::picker::next_lesson(app) {
                Some((_, title)) => format!(
                    "✓ Lesson complete. Well done! Next: {title} (m, then Choose a lesson: it is selected)."
                ),
                None => "✓ Lesson complete. Well done!".into(),
            }
        } else if index == app.current && !app.presenter && app.unlocked > index {
            // `n` in the editor would type an n: name the key that works here.
            let next = if app.focus == Pane::Editor {
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
        };
        app.notice = Some(said.into());
    } else if index == app.current && app.holds_already(index) && app.notice.is_none() {
        app.notice = Some(holds_already_notice(app, index).into());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Msg, failing, press, report, update};
    use crate::engine::actor::{EngineCommand, EngineUpdate};
    use crossterm::event::KeyCode;

    fn app() -> App {
        crate::app::first_lesson_app()
    }

    fn started_with_nothing_done(app: &mut App) {
        let reports = (0..app.lesson.steps.len())
            .map(|i| failing(app, i))
            .collect();
        update(app, Msg::Engine(EngineUpdate::Started(reports)));
    }

    #[test]
    fn a_step_answered_after_start_is_taken_as_at_start_not_as_built() {
        // The engine answers step 1 only when its scope's first list has
        // arrived, after `Started`: what holds then was not built just now,
        // and the learner is told it holds already, as at start.
        let mut app = app();
        let reports: Vec<_> = (1..app.lesson.steps.len())
            .map(|i| failing(&app, i))
            .collect();
        update(&mut app, Msg::Engine(EngineUpdate::Started(reports)));
        assert!(app.steps[0].report.is_none(), "not answered yet");
        assert!(app.notice.is_none());
        let holds = report(&app, 0, None);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![holds])));
        assert!(app.holds(0));
        assert!(!app.steps[0].done, "its question is not answered: not done");
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("Step 1 holds already")),
            "{:?}",
            app.notice
        );
    }

    #[test]
    fn another_steps_late_first_report_is_not_announced_over_the_current_notice() {
        let mut app = app();
        let reports: Vec<_> = (0..app.lesson.steps.len())
            .filter(|i| *i != 2)
            .map(|i| failing(&app, i))
            .collect();
        update(&mut app, Msg::Engine(EngineUpdate::Started(reports)));
        app.notice = Some("what the learner is reading".to_string().into());
        app.steps[2].acts = crate::app::acts::StepActs {
            applied: true,
            ran: true,
            answer: Some(0),
        };
        let holds = report(&app, 2, None);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![holds])));
        assert_eq!(
            app.notice.as_deref(),
            Some("what the learner is reading"),
            "a step seen as it was at start is not news"
        );
    }

    #[test]
    fn locked_steps_stay_locked_and_a_passing_step_unlocks_the_next() {
        let mut app = app();
        started_with_nothing_done(&mut app);
        assert_eq!(
            app.focus,
            Pane::Lesson,
            "step 1 asks for no YAML: the lesson text has the keys"
        );
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(app.current, 0);
        assert!(app.notice.as_deref().unwrap_or_default().contains("locked"));
        let passed = report(&app, 0, None);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![passed])));
        assert_eq!(
            app.unlocked, 0,
            "holding is not done: step 1 asks a question"
        );
        assert!(app.holds_already(0));
        press(&mut app, KeyCode::Char('1'));
        assert_eq!(app.unlocked, 1);
        assert!(
            app.notice
                .as_deref()
                .unwrap_or_default()
                .contains("Step 1 done. Press n"),
            "{:?}",
            app.notice
        );
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(app.current, 1);
    }

    /// Every act of steps `0..count` done, as a learner who got that far.
    fn acted_through(app: &mut App, count: usize) {
        for index in 0..count {
            let step = &app.lesson.steps[index];
            app.steps[index].acts = crate::app::StepActs {
                applied: true,
                ran: true,
                answer: step.predict.as_ref().and_then(|p| p.correct()),
            };
        }
    }

    #[test]
    fn the_done_notice_names_the_key_that_works_where_the_focus_is() {
        let mut app = app();
        started_with_nothing_done(&mut app);
        acted_through(&mut app, 6);
        let done: Vec<StepReport> = (0..6).map(|i| report(&app, i, None)).collect();
        update(&mut app, Msg::Engine(EngineUpdate::Steps(done)));
        assert_eq!(app.unlocked, 6);
        app.current = 6;
        app.focus = Pane::Editor;
        let holds = report(&app, 6, None);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![holds])));
        assert_eq!(
            app.notice.as_deref(),
            Some("✓ Step 7 done. Press Ctrl-N for the next step.")
        );
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(app.current, 6, "n in the editor types an n");
    }

    #[test]
    fn a_fresh_namespace_shows_nothing_done_and_what_holds_already_waits_for_the_learner() {
        let mut app = app();
        // Steps 1–3 hold on any cluster (the Service, the default account, a token).
        let mut reports: Vec<StepReport> = (0..app.lesson.steps.len())
            .map(|i| failing(&app, i))
            .collect();
        for (index, report_) in reports.iter_mut().enumerate().take(3) {
            *report_ = report(&app, index, None);
        }
        update(&mut app, Msg::Engine(EngineUpdate::Started(reports)));
        assert_eq!(app.done_count(), 0);
        assert_eq!(app.unlocked, 0);
        assert!((0..3).all(|i| app.holds_already(i)));
        assert!(
            app.notice
                .as_deref()
                .unwrap_or_default()
                .contains("Step 1 holds already: it counts once you answer the question"),
            "{:?}",
            app.notice
        );
    }

    #[test]
    fn a_wrong_prediction_gets_its_feedback_and_the_learner_still_runs_the_call() {
        let mut app = app();
        started_with_nothing_done(&mut app);
        acted_through(&mut app, 4);
        app.unlocked = 4;
        app.current = 4; // the anonymous call
        let effects = press(&mut app, KeyCode::Char('r'));
        assert!(effects.is_empty(), "no run before the prediction");
        assert!(
            app.notice
                .as_deref()
                .unwrap_or_default()
                .contains("First predict")
        );
        press(&mut app, KeyCode::Char('1')); // "200 OK": wrong
        assert_eq!(app.steps[4].acts.answer, Some(0));
        assert!(
            app.notice
                .as_deref()
                .unwrap_or_default()
                .starts_with("✗ Not quite")
        );
        let effects = press(&mut app, KeyCode::Char('r'));
        assert!(
            matches!(
                effects.as_slice(),
                [Effect::Engine(EngineCommand::RunAction(4))]
            ),
            "{effects:?}"
        );
        let holds = report(&app, 4, None);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![holds])));
        assert!(
            !app.steps[4].done,
            "the checks hold, but the learner has not seen the answer"
        );
        let output = crate::engine::ActionOutput {
            title: "GET /api/v1".into(),
            lines: vec!["403 Forbidden".into()],
            step: Some(4),
        };
        update(&mut app, Msg::Engine(EngineUpdate::Action(output)));
        assert!(app.steps[4].done && app.unlocked == 5);
    }

    #[test]
    fn applying_counts_from_the_editor_and_from_kubectl_but_not_what_was_there_before() {
        let mut app = app();
        let mut reports: Vec<StepReport> = (0..app.lesson.steps.len())
            .map(|i| failing(&app, i))
            .collect();
        reports[6] = report(&app, 6, None); // demo-sa existed before the tutor started
        update(&mut app, Msg::Engine(EngineUpdate::Started(reports)));
        assert!(app.holds_already(6));
        // Re-applied from the editor on that step: now the learner made it.
        app.current = 6;
        let applied = Ok(Vec::new());
        update(&mut app, Msg::Engine(EngineUpdate::Applied(applied)));
        assert!(app.steps[6].done);
        // Step 8's Role, made with kubectl elsewhere: failing, then holding.
        let role = report(&app, 7, None);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![role])));
        assert!(app.steps[7].done, "seen changing while the tutor watched");
    }

    #[test]
    fn a_step_done_ahead_is_marked_at_once_and_counted_when_its_turn_comes() {
        let mut app = app();
        started_with_nothing_done(&mut app);
        // The RoleBinding, applied with kubectl while the learner reads step 1.
        let ahead = report(&app, 8, None);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![ahead])));
        assert!(app.steps[8].done, "step 9 is marked done");
        assert_eq!(app.unlocked, 0, "but it unlocks nothing yet");
        assert!(
            app.notice
                .as_deref()
                .unwrap_or_default()
                .contains("Step 9 (Bind the Role to demo-sa) is done"),
            "{:?}",
            app.notice
        );
        // Steps 1–8 done: the unlock runs past 9, which already holds.
        acted_through(&mut app, 8);
        let done: Vec<StepReport> = (0..8).map(|i| report(&app, i, None)).collect();
        update(&mut app, Msg::Engine(EngineUpdate::Steps(done)));
        assert_eq!(app.unlocked, 9);
    }

    #[test]
    fn a_done_step_that_breaks_is_regressed_and_said_so_but_an_outage_is_not() {
        let mut app = app();
        started_with_nothing_done(&mut app);
        let done = report(&app, 6, None); // demo-sa, applied while the tutor watched
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![done])));
        let unreachable = report(
            &app,
            6,
            Some(crate::checks::Outcome::undecided("could not reach")),
        );
        update(
            &mut app,
            Msg::Engine(EngineUpdate::Steps(vec![unreachable])),
        );
        assert!(
            !app.steps[6].regressed,
            "an undecided check is no regression"
        );
        let broken = failing(&app, 6);
        update(&mut app, Msg::Engine(EngineUpdate::Steps(vec![broken])));
        assert!(app.steps[6].regressed);
        assert_eq!(
            app.notice.as_deref(),
            Some("! Step 7 no longer holds: RoleBinding list-pods_demo-sa is gone")
        );
    }

    #[test]
    fn a_step_that_cannot_be_decided_does_not_block_the_lesson() {
        let mut app = app();
        let mut reports: Vec<StepReport> = (0..app.lesson.steps.len())
            .map(|i| failing(&app, i))
            .collect();
        reports[0] = report(
            &app,
            0,
            Some(crate::checks::Outcome::undecided(
                "you may not get Service kubernetes in default",
            )),
        );
        update(&mut app, Msg::Engine(EngineUpdate::Started(reports)));
        assert!(app.undecided(0) && !app.steps[0].passed);
        assert_eq!(
            app.unlocked, 0,
            "the question is still the learner's to answer"
        );
        press(&mut app, KeyCode::Char('2'));
        assert_eq!(
            app.unlocked, 1,
            "answered: the undecided step opens the next"
        );
    }
}
