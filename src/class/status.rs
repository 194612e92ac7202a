//! `kubetutor class status`: every attendee's steps, evaluated once by the
//! engine in their namespace with the instructor's credentials (the
//! engines share one set of watches, as on the board); a table for people,
//! JSON for scripts.

use std::path::Path;

use futures::future::join_all;
use kube::Config;
use serde_json::{Value, json};

use super::answers;
use super::presence::{self, ClusterSide, Limits, Presence};
use super::progress::{self, Cell};
use super::record::{self, Record};
use super::roster::Attendee;
use crate::engine::shared::{NotShared, SharedWatches};
use crate::engine::{Engine, StepReport};
use crate::lesson::Lesson;

/// One attendee, evaluated.
pub struct Evaluated {
    pub attendee: Attendee,
    pub lesson: Lesson,
    /// Err: the engine could not start (why).
    pub reports: Result<Vec<StepReport>, String>,
    /// What their tutor published: None when nothing, Err when unreadable.
    pub record: Option<Result<Record, String>>,
    /// Their namespace holds objects they made.
    pub has_objects: bool,
}

impl Evaluated {
    /// Their presence and its reason at unix time `now`.
    pub fn presence(&self, now: i64, limits: Limits) -> (Presence, Option<String>) {
        let Ok(reports) = &self.reports else {
            return (Presence::Working, None);
        };
        let record = self.record.as_ref().filter(|r| {
            // A record of another lesson (taken earlier in this namespace)
            // says nothing of this one.
            r.as_ref().is_err() || r.as_ref().is_ok_and(|r| r.lesson == self.lesson.id)
        });
        let wrapped: Vec<Option<StepReport>> = reports.iter().cloned().map(Some).collect();
        let cluster = cluster_side(&self.lesson, &wrapped, record, self.has_objects);
        presence::judge(record, &cluster, now, limits)
    }
}

/// What the cluster says of an attendee, for `presence::judge`: the failing
/// check is the one of the step on their screen when their tutor says which.
pub fn cluster_side(
    lesson: &Lesson,
    reports: &[Option<StepReport>],
    record: Option<&Result<Record, String>>,
    has_objects: bool,
) -> ClusterSide {
    let standing = progress::standing(reports);
    cluster_side_of(lesson, &standing, reports, record, has_objects)
}

/// `cluster_side`, with the reports' standing already worked out.
pub fn cluster_side_of(
    lesson: &Lesson,
    standing: &progress::Standing,
    reports: &[Option<StepReport>],
    record: Option<&Result<Record, String>>,
    has_objects: bool,
) -> ClusterSide {
    let on_screen = match record {
        Some(Ok(r)) => lesson.step_index(&r.step_id),
        _ => standing.current,
    };
    ClusterSide {
        all_done: !reports.is_empty() && standing.done == reports.len(),
        has_objects,
        failing: on_screen
            .and_then(|i| reports.get(i)?.as_ref())
            .and_then(progress::reason)
            .map(str::to_string),
    }
}

/// Objects the attendee made in their namespace: not the class's own (its
/// label), not what Kubernetes makes in every namespace, not the progress record.
pub fn made_by_attendee(snapshot: &crate::checks::Snapshot, namespace: &str) -> bool {
    snapshot.objects().any(|o| {
        let meta = &o["metadata"];
        meta["namespace"] == namespace
            && meta["labels"][super::CLASS_LABEL].is_null()
            && !matches!(
                (o["kind"].as_str(), meta["name"].as_str()),
                (Some("ServiceAccount"), Some("default"))
                    | (Some("ConfigMap"), Some("kube-root-ca.crt"))
                    | (Some("ConfigMap"), Some(record::CONFIGMAP))
            )
    })
}

/// The lesson `attendee` works on, in their namespace.
pub fn lesson_for(root: &Path, attendee: &Attendee) -> anyhow::Result<Lesson> {
    // The attendee's lesson comes from the cluster (an annotation): untrusted.
    crate::lesson::catalog::check_id(&attendee.lesson)
        .map_err(|why| anyhow::anyhow!("{} names no lesson to open: {why}", attendee.label()))?;
    let dir = root.join(&attendee.lesson);
    let lesson = Lesson::load(&dir, Some(&attendee.namespace)).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "lesson {} (of {}) does not load from {}:\n{}",
            attendee.lesson,
            attendee.label(),
            root.display(),
            list.join("\n")
        )
    })?;
    // One copy per attendee: without the texts and examples only a
    // learner's screen and `lessons test` read.
    Ok(lesson.for_instructor())
}

/// Every attendee evaluated, and what it cost the API server.
pub struct Evaluation {
    pub attendees: Vec<Evaluated>,
    /// Watch streams open while the engines were evaluating: as many for a
    /// class of 200 as for one of 2 when they are shared.
    pub watches: usize,
    /// Why the engines did not share watches (each watched its own namespace).
    pub not_shared: Option<String>,
}

/// Every attendee evaluated, all at once, with what their tutors published;
/// `lessons[i]` is attendee i's (`lesson_for`).
pub async fn evaluate(
    config: &Config,
    attendees: &[Attendee],
    lessons: Vec<Lesson>,
) -> anyhow::Result<Evaluation> {
    let client = crate::transport::client(config)?;
    let namespaces: Vec<String> = attendees.iter().map(|a| a.namespace.clone()).collect();
    let mut records = super::publish::read_all(&client, &namespaces).await?;
    let (shared, mut members, not_shared) = match SharedWatches::start(config, &lessons).await {
        Ok((shared, members)) => (Some(shared), members.into_iter().map(Some).collect(), None),
        Err(NotShared(why)) => (None, Vec::new(), Some(why)),
    };
    members.resize_with(lessons.len(), || None);
    let engines = join_all(lessons.iter().zip(members).map(|(lesson, member)| {
        let lesson = lesson.clone();
        async move {
            match member {
                Some(member) => Engine::start_in_class(lesson.into(), member).await,
                None => Engine::start(lesson, config.clone()).await,
            }
        }
    }))
    .await;
    let watches = crate::engine::watch::open_watches();
    let evaluated = join_all(attendees.iter().zip(lessons).zip(engines).map(
        |((attendee, lesson), engine)| async move {
            let (reports, has_objects) = match engine {
                Ok(engine) => (
                    Ok(engine.evaluate_all().await),
                    made_by_attendee(engine.snapshot(), &attendee.namespace),
                ),
                Err(err) => (Err(format!("{err:#}")), false),
            };
            Evaluated {
                attendee: attendee.clone(),
                lesson,
                reports,
                record: None,
                has_objects,
            }
        },
    ))
    .await
    .into_iter()
    .map(|mut e| {
        e.record = records.remove(&e.attendee.namespace);
        e
    })
    .collect();
    drop(shared);
    Ok(Evaluation {
        attendees: evaluated,
        watches,
        not_shared,
    })
}

/// The table `class status` prints: per attendee their presence, steps,
/// the step they are on and why they are held there.
pub fn table(evaluated: &[Evaluated], now: i64, limits: Limits) -> String {
    let mut out = String::new();
    for e in evaluated {
        let (presence, why) = e.presence(now, limits);
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
        let why = why
            .map(|w| format!("  [{}]", record::sanitize(&w, presence::REASON_WIDTH)))
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<12} {:<20} {:<11} {line}{why}\n",
            e.attendee.label(),
            e.attendee.namespace,
            presence.word(),
        ));
    }
    let answered: Vec<String> = tallies(evaluated)
        .iter()
        .filter(|t| t.answered > 0)
        .map(|t| format!("  {}\n", answers::line(t, 12)))
        .collect();
    if !answered.is_empty() {
        out.push_str("The room's answers (✓ the right one):\n");
        out.push_str(&answered.concat());
    }
    out
}

/// The room's answers to each prediction of the class's lesson.
pub fn tallies(evaluated: &[Evaluated]) -> Vec<answers::Tally> {
    let Some(first) = evaluated.first() else {
        return Vec::new();
    };
    let records = evaluated
        .iter()
        .filter_map(|e| e.record.as_ref()?.as_ref().ok());
    answers::tally(&first.lesson, records)
}

/// The same as JSON: one object per attendee with every step's state and reason.
pub fn json(class: &str, evaluated: &[Evaluated], now: i64, limits: Limits) -> Value {
    let attendees: Vec<Value> = evaluated
        .iter()
        .map(|e| {
            let (presence, why) = e.presence(now, limits);
            let mut entry = json!({
                "number": e.attendee.number,
                "namespace": e.attendee.namespace,
                "lesson": e.attendee.lesson,
                "state": presence.word(),
                "reason": why,
            });
            match &e.record {
                None => entry["progress"] = Value::Null,
                // Parsed, bounded and cleaned by `record::parse`.
                Some(Ok(r)) => entry["progress"] = serde_json::to_value(r).unwrap_or_default(),
                Some(Err(why)) => entry["progressError"] = why.clone().into(),
            }
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
    json!({"class": class, "attendees": attendees, "predictions": tallies(evaluated)})
}

/// `json`, with the watches the evaluation held open on the API server.
pub fn json_with_watches(class: &str, evaluation: &Evaluation, now: i64, limits: Limits) -> Value {
    let mut out = json(class, &evaluation.attendees, now, limits);
    out["watches"] = evaluation.watches.into();
    if let Some(why) = &evaluation.not_shared {
        out["watchesNotShared"] = why.clone().into();
    }
    out
}
