//! `kubetutor lessons` and `kubetutor lessons lint [PATH]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::lesson::catalog::LessonsRoot;
use crate::lesson::{Lesson, catalog};

/// Lists the lessons under `root`: first which root and why, then per lesson
/// its id, number of steps and title (or its errors), its metadata, and how
/// far the learner got in it on the kubeconfig's cluster and namespace (read
/// from the progress files; nothing is asked of the cluster).
pub fn list(
    root: &LessonsRoot,
    cluster: &super::ClusterArgs,
    namespace: Option<&str>,
) -> anyhow::Result<ExitCode> {
    println!("{root}");
    let lessons = catalog::in_learning_order(&root.path);
    if lessons.is_empty() {
        anyhow::bail!(
            "no lessons in {} (a lesson is a folder with a lesson.yaml)",
            root.path.display()
        );
    }
    let target = cluster.target();
    let label = crate::cluster::context::label(&target);
    let context = crate::cluster::context::defaults(&target);
    let state_dir = crate::app::saved::state_dir().ok();
    for (id, dir) in lessons {
        match Lesson::load(&dir, namespace.or(context.namespace.as_deref())) {
            Ok(lesson) => {
                println!("{id:<28} {:>2} steps  {}", lesson.steps.len(), lesson.title);
                let mut meta = crate::lesson::meta::describe(&lesson);
                let reached = state_dir
                    .as_deref()
                    .and_then(|dir| crate::app::saved::reached(dir, &label.server, &lesson));
                if let Some(reached) = reached {
                    meta = [meta, format!("you: {reached} in {}", lesson.namespace)]
                        .into_iter()
                        .filter(|part| !part.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · ");
                }
                if !meta.is_empty() {
                    println!("{:<28}           {meta}", "");
                }
            }
            Err(errors) => println!(
                "{id:<28} {} error(s): run `kubetutor lessons lint {}`",
                errors.len(),
                dir.display()
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `lessons --show-rights`: per lesson, what it declares it does beyond its
/// namespace with the learner's rights and what its setups create unasked
/// (`lesson::consent`), its version, and whether that version is shipped
/// with kubetutor, accepted on this machine, or still to be accepted.
pub fn show_rights(root: &LessonsRoot, namespace: Option<&str>) -> anyhow::Result<ExitCode> {
    use crate::app::saved::approved;
    use crate::lesson::consent::{self, Declared};
    println!("{root}");
    let state_dir = crate::app::saved::state_dir()?;
    let lessons = catalog::in_learning_order(&root.path);
    if lessons.is_empty() {
        anyhow::bail!(
            "no lessons in {} (a lesson is a folder with a lesson.yaml)",
            root.path.display()
        );
    }
    for (id, dir) in lessons {
        let lesson = match Lesson::load(&dir, namespace) {
            Ok(lesson) => lesson,
            Err(errors) => {
                println!(
                    "\n{id}: does not load ({} error(s)): run `kubetutor lessons lint {}`",
                    errors.len(),
                    dir.display()
                );
                continue;
            }
        };
        let declared = Declared::of(&lesson);
        let version = consent::version(&dir);
        let standing = if !declared.asks() {
            "stays in its namespace: not asked"
        } else if consent::shipped(&id, &version) {
            "shipped with kubetutor (reviewed): not asked"
        } else if approved::is_approved(&state_dir, &version) {
            "accepted on this machine"
        } else {
            "not accepted yet: asked before it acts (--accept-rights accepts it)"
        };
        println!(
            "\n{id} — {} (namespace {}, version {}): {standing}",
            lesson.title,
            lesson.namespace,
            consent::short(&version)
        );
        for line in declared.lines() {
            println!("  {line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks one lesson folder, or every lesson under a root. Prints each error
/// as file:line:column: message; exits non-zero when there is any.
pub fn lint(path: &Path) -> anyhow::Result<ExitCode> {
    let dirs: Vec<PathBuf> = if path.join(crate::lesson::load::LESSON_FILE).is_file() {
        vec![path.to_path_buf()]
    } else {
        catalog::list(path)
            .into_iter()
            .map(|(_, dir)| dir)
            .collect()
    };
    if dirs.is_empty() {
        anyhow::bail!(
            "{} holds no lesson.yaml, and no lesson folders",
            path.display()
        );
    }
    let mut total = 0;
    for dir in &dirs {
        match Lesson::load(dir, None) {
            Ok(lesson) => {
                for warning in &lesson.warnings {
                    println!("{warning} (warning)");
                }
                println!("ok     {} ({} steps)", dir.display(), lesson.steps.len());
            }
            Err(errors) => {
                total += errors.len();
                for error in errors {
                    println!("{error}");
                }
            }
        }
    }
    if total == 0 {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{total} error(s)");
        Ok(ExitCode::FAILURE)
    }
}
