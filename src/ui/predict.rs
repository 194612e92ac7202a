//! The prediction under a step's text: the question, its numbered choices,
//! and once the learner has answered, their pick, the right one, and why.

use ratatui::text::{Line, Span};

use super::{markdown, theme};
use crate::app::App;
use crate::lesson::model::Prediction;

/// Where a step's text stops until the learner has answered its prediction
/// (or, in a step without one, asked for hints with `h`): what follows gives
/// the answer away.
pub const REVEAL_MARK: &str = "<!-- reveal -->";

/// The text shown now: up to the reveal mark until the learner has
/// answered (or asked), then all of it.
pub fn visible_text(text: &str, revealed: bool) -> (&str, bool) {
    match text.split_once(REVEAL_MARK) {
        Some((before, _)) if !revealed => (before, true),
        _ => (text, false),
    }
}

/// Paints the step's text in `area`, scrolled as the learner asked (or to the
/// end after an answer, where the feedback is), and notes how far it can scroll.
pub fn draw_text(
    frame: &mut ratatui::Frame,
    app: &App,
    block: ratatui::widgets::Block<'static>,
    area: ratatui::layout::Rect,
) {
    use ratatui::widgets::{Paragraph, Wrap};
    let inner = block.inner(area);
    let text = step_text(app, inner.width as usize);
    let rows = Paragraph::new(text.clone())
        .wrap(Wrap { trim: false })
        .line_count(inner.width) as u16;
    let end = rows.saturating_sub(inner.height);
    app.lesson_end.set(end);
    let scroll = app.lesson_scroll.min(end);
    let mut block = block;
    if scroll < end {
        block = block.title_bottom(Span::styled(
            format!(" ↓ {} more lines (j, PgDn) ", end - scroll),
            theme::strong(),
        ));
    }
    let paragraph = Paragraph::new(text)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    frame.render_widget(paragraph, area);
}

/// The current step's text, with its prediction under it.
pub fn step_text(app: &App, width: usize) -> Vec<Line<'static>> {
    let step = app.step();
    let answered = app.acts[app.current].answer.is_some();
    let revealed = if step.predict.is_some() {
        answered
    } else {
        app.show_hints || app.done[app.current]
    };
    let (shown, held_back) = visible_text(&step.text, revealed);
    let mut text = markdown::render_to_width(&shown.replace(REVEAL_MARK, ""), width);
    if held_back && step.predict.is_none() {
        text.push(Line::from(Span::styled(
            "(stuck? h shows hints and a worked answer)",
            theme::dim(),
        )));
    }
    if let Some(predict) = &step.predict {
        text.extend(lines(
            predict,
            app.acts[app.current].answer,
            !step.actions.is_empty(),
        ));
    }
    text
}

/// Lines to append to the lesson text. `answer` is the learner's pick.
pub fn lines(predict: &Prediction, answer: Option<usize>, can_run: bool) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::default(),
        Line::from(Span::styled(
            format!("Predict: {}", predict.question),
            theme::heading(),
        )),
    ];
    for (i, choice) in predict.choices.iter().enumerate() {
        let mark = match answer {
            None => " ",
            Some(_) if choice.correct => "✓",
            Some(given) if given == i => "✗",
            Some(_) => " ",
        };
        let style = match answer {
            Some(_) if choice.correct => theme::pass(),
            Some(given) if given == i => theme::fail(),
            _ => theme::strong(),
        };
        lines.push(Line::from(Span::styled(
            format!("{mark} {}  {}", i + 1, choice.answer),
            style,
        )));
    }
    match answer {
        None => lines.push(Line::from(Span::styled(
            format!("Press 1 to {} to answer.", predict.choices.len()),
            theme::dim(),
        ))),
        Some(given) => {
            let picked = &predict.choices[given];
            lines.push(Line::default());
            lines.push(Line::from(vec![
                Span::styled(
                    if picked.correct {
                        "Right. "
                    } else {
                        "Not quite. "
                    },
                    theme::strong(),
                ),
                Span::raw(picked.feedback.clone()),
            ]));
            if !picked.correct
                && let Some(right) = predict.correct()
            {
                lines.push(Line::from(Span::raw(
                    predict.choices[right].feedback.clone(),
                )));
            }
            if can_run {
                lines.push(Line::from(Span::styled(
                    "Now run it (r) and see what the cluster says.",
                    theme::dim(),
                )));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::model::Choice;

    fn prediction() -> Prediction {
        let choice = |answer: &str, correct: bool, feedback: &str| Choice {
            answer: answer.into(),
            correct,
            feedback: feedback.into(),
        };
        Prediction {
            question: "What will it answer?".into(),
            choices: vec![
                choice("200", false, "It is not public."),
                choice("403", true, "Authenticated as anonymous, not authorized."),
            ],
        }
    }

    fn text(lines: &[Line]) -> String {
        lines
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_text_after_the_reveal_mark_waits_for_the_answer() {
        let text = "Setup.\n<!-- reveal -->\nThe answer is 403.";
        assert_eq!(visible_text(text, false), ("Setup.\n", true));
        assert_eq!(visible_text(text, true), (text, false));
        assert_eq!(visible_text("No mark.", false), ("No mark.", false));
    }

    #[test]
    fn before_the_answer_the_choices_are_numbered_and_nothing_is_given_away() {
        let shown = text(&lines(&prediction(), None, true));
        assert!(shown.contains("Predict: What will it answer?"), "{shown}");
        assert!(
            shown.contains("  1  200") && shown.contains("  2  403"),
            "{shown}"
        );
        assert!(
            !shown.contains("not authorized") && !shown.contains('✓'),
            "{shown}"
        );
    }

    #[test]
    fn a_wrong_answer_gets_its_feedback_and_the_right_one_and_may_still_run() {
        let shown = text(&lines(&prediction(), Some(0), true));
        assert!(
            shown.contains("✗ 1  200") && shown.contains("✓ 2  403"),
            "{shown}"
        );
        assert!(shown.contains("Not quite. It is not public."), "{shown}");
        assert!(shown.contains("not authorized"), "{shown}");
        assert!(shown.contains("run it (r)"), "{shown}");
    }
}
