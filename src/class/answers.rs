//! The room's answers (pure): per prediction of the lesson, how many
//! attendees picked each choice. The choice's text and whether it is right
//! come from the lesson, never from the attendee's record: a record only
//! says which number was pressed, and a number out of range counts nowhere.

use serde::Serialize;

use super::record::Record;
use crate::lesson::Lesson;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub answer: String,
    pub right: bool,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// 0-based index of the step.
    #[serde(skip)]
    pub index: usize,
    pub step: String,
    pub question: String,
    pub answered: usize,
    pub choices: Vec<Choice>,
}

/// Every prediction of `lesson`, with the answers of the records of that lesson.
pub fn tally<'a>(lesson: &Lesson, records: impl Iterator<Item = &'a Record> + Clone) -> Vec<Tally> {
    lesson
        .steps
        .iter()
        .enumerate()
        .filter_map(|(index, step)| {
            let predict = step.predict.as_ref()?;
            let mut choices: Vec<Choice> = predict
                .choices
                .iter()
                .map(|c| Choice {
                    answer: c.answer.clone(),
                    right: c.correct,
                    count: 0,
                })
                .collect();
            let mut answered = 0;
            for record in records.clone().filter(|r| r.lesson == lesson.id) {
                let picked = record
                    .answers
                    .iter()
                    .find(|a| a.step == step.id)
                    .and_then(|a| a.choice.checked_sub(1))
                    .and_then(|i| choices.get_mut(i));
                if let Some(choice) = picked {
                    choice.count += 1;
                    answered += 1;
                }
            }
            Some(Tally {
                index,
                step: step.id.clone(),
                question: predict.question.clone(),
                answered,
                choices,
            })
        })
        .collect()
}

/// "Step 1 · 443 ✓ ▇▇▇ 3 · 6443 ▇ 1 · 8080 0": one line, bars scaled to
/// `bar` cells for the most picked choice.
pub fn line(tally: &Tally, bar: usize) -> String {
    let most = tally
        .choices
        .iter()
        .map(|c| c.count)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut out = format!("Step {}", tally.index + 1);
    for c in &tally.choices {
        let cells = (c.count * bar).div_ceil(most);
        out.push_str(&format!(
            " · {}{} {}{}",
            super::record::sanitize(&c.answer, 24),
            if c.right { " ✓" } else { "" },
            "▇".repeat(cells),
            if cells > 0 { " " } else { "" },
        ));
        out.push_str(&c.count.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::class::record::Answer;

    fn lesson() -> Lesson {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
        Lesson::load(&dir, Some("k8s-01")).unwrap()
    }

    fn answered(lesson: &str, choice: usize, text: &str) -> Record {
        Record {
            lesson: lesson.into(),
            answers: vec![Answer {
                step: "kubernetes-service".into(),
                choice,
                answer: text.into(),
                right: true,
            }],
            ..Record::default()
        }
    }

    #[test]
    fn answers_are_counted_per_choice_from_the_lessons_own_words() {
        let lesson = lesson();
        let records = [
            answered(&lesson.id, 1, "443"),
            answered(&lesson.id, 2, "forged text, claims right"),
            answered(&lesson.id, 2, "6443"),
            answered(&lesson.id, 9, "out of range"),
            answered("another-lesson", 3, "8080"),
        ];
        let tallies = tally(&lesson, records.iter());
        let first = &tallies[0];
        assert_eq!(
            (first.step.as_str(), first.answered),
            ("kubernetes-service", 3)
        );
        let counts: Vec<(&str, bool, usize)> = first
            .choices
            .iter()
            .map(|c| (c.answer.as_str(), c.right, c.count))
            .collect();
        assert_eq!(
            counts,
            [("443", true, 1), ("6443", false, 2), ("8080", false, 0)]
        );
        assert_eq!(line(first, 4), "Step 1 · 443 ✓ ▇▇ 1 · 6443 ▇▇▇▇ 2 · 8080 0");
        assert!(tallies[1..].iter().all(|t| t.answered == 0));
    }
}
