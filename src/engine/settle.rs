//! Asking the API server again after a change. Our watch sees a new
//! RoleBinding a few milliseconds after it is written; the server's own
//! authorizer learns of it through its informer a little later, so the first
//! answer right after the change may still be "no" (or, after a deletion,
//! still "yes"). The server-side checks of the steps a change touched are
//! asked again — often at first (the tutor should turn green within a few ms
//! of the server agreeing), then rarely, then not at all until the next change.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

/// Quick re-asks for this long after a change…
const QUICK_FOR: Duration = Duration::from_millis(300);
/// …this far apart…
const QUICK_EVERY: Duration = Duration::from_millis(10);
/// …then at these times after the change, then never.
const LATER: [Duration; 3] = [
    Duration::from_millis(700),
    Duration::from_millis(1500),
    Duration::from_secs(3),
];

/// When the step's failed server checks are next asked, given when the
/// change happened; None once the schedule is over.
pub fn next_ask(changed: Instant, now: Instant) -> Option<Instant> {
    let since = now.saturating_duration_since(changed);
    if since + QUICK_EVERY <= QUICK_FOR {
        return Some(now + QUICK_EVERY);
    }
    LATER
        .iter()
        .map(|after| changed + *after)
        .find(|at| *at > now)
}

/// Steps waiting for a re-ask: when their last change was, and when the
/// next ask is.
#[derive(Debug, Default)]
pub struct Settling {
    steps: BTreeMap<usize, (Instant, Instant)>,
}

impl Settling {
    /// A change touched `step`, whose verdict is the server's.
    pub fn start(&mut self, step: usize, now: Instant) {
        if let Some(next) = next_ask(now, now) {
            self.steps.insert(step, (now, next));
        }
    }

    /// As `start`, for a step first evaluated now rather than changed: only
    /// the late asks (the quick ones, every 10 ms, would load the API server
    /// while a tutor's first answers are due). A step already settling
    /// keeps its schedule.
    pub fn start_late(&mut self, step: usize, now: Instant) {
        self.steps.entry(step).or_insert((now, now + LATER[0]));
    }

    /// The earliest next ask of any step.
    pub fn next(&self) -> Option<Instant> {
        self.steps.values().map(|(_, next)| *next).min()
    }

    /// Steps whose ask is due at `now`; each gets its next time, or leaves
    /// the schedule when it is over.
    pub fn due(&mut self, now: Instant) -> Vec<usize> {
        let due: Vec<usize> = self
            .steps
            .iter()
            .filter(|(_, (_, next))| *next <= now)
            .map(|(step, _)| *step)
            .collect();
        for step in &due {
            let (changed, _) = self.steps[step];
            match next_ask(changed, now) {
                Some(next) => {
                    self.steps.insert(*step, (changed, next));
                }
                None => {
                    self.steps.remove(step);
                }
            }
        }
        due
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_at_first_then_rarely_then_never() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(next_ask(t0, at(0)), Some(at(10)));
        assert_eq!(next_ask(t0, at(150)), Some(at(160)));
        assert_eq!(next_ask(t0, at(295)), Some(at(700)));
        assert_eq!(next_ask(t0, at(700)), Some(at(1500)));
        assert_eq!(next_ask(t0, at(2000)), Some(at(3000)));
        assert_eq!(next_ask(t0, at(3000)), None);
    }

    #[test]
    fn a_settling_step_is_due_until_its_schedule_ends() {
        let t0 = Instant::now();
        let mut settling = Settling::default();
        settling.start(8, t0);
        assert_eq!(settling.next(), Some(t0 + QUICK_EVERY));
        assert!(settling.due(t0 + Duration::from_millis(5)).is_empty());
        assert_eq!(settling.due(t0 + Duration::from_millis(10)), [8]);
        assert_eq!(settling.next(), Some(t0 + Duration::from_millis(20)));
        assert_eq!(settling.due(t0 + Duration::from_millis(3000)), [8]);
        assert!(settling.is_empty(), "the schedule is over");
    }

    #[test]
    fn a_step_first_evaluated_is_asked_only_late() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut settling = Settling::default();
        settling.start_late(3, t0);
        assert_eq!(settling.next(), Some(at(700)), "no quick asks");
        assert!(settling.due(at(300)).is_empty());
        assert_eq!(settling.due(at(700)), [3]);
        assert_eq!(settling.next(), Some(at(1500)));
        assert_eq!(settling.due(at(1500)), [3]);
        assert_eq!(settling.due(at(3000)), [3]);
        assert!(settling.is_empty(), "the schedule is over");

        // A change's quick schedule is not slowed down by a later first list.
        settling.start(3, t0);
        settling.start_late(3, at(5));
        assert_eq!(settling.next(), Some(at(10)));
    }
}
