//! The one event source of both runtimes: the terminal's input and the
//! signals that end a session (SIGTERM, SIGINT, SIGHUP), as one stream of
//! `Input`. Each runtime turns an `Input` into its own message.

use crossterm::event::{Event, EventStream, KeyEvent, MouseEvent};
use futures::StreamExt;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// What the terminal or the process was told.
#[derive(Debug)]
pub enum Input {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Text pasted (bracketed paste): text, never keys.
    Paste(String),
    /// The terminal changed size, or anything else that only needs a redraw.
    Redraw,
    /// SIGTERM, SIGINT or SIGHUP, by name.
    Signal(&'static str),
    /// The terminal's input ended.
    Closed,
}

pub struct Events {
    /// None while a child (a shell) has the terminal.
    terminal: Option<EventStream>,
    terminate: Signal,
    interrupt: Signal,
    hangup: Signal,
}

impl Events {
    pub fn new() -> std::io::Result<Events> {
        Ok(Events {
            terminal: Some(EventStream::new()),
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// Stops reading the terminal, so a child gets every key.
    pub fn pause(&mut self) {
        self.terminal = None;
    }

    /// Reads the terminal again after `pause`.
    pub fn resume(&mut self) {
        self.terminal = Some(EventStream::new());
    }

    /// The next input (cancel-safe: use it in a `select!`). While paused,
    /// only signals arrive.
    pub async fn next(&mut self) -> std::io::Result<Input> {
        let Events {
            terminal,
            terminate,
            interrupt,
            hangup,
        } = self;
        let terminal = async {
            match terminal.as_mut() {
                Some(stream) => stream.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = terminal => match event {
                Some(Ok(Event::Key(key))) => Ok(Input::Key(key)),
                Some(Ok(Event::Mouse(mouse))) => Ok(Input::Mouse(mouse)),
                Some(Ok(Event::Paste(text))) => Ok(Input::Paste(text)),
                Some(Ok(_)) => Ok(Input::Redraw),
                Some(Err(err)) => Err(err),
                None => Ok(Input::Closed),
            },
            _ = terminate.recv() => Ok(Input::Signal("SIGTERM")),
            _ = interrupt.recv() => Ok(Input::Signal("SIGINT")),
            _ = hangup.recv() => Ok(Input::Signal("SIGHUP")),
        }
    }
}
