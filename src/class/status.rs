//! `kubetutor class status`: every attendee's steps, evaluated once by the
//! engine in their namespace with the instructor's credentials; a table for
//! people, JSON for scripts.

use std::path::Path;

use futures::future::join_all;
use kube::Config;
use serde_json::{Value, json};

use super::progress::{self, Cell};
use super::roster::Attendee;
use crate::engine::{Engine, StepReport};
use crate::lesson::Lesson;

/// One attendee, evaluated.
pub struct Evaluated {
    pub attendee: Attendee,
    pub lesson: Lesson,
    /// Err: the engine could not start (why).
    pub reports: Result<Vec<StepReport>, String>,
}

/// The lesson `attendee` works on, in their namespace.
pub fn lesson_for(root: &Path, attendee: &Attendee) -> anyhow::Result<Lesson> {
    let dir = root.join(&attendee.lesson);
    Lesson::load(&dir, Some(&attendee.namespace)).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "lesson {} (of {}) does not load from {}:\n{}",
            attendee.lesson,
            attendee.label(),
            root.display(),
            list.join("\n")
        )
    })
}

/// Every attendee evaluated, all at once.
pub async fn evaluate(
    config: &Config,
    root: &Path,
    attendees: &[Attendee],
) -> anyhow::Result<Vec<Evaluated>> {
    let lessons = attendees
        .iter()
        .map(|a| lesson_for(root, a))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(join_all(
        attendees
            .iter()
            .zip(lessons)
            .map(|(attendee, lesson)| async {
                let reports = match Engine::start(lesson.clone(), config.clone()).await {
                    Ok(engine) => Ok(engine.evaluate_all().await),
                    Err(err) => Err(format!("{err:#}")),
                };
                Evaluated {
                    attendee: attendee.clone(),
                    lesson,
                    reports,
                }
            }),
    )
    .await)
}

/// The table `class status` prints.
pub fn table(evaluated: &[Evaluated]) -> String {
    let mut out = String::new();
    for e in evaluated {
        let line = match &e.reports {
            Err(why) => format!("cannot be checked: {why}"),
            Ok(reports) => {
                let wrapped: Vec<Option<StepReport>> = reports.iter().cloned().map(Some).collect();
                let standing = progress::standing(&wrapped);
                let marks: Vec<&str> = standing.cells.iter().map(|c| c.mark()).collect();
                let at = match standing.current {
                    None => "all steps done".to_string(),
                    Some(i) => format!(
                        "on {}. {} — {}",
                        i + 1,
                        e.lesson.steps[i].title,
                        progress::reason(&reports[i]).unwrap_or_default()
                    ),
                };
                format!(
                    "{} {:>2}/{}  {}",
                    marks.join(" "),
                    standing.done,
                    reports.len(),
                    at
                )
            }
        };
        out.push_str(&format!(
            "{:<12} {:<20} {line}\n",
            e.attendee.label(),
            e.attendee.namespace
        ));
    }
    out
}

/// The same as JSON: one object per attendee with every step's state and reason.
pub fn json(class: &str, evaluated: &[Evaluated]) -> Value {
    let attendees: Vec<Value> = evaluated
        .iter()
        .map(|e| {
            let mut entry = json!({
                "number": e.attendee.number,
                "namespace": e.attendee.namespace,
                "lesson": e.attendee.lesson,
            });
            match &e.reports {
                Err(why) => entry["error"] = why.clone().into(),
                Ok(reports) => {
                    let wrapped: Vec<Option<StepReport>> =
                        reports.iter().cloned().map(Some).collect();
                    let standing = progress::standing(&wrapped);
                    entry["done"] = standing.done.into();
                    entry["steps"] = reports.len().into();
                    entry["current"] = match standing.current {
                        None => Value::Null,
                        Some(i) => json!({"index": i + 1, "id": e.lesson.steps[i].id, "title": e.lesson.steps[i].title}),
                    };
                    entry["cells"] = reports
                        .iter()
                        .zip(&standing.cells)
                        .map(|(r, cell)| {
                            json!({
                                "step": e.lesson.steps[r.index].id,
                                "state": cell.word(),
                                "reason": (*cell != Cell::Done).then(|| progress::reason(r)).flatten(),
                            })
                        })
                        .collect::<Vec<_>>()
                        .into();
                }
            }
            entry
        })
        .collect();
    json!({"class": class, "attendees": attendees})
}
