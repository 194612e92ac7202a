//! What the current step's checks say, for the Checks pane and for the
//! presenter's feedback area: what the learner still has to do, one line per
//! distinct check message (two checks failing for one reason say it once),
//! and hints when asked for.

use ratatui::text::{Line, Span};

use crate::app::App;
use crate::theme;

pub fn lines(app: &App) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if app.holds_already(app.current) {
        lines.push(Line::from(Span::styled(
            format!(
                "◇ Holds already — counts once you {}.",
                app.acts_missing(app.current).join(", then ")
            ),
            theme::warn(),
        )));
    } else if !app.steps[app.current].done && app.report().is_some_and(|r| !r.passed()) {
        let missing = app.acts_missing(app.current);
        if !missing.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("To do: {}.", missing.join(", then ")),
                theme::strong(),
            )));
        }
    }
    if let Some(holdback) = app.holdback() {
        // What the checks say (even that they pass or fail) would answer the
        // question: each is named only by what it looks at.
        let count = app.step().checks.len();
        let what = if count == 1 {
            "its check".to_string()
        } else {
            format!("its {count} checks")
        };
        lines.push(Line::from(Span::styled(
            holdback.says(&what),
            theme::strong(),
        )));
        return lines;
    }
    match app.report() {
        None if app.waiting_for_lab() && !app.step().checks.is_empty() => lines.push(Line::from(
            Span::styled(crate::app::LAB_WAITING, theme::dim()),
        )),
        None => lines.push(Line::from(Span::styled("checking…", theme::dim()))),
        Some(report) if report.outcomes.is_empty() => lines.push(Line::from(Span::styled(
            "✓ Nothing to check: read on.",
            theme::pass(),
        ))),
        Some(report) => {
            let mut said: Vec<&str> = Vec::new();
            for (check, outcome) in &report.outcomes {
                let hint = (!outcome.passed && app.show_hints)
                    .then(|| check.hint())
                    .flatten();
                if said.contains(&outcome.message.as_str()) && hint.is_none() {
                    continue;
                }
                if !said.contains(&outcome.message.as_str()) {
                    said.push(&outcome.message);
                    lines.push(Line::from(vec![
                        Span::styled(
                            format!("{} ", outcome.mark()),
                            super::outcome_style(outcome),
                        ),
                        Span::raw(outcome.message.clone()),
                    ]));
                }
                if let Some(hint) = hint {
                    lines.push(Line::from(Span::styled(
                        format!("  hint: {hint}"),
                        theme::warn(),
                    )));
                }
            }
            if !report.passed()
                && !app.show_hints
                && report
                    .outcomes
                    .iter()
                    .any(|(c, o)| !o.passed && c.hint().is_some())
            {
                lines.push(Line::from(Span::styled("(h: show hints)", theme::dim())));
            }
            if !report.passed() && app.lab_partly_up() {
                lines.push(Line::from(Span::styled(
                    crate::app::LAB_PARTLY_UP,
                    theme::dim(),
                )));
            }
        }
    }
    lines
}

/// The answer of the current step's action, when it ran last: its title
/// line and what follows in the Output pane, for the presenter, who shows no
/// Output pane. Another step's answer is not shown as this one's.
pub fn last_action(app: &App) -> &[String] {
    if app.last_action_step != Some(app.current) || app.holdback().is_some() {
        return &[];
    }
    let start = app
        .output
        .iter()
        .rposition(|line| line.starts_with("── "))
        .unwrap_or(app.output.len());
    &app.output[start..]
}
