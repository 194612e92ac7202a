//! The TUI runtime: terminal setup and restore, the one event loop, and the
//! effect runner. State changes only in `app::update`; drawing only in `ui`.

mod logging;

use std::process::ExitCode;
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream, MouseButton, MouseEventKind,
};
use crossterm::execute;
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::{self, App, ClusterLabel, Effect, Msg, saved};
use crate::cli::{ClusterArgs, LessonArgs};
use crate::cluster::connect::Target;
use crate::engine::Engine;
use crate::engine::actor::EngineCommand;
use crate::lesson::catalog;

/// Drafts and progress are written this long after the last change, so a crash
/// loses at most this much typing.
const SAVE_DELAY: Duration = Duration::from_millis(500);

/// How often the log of acts done in other terminals is read.
const ACTS_LOG_EVERY: Duration = Duration::from_secs(1);

/// Test hook: panic right after the first frame, to prove the terminal is restored.
const PANIC_HOOK_ENV: &str = "KUBETUTOR_TEST_PANIC";

pub fn run(
    lesson_args: &LessonArgs,
    cluster: &ClusterArgs,
    presenter: bool,
) -> anyhow::Result<ExitCode> {
    // Everything that can fail for a plain reason fails before the terminal is taken.
    let mut args = lesson_args.with_context_defaults(cluster);
    let mut lesson = args.load()?;
    let state_dir = saved::state_dir()?;
    logging::init(&state_dir.join("kubetutor.log"))?;
    let target = cluster.target();
    let mut label = cluster_label(&target);
    if let Some(chosen) = &cluster.chosen {
        label.context = format!("{} ({chosen})", label.context);
    }
    let lessons = lesson_titles(
        &args.root(),
        &state_dir,
        &label.server,
        args.namespace.as_deref(),
    );
    let lessons_root = catalog::resolve(args.lessons_dir.as_deref())
        .map(|root| root.short())
        .unwrap_or_default();

    // One thread: the UI and the engine wait on the network, not the CPU, and
    // one thread keeps the allocator to one arena (less memory at scale).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut terminal = ratatui::init();
    // Bracketed paste: a paste arrives as text, never as keys (a pasted q or
    // Tab must not quit or move the focus).
    take_input_modes();
    release_mouse_on_panic();
    let mut farewell = None;
    let result = loop {
        let (saved_path, loaded) =
            saved::open(&state_dir, &label.server, &lesson.namespace, &lesson.id);
        let mut app = App::new(lesson, label.clone(), loaded.state);
        if let Some(notice) = loaded.notice {
            app.tell_lasting(notice);
        }
        app.lessons = lessons.clone();
        app.lessons_root = lessons_root.clone();
        app.presenter = presenter;
        match runtime.block_on(event_loop(
            &mut terminal,
            app,
            target.clone(),
            &saved_path,
            &state_dir,
            &mut farewell,
        )) {
            Ok(Some(next)) => {
                args.lesson = Some(next);
                match args.load() {
                    Ok(next) => lesson = next,
                    Err(err) => break Err(err),
                }
            }
            Ok(None) => break Ok(()),
            Err(err) => break Err(err),
        }
    };
    release_input_modes();
    ratatui::restore();
    if let Some(farewell) = farewell {
        tracing::warn!("quit with work cut short: {farewell}");
        eprintln!("kubetutor: {farewell}.");
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

/// The input modes the TUI asks of the terminal beyond ratatui's raw mode and
/// alternate screen: mouse reports, and bracketed paste (a paste arrives as
/// text, never as keys: a pasted q or Tab must not quit or move the focus).
fn take_input_modes() {
    let _ = execute!(std::io::stdout(), EnableMouseCapture, EnableBracketedPaste);
}

/// Gives them back: on quit, before a shell, and on panic.
fn release_input_modes() {
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste
    );
}

/// ratatui's panic hook gives back raw mode and the alternate screen; the
/// mouse must be given back too, or the shell receives an escape sequence
/// for every mouse move after a crash.
fn release_mouse_on_panic() {
    let restore_terminal = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        release_input_modes();
        restore_terminal(info);
    }));
}

/// (id, line) of every lesson that loads, for the lesson picker: its title,
/// metadata, and how far the learner got in it on this cluster and namespace.
fn lesson_titles(
    root: &std::path::Path,
    state_dir: &std::path::Path,
    server: &str,
    namespace: Option<&str>,
) -> Vec<(String, String)> {
    catalog::list(root)
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
            Some((id, line))
        })
        .collect()
}

/// Context and server from the kubeconfig file alone (no network), for the
/// status bar and the progress file's key.
pub fn cluster_label(target: &Target) -> ClusterLabel {
    let kubeconfig = match &target.kubeconfig {
        Some(path) => kube::config::Kubeconfig::read_from(path),
        None => kube::config::Kubeconfig::read(),
    };
    let Ok(kubeconfig) = kubeconfig else {
        return ClusterLabel::default();
    };
    let context = target
        .context
        .clone()
        .or(kubeconfig.current_context.clone())
        .unwrap_or_default();
    let cluster_name = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .map(|c| c.cluster.clone())
        .unwrap_or_default();
    let server = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == cluster_name)
        .and_then(|c| c.cluster.as_ref())
        .and_then(|c| c.server.clone())
        .unwrap_or_default();
    ClusterLabel { context, server }
}

/// Runs one lesson until the learner quits (None) or picks another lesson (its
/// id). Progress and drafts are saved however it ends: a quit, a signal, or
/// an error such as the terminal going away (SIGHUP's usual companion: reads
/// and writes on a hung-up terminal fail before the signal is handled).
async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    mut app: App,
    target: Target,
    saved_path: &std::path::Path,
    state_dir: &std::path::Path,
    farewell: &mut Option<String>,
) -> anyhow::Result<Option<String>> {
    let result = run_lesson(terminal, &mut app, target, saved_path, state_dir).await;
    save(&app, saved_path);
    *farewell = app.farewell.take();
    result
}

async fn run_lesson(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    target: Target,
    saved_path: &std::path::Path,
    state_dir: &std::path::Path,
) -> anyhow::Result<Option<String>> {
    // The first frame comes before any network round trip.
    terminal.draw(|frame| crate::ui::draw(frame, app))?;
    if std::env::var_os(PANIC_HOOK_ENV).is_some() {
        panic!("{PANIC_HOOK_ENV} is set: panicking on purpose after the first frame");
    }

    let (msg_tx, mut msg_rx) = mpsc::unbounded_channel::<Msg>();
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel::<EngineCommand>();
    start_engine(app.lesson.clone(), target.clone(), cmd_rx, msg_tx.clone());

    let mut events = EventStream::new();
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut save_at: Option<Instant> = None;
    // Acts from other terminals: all of them now, then what is new each second.
    let mut acts_elsewhere = app::acts_log::Reader::new(saved_path);
    let mut acts_tick = tokio::time::interval(ACTS_LOG_EVERY);
    acts_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    loop {
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => Msg::Key(key),
                Some(Ok(Event::Paste(text))) => Msg::Paste(text),
                Some(Ok(Event::Mouse(mouse))) => match mouse.kind {
                    MouseEventKind::Down(MouseButton::Left) => {
                        let area = terminal.size()?.into();
                        match crate::ui::pane_at(app, area, mouse.column, mouse.row) {
                            Some(pane) => Msg::Focus(pane),
                            None => continue,
                        }
                    }
                    _ => Msg::Mouse(mouse),
                },
                Some(Ok(_)) => Msg::Resize,
                Some(Err(err)) => return Err(err.into()),
                None => return Ok(None),
            },
            Some(msg) = msg_rx.recv() => msg,
            _ = terminate.recv() => Msg::Signal("SIGTERM"),
            _ = interrupt.recv() => Msg::Signal("SIGINT"),
            _ = hangup.recv() => Msg::Signal("SIGHUP"),
            _ = acts_tick.tick() => {
                let entries = acts_elsewhere.read_new();
                if entries.is_empty() {
                    continue;
                }
                Msg::ActsElsewhere(entries)
            }
            _ = tokio::time::sleep_until(save_at.unwrap_or_else(Instant::now)), if save_at.is_some() => {
                save_at = None;
                save(app, saved_path);
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
                    if cmd_tx.send(command).is_err() {
                        app.notice = Some("Not connected to a cluster: nothing was sent.".into());
                    }
                }
                Effect::Save => {
                    save_at.get_or_insert_with(|| Instant::now() + SAVE_DELAY);
                }
                Effect::SwitchLesson(id) => next_lesson = Some(id),
                Effect::Shell(pod) => shell_pod = Some(pod),
                Effect::ClearActsLog => acts_elsewhere.clear(),
                Effect::Quit => quit = true,
            }
        }
        if quit || next_lesson.is_some() {
            // Dropping the command channel stops this lesson's engine; the
            // caller saves.
            return Ok(next_lesson);
        }
        if let Some(pod) = shell_pod {
            save(app, saved_path);
            // Stop the input reader first, so the shell gets every key.
            drop(events);
            let message = open_shell(terminal, &target, app, &pod, state_dir).await;
            events = EventStream::new();
            let _ = msg_tx.send(Msg::ShellClosed(message));
        }
        terminal.draw(|frame| crate::ui::draw(frame, app))?;
    }
}

/// Suspends the TUI, runs a shell for `pod`, and takes the terminal back:
/// raw mode and the alternate screen restored, the screen cleared, keys typed
/// meanwhile discarded. Returns what to tell the learner.
async fn open_shell(
    terminal: &mut ratatui::DefaultTerminal,
    target: &Target,
    app: &App,
    pod: &str,
    state_dir: &std::path::Path,
) -> String {
    use crate::cluster::shell::{self, ShellPlan};
    let namespace = app.lesson.namespace.clone();
    let plan = async {
        let config = target.config().await.map_err(|e| format!("{e:#}"))?;
        let client = kube::Client::try_from(config.clone()).map_err(|e| e.to_string())?;
        let pod_json =
            kube::Api::<k8s_openapi::api::core::v1::Pod>::namespaced(client.clone(), &namespace)
                .get_opt(pod)
                .await
                .map_err(|e| crate::cluster::apply::server_message(&e))?
                .map(|p| {
                    let mut value = serde_json::to_value(p).unwrap_or_default();
                    value["kind"] = "Pod".into();
                    value
                })
                .ok_or_else(|| format!("it does not exist in {namespace} (yet)"))?;
        let ca_file = state_dir.join("cluster-ca.crt");
        shell::plan(
            &client,
            &config,
            target.kubeconfig.as_ref(),
            target.context.as_deref(),
            &pod_json,
            ca_file,
        )
        .await
    };
    let plan = match plan.await {
        Ok(plan) => plan,
        Err(message) => return format!("No shell for Pod {pod}: {message}"),
    };

    release_input_modes();
    ratatui::restore();
    // A fresh screen for each shell: not the last shell's output under this
    // one's banner.
    let _ = execute!(
        std::io::stdout(),
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
        crossterm::cursor::MoveTo(0, 0)
    );
    let status = tokio::task::spawn_blocking(move || match &plan {
        ShellPlan::Exec { program, args } => {
            println!(
                "kubetutor: {} {} (type exit to come back)",
                program.display(),
                args.join(" ")
            );
            std::process::Command::new(program).args(args).status()
        }
        ShellPlan::PodView { env, banner } => {
            println!("{banner}\n");
            let shell = std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".into());
            let mut command = std::process::Command::new(shell);
            command.envs(env.iter().map(|(k, v)| (k, v)));
            if command.get_program().to_string_lossy().ends_with("bash") {
                command.arg("--norc"); // keep our PS1
            }
            command.status()
        }
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    let _ = crossterm::terminal::enable_raw_mode();
    let _ = execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen);
    take_input_modes();
    // A blank frame overwrites every cell the last frame drew, so the next draw
    // paints the whole screen. (Terminal::clear would ask the terminal for the
    // cursor position, an answer that can be lost while input changes hands.)
    let _ = terminal.draw(|frame| frame.render_widget(ratatui::widgets::Clear, frame.area()));
    while crossterm::event::poll(Duration::ZERO).unwrap_or(false) {
        let _ = crossterm::event::read(); // keys typed while the shell closed
    }
    match status {
        Ok(status) if status.success() => format!("Back from the shell of Pod {pod}."),
        Ok(status) => format!("The shell of Pod {pod} ended with {status}."),
        Err(err) => format!("Could not start the shell for Pod {pod}: {err}"),
    }
}

fn save(app: &App, path: &std::path::Path) {
    if let Err(err) = saved::store(path, &app.saved_state()) {
        tracing::error!("saving progress to {}: {err}", path.display());
    }
}

/// Connects in the background; the UI is already up and says "connecting…".
fn start_engine(
    lesson: crate::lesson::Lesson,
    target: Target,
    commands: mpsc::UnboundedReceiver<EngineCommand>,
    messages: mpsc::UnboundedSender<Msg>,
) {
    tokio::spawn(async move {
        let started = async {
            let config = target.config().await?;
            let engine = Engine::start(lesson, config).await?;
            // The lesson's "fix it" objects, created once.
            engine.setup().await.map_err(|e| {
                anyhow::anyhow!("the lesson's setup objects could not be created: {e}")
            })?;
            anyhow::Ok(engine)
        };
        match started.await {
            Ok(engine) => {
                let (update_tx, mut update_rx) = mpsc::unbounded_channel();
                tokio::spawn(engine.run(commands, update_tx));
                while let Some(update) = update_rx.recv().await {
                    if messages.send(Msg::Engine(update)).is_err() {
                        break;
                    }
                }
            }
            Err(err) => {
                tracing::warn!("engine did not start: {err:#}");
                let advice = if err
                    .downcast_ref::<crate::cluster::capabilities::LessonRefused>()
                    .is_some()
                {
                    " Open the menu (Esc) and choose another lesson."
                } else {
                    " Start the local lab with `kubetutor lab up`, or choose a cluster with --kubeconfig/--context."
                };
                let _ = messages.send(Msg::EngineFailed(format!("{err:#}.{advice}")));
            }
        }
    });
}
