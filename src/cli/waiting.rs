//! `solve` waiting for a step to turn green: never in silence. While it
//! waits it says every few seconds which checks still fail (with their hints
//! the first time, and whenever that changes), and when it gives up its error
//! names them.

use std::time::{Duration, Instant};

use crate::engine::{Engine, StepReport};

/// How long a step may stay red before `solve` says what it waits for, and
/// how often it says so again while nothing changes.
const SAY_EVERY: Duration = Duration::from_secs(10);

/// Waits up to `timeout` for step `index`, printing its failing checks
/// every `SAY_EVERY` while it stays red.
pub async fn wait_saying_why(
    engine: &mut Engine,
    index: usize,
    timeout: Duration,
) -> Result<StepReport, StepReport> {
    let started = Instant::now();
    let deadline = started + timeout;
    let mut said = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let slice = left.min(SAY_EVERY);
        match engine.wait_until_passed(index, slice).await {
            Ok(report) => return Ok(report),
            Err(report) if left <= slice => return Err(report),
            Err(report) => {
                // The hints once; after that the failing checks, shorter.
                let now = failing(&report);
                let line = if now == said {
                    failing_briefly(&report)
                } else {
                    now.clone()
                };
                println!(
                    "      still waiting after {} s: {line}",
                    started.elapsed().as_secs()
                );
                said = now;
            }
        }
    }
}

/// The step's failing checks, without hints.
fn failing_briefly(report: &StepReport) -> String {
    report
        .outcomes
        .iter()
        .filter(|(_, o)| !o.passed)
        .map(|(_, outcome)| format!("✗ {}", outcome.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The step's failing checks, with their hints, on one line.
pub fn failing(report: &StepReport) -> String {
    report
        .outcomes
        .iter()
        .filter(|(_, o)| !o.passed)
        .map(|(check, outcome)| {
            let why = if outcome.undecided {
                " (cannot be decided now)".to_string()
            } else {
                check
                    .hint()
                    .map(|h| format!(" (hint: {h})"))
                    .unwrap_or_default()
            };
            format!("✗ {}{why}", outcome.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}
