//! What the learner does to the cluster from the tutor — apply the editor
//! (Ctrl-S), run the step's action (r), open a shell (s), solve the step or
//! reveal its token (menu) — and the engine's answers to them.

use super::{App, Effect, Notice, Pane, editor, new_editor, progress};
use crate::cluster::apply::{Applied, ApplyError};
use crate::engine::ActionOutput;
use crate::engine::actor::EngineCommand;
use crate::lesson::model::{Action, Caller, Check};

/// Ctrl-S / F5: the editor's YAML to the cluster.
pub fn apply(app: &mut App) -> Vec<Effect> {
    let text = app.editor().lines().join("\n");
    if text.trim().is_empty() {
        app.notice = Some("The editor is empty: nothing to apply.".into());
        return Vec::new();
    }
    app.notice = None;
    app.applying = true;
    app.quit_asked = false;
    vec![Effect::Engine(EngineCommand::Apply(text))]
}

/// The apply's answer: what was applied, or where the YAML is wrong.
pub fn on_applied(app: &mut App, result: Result<Vec<Applied>, ApplyError>) -> Vec<Effect> {
    app.applying = false;
    app.scroll.output.to(app.output.len() as u16);
    match result {
        Ok(applied) => {
            let names: Vec<String> = applied.iter().map(ToString::to_string).collect();
            app.output.push(format!("applied {}", names.join(", ")));
            // Said where every layout shows it; the step's checks may still
            // fail, which the next report adds.
            // The step's report until the engine's next one: when that does
            // not change (the apply changed nothing the checks read), what
            // it says still stands.
            let still = app.steps[app.current].report.as_ref().and_then(|r| {
                r.outcomes
                    .iter()
                    .find(|(_, o)| !o.passed && !o.undecided)
                    .map(|(_, o)| o.message.clone())
            });
            app.notice = Some(match still {
                Some(still) => Notice::applied_but(names.join(", "), &still),
                None => Notice::applied(names.join(", ")),
            });
            app.apply_error = None;
            editor::unmark_error_line(&mut app.steps[app.current].editor);
            progress::on_applied(app)
        }
        Err(err) => {
            app.output.push(format!("apply failed: {err}"));
            app.output_unseen = app.focus != Pane::Output;
            if let Some(line) = err.line() {
                editor::mark_error_line(app, line, err.column());
            }
            app.apply_error = Some(err);
            Vec::new()
        }
    }
}

/// r / F6: the step's action, once its prediction (if any) is answered.
pub fn run(app: &mut App) -> Vec<Effect> {
    if app.step().actions.is_empty() {
        app.notice = Some("This step has no action to run.".into());
        return Vec::new();
    }
    if let Some(predict) = &app.step().predict
        && app.steps[app.current].acts.answer.is_none()
    {
        app.notice = Some(
            format!(
                "First predict what it will answer: press 1 to {} (the question is under the text).",
                predict.choices.len()
            )
            .into(),
        );
        app.focus = Pane::Lesson;
        return Vec::new();
    }
    if let Some(super::Holdback::Unrevealed { .. }) = app.holdback() {
        // Its answer would tell the room who was right.
        app.notice = Some(format!("First reveal the answer ({}).", super::REVEAL_KEYS).into());
        return Vec::new();
    }
    show_output(app);
    // Said before it runs: a lesson's action is bounded, and the learner may
    // go on meanwhile.
    app.notice = Some(
        format!(
            "Running… its answer comes to Output (it gives up after {} s).",
            crate::cluster::bounded::TIME_LIMIT.as_secs()
        )
        .into(),
    );
    vec![Effect::Engine(EngineCommand::RunAction(app.current))]
}

/// An action answered: its lines end the Output pane.
pub fn on_output(app: &mut App, output: ActionOutput) -> Vec<Effect> {
    // The newest result starts at the top of the pane; scroll down for the rest.
    app.scroll.output.to(app.output.len() as u16);
    app.output.push(format!("── {} ──", output.title));
    app.output_unseen = app.focus != Pane::Output;
    app.output.extend(output.lines);
    app.last_action_step = output.step;
    match output.step {
        Some(index) => progress::on_ran(app, index),
        None => Vec::new(),
    }
}

/// An action's answer is coming: it goes to the Output pane without taking
/// the focus (the focus moves only when the learner moves it); as tabs, the
/// Output tab is marked until it is looked at. Presenter mode shows the
/// answer under the lesson.
fn show_output(app: &mut App) {
    app.output_unseen = app.focus != Pane::Output;
    app.scroll.output.to_end();
}

/// s / F7: a shell with the view of the step's Pod.
pub fn shell(app: &mut App) -> Vec<Effect> {
    match shell_pod(app) {
        Some(pod) => vec![Effect::Save, Effect::Shell(pod)],
        None => {
            app.notice = Some(
                format!(
                    "No Pod in {} to open a shell in: create one first.",
                    app.lesson.namespace
                )
                .into(),
            );
            Vec::new()
        }
    }
}

/// The pod a shell opens in: the one the step calls from, else the first Pod
/// of the namespace.
fn shell_pod(app: &App) -> Option<String> {
    let step = app.step();
    let from_action = step.actions.iter().find_map(|a| match a {
        Action::Request(r) => Some(&r.caller),
        _ => None,
    });
    let from_checks = step.checks.iter().find_map(|c| match c {
        Check::Request(r) => Some(&r.caller),
        _ => None,
    });
    if let Some(Caller::Pod(name)) = from_action.or(from_checks) {
        return Some(name.clone());
    }
    app.cluster_view.first_of("Pod").map(str::to_string)
}

/// Menu → Solve: the solution into the editor and applied, the action run.
pub fn solve(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    if let Some(solution) = app.step().solution.clone() {
        app.steps[app.current].editor = new_editor(&solution);
        effects.push(Effect::Engine(EngineCommand::Apply(solution)));
    }
    if !app.step().actions.is_empty() {
        effects.push(Effect::Engine(EngineCommand::RunAction(app.current)));
    }
    if effects.is_empty() {
        app.notice = Some("This step has nothing to solve: read on.".into());
    }
    effects
}

/// Menu → Show the token: the step's token in full, in the Output pane.
pub fn reveal_token(app: &mut App) -> Vec<Effect> {
    let token = app.step().actions.iter().find_map(|a| match a {
        Action::Token(t) => Some(t.clone()),
        _ => None,
    });
    match token {
        Some(t) => {
            show_output(app);
            vec![Effect::Engine(EngineCommand::RevealToken(
                t.service_account,
            ))]
        }
        None => {
            app.notice = Some("This step creates no token (step 3 does).".into());
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::YamlError;

    #[test]
    fn an_apply_that_leaves_the_step_failing_is_not_a_success() {
        let mut app = crate::app::first_lesson_app();
        let failing = crate::checks::Outcome::fail("No Role in lab allows list pods yet");
        let report = crate::app::report(&app, 0, Some(failing));
        app.steps[0].report = Some(report);
        let applied = vec![Applied {
            kind: "Role".into(),
            name: "list-pods".into(),
            namespace: "lab".into(),
        }];
        on_applied(&mut app, Ok(applied.clone()));
        let said = app.notice.as_deref().unwrap().to_string();
        assert_eq!(
            said,
            "Applied Role list-pods; still to do: No Role in lab allows list pods yet"
        );
        assert!(!said.starts_with('✓'));

        app.steps[0].report = Some(crate::app::report(&app, 0, None));
        on_applied(&mut app, Ok(applied));
        assert_eq!(app.notice.as_deref(), Some("✓ Applied Role list-pods."));
    }

    #[test]
    fn an_apply_error_puts_the_cursor_where_the_message_points() {
        let mut app = crate::app::first_lesson_app();
        let yaml_step = app
            .lesson
            .steps
            .iter()
            .position(|s| s.template.is_some())
            .unwrap();
        app.current = yaml_step;
        let err = ApplyError::Yaml(YamlError {
            line: 2,
            column: 7,
            message: "`image:nginx:1.27` needs a space after the first colon".into(),
        });
        on_applied(&mut app, Err(err));
        assert_eq!(app.editor().cursor(), (1, 6), "row and column, 0-based");

        // An error past the end of a short line stops at its end.
        let short = app.editor().lines()[0].chars().count();
        let err = ApplyError::Invalid {
            line: 1,
            column: 500,
            message: "x".into(),
        };
        on_applied(&mut app, Err(err));
        assert_eq!(app.editor().cursor(), (0, short));
    }
}
