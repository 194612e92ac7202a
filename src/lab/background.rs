//! `kubetutor --lab`: the lab built and started on a thread of its own while
//! the tutor already shows the lesson. Its phase is published on a watch
//! channel the tutor turns into messages; the tutor opens once the
//! kubeconfig is written (port chosen, certificates made: a second or so),
//! because its progress is kept per API server.

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::arrivals::{self, Binaries};
use super::bins::{self, BuildFailed, BuildOutput, BuildStopper};
use super::build_progress::BuildProgress;
use super::paths::LabPaths;
use super::up::{UpOptions, up_then};

/// How long a quit waits for a stopped build to clean up after itself.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// Where the lab stands, as the tutor shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabPhase {
    /// Looking for the binaries (Go's cache check).
    Locating,
    /// Building the binaries.
    Building(BuildProgress),
    /// Starting the components: the last thing `up` said.
    Starting(String),
    /// The API server serves (the tutor connects) while the rest of the lab
    /// is still built or started: the build's progress while it runs, and
    /// the last thing `up` said.
    Partly {
        build: Option<BuildProgress>,
        said: String,
    },
    /// Every component serves.
    Ready,
    /// The build or the start failed: the whole story, the log's path and
    /// what to do.
    Failed(String),
}

impl LabPhase {
    /// Still on its way up (not ready, not failed).
    pub fn is_waiting(&self) -> bool {
        matches!(
            self,
            LabPhase::Locating | LabPhase::Building(_) | LabPhase::Starting(_)
        )
    }

    /// Its API server serves, not yet all of it.
    pub fn is_partly_up(&self) -> bool {
        matches!(self, LabPhase::Partly { .. })
    }

    /// One line for the status bar, as of `now`.
    pub fn line(&self, now: Instant) -> String {
        match self {
            LabPhase::Locating => "waiting for the lab: looking for its binaries".into(),
            LabPhase::Building(progress) => format!("waiting for the lab: {}", progress.line(now)),
            LabPhase::Starting(said) => format!("waiting for the lab: {said}"),
            LabPhase::Partly {
                build: Some(progress),
                ..
            } => format!("lab partly up: {}", progress.line(now)),
            LabPhase::Partly { build: None, said } => format!("lab partly up: {said}"),
            LabPhase::Ready => "the lab is up".into(),
            LabPhase::Failed(_) => "the lab did not start (the Output pane says why)".into(),
        }
    }
}

/// The lab coming up in the background.
pub struct Background {
    phase: watch::Receiver<LabPhase>,
    stopper: BuildStopper,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Starts `lab up` for `paths` on its own thread; returns once the
    /// kubeconfig is written, or with the error that came before it (the
    /// folder is locked by another `lab` command that failed, say).
    pub fn start(paths: LabPaths) -> anyhow::Result<Background> {
        let (phase_tx, phase) = watch::channel(LabPhase::Locating);
        let (written_tx, written) = std_mpsc::channel::<anyhow::Result<()>>();
        let stopper = BuildStopper::default();
        let build_stopper = stopper.clone();
        let thread = std::thread::Builder::new()
            .name("lab".into())
            .spawn(move || {
                let result = run(&paths, &phase_tx, &build_stopper, &written_tx);
                match result {
                    Ok(()) => {
                        phase_tx.send_replace(LabPhase::Ready);
                    }
                    Err(err) => {
                        tracing::warn!("the lab did not start: {err:#}");
                        // Before the kubeconfig: the caller says it, no tutor yet.
                        let _ = written_tx.send(Err(anyhow::anyhow!("{err:#}")));
                        phase_tx.send_replace(LabPhase::Failed(failure_text(&err)));
                    }
                }
            })?;
        match written.recv() {
            Ok(Ok(())) => Ok(Background {
                phase,
                stopper,
                thread: Some(thread),
            }),
            Ok(Err(err)) => Err(err),
            Err(_) => anyhow::bail!("the lab's thread ended before writing its kubeconfig"),
        }
    }

    /// The phase, for the tutor.
    pub fn phase(&self) -> watch::Receiver<LabPhase> {
        self.phase.clone()
    }

    /// The tutor has quit: a running build is stopped (Go's caches and the
    /// binaries already installed keep what it did; nothing half-built is
    /// installed; the components already started keep running); a lab still
    /// starting goes on starting on its own (its components are detached).
    /// What to tell the learner, if anything.
    pub fn finish(mut self) -> Option<String> {
        let phase = self.phase.borrow().clone();
        match phase {
            LabPhase::Ready | LabPhase::Failed(_) => None,
            LabPhase::Partly { build: Some(_), .. } => {
                self.stop_build();
                Some(format!(
                    "the lab's build was stopped at your quit; etcd and the API server keep \
                     running, what was built stays in the cache, so `kubetutor --lab` (or \
                     `{}` then `kubetutor lab up`) goes on from there; `kubetutor lab down` \
                     stops what runs",
                    bins::BUILD_COMMAND
                ))
            }
            LabPhase::Locating | LabPhase::Building(_) => {
                self.stop_build();
                Some(format!(
                    "the lab's build was stopped at your quit; the components already built \
                     stay in the cache and Go keeps what it compiled, so `kubetutor --lab` (or \
                     `{}`) goes on from there",
                    bins::BUILD_COMMAND
                ))
            }
            LabPhase::Starting(_) | LabPhase::Partly { build: None, .. } => Some(
                "the lab was still starting at your quit; `kubetutor lab status` shows how \
                 far it got, `kubetutor lab up` finishes it"
                    .into(),
            ),
        }
    }

    /// Stops a running build and gives the lab's thread a moment to see it.
    fn stop_build(&mut self) {
        self.stopper.stop();
        if let Some(thread) = self.thread.take() {
            let began = Instant::now();
            while !thread.is_finished() && began.elapsed() < STOP_WAIT {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// `up`, with the build's progress and `up`'s lines published as phases.
fn run(
    paths: &LabPaths,
    phase: &watch::Sender<LabPhase>,
    stopper: &BuildStopper,
    written: &std_mpsc::Sender<anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Before the kubeconfig there is no tutor yet (a lock held by another
    // `lab` command, new certificates): those lines go to the terminal.
    let tutor_open = std::cell::Cell::new(false);
    let mut progress = |line: &str| {
        if !tutor_open.get() {
            eprintln!("lab: {line}");
        }
        tracing::info!("lab: {line}");
        // While the build runs, the phase is the build's own.
        phase.send_if_modified(|phase| match phase {
            LabPhase::Starting(said) | LabPhase::Partly { said, .. } => {
                *said = line.trim().to_string();
                true
            }
            _ => false,
        });
    };
    let mut kubeconfig_written = || {
        tutor_open.set(true);
        let _ = written.send(Ok(()));
    };
    let mut api_serving = || {
        phase.send_modify(|phase| {
            let build = match phase {
                LabPhase::Building(build)
                | LabPhase::Partly {
                    build: Some(build), ..
                } => Some(build.clone()),
                _ => None,
            };
            *phase = LabPhase::Partly {
                build,
                said: "the API server is up".into(),
            };
        });
    };
    let mut locate = |progress: &mut dyn FnMut(&str)| -> anyhow::Result<Binaries> {
        let mut build = BuildProgress::new(Instant::now());
        let building = phase.clone();
        let binaries = arrivals::locate(
            Box::new(move |output| match output {
                BuildOutput::Event(event) => {
                    build.apply(&event);
                    building.send_modify(|phase| on_build(phase, &build));
                }
                BuildOutput::Line(line) => tracing::info!("{line}"),
            }),
            progress,
            stopper,
        )?;
        // With a build under way its events set the phase (`on_build`).
        if !binaries.is_building() {
            phase.send_replace(LabPhase::Starting("starting its components".into()));
        }
        Ok(binaries)
    };
    runtime
        .block_on(up_then(
            paths,
            &UpOptions::default(),
            &mut progress,
            &mut kubeconfig_written,
            &mut api_serving,
            &mut locate,
        ))
        .map(|_| ())
}

/// The phase once the build has got as far as `build`: its progress while
/// it runs, then (all built) starting.
fn on_build(phase: &mut LabPhase, build: &BuildProgress) {
    let finished = build.total > 0 && build.done == build.total;
    match phase {
        LabPhase::Locating | LabPhase::Building(_) if finished => {
            *phase = LabPhase::Starting("starting its components".into());
        }
        LabPhase::Locating | LabPhase::Building(_) => *phase = LabPhase::Building(build.clone()),
        LabPhase::Partly { build: shown, .. } => {
            *shown = (!finished).then(|| build.clone());
        }
        LabPhase::Starting(_) | LabPhase::Ready | LabPhase::Failed(_) => {}
    }
}

/// The whole failure for the Output pane: what the build said last (the
/// end of the Go tool's log, its path, what to do), or `up`'s error.
fn failure_text(err: &anyhow::Error) -> String {
    match err.downcast_ref::<BuildFailed>() {
        Some(failed) if !failed.said.is_empty() => {
            format!("{}\n{}", failed.said.join("\n"), err)
        }
        _ => format!("{err:#}"),
    }
}
