//! Logs go to a file in the state folder, never to the screen.

use std::path::Path;
use std::sync::Mutex;

pub fn init(file: &Path) -> anyhow::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("KUBETUTOR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,kubetutor=info"));
    // A second init (tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_writer(Mutex::new(log))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    Ok(())
}
