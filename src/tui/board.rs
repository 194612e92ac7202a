//! The class board's runtime, beside the tutor's and built from the same
//! kit: the terminal guard, the event source, and one engine per attendee
//! (the instructor's credentials, the attendee's namespace), all fed by one
//! set of watches for the class (`engine::shared`), or each by its own when
//! the instructor may not watch a kind in every namespace. State changes
//! only in `class::board::update`; drawing only in `ui::board`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::engine;
use super::events::{Events, Input};
use super::terminal::{InputModes, Terminal};
use crate::class::board::{Board, BoardEffect, BoardMsg, Row, update};
use crate::class::{roster, status};
use crate::cluster::connect::Target;
use crate::engine::Engine;
use crate::engine::shared::{NotShared, SharedWatches};
use crate::lesson::Lesson;

/// How often the clock is read: the board shows whole minutes on a step
/// and judges "stuck" and "gone" in minutes, so a few seconds late is
/// unseen, and an idle board wakes seldom (and draws only when what it
/// shows moved: `Board::dirty`).
const TICK: Duration = Duration::from_secs(5);
/// How often the attendees' progress records are read when they cannot be
/// watched (they are written at most once a second).
const RECORDS_EVERY: Duration = Duration::from_secs(2);

pub fn run(
    class: &str,
    target: &Target,
    lessons_root: &Path,
    presenter: bool,
    limits: crate::class::presence::Limits,
) -> anyhow::Result<ExitCode> {
    crate::class::check_name(class)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Everything that can fail for a plain reason fails before the terminal is taken.
    let (config, rows) = runtime.block_on(async {
        let config = target.config().await?;
        let client = crate::transport::client(&config)?;
        let attendees = roster::attendees(&client, class).await?;
        anyhow::ensure!(
            !attendees.is_empty(),
            "class {class} has no attendees on this cluster: create it with \
             `kubetutor class create {class} --attendees N`"
        );
        let now = Instant::now();
        let rows = attendees
            .into_iter()
            .map(|a| {
                Ok(Row::new(
                    a.clone(),
                    status::lesson_for(lessons_root, &a)?,
                    now,
                ))
            })
            .collect::<anyhow::Result<Vec<Row>>>()?;
        // Their checks run with the instructor's credentials.
        crate::app::saved::approved::require_all(
            &crate::app::saved::state_dir()?,
            rows.iter().map(|row| &*row.lesson),
        )?;
        Ok((config, rows))
    })?;
    let mut board = Board::new(class, rows, presenter);
    board.limits = limits;
    board.unix_now = crate::class::publish::unix_now();
    let mut terminal = Terminal::enter(InputModes::default());
    let result = runtime.block_on(event_loop(&mut terminal, board, config));
    terminal.exit();
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn event_loop(
    terminal: &mut Terminal,
    mut board: Board,
    config: kube::Config,
) -> anyhow::Result<()> {
    terminal.draw(|frame| crate::ui::board::draw(frame, &board, Instant::now()))?;
    board.dirty = false;
    let (msg_tx, mut msg_rx) = mpsc::unbounded_channel::<BoardMsg>();
    let lessons: Vec<_> = board.rows.iter().map(|row| row.lesson.clone()).collect();
    // Kept for as long as the board runs: the class's watches.
    let (_shared, mut members) = match SharedWatches::start(&config, &lessons).await {
        Ok((shared, members)) => (Some(shared), members.into_iter().map(Some).collect()),
        Err(NotShared(why)) => {
            tracing::warn!("the board's engines do not share watches: {why}");
            board.watching = Some(why);
            (None, Vec::new())
        }
    };
    members.resize_with(lessons.len(), || None);
    let commands: Vec<_> = lessons
        .into_iter()
        .zip(members)
        .enumerate()
        .map(|(index, (lesson, member))| {
            let config = config.clone();
            let start = async move {
                match member {
                    Some(member) => Engine::start_in_class(lesson, member).await,
                    None => Engine::start(Lesson::clone(&lesson), config).await,
                }
            };
            engine::spawn(
                start,
                msg_tx.clone(),
                move |update| BoardMsg::Engine(index, update),
                move |err| BoardMsg::EngineFailed(index, format!("{err:#}")),
            )
        })
        .collect();

    spawn_record_reader(&board, &config, msg_tx.clone())?;
    let mut events = Events::new()?;
    let mut ticks = tokio::time::interval(TICK);
    let mut settled = false;
    loop {
        let msg = tokio::select! {
            input = events.next() => match input? {
                Input::Key(key) => BoardMsg::Key(key),
                Input::Signal(_) => BoardMsg::Signal,
                Input::Closed => return Ok(()),
                Input::Mouse(_) | Input::Paste(_) | Input::Redraw => BoardMsg::Resize,
            },
            Some(msg) = msg_rx.recv() => msg,
            _ = ticks.tick() => BoardMsg::Tick(crate::class::publish::unix_now()),
        };
        let now = Instant::now();
        let mut effects = update(&mut board, msg, now);
        // Whatever else is waiting is drawn in the same frame.
        while let Ok(more) = msg_rx.try_recv() {
            effects.extend(update(&mut board, more, now));
        }
        for effect in effects {
            match effect {
                BoardEffect::Quit => return Ok(()),
                BoardEffect::Engine(row, command) => {
                    if let Some(Err(_)) = commands.get(row).map(|c| c.send(command)) {
                        board.notice = Some("That attendee's engine is not running.".into());
                    }
                }
            }
        }
        if board.dirty {
            terminal.draw(|frame| crate::ui::board::draw(frame, &board, now))?;
            board.dirty = false;
        }
        if !settled && board.checking() == 0 {
            // Starting every attendee's engine at once leaves the heap
            // with megabytes of freed pages among live ones (their first
            // lists and reviews in flight): given back once, when the room
            // is decided.
            crate::engine::memory::give_back();
            settled = true;
        }
    }
}

/// Follows what the attendees' tutors publish: one watch of the progress
/// ConfigMaps of every namespace (a change is on the board at once), or,
/// when the instructor may not list them everywhere, a read every
/// `RECORDS_EVERY`.
fn spawn_record_reader(
    board: &Board,
    config: &kube::Config,
    messages: mpsc::UnboundedSender<BoardMsg>,
) -> anyhow::Result<()> {
    let client = crate::transport::client(config)?;
    let namespaces: Vec<String> = board
        .rows
        .iter()
        .map(|r| r.attendee.namespace.clone())
        .collect();
    tokio::spawn(async move {
        if watch_records(&client, &namespaces, &messages).await {
            return;
        }
        let mut every = tokio::time::interval(RECORDS_EVERY);
        loop {
            every.tick().await;
            match crate::class::publish::read_all(&client, &namespaces).await {
                Ok(records) => {
                    if messages.send(BoardMsg::Records(records)).is_err() {
                        return;
                    }
                }
                Err(err) => tracing::warn!("{err:#}"),
            }
        }
    });
    Ok(())
}

/// Watches the progress ConfigMaps; false when it could not list them
/// before any answer (the caller polls instead), true when the board is gone.
/// A listing goes to the board whole; after it, each change alone (one
/// attendee's record read, not the room's, on each heartbeat).
async fn watch_records(
    client: &kube::Client,
    namespaces: &[String],
    messages: &mpsc::UnboundedSender<BoardMsg>,
) -> bool {
    use futures::StreamExt;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::ResourceExt;
    use kube::runtime::watcher;
    use std::collections::BTreeMap;
    let (labels, fields) = crate::class::publish::selectors();
    let config = watcher::Config::default().labels(&labels).fields(&fields);
    let api: kube::Api<ConfigMap> = kube::Api::all(client.clone());
    let ours = |cm: &ConfigMap| cm.namespace().filter(|ns| namespaces.contains(ns));
    let mut listed_once = false;
    loop {
        let mut stream = std::pin::pin!(watcher(api.clone(), config.clone()));
        let mut listing = BTreeMap::new();
        while let Some(event) = stream.next().await {
            let msg = match event {
                Ok(watcher::Event::Init) => {
                    listing.clear();
                    continue;
                }
                Ok(watcher::Event::InitApply(cm)) => {
                    if let Some(ns) = ours(&cm) {
                        listing.insert(ns, crate::class::publish::record_of(&cm));
                    }
                    continue;
                }
                Ok(watcher::Event::InitDone) => {
                    listed_once = true;
                    BoardMsg::Records(std::mem::take(&mut listing))
                }
                Ok(watcher::Event::Apply(cm)) => match ours(&cm) {
                    Some(ns) => BoardMsg::Record(ns, Some(crate::class::publish::record_of(&cm))),
                    None => continue,
                },
                Ok(watcher::Event::Delete(cm)) => match ours(&cm) {
                    Some(ns) => BoardMsg::Record(ns, None),
                    None => continue,
                },
                Err(err) => {
                    tracing::warn!("watching the attendees' progress: {err}");
                    if !listed_once {
                        return false;
                    }
                    break; // a fresh watcher lists again, after a pause
                }
            };
            if messages.send(msg).is_err() {
                return true;
            }
        }
        tokio::time::sleep(RECORDS_EVERY).await;
    }
}
