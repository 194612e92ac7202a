//! The lab's binaries as they arrive: a build runs on a thread of its own
//! while `up` starts each component as soon as its binary is installed, in
//! start order (build.sh builds in that order). On 2 cores the API server is
//! built a couple of minutes before kwok; started then, the tutor connects
//! and the learner works on the real API server while the rest is built.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use super::bins::{self, BuildOutput, BuildStopper, Cache};
use super::build_progress::BuildEvent;

/// The folder of the lab's binaries, and the build still filling it, if any.
pub struct Binaries {
    pub dir: PathBuf,
    building: Option<Building>,
}

/// A build on its own thread.
struct Building {
    /// Artifacts the build has still to install; None until it names its
    /// plan (a script that does not: every artifact waits for its end).
    pending: watch::Receiver<Option<BTreeSet<String>>>,
    /// The build's end: how long it took, or why it failed.
    outcome: Option<oneshot::Receiver<anyhow::Result<Duration>>>,
}

impl Binaries {
    /// A folder already complete.
    pub fn complete(dir: PathBuf) -> Binaries {
        Binaries {
            dir,
            building: None,
        }
    }

    /// Starts build.sh on a thread of its own, filling `dir` (the folder its
    /// `--check` named). Each line it says goes to `on` (on that thread).
    pub fn build(
        dir: PathBuf,
        mut on: Box<dyn FnMut(BuildOutput<'_>) + Send>,
        stopper: BuildStopper,
    ) -> anyhow::Result<Binaries> {
        let (pending_tx, pending) = watch::channel(None);
        let (outcome_tx, outcome) = oneshot::channel();
        std::thread::Builder::new()
            .name("lab-build".into())
            .spawn(move || {
                let result = bins::build_reporting(
                    &mut |output| {
                        if let BuildOutput::Event(event) = &output {
                            pending_tx.send_modify(|pending| note(pending, event));
                        }
                        on(output);
                    },
                    &stopper,
                );
                let _ = outcome_tx.send(result.map(|(_, took)| took));
            })?;
        Ok(Binaries {
            dir,
            building: Some(Building {
                pending,
                outcome: Some(outcome),
            }),
        })
    }

    /// A build is still filling the folder.
    pub fn is_building(&self) -> bool {
        self.building.is_some()
    }

    /// Whether `artifact` may be used now without waiting.
    pub fn has(&self, artifact: &str) -> bool {
        match &self.building {
            None => true,
            Some(building) => building
                .pending
                .borrow()
                .as_ref()
                .is_some_and(|pending| !pending.contains(artifact)),
        }
    }

    /// Waits until `artifact` is installed: at once when it is, or when the
    /// build does not make it; the build's error when it fails first.
    pub async fn ready(&mut self, artifact: &str) -> anyhow::Result<()> {
        loop {
            if self.has(artifact) {
                return Ok(());
            }
            let Some(building) = &mut self.building else {
                return Ok(());
            };
            if building.pending.changed().await.is_err() {
                // The build's thread has ended: its outcome decides.
                return self.finish().await.map(|_| ());
            }
        }
    }

    /// Waits for the build's end (none: at once) and checks the folder is
    /// complete; how long the build took.
    pub async fn finish(&mut self) -> anyhow::Result<Option<Duration>> {
        let Some(building) = &mut self.building else {
            return Ok(None);
        };
        let Some(outcome) = building.outcome.take() else {
            return Ok(None);
        };
        let took = outcome
            .await
            .map_err(|_| anyhow::anyhow!("the lab's build thread ended without a word"))??;
        self.building = None;
        bins::check_complete(&self.dir)?;
        Ok(Some(took))
    }
}

/// The binaries' folder: complete (`$KUBETUTOR_LAB_BIN`, or the build cache),
/// else the cache as a build started now fills it, its lines going to `on`.
pub fn locate(
    on: Box<dyn FnMut(BuildOutput<'_>) + Send>,
    progress: &mut dyn FnMut(&str),
    stopper: &BuildStopper,
) -> anyhow::Result<Binaries> {
    match bins::find()? {
        Cache::Built(dir) => Ok(Binaries::complete(dir)),
        Cache::NotBuilt(dir) => {
            progress(&format!(
                "building the lab's control plane from its Go modules: {}",
                bins::BUILD_TIME
            ));
            Binaries::build(dir, on, stopper.clone())
        }
    }
}

/// `locate` for the command line: the build's lines for people on stderr.
pub fn locate_for_terminal(progress: &mut dyn FnMut(&str)) -> anyhow::Result<Binaries> {
    locate(
        Box::new(|output| {
            if let BuildOutput::Line(line) = output {
                eprintln!("{line}");
            }
        }),
        progress,
        &BuildStopper::default(),
    )
}

/// What `event` changes in the artifacts still to come.
fn note(pending: &mut Option<BTreeSet<String>>, event: &BuildEvent) {
    match event {
        BuildEvent::Plan {
            components: Some(components),
            ..
        } => {
            *pending = Some(
                components
                    .iter()
                    .flat_map(|component| artifacts_of(component))
                    .collect(),
            );
        }
        BuildEvent::Done { component, .. } => {
            if let Some(pending) = pending {
                for artifact in artifacts_of(component) {
                    pending.remove(&artifact);
                }
            }
        }
        _ => {}
    }
}

/// The files a component of build.sh installs (kwok comes with its stages).
fn artifacts_of(component: &str) -> Vec<String> {
    if component == "kwok" {
        vec!["kwok".into(), bins::KWOK_STAGES.into()]
    } else {
        vec![component.into()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> BuildEvent {
        BuildEvent::parse(line).unwrap()
    }

    #[test]
    fn an_artifact_is_pending_from_the_named_plan_until_its_component_is_done() {
        let mut pending = None;
        note(&mut pending, &event("@start 1 etcd"));
        assert_eq!(pending, None, "no plan yet: everything waits");
        note(&mut pending, &event("@plan 3 - etcd kube-apiserver kwok"));
        let names = |p: &Option<BTreeSet<String>>| {
            p.as_ref().unwrap().iter().cloned().collect::<Vec<String>>()
        };
        assert_eq!(
            names(&pending),
            ["etcd", "kube-apiserver", "kwok", "kwok-stages.yaml"]
        );
        note(&mut pending, &event("@done 1 etcd 50"));
        note(&mut pending, &event("@done 3 kwok 12"));
        assert_eq!(names(&pending), ["kube-apiserver"]);
    }

    #[test]
    fn a_plan_without_names_keeps_every_artifact_waiting_for_the_end() {
        let mut pending = None;
        note(&mut pending, &event("@plan 2 90"));
        note(&mut pending, &event("@done 1 etcd 1"));
        assert_eq!(pending, None);
    }

    #[tokio::test]
    async fn a_complete_folder_has_everything_at_once() {
        let mut binaries = Binaries::complete(PathBuf::from("/nonexistent"));
        assert!(binaries.has("kube-apiserver"));
        binaries.ready("kube-apiserver").await.unwrap();
        assert_eq!(binaries.finish().await.unwrap(), None);
    }
}
