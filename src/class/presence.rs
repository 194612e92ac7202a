//! Where an attendee is as a person, not only as a namespace (pure): not
//! started, working, stuck, gone or done — from what their tutor published
//! (`record`) and what the cluster shows, with a short reason.

use serde::Serialize;

use super::record::{Record, sanitize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Presence {
    /// No tutor has published and the namespace holds nothing of the lesson.
    NotStarted,
    /// Seen recently.
    Working,
    /// On one step with a failing check or an apply error for too long.
    Stuck,
    /// Not seen for too long.
    Gone,
    /// Every step holds in the cluster.
    Done,
}

impl Presence {
    pub fn word(self) -> &'static str {
        match self {
            Presence::NotStarted => "not started",
            Presence::Working => "working",
            Presence::Stuck => "stuck",
            Presence::Gone => "gone",
            Presence::Done => "done",
        }
    }

    /// Stuck first, then gone, working, not started, done: who needs the
    /// instructor first.
    pub fn urgency(self) -> u8 {
        match self {
            Presence::Stuck => 0,
            Presence::Gone => 1,
            Presence::Working => 2,
            Presence::NotStarted => 3,
            Presence::Done => 4,
        }
    }
}

/// When "on one step" becomes stuck, and "not seen" gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub stuck_after_seconds: i64,
    pub gone_after_seconds: i64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            stuck_after_seconds: 5 * 60,
            gone_after_seconds: 10 * 60,
        }
    }
}

impl Limits {
    /// From minutes given on the command line (fractions allowed).
    pub fn from_minutes(stuck: f64, gone: f64) -> anyhow::Result<Limits> {
        for (flag, value) in [("--stuck-minutes", stuck), ("--gone-minutes", gone)] {
            anyhow::ensure!(
                value.is_finite() && value >= 0.0,
                "{flag} {value}: give a number of minutes, 0 or more"
            );
        }
        Ok(Limits {
            stuck_after_seconds: (stuck * 60.0).round() as i64,
            gone_after_seconds: (gone * 60.0).round() as i64,
        })
    }
}

/// What the cluster says about one attendee.
#[derive(Debug, Clone, Default)]
pub struct ClusterSide {
    /// Every step holds.
    pub all_done: bool,
    /// The namespace holds objects of the lesson.
    pub has_objects: bool,
    /// The first failing check of the step on the attendee's screen (or,
    /// without a record, of the first step that does not hold).
    pub failing: Option<String>,
}

/// Longest reason `class status` prints in its table (the board cuts to its
/// column; JSON and the board's details carry it whole).
pub const REASON_WIDTH: usize = 60;

/// The attendee's presence and why, at unix time `now`, the reason whole (on
/// one line, without control characters). `record` is what their tutor
/// published: None when nothing, Err when unreadable.
pub fn judge(
    record: Option<&Result<Record, String>>,
    cluster: &ClusterSide,
    now: i64,
    limits: Limits,
) -> (Presence, Option<String>) {
    // Bounded already by `record::parse` (a record's texts) or by the lesson
    // (a check's message): cleaned here, not cut.
    let cleaned = |text: &str| Some(sanitize(text, usize::MAX));
    let record = match record {
        None | Some(Err(_)) if cluster.all_done => return (Presence::Done, None),
        None if !cluster.has_objects => return (Presence::NotStarted, None),
        None => {
            // Objects but no tutor: kubectl alone, or a tutor that may not
            // publish. The failing check still says what is missing.
            let why = cluster
                .failing
                .as_deref()
                .unwrap_or("no progress from the tutor");
            return (Presence::Working, cleaned(why));
        }
        Some(Err(why)) => return (Presence::Working, cleaned(why)),
        Some(Ok(record)) => record,
    };
    if cluster.all_done {
        return (Presence::Done, None);
    }
    let unseen = now - record.last_seen;
    if unseen > limits.gone_after_seconds {
        return (
            Presence::Gone,
            cleaned(&format!(
                "last seen {} ago",
                super::progress::duration(unseen.max(0) as u64)
            )),
        );
    }
    let reason = record
        .apply_error
        .as_ref()
        .map(|e| e.text.clone())
        .or_else(|| cluster.failing.clone());
    let on_step = now - record.step_since;
    match reason {
        Some(why) if on_step > limits.stuck_after_seconds => (Presence::Stuck, cleaned(&why)),
        Some(why) => (Presence::Working, cleaned(&why)),
        None => (Presence::Working, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::class::record::ApplyFailure;

    const LIMITS: Limits = Limits {
        stuck_after_seconds: 300,
        gone_after_seconds: 600,
    };

    fn seen(last_seen: i64, step_since: i64) -> Result<Record, String> {
        Ok(Record {
            lesson: "l".into(),
            step: 2,
            step_id: "b".into(),
            last_seen,
            step_since,
            ..Record::default()
        })
    }

    fn failing(reason: &str) -> ClusterSide {
        ClusterSide {
            has_objects: true,
            failing: Some(reason.into()),
            ..ClusterSide::default()
        }
    }

    #[test]
    fn nothing_published_and_nothing_made_is_not_started() {
        let empty = ClusterSide::default();
        assert_eq!(judge(None, &empty, 0, LIMITS).0, Presence::NotStarted);
        let kubectl_only = failing("No Pod p yet");
        assert_eq!(
            judge(None, &kubectl_only, 0, LIMITS),
            (Presence::Working, Some("No Pod p yet".into())),
            "without a tutor, the failing check is the reason"
        );
    }

    #[test]
    fn a_failing_check_for_longer_than_the_limit_is_stuck_with_its_reason() {
        let cluster = failing("No RoleBinding yet");
        let now = 1000;
        let r = seen(now - 5, now - 200);
        assert_eq!(
            judge(Some(&r), &cluster, now, LIMITS),
            (Presence::Working, Some("No RoleBinding yet".into()))
        );
        let r = seen(now - 5, now - 400);
        assert_eq!(judge(Some(&r), &cluster, now, LIMITS).0, Presence::Stuck);
        // On a step that holds (a prediction to answer): working, however long.
        let holds = ClusterSide {
            has_objects: true,
            ..ClusterSide::default()
        };
        assert_eq!(
            judge(Some(&r), &holds, now, LIMITS),
            (Presence::Working, None)
        );
    }

    #[test]
    fn an_apply_error_is_the_reason_before_a_check() {
        let mut r = seen(990, 0).unwrap();
        r.apply_error = Some(ApplyFailure {
            step: "b".into(),
            text: "line 2: unknown field \"specc\"".into(),
        });
        let (presence, why) = judge(Some(&Ok(r)), &failing("No Pod"), 1000, LIMITS);
        assert_eq!(presence, Presence::Stuck);
        assert_eq!(why.unwrap(), "line 2: unknown field \"specc\"");
    }

    #[test]
    fn not_seen_for_longer_than_the_limit_is_gone_and_all_done_is_done() {
        let r = seen(0, 0);
        let (presence, why) = judge(Some(&r), &failing("x"), 700, LIMITS);
        assert_eq!(presence, Presence::Gone);
        assert_eq!(why.unwrap(), "last seen 11m ago");
        let done = ClusterSide {
            all_done: true,
            has_objects: true,
            failing: None,
        };
        assert_eq!(judge(Some(&r), &done, 700, LIMITS).0, Presence::Done);
        assert!(Limits::from_minutes(-1.0, 3.0).is_err());
        assert_eq!(
            Limits::from_minutes(0.5, 2.0).unwrap(),
            Limits {
                stuck_after_seconds: 30,
                gone_after_seconds: 120
            }
        );
    }
}
