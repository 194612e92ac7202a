//! The prediction under a step's text: the question, its numbered choices,
//! and once the learner has answered, their pick, the right one, and why.

use ratatui::text::{Line, Span};

use super::markdown;
use crate::app::{App, Holdback};
use crate::lesson::model::Prediction;
use crate::theme;

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
    let (text, code) = step_text_and_code(app, inner.width as usize);
    let rows_before = |line: usize| {
        Paragraph::new(text[..line].to_vec())
            .wrap(Wrap { trim: false })
            .line_count(inner.width) as u16
    };
    let rows = rows_before(text.len());
    let end = rows.saturating_sub(inner.height);
    app.scroll.lesson.set_max_top(end);
    let scroll = app.scroll.lesson.top();
    // The block `c` copies: the first that starts in view, else the one the
    // view is inside of.
    let starts: Vec<(u16, &String)> = code
        .blocks
        .iter()
        .map(|(line, text)| (rows_before(*line), text))
        .collect();
    let bottom = scroll + inner.height;
    let in_view = starts
        .iter()
        .find(|(row, _)| *row >= scroll && *row < bottom)
        .or_else(|| starts.iter().rev().find(|(row, _)| *row < scroll))
        .map(|(_, text)| (*text).clone());
    app.code.set_in_view(in_view);
    let mut block = block;
    if code.cut {
        block = block.title_bottom(
            ratatui::text::Line::from(Span::styled(" ← → code · c copies ", theme::strong()))
                .right_aligned(),
        );
    }
    if scroll < end {
        block = block.title_bottom(Span::styled(
            format!(" ↓ {} (j, PgDn) ", more_lines((end - scroll) as usize)),
            theme::strong(),
        ));
    }
    let paragraph = Paragraph::new(text)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    frame.render_widget(paragraph, area);
}

/// "1 more line", "3 more lines".
pub fn more_lines(n: usize) -> String {
    format!("{n} more {}", if n == 1 { "line" } else { "lines" })
}

/// The current step's text, with its prediction under it, and where its
/// code blocks are (scrolled sideways as the learner asked).
fn step_text_and_code(app: &App, width: usize) -> (Vec<Line<'static>>, markdown::Rendered) {
    let step = app.step();
    let holdback = app.holdback();
    let revealed = if step.predict.is_some() {
        holdback.is_none()
    } else {
        app.show_hints || app.steps[app.current].done
    };
    let (shown, held_back) = visible_text(&step.text, revealed);
    let mut rendered = markdown::render_shifted(
        &shown.replace(REVEAL_MARK, ""),
        width,
        usize::from(app.code.shift),
    );
    let mut text = std::mem::take(&mut rendered.lines);
    if held_back && step.predict.is_none() {
        text.push(Line::from(Span::styled(
            "(stuck? h shows hints and a worked answer)",
            theme::dim(),
        )));
    }
    if let Some(predict) = &step.predict {
        match holdback {
            Some(Holdback::Unrevealed { vote }) => {
                text.extend(vote_lines(predict, prompt(step), vote))
            }
            _ => text.extend(lines(
                predict,
                prompt(step),
                app.steps[app.current].acts.answer,
                !step.actions.is_empty(),
            )),
        }
    }
    (text, rendered)
}

/// Presenter mode, before the reveal: the question, the room's answer
/// marked, and no word of which is right.
fn vote_lines(predict: &Prediction, prompt: &str, vote: usize) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::default(),
        Line::from(Span::styled(
            format!("{prompt}{}", predict.question),
            theme::heading(),
        )),
    ];
    for (i, choice) in predict.choices.iter().enumerate() {
        let mark = if i == vote { "▸" } else { " " };
        lines.push(Line::from(Span::styled(
            format!("{mark} {}  {}", i + 1, choice.answer),
            theme::strong(),
        )));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        Holdback::Unrevealed { vote }.says("the results"),
        theme::strong(),
    )));
    lines
}

/// What a question is introduced by: a prediction when something happens
/// after it (the step applies, runs or acts), else a question on what was
/// seen (a recap quiz predicts nothing).
pub fn prompt(step: &crate::lesson::Step) -> &'static str {
    if step.template.is_some() || !step.actions.is_empty() || !step.acts.is_empty() {
        "Predict: "
    } else {
        "Question: "
    }
}

/// Lines to append to the lesson text. `answer` is the learner's pick.
pub fn lines(
    predict: &Prediction,
    prompt: &str,
    answer: Option<usize>,
    can_run: bool,
) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::default(),
        Line::from(Span::styled(
            format!("{prompt}{}", predict.question),
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
    // The app drops a saved answer past the choices; a renderer still never
    // indexes with data from disk.
    match answer.and_then(|given| predict.choices.get(given)) {
        None => lines.push(Line::from(Span::styled(
            format!("Press 1 to {} to answer.", predict.choices.len()),
            theme::dim(),
        ))),
        Some(picked) => {
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
    use crate::lesson::acts::Choice;

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
    fn one_more_line_is_not_lines() {
        assert_eq!(more_lines(1), "1 more line");
        assert_eq!(more_lines(2), "2 more lines");
    }

    #[test]
    fn a_recap_question_is_not_called_a_prediction() {
        let app = crate::app::first_lesson_app();
        let steps = &app.lesson.steps;
        assert_eq!(prompt(&steps[4]), "Predict: ", "step 5 runs a call");
        assert_eq!(prompt(&steps[11]), "Question: ", "step 12 is the recap");
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
        let shown = text(&lines(&prediction(), "Predict: ", None, true));
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
        let shown = text(&lines(&prediction(), "Predict: ", Some(0), true));
        assert!(
            shown.contains("✗ 1  200") && shown.contains("✓ 2  403"),
            "{shown}"
        );
        assert!(shown.contains("Not quite. It is not public."), "{shown}");
        assert!(shown.contains("not authorized"), "{shown}");
        assert!(shown.contains("run it (r)"), "{shown}");
    }
}
