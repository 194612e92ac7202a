//! What survives a quit or a crash: the step the learner is on, how far they
//! got, and every editor draft. Saved per (cluster, namespace, lesson) in the
//! XDG state folder. Never holds a token.
//!
//! Nothing is lost silently: each save replaces the file atomically and keeps
//! the previous one as `.bak`; a file that cannot be read is moved aside
//! (`.corrupt-<unix time>`), and the learner is told what was restored.

pub mod approved;
mod fit;
pub mod last_lesson;
mod lock;
mod name;
mod salvage;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use fit::{fit, notice as misfit_notice};
pub use lock::{Lock, Writer, lock, lock_path};
pub use name::{legacy_path, path};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedState {
    pub current: usize,
    pub unlocked: usize,
    /// Step id → editor text.
    pub drafts: BTreeMap<String, String>,
    /// Step id → what the learner did there (files from before acts lack it).
    #[serde(default)]
    pub acts: BTreeMap<String, super::StepActs>,
}

/// What `load` found, and what the learner must be told about it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub state: Option<SavedState>,
    /// Set when the file could not be read as saved: what happened and what
    /// was restored.
    pub notice: Option<String>,
}

/// `$XDG_STATE_HOME/kubetutor` (`~/.local/state/kubetutor`): progress, drafts, the log.
pub fn state_dir() -> std::io::Result<PathBuf> {
    let base = directories::BaseDirs::new()
        .ok_or_else(|| std::io::Error::other("cannot find your home folder"))?;
    let state = base
        .state_dir()
        .map(PathBuf::from)
        .unwrap_or_else(|| base.home_dir().join(".local/state"));
    Ok(state.join("kubetutor"))
}

/// The progress file for (server, namespace, lesson), loaded. A file under the
/// old, Rust-version-dependent name is renamed to the stable name first.
pub fn open(state_dir: &Path, server: &str, namespace: &str, lesson: &str) -> (PathBuf, Loaded) {
    let path = path(state_dir, server, namespace, lesson);
    let legacy = legacy_path(state_dir, server, namespace, lesson);
    if !path.exists() && legacy.exists() {
        if let Err(err) = std::fs::rename(&legacy, &path) {
            tracing::warn!("moving {} to {}: {err}", legacy.display(), path.display());
            return (path, load(&legacy));
        }
        tracing::info!("progress file renamed to {}", path.display());
    }
    let loaded = load(&path);
    (path, loaded)
}

/// Reads the progress file. No file: nothing saved yet. A file that cannot be
/// parsed is never overwritten: it is renamed `<name>.corrupt-<unix time>`,
/// and the backup (or the drafts that still parse) is restored instead.
pub fn load(path: &Path) -> Loaded {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Loaded::default(),
        Err(err) => return moved_aside(path, &err.to_string(), ""),
    };
    let text = String::from_utf8_lossy(&text);
    match serde_json::from_str(&text) {
        Ok(state) => Loaded {
            state: Some(state),
            notice: None,
        },
        Err(err) => moved_aside(path, &err.to_string(), &text),
    }
}

/// The progress saved for (server, namespace, lesson), read without touching
/// anything: for the lesson picker, which must not move a damaged file aside
/// (opening that lesson does, and says so).
pub fn peek(state_dir: &Path, server: &str, namespace: &str, lesson: &str) -> Option<SavedState> {
    let text = std::fs::read(path(state_dir, server, namespace, lesson)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// How far the learner got in `lesson` on `server` ("step 3 of 12"), from
/// its progress file (`peek`); None when they never opened it there.
pub fn reached(state_dir: &Path, server: &str, lesson: &crate::lesson::Lesson) -> Option<String> {
    let state = peek(state_dir, server, &lesson.namespace, &lesson.id)?;
    Some(crate::lesson::meta::progress(
        state.unlocked,
        lesson.steps.len(),
    ))
}

/// Moves the unreadable file aside and restores what can be restored.
fn moved_aside(path: &Path, why: &str, text: &str) -> Loaded {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".corrupt-{since_epoch}"));
    let aside = PathBuf::from(aside);
    let kept = match std::fs::rename(path, &aside) {
        Ok(()) => format!("kept it as {}", aside.display()),
        Err(err) => format!("could not move it aside ({err})"),
    };
    let file = path.display();
    tracing::warn!("progress file {file} unreadable ({why}); {kept}");

    let backup = crate::files::backup_path(path);
    let from_backup = std::fs::read_to_string(&backup)
        .ok()
        .and_then(|text| serde_json::from_str::<SavedState>(&text).ok());
    let (state, restored) = match from_backup {
        Some(state) => (
            state,
            format!("restored the previous save ({})", backup.display()),
        ),
        None => {
            let drafts = salvage::drafts(text);
            let restored = match drafts.len() {
                0 => "nothing in it could be recovered: starting from step 1".to_string(),
                n => format!(
                    "restored {n} draft{} that still parse{}; progress starts at step 1",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "s" } else { "" }
                ),
            };
            (
                SavedState {
                    drafts,
                    ..SavedState::default()
                },
                restored,
            )
        }
    };
    Loaded {
        state: Some(state),
        notice: Some(format!(
            "Progress file {file} could not be read ({why}); {kept} and {restored}."
        )),
    }
}

/// Replaces the file atomically, the previous version kept as `.bak`; 0600
/// because a draft may hold whatever the learner pasted.
pub fn store(path: &Path, state: &SavedState) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        // The learner's alone, whatever the umask: drafts may hold anything.
        crate::files::create_private_dir(dir).map_err(std::io::Error::other)?;
    }
    crate::files::replace_private(path, &serde_json::to_vec_pretty(state)?, true)
}

#[cfg(test)]
mod tests;
