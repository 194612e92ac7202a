//! `kubetutor verify` and `kubetutor solve`: the lesson engine, headless.

use crate::lesson::untrusted::printable;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::{ClusterArgs, LessonArgs};
use crate::app::acts_log::Did;
use crate::engine::{Engine, StepReport};
use crate::lesson::Lesson;

/// How long `solve` waits for a step to turn green after applying its
/// solution: a CronJob's first Job may take a minute.
const STEP_TIMEOUT: Duration = Duration::from_secs(90);

async fn engine(lesson: &LessonArgs, cluster: &ClusterArgs) -> anyhow::Result<Engine> {
    let lesson = lesson.load_accepted()?;
    let config = cluster.target().config().await?;
    Engine::start(lesson, config).await
}

fn print_report(lesson: &Lesson, report: &StepReport) {
    let step = &lesson.steps[report.index];
    println!(
        "{} {:>2}. {}  ({})",
        report.mark(),
        report.index + 1,
        step.title,
        step.id
    );
    for (check, outcome) in &report.outcomes {
        // The message quotes the cluster (names, server errors): no escapes.
        println!("      {} {}", outcome.mark(), printable(&outcome.message));
        if !outcome.passed
            && !outcome.undecided
            && let Some(hint) = check.hint()
        {
            println!("        hint: {hint}");
        }
    }
}

/// Evaluates every step once; exit 0 only when all pass, 1 when one fails,
/// 3 when none fails but some cannot be decided with the user's rights.
pub async fn verify(lesson: &LessonArgs, cluster: &ClusterArgs) -> anyhow::Result<ExitCode> {
    let engine = engine(lesson, cluster).await?;
    println!("{} — namespace {}", engine.lesson.title, engine.namespace());
    if let Some(line) = &engine.created_namespace {
        println!("{line}");
    }
    println!("{}", engine.link().describe());
    let reports = engine.evaluate_all().await;
    let held_once = held_once(&engine.lesson, &reports);
    for report in &reports {
        if held_once.contains(&report.index) {
            let step = &engine.lesson.steps[report.index];
            let later = step.undone_by.map_or(0, |i| i + 1);
            println!(
                "✓ {:>2}. {}  ({})  — changed on purpose by step {later}, which passes",
                report.index + 1,
                step.title,
                step.id
            );
            continue;
        }
        print_report(&engine.lesson, report);
    }
    let lacking = reports.iter().filter(|r| r.needs_right().is_some()).count();
    let failing = reports
        .iter()
        .filter(|r| !r.passed() && !r.undecided() && !held_once.contains(&r.index))
        .count();
    let undecided = reports
        .iter()
        .filter(|r| r.undecided() && r.needs_right().is_none())
        .count();
    let passed = reports.len() - failing - undecided - lacking;
    if passed == reports.len() {
        println!("all {passed} steps pass");
    } else {
        println!(
            "{passed} of {} steps pass, {failing} fail, {undecided} cannot be checked, \
             {lacking} need a right you do not have",
            reports.len()
        );
    }
    let mut said = std::collections::BTreeSet::new();
    for report in &reports {
        if let Some(sentence) = report.needs_right()
            && said.insert(sentence)
        {
            println!("needs a right you do not have: {sentence}");
        }
    }
    if let Some(first) = reports
        .iter()
        .find(|r| !r.passed() && !r.undecided() && !held_once.contains(&r.index))
    {
        let step = &engine.lesson.steps[first.index];
        println!(
            "current step: {}. {} ({})",
            first.index + 1,
            step.title,
            step.id
        );
    }
    Ok(match (failing, undecided) {
        (0, 0) => ExitCode::SUCCESS,
        (0, _) => ExitCode::from(3),
        _ => ExitCode::FAILURE,
    })
}

/// Steps that fail now only because a later step changed what they check,
/// on purpose (`undoneBy`), while that later step passes.
fn held_once(lesson: &Lesson, reports: &[StepReport]) -> std::collections::BTreeSet<usize> {
    reports
        .iter()
        .filter(|r| !r.passed())
        .filter(|r| {
            lesson.steps[r.index]
                .undone_by
                .and_then(|later| reports.iter().find(|l| l.index == later))
                .is_some_and(StepReport::passed)
        })
        .map(|r| r.index)
        .collect()
}

/// Applies each step's solution and runs its action, in order, waiting for
/// each step to turn green before the next.
pub async fn solve(
    lesson: &LessonArgs,
    cluster: &ClusterArgs,
    through: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let mut engine = engine(lesson, cluster).await?;
    let last = match through {
        Some(id) => engine.lesson.step_index(id).ok_or_else(|| {
            let ids: Vec<&str> = engine.lesson.steps.iter().map(|s| s.id.as_str()).collect();
            anyhow::anyhow!(
                "no step {id:?} in lesson {}; steps: {}",
                engine.lesson.id,
                ids.join(", ")
            )
        })?,
        None => engine.lesson.steps.len() - 1,
    };
    println!("{} — namespace {}", engine.lesson.title, engine.namespace());
    if let Some(line) = &engine.created_namespace {
        println!("{line}");
    }
    let created = engine
        .setup()
        .await
        .map_err(|e| anyhow::anyhow!("the lesson's setup objects could not be created: {e}"))?;
    if !created.is_empty() {
        let names: Vec<String> = created.iter().map(ToString::to_string).collect();
        println!("   set up {}", names.join(", "));
    }
    for index in 0..=last {
        let step = engine.lesson.steps[index].clone();
        let started = Instant::now();
        let created = engine
            .setup_step(index)
            .await
            .map_err(|e| anyhow::anyhow!("step {}: its setup failed: {e}", step.id))?;
        if !created.is_empty() {
            let names: Vec<String> = created.iter().map(ToString::to_string).collect();
            println!("   set up {}", names.join(", "));
        }
        if let Some(solution) = &step.solution {
            match engine.apply(solution).await {
                Ok(applied) => {
                    let names: Vec<String> = applied.iter().map(ToString::to_string).collect();
                    println!("   applied {}", names.join(", "));
                    super::acts::record(cluster, &engine.lesson, index, Did::Applied);
                }
                Err(err) => anyhow::bail!("step {}: applying the solution failed: {err}", step.id),
            }
        }
        for line in &step.solution_commands {
            let command = crate::lesson::kubectl::parse(line)
                .map_err(|e| anyhow::anyhow!("step {}: kubectl {line}: {e}", step.id))?;
            match engine.kubectl(&command, None).await {
                Ok(said) => println!(
                    "   kubectl {line}: {}",
                    printable(&said.replace('\n', "; "))
                ),
                Err(err) => anyhow::bail!("step {}: kubectl {line}: {err}", step.id),
            }
            super::acts::record(cluster, &engine.lesson, index, Did::Applied);
        }
        for action in &step.actions {
            let output = engine.run_action(action).await;
            println!(
                "   {}: {}",
                output.title,
                printable(
                    &output
                        .lines
                        .iter()
                        .take(2)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            );
        }
        if !step.actions.is_empty() {
            super::acts::record(cluster, &engine.lesson, index, Did::Ran);
        }
        // A step the user's rights cannot decide would wait in vain.
        let now = engine.evaluate_step(index).await;
        if let Some(sentence) = now.needs_right() {
            print_report(&engine.lesson, &now);
            anyhow::bail!("step {} needs a right you do not have: {sentence}", step.id);
        }
        if now.undecided() {
            print_report(&engine.lesson, &now);
            println!("      (cannot be checked with your rights: going on)");
            continue;
        }
        match super::waiting::wait_saying_why(&mut engine, index, STEP_TIMEOUT).await {
            Ok(report) => {
                print_report(&engine.lesson, &report);
                println!("      ({:.1} s)", started.elapsed().as_secs_f64());
            }
            Err(report) => {
                print_report(&engine.lesson, &report);
                anyhow::bail!(
                    "step {} did not pass within {} s; still failing: {}",
                    step.id,
                    STEP_TIMEOUT.as_secs(),
                    super::waiting::failing(&report)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
