//! A lesson's metadata in words, for `kubetutor lessons` and the picker.

use super::Lesson;

/// "20 min · intermediate · after serviceaccount-rbac · needs containers".
pub fn describe(lesson: &Lesson) -> String {
    let meta = &lesson.meta;
    let mut parts = Vec::new();
    if let Some(minutes) = meta.minutes {
        parts.push(format!("{minutes} min"));
    }
    if let Some(difficulty) = meta.difficulty {
        parts.push(difficulty.to_string());
    }
    if !meta.prerequisites.is_empty() {
        parts.push(format!("after {}", meta.prerequisites.join(", ")));
    }
    if !lesson.requires.is_empty() {
        let needs: Vec<String> = lesson.requires.iter().map(ToString::to_string).collect();
        parts.push(format!("needs {}", needs.join(", ")));
    }
    parts.join(" · ")
}

/// "step 3 of 12" from the furthest step reached (0-based), "done" past the last.
pub fn progress(reached: usize, steps: usize) -> String {
    // `reached` comes from a progress file: any number.
    if reached.saturating_add(1) >= steps {
        format!("step {steps} of {steps}")
    } else {
        format!("step {} of {steps}", reached + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn metadata_reads_as_one_line() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/clusterrole-aggregation");
        let mut lesson = Lesson::load(&dir, None).unwrap();
        lesson.meta.minutes = Some(20);
        assert_eq!(
            describe(&lesson),
            "20 min · intermediate · after serviceaccount-rbac"
        );
        let mut needing = lesson.clone();
        needing.requires = vec![
            crate::lesson::model::Capability::Containers,
            crate::lesson::model::Capability::Dns,
        ];
        assert!(describe(&needing).ends_with("needs containers, dns"));
        assert_eq!(progress(2, 12), "step 3 of 12");
    }
}
