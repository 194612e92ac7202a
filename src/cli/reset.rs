//! `kubetutor reset`: delete what the lesson made and start it over.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::{ClusterArgs, LessonArgs};
use crate::app::acts_log::{Did, Entry};
use crate::app::saved;
use crate::cluster::kinds::Kinds;
use crate::cluster::reset::{self, ResetEvent};

pub struct ResetOptions<'a> {
    pub step: Option<&'a str>,
    pub yes: bool,
    pub keep_drafts: bool,
    pub timeout: Duration,
}

pub async fn run(
    lesson: &LessonArgs,
    cluster: &ClusterArgs,
    options: &ResetOptions<'_>,
) -> anyhow::Result<ExitCode> {
    let lesson = lesson.load_accepted()?;
    let from = match options.step {
        Some(id) => lesson.step_index(id).ok_or_else(|| {
            let ids: Vec<&str> = lesson.steps.iter().map(|s| s.id.as_str()).collect();
            anyhow::anyhow!(
                "no step {id:?} in lesson {}; steps: {}",
                lesson.id,
                ids.join(", ")
            )
        })?,
        None => 0,
    };
    let target = cluster.target();
    // The progress file has one writer: a tutor with this lesson open would
    // save its own progress over the reset's at its next save.
    let label = crate::cluster::context::label(&target);
    let state_dir = saved::state_dir()?;
    let progress_file = saved::path(&state_dir, &label.server, &lesson.namespace, &lesson.id);
    // A tutor holding it is told through the acts log it reads each second,
    // and starts over itself.
    let lock = saved::lock(&progress_file);
    if let saved::Lock::Unavailable(why) = &lock {
        anyhow::bail!("cannot reset the progress: {why}");
    }
    let config = target.config().await?;
    let client = crate::transport::client(&config)?;
    let kinds = Kinds::discover(&client).await.map_err(|e| {
        anyhow::anyhow!("cannot reach the API server at {}: {e}", config.cluster_url)
    })?;
    let reset::Plan { doomed, kept } = reset::plan_keeping(&client, &kinds, &lesson, from)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;

    let what = match options.step {
        Some(id) => format!("step {} ({id}) and the steps after it", from + 1),
        None => "the whole lesson".to_string(),
    };
    println!(
        "Reset {what} of {} in namespace {}.",
        lesson.id, lesson.namespace
    );
    for object in &kept {
        println!("  {object}: not made by kubetutor: kept");
    }
    if doomed.is_empty() {
        println!("Nothing of the lesson is in the cluster: nothing to delete.");
    } else {
        println!(
            "{} will be deleted (nothing else is touched):",
            crate::k8s_names::these_objects(doomed.len())
        );
        for object in &doomed {
            println!("  {object}");
        }
        if !options.yes && !confirm("Delete them?")? {
            println!("Nothing was deleted.");
            return Ok(ExitCode::FAILURE);
        }
    }

    let started = Instant::now();
    let total = doomed.len();
    let mut done = 0;
    let mut progress = |event: ResetEvent| match event {
        ResetEvent::Deleting(object) => println!("  deleting {object} …"),
        ResetEvent::Gone { object, .. } => {
            done += 1;
            println!("  [{}] {done}/{total} {object} is gone", bar(done, total));
        }
        ResetEvent::Restored(what) => println!("  {what}"),
        ResetEvent::HeldBy { object, finalizers } => {
            println!(
                "  {object} is held by finalizers {}: waiting for them …",
                finalizers.join(", ")
            )
        }
    };
    let result = reset::execute(&client, &doomed, options.timeout, &mut progress).await;
    let labels = crate::cluster::namespace_labels::restore(
        &client,
        &lesson.namespace,
        &lesson.id,
        &lesson.namespace_label_keys(from),
        from == 0,
    )
    .await;
    match &labels {
        Ok(said) => said.iter().for_each(|line| println!("  {line}")),
        Err(why) => eprintln!("  the namespace's labels could not be put back: {why}"),
    }
    if let Err(failures) = result {
        eprintln!("The reset is not complete; still there:");
        for failure in failures {
            eprintln!("  {failure}");
        }
        eprintln!("Progress was not reset. Fix the above and run the same reset again.");
        return Ok(ExitCode::FAILURE);
    }

    if let saved::Lock::Held(who) = &lock {
        let did = if options.keep_drafts {
            Did::ResetKeepingDrafts
        } else {
            Did::Reset
        };
        let entry = Entry {
            step: lesson.steps[from].id.clone(),
            did,
        };
        crate::app::acts_log::append(&progress_file, &entry)?;
        println!(
            "Done in {:.1} s: {total} objects deleted. {who}: it goes back to step {} itself.",
            started.elapsed().as_secs_f64(),
            from + 1
        );
        return Ok(ExitCode::SUCCESS);
    }
    // Progress back to the step, drafts back to the templates unless kept.
    let (path, loaded) = saved::open(&state_dir, &label.server, &lesson.namespace, &lesson.id);
    if let Some(notice) = loaded.notice {
        eprintln!("{notice}");
    }
    let (mut state, dropped) = saved::fit(loaded.state.unwrap_or_default(), &lesson);
    if let Some(notice) = saved::misfit_notice(&dropped) {
        eprintln!("{notice}");
    }
    state.current = from;
    state.unlocked = from;
    if !options.keep_drafts {
        let later: Vec<&str> = lesson.steps[from..].iter().map(|s| s.id.as_str()).collect();
        state
            .drafts
            .retain(|step, _| !later.contains(&step.as_str()));
    }
    // The learner builds, runs and answers again from that step on.
    let later: Vec<&str> = lesson.steps[from..].iter().map(|s| s.id.as_str()).collect();
    state.acts.retain(|step, _| !later.contains(&step.as_str()));
    crate::app::acts_log::Reader::new(&path).clear();
    saved::store(&path, &state)?;
    println!(
        "Done in {:.1} s: {total} objects deleted, progress back to step {}{}.",
        started.elapsed().as_secs_f64(),
        from + 1,
        if options.keep_drafts {
            ", drafts kept"
        } else {
            ", editor drafts back to their templates"
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn bar(done: usize, total: usize) -> String {
    let width = 20;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    format!("{}{}", "#".repeat(filled), "-".repeat(width - filled))
}

fn confirm(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("nothing deleted: confirm with --yes when not running in a terminal");
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
