//! `kubetutor lessons test [ID…]`: runs every lesson's examples on the
//! cluster (see `proof`) and prints the table — lesson, identity, step,
//! example, expected, got, and what the learner reads. Exits 1 on any
//! disagreement, 2 when the cluster cannot be used for it.

use std::io::Write;
use std::process::ExitCode;

use crate::lesson::catalog::{self, LessonsRoot};
use crate::proof::{self, As, Plan, Row};

pub struct TestOptions<'a> {
    pub ids: &'a [String],
    pub who: &'a [As],
    pub jobs: usize,
}

pub async fn run(
    root: &LessonsRoot,
    cluster: &super::ClusterArgs,
    options: &TestOptions<'_>,
) -> anyhow::Result<ExitCode> {
    let known = catalog::in_learning_order(&root.path);
    let lessons = if options.ids.is_empty() {
        known.iter().map(|(_, dir)| dir.clone()).collect()
    } else {
        let mut dirs = Vec::new();
        for id in options.ids {
            let (_, dir) = known.iter().find(|(k, _)| k == id).ok_or_else(|| {
                let ids: Vec<&str> = known.iter().map(|(k, _)| k.as_str()).collect();
                anyhow::anyhow!(
                    "no lesson {id:?} in {}; lessons there: {}",
                    root.path.display(),
                    ids.join(", ")
                )
            })?;
            dirs.push(dir.clone());
        }
        dirs
    };
    let config = cluster.target().config().await?;
    let plan = Plan {
        lessons,
        who: options.who.to_vec(),
        jobs: options.jobs,
        pod_image: crate::lab::real_node::pod_image_for(cluster.kubeconfig.as_deref())
            .unwrap_or_else(|| crate::lesson::vars::DEFAULT_POD_IMAGE.to_string()),
    };
    println!("{root}");
    println!(
        "testing {} lesson(s) as {} on {}, {} case(s) at a time",
        plan.lessons.len(),
        plan.who
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" and "),
        config.cluster_url,
        plan.jobs
    );
    let mut stdout = std::io::stdout();
    let rows = proof::run(&plan, &config, &mut |row, done, total| {
        let mark = if row.disagreement.is_none() {
            "✓"
        } else {
            "✗"
        };
        let _ = writeln!(
            stdout,
            "[{done:>3}/{total}] {mark} {} · {} · {}. {} · {} ({:.1} s)",
            row.lesson, row.who, row.step.0, row.step.1, row.example, row.seconds
        );
    })
    .await?;
    print_table(&rows);
    let wrong = rows.iter().filter(|r| r.disagreement.is_some()).count();
    if wrong == 0 {
        println!("all {} cases agree", rows.len());
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{wrong} of {} cases disagree (✗ above)", rows.len());
        Ok(ExitCode::FAILURE)
    }
}

/// The whole table, one row per case; a disagreement says how, under it.
fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<24} {:<8} {:<26} {:<44} {:<8} {:<6} reason",
        "lesson", "as", "step", "example", "expected", "got"
    );
    for row in rows {
        let step = format!("{}. {}", row.step.0, row.step.1);
        println!(
            "{:<24} {:<8} {:<26} {:<44} {:<8} {:<6} {}",
            clip(&row.lesson, 24),
            row.who.to_string(),
            clip(&step, 26),
            clip(&row.example, 44),
            proof::expect_word(row.expected),
            row.got.to_string(),
            one_line(&row.said)
        );
        if let Some(how) = &row.disagreement {
            println!("    ✗ {how}: {}", one_line(&row.said));
        }
    }
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(width - 1).collect::<String>())
    }
}

/// Cluster-controlled text on one line, without terminal control characters.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
