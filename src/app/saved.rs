//! What survives a quit or a crash: the step the learner is on, how far they
//! got, and every editor draft. Saved per (cluster, namespace, lesson) in the
//! XDG state folder. Never holds a token.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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

/// The file for one (cluster server, namespace, lesson).
pub fn path(state_dir: &Path, server: &str, namespace: &str, lesson: &str) -> PathBuf {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    server.hash(&mut hasher);
    namespace.hash(&mut hasher);
    let key = format!("{lesson}-{namespace}-{:016x}.json", hasher.finish());
    state_dir.join("progress").join(key)
}

pub fn load(path: &Path) -> Option<SavedState> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Writes atomically (temporary file, then rename): a crash mid-write never
/// leaves a truncated file behind.
pub fn store(path: &Path, state: &SavedState) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(state)?)?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keys_by_cluster_and_namespace() {
        let dir = std::env::temp_dir().join(format!("kt-saved-{}", std::process::id()));
        let a = path(&dir, "https://127.0.0.1:1", "ns", "l");
        assert_ne!(a, path(&dir, "https://127.0.0.1:2", "ns", "l"));
        assert_ne!(a, path(&dir, "https://127.0.0.1:1", "other", "l"));
        let state = SavedState {
            current: 3,
            unlocked: 4,
            drafts: [("demo-sa".to_string(), "kind: x".to_string())].into(),
            acts: [(
                "anonymous-call".to_string(),
                super::super::StepActs {
                    ran: true,
                    answer: Some(2),
                    ..Default::default()
                },
            )]
            .into(),
        };
        store(&a, &state).unwrap();
        assert_eq!(load(&a), Some(state));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
