//! Starting an engine for a runtime, in the background (the screen is
//! already up and says "connecting…"): its updates become the runtime's
//! messages, and its commands come from the sender returned.

use std::future::Future;

use tokio::sync::mpsc::{self, UnboundedSender};

use crate::engine::Engine;
use crate::engine::actor::{EngineCommand, EngineUpdate};

/// Starts the engine `start` gives, then forwards each of its updates to
/// `messages` as `update(…)`; if it does not start, sends `failed(error)`.
/// Dropping the returned sender stops the engine.
pub fn spawn<M, Start>(
    start: Start,
    messages: UnboundedSender<M>,
    update: impl Fn(EngineUpdate) -> M + Send + 'static,
    failed: impl FnOnce(anyhow::Error) -> M + Send + 'static,
) -> UnboundedSender<EngineCommand>
where
    M: Send + 'static,
    Start: Future<Output = anyhow::Result<Engine>> + Send + 'static,
{
    let (commands, command_rx) = mpsc::unbounded_channel();
    // Boxed: a task keeps the size of its largest state for as long as it
    // runs, and starting an engine is a large state (27 KB) while the
    // forwarding after it is a small one; the box goes once it has started.
    // The forwarding is a task of its own for the same reason: this one
    // ends once the engine runs, with the engine's place in its state.
    let start = Box::pin(start);
    tokio::spawn(async move {
        match start.await {
            Ok(engine) => {
                let (update_tx, updates) = mpsc::unbounded_channel();
                tokio::spawn(engine.run(command_rx, update_tx));
                tokio::spawn(forward(updates, messages, update));
            }
            Err(err) => {
                let _ = messages.send(failed(err));
            }
        }
    });
    commands
}

/// Each of the engine's updates to the runtime, as `update(…)`, until
/// either side is gone.
async fn forward<M>(
    mut updates: mpsc::UnboundedReceiver<EngineUpdate>,
    messages: UnboundedSender<M>,
    update: impl Fn(EngineUpdate) -> M,
) {
    while let Some(next) = updates.recv().await {
        if messages.send(update(next)).is_err() {
            break;
        }
    }
}
