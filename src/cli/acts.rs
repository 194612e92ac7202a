//! What `call`, `token` and `solve` did for the steps of a lesson is logged
//! beside the learner's progress (see `app::acts_log`), so a tutor open on the
//! same cluster, namespace and lesson counts it: running a step's request with
//! `kubetutor call` in another terminal is running it.

use super::ClusterArgs;
use crate::app::acts_log::{self, Did, Entry};
use crate::app::saved;
use crate::lesson::model::Action;
use crate::lesson::{Lesson, catalog};

/// Logs `did` for step `index` of `lesson`. A failure to write is reported,
/// never fatal: the command itself has done its work.
pub fn record(cluster: &ClusterArgs, lesson: &Lesson, index: usize, did: Did) {
    let server = crate::cluster::context::label(&cluster.target()).server;
    let logged = saved::state_dir().and_then(|dir| {
        let progress = saved::path(&dir, &server, &lesson.namespace, &lesson.id);
        let entry = Entry {
            step: lesson.steps[index].id.clone(),
            did,
        };
        acts_log::append(&progress, &entry)
    });
    if let Err(err) = logged {
        eprintln!("(could not note this in your progress: {err})");
    }
}

/// After `call` or `token` ran `ran` in `namespace`: every step of the
/// shipped lessons whose action it is counts as run, and says so.
pub fn record_run(cluster: &ClusterArgs, namespace: &str, ran: impl Fn(&Action) -> bool) {
    for (_, dir) in catalog::list(&catalog::default_root()) {
        let Ok(lesson) = Lesson::load(&dir, Some(namespace)) else {
            continue;
        };
        for (index, step) in lesson.steps.iter().enumerate() {
            if step.actions.iter().any(&ran) {
                record(cluster, &lesson, index, Did::Ran);
                println!(
                    "(counted as running step {} of \"{}\" in {namespace})",
                    index + 1,
                    lesson.title
                );
            }
        }
    }
}
