//! The runtimes: the tutor's (this file) and the class board's (`board`),
//! built from one kit — a terminal guard that always restores the terminal
//! (`terminal`), one event source for keys and signals (`events`), one
//! engine spawn (`engine`). Each takes values already resolved from the
//! command line, runs one event loop, and performs the effects its `update`
//! asks for. State changes only in `app::update` (`class::board::update`);
//! drawing only in `ui`.

pub mod board;
mod engine;
mod events;
mod logging;
mod saver;
mod shell;
mod terminal;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crossterm::event::{MouseButton, MouseEventKind};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::{self, App, Effect, Msg, saved};
use crate::cluster::connect::Target;
use crate::engine::Engine;
use crate::lesson::catalog::{self, LessonSource};
use events::{Events, Input};
use terminal::{InputModes, Terminal};

/// Drafts and progress are written this long after the last change, so a crash
/// loses at most this much typing.
const SAVE_DELAY: Duration = Duration::from_millis(500);

/// How often the log of acts done in other terminals is read.
const ACTS_LOG_EVERY: Duration = Duration::from_secs(1);

/// Test hook: panic right after the first frame, to prove the terminal is restored.
const PANIC_HOOK_ENV: &str = "KUBETUTOR_TEST_PANIC";

/// What the tutor opens, resolved from the command line by its caller.
#[derive(Debug, Clone)]
pub struct Tutor {
    /// The cluster.
    pub target: Target,
    /// Why kubetutor chose the cluster itself, when it did: a few words for
    /// the status bar.
    pub chosen: Option<String>,
    /// The lesson opened first (id) when none was remembered.
    pub lesson: String,
    /// The lesson was named (`--lesson`, or a class kubeconfig): open it even
    /// when another was opened last.
    pub lesson_named: bool,
    /// Where lessons open from (the first one, and those the picker switches to).
    pub lessons: LessonSource,
    /// The lessons folder named on the command line, if any: the picker says
    /// where its lessons come from.
    pub lessons_dir: Option<PathBuf>,
    /// Start in presenter mode.
    pub presenter: bool,
    /// `--accept-rights`: the first lesson's declarations are accepted
    /// (remembered) without asking.
    pub accept_rights: bool,
    /// `--lab`: the lab coming up in the background; the engine starts once
    /// it is up (the target is its kubeconfig, written already).
    pub lab: Option<tokio::sync::watch::Receiver<crate::lab::background::LabPhase>>,
}

pub fn run(tutor: Tutor) -> anyhow::Result<ExitCode> {
    // Everything that can fail for a plain reason fails before the terminal is taken.
    let state_dir = saved::state_dir()?;
    logging::init(&state_dir.join("kubetutor.log"))?;
    let mut label = crate::cluster::context::label(&tutor.target);
    let asked_namespace = tutor.lessons.namespace.as_deref();
    let first = saved::last_lesson::first_lesson(
        tutor.lesson_named.then_some(tutor.lesson.as_str()),
        saved::last_lesson::recall(&state_dir, &label.server, asked_namespace),
        &tutor.lesson,
        |id| tutor.lessons.load(id).is_ok(),
    );
    let mut lesson = tutor.lessons.load(&first)?;
    if let Some(chosen) = &tutor.chosen {
        label.context = format!("{} ({chosen})", label.context);
    }
    let (lessons, loaded_lessons) = lesson_titles(
        &tutor.lessons.root,
        &state_dir,
        &label.server,
        tutor.lessons.namespace.as_deref(),
    );
    let lessons_root = catalog::resolve(tutor.lessons_dir.as_deref())
        .map(|root| root.short())
        .unwrap_or_default();

    // One thread: the UI and the engine wait on the network, not the CPU, and
    // one thread keeps the allocator to one arena (less memory at scale).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut terminal = Terminal::enter(InputModes {
        mouse: true,
        paste: true,
    });
    let mut farewell = None;
    let mut accept_rights = tutor.accept_rights;
    let result = loop {
        saved::last_lesson::remember(&state_dir, &label.server, asked_namespace, &lesson.id);
        let (saved_path, loaded) =
            saved::open(&state_dir, &label.server, &lesson.namespace, &lesson.id);
        // Held until this lesson is left: the one writer of its progress file.
        let lock = saved::lock(&saved_path);
        // A lesson that reaches beyond its namespace asks first (once per
        // version); nothing is applied until the learner answers.
        let ask = saved::approved::to_ask(&state_dir, &lesson);
        let mut app = App::new(lesson, label.clone(), loaded.state);
        if let Some(ask) = ask {
            // `--accept-rights` answers for the first lesson only.
            let accepted = accept_rights && saved::approved::approve(&state_dir, &ask).is_ok();
            if !accepted {
                app::consent::ask(&mut app, ask);
            }
        }
        accept_rights = false;
        if let Some(notice) = loaded.notice {
            app.tell_lasting(notice);
        }
        if let Some(said) = lock.read_only_notice() {
            app.tell_lasting(said);
        }
        app.lessons = lessons.clone();
        app.lessons_root = lessons_root.clone();
        app.presenter = tutor.presenter;
        match runtime.block_on(event_loop(
            &mut terminal,
            app,
            Cluster {
                target: &tutor.target,
                lab: tutor.lab.clone(),
            },
            &loaded_lessons,
            Saving {
                path: &saved_path,
                lock: &lock,
                saver: &saver_for(&saved_path),
            },
            &state_dir,
            &mut farewell,
        )) {
            Ok(Some(next)) => match tutor.lessons.load(&next) {
                Ok(next) => lesson = next,
                Err(err) => break Err(err),
            },
            Ok(None) => break Ok(()),
            Err(err) => break Err(err),
        }
    };
    terminal.exit();
    if let Some(farewell) = farewell {
        tracing::warn!("quit with work cut short: {farewell}");
        eprintln!("kubetutor: {farewell}.");
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

/// (id, line) of every lesson that loads, for the lesson picker: its title,
/// metadata, and how far the learner got in it on this cluster and namespace;
/// and those lessons (the picker marks the ones whose rights are lacking).
fn lesson_titles(
    root: &Path,
    state_dir: &Path,
    server: &str,
    namespace: Option<&str>,
) -> (Vec<(String, String)>, Vec<crate::lesson::Lesson>) {
    catalog::in_learning_order(root)
        .into_iter()
        .filter_map(|(id, dir)| {
            let lesson = crate::lesson::Lesson::load(&dir, namespace).ok()?;
            let mut line = lesson.title.clone();
            let meta = crate::lesson::meta::describe(&lesson);
            if !meta.is_empty() {
                line.push_str(&format!(" · {meta}"));
            }
            if let Some(reached) = saved::reached(state_dir, server, &lesson) {
                line.push_str(&format!(" · {reached}"));
            }
            Some(((id, line), lesson))
        })
        .unzip()
}

/// Runs one lesson until the learner quits (None) or picks another lesson (its
/// id). Progress and drafts are saved however it ends: a quit, a signal, or
/// an error such as the terminal going away (SIGHUP's usual companion: reads
/// and writes on a hung-up terminal fail before the signal is handled).
async fn event_loop(
    terminal: &mut Terminal,
    mut app: App,
    cluster: Cluster<'_>,
    lessons: &[crate::lesson::Lesson],
    saving: Saving<'_>,
    state_dir: &Path,
    farewell: &mut Option<String>,
) -> anyhow::Result<Option<String>> {
    let result = run_lesson(terminal, &mut app, cluster, lessons, saving, state_dir).await;
    if saving.lock.is_writer() {
        saving.saver.flush(app.saved_state());
    }
    *farewell = app.farewell.take();
    result
}

async fn run_lesson(
    terminal: &mut Terminal,
    app: &mut App,
    cluster: Cluster<'_>,
    lessons: &[crate::lesson::Lesson],
    saving: Saving<'_>,
    state_dir: &Path,
) -> anyhow::Result<Option<String>> {
    let Cluster { target, mut lab } = cluster;
    let saved_path = saving.path;
    if let Some(lab) = &mut lab {
        // Where the lab stands now (a failure is told again in this
        // lesson's Output pane); the engine start below waits for it.
        let phase = lab.borrow_and_update().clone();
        app::update(app, Msg::Lab(phase));
    }
    // The first frame comes before any network round trip.
    terminal.draw(|frame| crate::ui::draw(frame, app))?;
    if std::env::var_os(PANIC_HOOK_ENV).is_some() {
        panic!("{PANIC_HOOK_ENV} is set: panicking on purpose after the first frame");
    }

    let (msg_tx, mut msg_rx) = mpsc::unbounded_channel::<Msg>();
    // The publisher (in a class) shares the engine's connection.
    let (client_tx, client_rx) = tokio::sync::oneshot::channel();
    // The engine starts now, or once the learner accepts what the lesson
    // declares (`app::consent`): before that, nothing reaches the cluster.
    let mut not_started = Some(client_tx);
    let mut commands = None;
    if !app::consent::waiting(app) && !app.waiting_for_lab() {
        commands = start_lesson(app, target, &mut not_started, &msg_tx);
    }
    // The lesson picker's rights marks and the publisher share it too.
    let (publisher_tx, publisher_rx) = tokio::sync::oneshot::channel();
    spawn_rights_check(client_rx, lessons.to_vec(), msg_tx.clone(), publisher_tx);
    let publisher = class_publisher(app, target, publisher_rx, &msg_tx);
    let mut events = Events::new()?;
    let mut save_at: Option<Instant> = None;
    // Acts from other terminals: all of them now, then what is new each second.
    let mut acts_elsewhere = app::acts_log::Reader::new(saved_path);
    let mut acts_tick = tokio::time::interval(ACTS_LOG_EVERY);
    acts_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // While the lab builds, the status bar's elapsed time moves each second.
    let mut lab_tick = tokio::time::interval(LAB_TICK);
    lab_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    loop {
        let msg = tokio::select! {
            input = events.next() => match input? {
                Input::Key(key) => Msg::Key(key),
                Input::Paste(text) => Msg::Paste(text),
                Input::Mouse(mouse) => match mouse.kind {
                    MouseEventKind::Down(MouseButton::Left) => {
                        let area = terminal.size()?.into();
                        match crate::ui::pane_at(app, area, mouse.column, mouse.row) {
                            Some(pane) => Msg::Focus(pane),
                            None => continue,
                        }
                    }
                    _ => Msg::Mouse(mouse),
                },
                Input::Redraw => Msg::Resize,
                Input::Signal(name) => Msg::Signal(name),
                Input::Closed => return Ok(None),
            },
            Some(msg) = msg_rx.recv() => msg,
            changed = lab_changed(&mut lab), if lab.is_some() => match changed {
                Some(phase) => Msg::Lab(phase),
                // The lab's thread is done and said its last.
                None => {
                    lab = None;
                    continue;
                }
            },
            _ = lab_tick.tick(), if app.waiting_for_lab() || app.lab_partly_up() => Msg::Tick,
            _ = acts_tick.tick() => {
                let entries = acts_elsewhere.read_new();
                if entries.is_empty() {
                    continue;
                }
                Msg::ActsElsewhere(entries)
            }
            _ = tokio::time::sleep_until(save_at.unwrap_or_else(Instant::now)), if save_at.is_some() => {
                save_at = None;
                save(app, saving);
                continue;
            }
        };
        let mut quit = false;
        let mut next_lesson = None;
        let mut shell_pod = None;
        // Engine messages already waiting are taken too, so one frame shows
        // them all (a burst of step reports is drawn once, not once each).
        let mut effects = app::update(app, msg);
        while let Ok(more) = msg_rx.try_recv() {
            effects.extend(app::update(app, more));
        }
        for effect in effects {
            match effect {
                Effect::Engine(command) => {
                    let sent = commands
                        .as_ref()
                        .is_some_and(|c: &mpsc::UnboundedSender<_>| c.send(command).is_ok());
                    if !sent {
                        app.notice = Some("Not connected to a cluster: nothing was sent.".into());
                    }
                }
                Effect::AcceptRights(ask) => {
                    if let Err(err) = saved::approved::approve(state_dir, &ask) {
                        tracing::error!("remembering the yes to lesson {}: {err:#}", ask.lesson);
                        app.notice = Some(
                            format!(
                                "Accepted for now, but not remembered (it will ask again): {err:#}"
                            )
                            .into(),
                        );
                    }
                    if !app.waiting_for_lab() {
                        commands = start_lesson(app, target, &mut not_started, &msg_tx);
                    }
                }
                Effect::StartEngine => {
                    commands =
                        commands.or_else(|| start_lesson(app, target, &mut not_started, &msg_tx));
                }
                Effect::Save => {
                    save_at.get_or_insert_with(|| Instant::now() + SAVE_DELAY);
                }
                Effect::SwitchLesson(id) => next_lesson = Some(id),
                Effect::Shell(pod) => shell_pod = Some(pod),
                Effect::ClearActsLog => acts_elsewhere.clear(),
                Effect::Copy(text) => terminal::copy_to_clipboard(&text),
                Effect::Publish(record) => {
                    if let Some(publisher) = &publisher {
                        publisher.publish(record);
                    }
                }
                Effect::Quit => quit = true,
            }
        }
        if quit || next_lesson.is_some() {
            // Dropping the command channel stops this lesson's engine; the
            // caller saves.
            return Ok(next_lesson);
        }
        if let Some(pod) = shell_pod {
            save(app, saving);
            // Stop the input reader first, so the shell gets every key.
            events.pause();
            let message = shell::open(terminal, target, app, &pod, state_dir).await;
            events.resume();
            let _ = msg_tx.send(Msg::ShellClosed(message));
        }
        terminal.draw(|frame| crate::ui::draw(frame, app))?;
    }
}

/// The cluster a lesson runs on: its target, and with `--lab` the lab's
/// phase (the engine starts once it is up).
struct Cluster<'a> {
    target: &'a Target,
    lab: Option<LabWatch>,
}

/// The lab's phase channel (`--lab`).
type LabWatch = tokio::sync::watch::Receiver<crate::lab::background::LabPhase>;

/// How often the status bar's build time moves.
const LAB_TICK: Duration = Duration::from_secs(1);

/// The lab's next phase; None once its thread has ended and every phase
/// was seen.
async fn lab_changed(lab: &mut Option<LabWatch>) -> Option<crate::lab::background::LabPhase> {
    let lab = lab.as_mut()?;
    lab.changed().await.ok()?;
    Some(lab.borrow_and_update().clone())
}

/// Asks the API server, in the background and on the engine's connection,
/// which lessons need a right this kubeconfig lacks, for the picker's marks;
/// hands the connection on to `share` (the class publisher). Silent when
/// there is no connection: the lesson itself says so when opened.
fn spawn_rights_check(
    client: tokio::sync::oneshot::Receiver<kube::Client>,
    lessons: Vec<crate::lesson::Lesson>,
    messages: mpsc::UnboundedSender<Msg>,
    share: tokio::sync::oneshot::Sender<kube::Client>,
) {
    tokio::spawn(async move {
        let Ok(client) = client.await else {
            return;
        };
        let _ = share.send(client.clone());
        let lacking = crate::engine::rights::lessons_lacking(&client, &lessons).await;
        let _ = messages.send(Msg::LessonsLacking(lacking));
    });
}

/// In a class (the kubeconfig names the lesson, as `class create` writes
/// it), progress is published for the instructor's board with the
/// attendee's own credentials.
fn class_publisher(
    app: &mut App,
    target: &Target,
    client: tokio::sync::oneshot::Receiver<kube::Client>,
    messages: &mpsc::UnboundedSender<Msg>,
) -> Option<crate::class::publish::Publisher> {
    crate::cluster::context::defaults(target).lesson.as_ref()?;
    app.publishing = true;
    Some(crate::class::publish::Publisher::spawn(
        // No engine (no cluster: the screen says so already): nothing to publish.
        async move { Ok(client.await.ok()) },
        app.lesson.namespace.clone(),
        messages.clone(),
        Msg::ProgressNotPublished,
    ))
}

/// Where this lesson's progress goes, and whether this tutor may write it.
#[derive(Clone, Copy)]
struct Saving<'a> {
    path: &'a Path,
    lock: &'a saved::Lock,
    /// Writes off the UI thread.
    saver: &'a saver::Saver,
}

/// Saves progress and drafts (on the saver's thread), unless another tutor
/// is the file's writer (this one said so when it opened).
fn save(app: &App, saving: Saving<'_>) {
    if saving.lock.is_writer() {
        saving.saver.save(app.saved_state());
    }
}

/// The saver of the progress file at `path`.
fn saver_for(path: &Path) -> saver::Saver {
    let path = path.to_path_buf();
    saver::Saver::spawn(move |state| {
        if let Err(err) = saved::store(&path, state) {
            tracing::error!("saving progress to {}: {err}", path.display());
        }
    })
}

/// Starts the lesson's engine (once: `client` is taken), its updates coming
/// as messages; the sender of its commands.
fn start_lesson(
    app: &App,
    target: &Target,
    client: &mut Option<tokio::sync::oneshot::Sender<kube::Client>>,
    messages: &mpsc::UnboundedSender<Msg>,
) -> Option<mpsc::UnboundedSender<crate::engine::actor::EngineCommand>> {
    let client = client.take()?;
    Some(engine::spawn(
        start_engine(app.lesson.clone(), target.clone(), client),
        messages.clone(),
        Msg::Engine,
        engine_failed,
    ))
}

/// Connects, starts the engine, and creates the lesson's "fix it" objects once.
async fn start_engine(
    lesson: crate::lesson::Lesson,
    target: Target,
    client: tokio::sync::oneshot::Sender<kube::Client>,
) -> anyhow::Result<Engine> {
    let config = target.config().await?;
    // The tutor answers each step as its scopes list (a big namespace holds
    // back only the steps that read it).
    let engine = Engine::connect(lesson, config).await?;
    let _ = client.send(engine.client());
    engine
        .setup()
        .await
        .map_err(|e| anyhow::anyhow!("the lesson's setup objects could not be created: {e}"))?;
    Ok(engine)
}

/// Why the engine did not start, with what to do next.
fn engine_failed(err: anyhow::Error) -> Msg {
    tracing::warn!("engine did not start: {err:#}");
    let advice = if err
        .downcast_ref::<crate::cluster::capabilities::LessonRefused>()
        .is_some()
    {
        " Open the menu (Esc) and choose another lesson."
    } else {
        " Start the local lab with `kubetutor lab up`, or choose a cluster with --kubeconfig/--context."
    };
    Msg::EngineFailed(format!("{err:#}.{advice}"))
}
