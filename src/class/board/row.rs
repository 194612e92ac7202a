//! One attendee's row of the board: their steps' reports, what their tutor
//! published, and what follows from both (the step they are on, for how
//! long, their presence and its reason).

use std::sync::Arc;

use tokio::time::Instant;

use crate::class::presence::{Limits, Presence};
use crate::class::progress::{self, Cell, Standing};
use crate::class::record::Record;
use crate::class::roster::Attendee;
use crate::engine::StepReport;
use crate::engine::link::Link;
use crate::engine::view::ClusterView;
use crate::lesson::Lesson;

/// One attendee's row.
pub struct Row {
    pub attendee: Attendee,
    /// Shared with the attendee's engine: one copy of their lesson.
    pub lesson: Arc<Lesson>,
    pub reports: Vec<Option<StepReport>>,
    pub link: Option<Link>,
    /// The engine could not start: why.
    pub failed: Option<String>,
    pub view: ClusterView,
    pub standing: Standing,
    /// Since when the attendee has been on `standing.current`.
    pub since: Instant,
    /// What their tutor published: None when nothing, Err when unreadable.
    pub record: Option<Result<Record, String>>,
}

impl Row {
    pub fn new(attendee: Attendee, lesson: Lesson, now: Instant) -> Row {
        let steps = lesson.steps.len();
        Row {
            attendee,
            lesson: Arc::new(lesson),
            reports: vec![None; steps],
            link: None,
            failed: None,
            view: ClusterView::default(),
            standing: progress::standing(&vec![None; steps]),
            since: now,
            record: None,
        }
    }

    /// The step the attendee is on: their tutor's when it says, else the
    /// first that does not hold in the cluster.
    pub fn on_step(&self) -> Option<usize> {
        match &self.record {
            Some(Ok(r)) if r.lesson == self.lesson.id => self.lesson.step_index(&r.step_id),
            _ => self.standing.current,
        }
    }

    /// How long they have been on `on_step`, in seconds: their tutor's
    /// word when it published (unix time `unix_now`), else since the
    /// cluster's first failing step last changed (`now`).
    pub fn seconds_on_step(&self, now: Instant, unix_now: i64) -> u64 {
        match &self.record {
            Some(Ok(r)) if r.lesson == self.lesson.id => (unix_now - r.step_since).max(0) as u64,
            _ => now.saturating_duration_since(self.since).as_secs(),
        }
    }

    /// Presence and reason at unix time `now` (see `presence::judge`).
    pub fn presence(&self, now: i64, limits: Limits) -> (Presence, Option<String>) {
        let record = self.record.as_ref().filter(|r| {
            r.as_ref().is_err() || r.as_ref().is_ok_and(|r| r.lesson == self.lesson.id)
        });
        // The standing kept up to date by `record`: presence is asked of
        // every row several times a frame.
        let cluster = crate::class::status::cluster_side_of(
            &self.lesson,
            &self.standing,
            &self.reports,
            record,
            made_by_attendee(&self.view, &self.attendee.namespace),
        );
        crate::class::presence::judge(record, &cluster, now, limits)
    }

    pub(super) fn record(&mut self, report: StepReport, now: Instant) {
        let index = report.index;
        if index < self.reports.len() {
            self.reports[index] = Some(report);
        }
        let standing = progress::standing(&self.reports);
        if standing.current != self.standing.current {
            self.since = now;
        }
        self.standing = standing;
    }
}

/// The attendee's namespace shows objects they made: not the class's
/// account, its admin binding and grants (`class create` names them), nor
/// what every namespace has, nor objects elsewhere the lesson reads.
fn made_by_attendee(view: &ClusterView, namespace: &str) -> bool {
    let admin_binding = format!("{}-admin", crate::class::ACCOUNT);
    view.sections
        .iter()
        .filter(|s| s.namespace == namespace)
        .flat_map(|s| &s.rows)
        .any(|r| {
            let name = r.name.as_str();
            !matches!(
                name,
                "default"
                    | "kube-root-ca.crt"
                    | crate::class::ACCOUNT
                    | crate::class::record::CONFIGMAP
            ) && name != admin_binding
                && !name.starts_with("kubetutor-")
        })
}

/// The cell a row shows for a step.
pub fn cell(row: &Row, step: usize) -> Cell {
    row.standing
        .cells
        .get(step)
        .copied()
        .unwrap_or(Cell::Checking)
}
