//! The board's runtime: the terminal, one engine per attendee (the
//! instructor's credentials, the attendee's namespace), and the one event
//! loop. State changes only in `update`; drawing only in `ui::board`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Board, BoardEffect, BoardMsg, Row, update};
use crate::class::{roster, status};
use crate::cli::ClusterArgs;
use crate::engine::Engine;
use crate::engine::actor::EngineCommand;

pub fn run(
    class: &str,
    cluster: &ClusterArgs,
    lessons_root: &Path,
    presenter: bool,
) -> anyhow::Result<ExitCode> {
    crate::class::check_name(class)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Everything that can fail for a plain reason fails before the terminal is taken.
    let (config, rows) = runtime.block_on(async {
        let config = cluster.target().config().await?;
        let client = kube::Client::try_from(config.clone())?;
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
        Ok((config, rows))
    })?;
    let board = Board::new(class, rows, presenter);
    let mut terminal = ratatui::init();
    let result = runtime.block_on(event_loop(&mut terminal, board, config));
    ratatui::restore();
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    mut board: Board,
    config: kube::Config,
) -> anyhow::Result<()> {
    terminal.draw(|frame| crate::ui::board::draw(frame, &board, Instant::now()))?;
    let (msg_tx, mut msg_rx) = mpsc::unbounded_channel::<BoardMsg>();
    let mut commands = Vec::new();
    for (index, row) in board.rows.iter().enumerate() {
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel::<EngineCommand>();
        commands.push(cmd_tx);
        let lesson = row.lesson.clone();
        let config = config.clone();
        let messages = msg_tx.clone();
        tokio::spawn(async move {
            match Engine::start(lesson, config).await {
                Ok(engine) => {
                    let (update_tx, mut updates) = mpsc::unbounded_channel();
                    tokio::spawn(engine.run(cmd_rx, update_tx));
                    while let Some(update) = updates.recv().await {
                        if messages.send(BoardMsg::Engine(index, update)).is_err() {
                            break;
                        }
                    }
                }
                Err(err) => {
                    let _ = messages.send(BoardMsg::EngineFailed(index, format!("{err:#}")));
                }
            }
        });
    }

    let mut events = EventStream::new();
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    loop {
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => BoardMsg::Key(key),
                Some(Ok(_)) => BoardMsg::Resize,
                Some(Err(err)) => return Err(err.into()),
                None => return Ok(()),
            },
            Some(msg) = msg_rx.recv() => msg,
            _ = ticks.tick() => BoardMsg::Tick,
            _ = terminate.recv() => BoardMsg::Signal,
            _ = interrupt.recv() => BoardMsg::Signal,
            _ = hangup.recv() => BoardMsg::Signal,
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
        terminal.draw(|frame| crate::ui::board::draw(frame, &board, now))?;
    }
}
