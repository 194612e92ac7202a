//! `lab up`: start what is not running, replace what runs but does not serve,
//! and fail unless the whole lab serves at the end.

use std::fs;
use std::time::{Duration, Instant};

use anyhow::Context;
use kube::Client;

use super::components::NODE_NAME;

/// kwok stages of kubetutor's own (see the file's comments).
const KUBETUTOR_STAGES: &str = include_str!("../../assets/kubetutor-stages.yaml");
use super::arrivals::{self, Binaries};
use super::health::{self, serving_within, wait_ready};
use super::paths::LabPaths;
use super::pki::{self, PkiChange};
use super::ports::Ports;
use super::probe::Prober;
use super::process::{self, PidRecord, Stopped};
use super::state::LabState;
use super::{
    Component, admin_config, bins, kubeconfig, lock, nodes, real_node, release, running_record,
};

/// How long a running component may fail its probe before it is replaced,
/// when nothing it depends on was restarted: long enough to ride out a blip.
const CONFIRM: Duration = Duration::from_secs(1);
/// The same after a component it depends on was (re)started in this `up`:
/// the API server needs a moment to reconnect to a new etcd, for instance.
const SETTLE_AFTER_RESTART: Duration = Duration::from_secs(20);
/// SIGTERM grace for a component that does not serve: it is usually already
/// shutting down (a SIGTERMed kube-apiserver drains for ~30 s; a second
/// SIGTERM makes it exit at once), so SIGKILL comes soon.
const NOT_SERVING_GRACE: Duration = Duration::from_secs(2);
/// How long a started lab's failed `up` gives each process to exit.
const CLEANUP_GRACE: Duration = Duration::from_secs(10);
/// How long a predecessor's ports and etcd's data directory may stay held.
const RELEASE_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Default, Clone)]
pub struct UpOptions {
    /// Port for the API server; a free one (or the previous one) when None.
    pub port: Option<u16>,
    /// Also run a real node (`lab up --real-node`, see `real_node`).
    pub real_node: bool,
}

/// What `up` did.
#[derive(Debug, Clone)]
pub struct UpReport {
    /// From the call to a serving lab.
    pub elapsed: Duration,
    /// Components this call started (all of them for a stopped lab).
    pub started: Vec<Component>,
}

/// Starts whatever part of the lab is not running, replaces what runs but does
/// not serve, and waits until every component serves. Progress goes to
/// `progress` (stderr for the CLI).
pub async fn up(
    paths: &LabPaths,
    options: &UpOptions,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<UpReport> {
    up_then(
        paths,
        options,
        progress,
        &mut || {},
        &mut || {},
        &mut arrivals::locate_for_terminal,
    )
    .await
}

/// Finds the lab's binaries, or starts building them, saying what it does
/// to `progress`: `arrivals::locate_for_terminal` for the CLI.
pub type Locate<'a> = dyn FnMut(&mut dyn FnMut(&str)) -> anyhow::Result<Binaries> + 'a;

/// `up`, which calls `kubeconfig_written` once the admin kubeconfig names the
/// lab's API server (its port chosen, its certificates made), before the
/// binaries are looked for; `locate` finds them or starts their build, and
/// each component starts as soon as its binary is there; `api_serving` is
/// called once the API server serves, which with a build under way is
/// minutes before the whole lab does. The tutor opens on that kubeconfig
/// while the build goes on, and connects once the API server serves
/// (`background`).
pub async fn up_then(
    paths: &LabPaths,
    options: &UpOptions,
    progress: &mut dyn FnMut(&str),
    kubeconfig_written: &mut dyn FnMut(),
    api_serving: &mut dyn FnMut(),
    locate: &mut Locate<'_>,
) -> anyhow::Result<UpReport> {
    let began = Instant::now();
    // The folder holds the admin kubeconfig (a system:masters key): 0700.
    crate::files::create_private_dir(paths.root())?;
    fs::write(
        paths.marker(),
        "A kubetutor lab's state; `kubetutor lab down --purge` removes this folder.\n",
    )
    .with_context(|| format!("writing {}", paths.marker().display()))?;
    for dir in [paths.logs(), paths.pids()] {
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let _lock = lock(paths, progress)?;
    let change = pki::ensure(paths)?;
    let restart = components_to_restart(&change);
    match change {
        PkiChange::Unchanged => {}
        PkiChange::Generated => {
            progress("generated the lab's CA, certificates and ServiceAccount signing key")
        }
        PkiChange::Reissued(stems) => progress(&format!(
            "reissued {}: the lab's certificate layout changed since they were made",
            stems.join(", ")
        )),
        PkiChange::Renewed(stems) => progress(&format!(
            "renewed {} with the lab's CA: it expired within 30 days",
            stems.join(", ")
        )),
        PkiChange::Regenerated => progress(
            "the lab's CA expired within 30 days: generated a new CA and certificates \
             (kubeconfigs exported from this lab must be exported again)",
        ),
    }

    let previous = LabState::load(paths);
    let fresh = Component::ALL
        .into_iter()
        .all(|c| running_record(paths, c).is_none());
    let ports = match (&previous, fresh) {
        (Some(state), false) => {
            if let Some(port) = options.port.filter(|p| *p != state.ports.apiserver) {
                anyhow::bail!(
                    "the lab is already running with its API server on port {}, not {port}; \
                     run `kubetutor lab down` first to move it",
                    state.ports.apiserver
                );
            }
            state.ports
        }
        _ => Ports::choose(previous.as_ref().map(|s| s.ports), options.port)?,
    };
    let was_real = previous.as_ref().is_some_and(|s| s.real_node);
    if options.real_node && !fresh && !was_real {
        anyhow::bail!(
            "the lab is running without a real node; run `kubetutor lab down` first, then \
             `kubetutor lab up --real-node` (its API server starts with other flags)"
        );
    }
    // A running real-node lab stays one when `up` repairs it.
    let real_node = options.real_node || (!fresh && was_real);
    if real_node {
        // Before this folder records a real node: one per machine.
        real_node::check_no_other_node(paths.root())?;
    }
    // Written before the binaries are found, which may mean a build of
    // minutes: the port (and so the server the tutor keys progress by) is
    // known from here on, and stays the same when the build is done.
    kubeconfig::write_all(paths, ports.apiserver)?;
    kubeconfig_written();
    let binaries = match (&previous, fresh) {
        // Components already running keep the binaries they were started from,
        // while those are still there.
        (Some(state), false) if bins::check_complete(&state.bin_dir).is_ok() => {
            Binaries::complete(state.bin_dir.clone())
        }
        _ => locate(progress)?,
    };
    LabState {
        bin_dir: binaries.dir.clone(),
        ports,
        real_node,
    }
    .save(paths)?;
    let node_build = if real_node {
        Some(real_node::prepare(paths, ports.apiserver, progress)?)
    } else {
        None
    };
    std::fs::write(paths.kubetutor_stages(), KUBETUTOR_STAGES)?;
    let admin = admin_config(paths).await?;
    let mut run = Run {
        paths,
        ports,
        binaries,
        api_serving,
        prober: Prober::new(paths, &admin, ports),
        client: crate::transport::client(&admin)?,
        started: Vec::new(),
        restart,
        real_node,
    };

    let brought_up = match run.bring_up(progress).await {
        // What the build makes beside the components (kubectl) is there too.
        Ok(()) => run.binaries.finish().await.map(|took| {
            if let Some(took) = took {
                progress(&format!("lab binaries built in {} s", took.as_secs()));
            }
        }),
        Err(err) => Err(err),
    };
    if let Err(err) = brought_up {
        // A build stopped by the learner's quit leaves what already runs
        // running: they did not ask for the lab to go, and the next
        // `kubetutor --lab` goes on from there.
        let quit = err
            .downcast_ref::<bins::BuildFailed>()
            .is_some_and(|failed| failed.stopped);
        if fresh && !quit {
            // A failed start of a stopped lab leaves nothing half-started. A
            // failed repair keeps the components that run: they still serve.
            for record in run.started.iter().rev().map(|(_, r)| r) {
                let _ = blocking_stop(record.clone(), CLEANUP_GRACE).await;
            }
        }
        return Err(err);
    }
    run.wait_until_all_serve(progress).await?;
    if let Some(build) = &node_build {
        real_node::start(paths, build, ports.apiserver, &run.client, progress).await?;
    } else if was_real {
        real_node::forget(&run.client).await?;
        progress("started without the real node: Pods go to the kwok node again");
    }
    Ok(UpReport {
        elapsed: began.elapsed(),
        started: run.started.iter().map(|(c, _)| *c).collect(),
    })
}

/// One `up` in progress.
struct Run<'a> {
    paths: &'a LabPaths,
    ports: Ports,
    /// The binaries, perhaps still arriving from a build.
    binaries: Binaries,
    /// Told once the API server serves.
    api_serving: &'a mut dyn FnMut(),
    prober: Prober,
    client: Client,
    /// What this call started, in order.
    started: Vec<(Component, PidRecord)>,
    /// Running components whose certificates changed on disk: they hold the
    /// old ones in memory until restarted.
    restart: Vec<Component>,
    /// The API server gets the real node's flags (`real_node::apiserver_args`).
    real_node: bool,
}

/// The components that present or trust a certificate that `change` wrote.
fn components_to_restart(change: &PkiChange) -> Vec<Component> {
    let stems = match change {
        PkiChange::Unchanged | PkiChange::Generated => return Vec::new(),
        PkiChange::Regenerated => return Component::ALL.to_vec(),
        PkiChange::Reissued(stems) | PkiChange::Renewed(stems) => stems,
    };
    let mut components: Vec<Component> = Component::ALL
        .into_iter()
        .filter(|component| {
            stems.iter().any(|stem| match *component {
                // etcd's certificates are trusted by the API server through
                // etcd's CA, which a reissue may have just created.
                Component::Etcd => stem.starts_with("etcd-"),
                Component::ApiServer => stem.starts_with("apiserver") || stem.starts_with("etcd-"),
                Component::ControllerManager => stem.starts_with("controller-manager"),
                Component::Scheduler => stem.starts_with("scheduler"),
                Component::Kwok => *stem == "kwok",
            })
        })
        .collect();
    components.dedup();
    components
}

impl Run<'_> {
    /// In start order: keep each component that serves, replace one that runs
    /// but does not, start one that is not running (once its binary is
    /// built); wait for each to serve before the next, which depends on it.
    async fn bring_up(&mut self, progress: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
        for component in Component::ALL {
            self.bring_up_one(component, progress).await?;
            if component == Component::ApiServer {
                (self.api_serving)();
            }
        }
        Ok(())
    }

    /// One component, as `bring_up` says.
    async fn bring_up_one(
        &mut self,
        component: Component,
        progress: &mut dyn FnMut(&str),
    ) -> anyhow::Result<()> {
        let name = component.name();
        if let Some(record) = running_record(self.paths, component)
            && self.restart.contains(&component)
        {
            progress(&format!(
                "{name:<24} restarting (pid {}): its certificates changed",
                record.pid
            ));
            blocking_stop(record, NOT_SERVING_GRACE)
                .await
                .with_context(|| format!("stopping {name}"))?;
        } else if let Some(record) = running_record(self.paths, component) {
            let within = if self.started.is_empty() {
                CONFIRM
            } else {
                SETTLE_AFTER_RESTART
            };
            match serving_within(within, || self.prober.probe(component)).await {
                Ok(()) => {
                    progress(&format!("{name:<24} already running (pid {})", record.pid));
                    return Ok(());
                }
                Err(reason) => {
                    progress(&format!(
                        "{name:<24} running (pid {}) but not serving: {reason}; replacing it",
                        record.pid
                    ));
                    let how = blocking_stop(record.clone(), NOT_SERVING_GRACE)
                        .await
                        .with_context(|| format!("stopping {name}"))?;
                    if how == Stopped::Killed {
                        progress(&format!(
                            "{name:<24} killed (SIGKILL) after {} s",
                            NOT_SERVING_GRACE.as_secs()
                        ));
                    }
                }
            }
        } else if let Some(old) =
            PidRecord::read(&self.paths.pid_file(name)).filter(|r| !r.is_gone())
        {
            // Its process is exiting but may still hold its port or files.
            progress(&format!(
                "{name:<24} previous process (pid {}) is still exiting; waiting for it",
                old.pid
            ));
            blocking_stop(old, NOT_SERVING_GRACE)
                .await
                .with_context(|| format!("stopping {name}"))?;
        }
        if !self.binaries.has(component.binary()) {
            progress(&format!("{name:<24} waiting for its binary (being built)"));
        }
        self.binaries.ready(component.binary()).await?;
        self.start(component, progress).await
    }

    async fn start(
        &mut self,
        component: Component,
        progress: &mut dyn FnMut(&str),
    ) -> anyhow::Result<()> {
        let name = component.name();
        let began = Instant::now();
        let ports = component.ports(&self.ports);
        let etcd_data = (component == Component::Etcd).then(|| self.paths.etcd_data());
        tokio::task::spawn_blocking(move || {
            release::wait_released(&ports, etcd_data.as_deref(), RELEASE_WAIT)
        })
        .await?
        .with_context(|| format!("{name} cannot start"))?;
        if component == Component::Kwok {
            nodes::register_node(&self.client, NODE_NAME).await?;
        }
        let mut args = component.args(self.paths, &self.ports, &self.binaries.dir);
        if self.real_node && component == Component::ApiServer {
            real_node::apiserver_args(&mut args, self.paths);
        }
        let record = process::spawn_detached(
            &self.binaries.dir.join(component.binary()),
            &args,
            &self.paths.log_file(name),
            &self.paths.pid_file(name),
        )?;
        self.started.push((component, record.clone()));
        progress(&format!("{name:<24} starting (pid {}) …", record.pid));
        let timeout = match component {
            Component::ApiServer => Duration::from_secs(120),
            _ => Duration::from_secs(60),
        };
        let prober = &self.prober;
        wait_ready(name, &record, self.paths, timeout, || async move {
            prober.probe(component).await?;
            if component == Component::Kwok {
                // Serving is not enough for kwok: its node must be Ready.
                prober.node_ready(NODE_NAME).await?;
            }
            Ok(())
        })
        .await?;
        progress(&format!(
            "{name:<24} ready in {:.1} s",
            began.elapsed().as_secs_f64()
        ));
        Ok(())
    }

    /// The controller-manager has made `default/default`, and every component
    /// still serves; otherwise an error naming each one that does not.
    async fn wait_until_all_serve(&self, progress: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
        let began = Instant::now();
        health::wait_default_service_account(&self.client, Duration::from_secs(60)).await?;
        progress(&format!(
            "{:<24} present ({:.1} s)",
            "default ServiceAccount",
            began.elapsed().as_secs_f64()
        ));
        let checks = Component::ALL.into_iter().map(|component| async move {
            let verdict = match running_record(self.paths, component) {
                None => Err("stopped".to_string()),
                Some(_) => serving_within(CONFIRM, || self.prober.probe(component))
                    .await
                    .map_err(|reason| format!("running but not serving: {reason}")),
            };
            verdict.map_err(|why| {
                format!(
                    "{} {why} (log: {})",
                    component.name(),
                    self.paths.log_file(component.name()).display()
                )
            })
        });
        let problems: Vec<String> = futures::future::join_all(checks)
            .await
            .into_iter()
            .filter_map(Result::err)
            .collect();
        if problems.is_empty() {
            return Ok(());
        }
        anyhow::bail!(
            "the lab is not ready:\n  {}\nRun `kubetutor lab up` again to restart them, \
             or `kubetutor lab status` to see the whole lab.",
            problems.join("\n  ")
        )
    }
}

/// `process::stop` off the async threads (it sleeps while it waits).
async fn blocking_stop(record: PidRecord, grace: Duration) -> anyhow::Result<Stopped> {
    tokio::task::spawn_blocking(move || process::stop(&record, grace)).await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_certificate_restarts_whoever_presents_or_trusts_it() {
        let reissued = |stems: &[&'static str]| PkiChange::Reissued(stems.to_vec());
        assert_eq!(
            components_to_restart(&reissued(&[
                "etcd-server",
                "etcd-peer",
                "apiserver-etcd-client"
            ])),
            [Component::Etcd, Component::ApiServer]
        );
        assert_eq!(
            components_to_restart(&PkiChange::Renewed(vec!["scheduler-serving", "admin"])),
            [Component::Scheduler]
        );
        assert!(components_to_restart(&PkiChange::Renewed(vec!["admin"])).is_empty());
        assert!(components_to_restart(&PkiChange::Unchanged).is_empty());
        assert_eq!(
            components_to_restart(&PkiChange::Regenerated).len(),
            Component::ALL.len()
        );
    }
}
