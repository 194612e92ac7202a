//! A limited view, explained once where it can be read whole: the status
//! line can only name what cannot be read; the Output pane says what that
//! means for this lesson and what to do.

use super::{App, Connection};
use crate::engine::link::Link;

/// The engine's link changed: a view newly limited is explained in Output.
pub fn on_link(app: &mut App, link: Link) {
    if let Link::Connected { limited } = &link
        && !limited.is_empty()
        && *limited != app.limited_explained
    {
        let lines = explain(app, limited);
        app.output.extend(lines);
        app.limited_explained = limited.clone();
    }
    app.connection = Connection::Link(link);
}

/// What cannot be read, what the lesson needs it for, and what to do.
pub fn explain(app: &App, limited: &[String]) -> Vec<String> {
    let mut lines = vec![format!(
        "Limited view: your kubeconfig may not read {}. Checks that need it show ? \
         (cannot be decided) instead of ✗, and the Cluster pane says \"cannot see\" there; \
         everything else works as usual.",
        limited.join(", ")
    )];
    for need in &app.lesson.needs {
        // "ClusterRoles", "Service kubernetes in default": named by kind first.
        if limited.iter().any(|item| item.starts_with(&need.kind)) {
            lines.push(format!("This lesson reads it: {}.", need.why));
        }
    }
    lines.push(
        "To see everything, ask whoever gave you access for read access to it \
         (`kubetutor class create` grants exactly what the lessons read)."
            .to_string(),
    );
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::first_lesson_app;

    #[test]
    fn a_limited_view_is_explained_once_with_what_the_lesson_reads_it_for() {
        let mut app = first_lesson_app();
        let limited = vec!["Service kubernetes in default".to_string()];
        on_link(
            &mut app,
            Link::Connected {
                limited: limited.clone(),
            },
        );
        let said = app.output.join("\n");
        assert!(
            said.contains("may not read Service kubernetes in default")
                && said.contains("This lesson reads it: step 1 checks the kubernetes Service"),
            "{said}"
        );
        let before = app.output.len();
        on_link(&mut app, Link::Connected { limited });
        assert_eq!(app.output.len(), before, "said once");
        on_link(&mut app, Link::Connected { limited: vec![] });
        assert_eq!(app.output.len(), before, "a full view needs no words");
    }
}
