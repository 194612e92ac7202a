//! A lesson as the instructor's commands hold it: once per attendee, each
//! copy with that attendee's namespace substituted, so a board of 200 holds
//! 200 copies. They evaluate checks, solve, reset and tally predictions;
//! they never show a step's Markdown, open its editor template or run its
//! right-and-wrong examples, which are most of a copy.

use super::Lesson;

impl Lesson {
    /// This lesson without what only the learner's screen (step text,
    /// editor templates, a prediction's feedback) and `lessons test`
    /// (examples, lint warnings) read.
    pub fn for_instructor(mut self) -> Lesson {
        for step in &mut self.steps {
            step.text = String::new();
            step.template = None;
            step.examples = Vec::new();
            // The room's tally needs each question and its choices, not
            // what the learner is told after picking one.
            if let Some(predict) = &mut step.predict {
                for choice in &mut predict.choices {
                    choice.feedback = String::new();
                }
            }
        }
        self.warnings = Vec::new();
        self
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::lesson::Lesson;

    #[test]
    fn keeps_what_checks_solve_and_tallies_read() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
        let full = Lesson::load(&dir, Some("room-07")).unwrap();
        let slim = full.clone().for_instructor();
        assert_eq!(slim.steps.len(), full.steps.len());
        for (s, f) in slim.steps.iter().zip(&full.steps) {
            assert_eq!(s.id, f.id);
            assert_eq!(s.title, f.title);
            assert_eq!(format!("{:?}", s.checks), format!("{:?}", f.checks));
            assert_eq!(s.solution, f.solution);
            let choices = |p: &Option<crate::lesson::model::Prediction>| {
                p.as_ref().map(|p| {
                    let answers: Vec<_> =
                        p.choices.iter().map(|c| (&c.answer, c.correct)).collect();
                    format!("{} {answers:?}", p.question)
                })
            };
            assert_eq!(choices(&s.predict), choices(&f.predict));
            assert_eq!(format!("{:?}", s.actions), format!("{:?}", f.actions));
            assert_eq!(s.setup, f.setup);
            assert_eq!(s.undone_by, f.undone_by);
            assert!(s.text.is_empty() && s.template.is_none() && s.examples.is_empty());
            let feedback = s.predict.iter().flat_map(|p| &p.choices);
            assert!(feedback.clone().all(|c| c.feedback.is_empty()));
        }
        assert_eq!(slim.namespace, "room-07");
        assert_eq!(format!("{:?}", slim.owns), format!("{:?}", full.owns));
        // What is left is a small part of the copy each attendee costs.
        let size = |l: &Lesson| format!("{l:?}").len();
        assert!(
            size(&slim) * 2 < size(&full),
            "slim {} vs full {} bytes of Debug text",
            size(&slim),
            size(&full)
        );
    }
}
