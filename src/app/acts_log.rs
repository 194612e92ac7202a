//! Acts done outside the TUI — `kubetutor call`, `token` and `solve` in
//! another terminal — reach the learner's progress through a log beside the
//! progress file. A running tutor owns the progress file and would overwrite
//! another process's edit of it; this log is only ever appended to (whole
//! lines, O_APPEND), and the tutor reads what is new on start and each second.
//! A reset empties it. It holds step ids and what was done, never a token.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Did {
    Applied,
    Ran,
    /// `kubetutor reset` ran while a tutor had the lesson open: the cluster
    /// part is done, the tutor starts over from this step (it writes the
    /// progress file, so the reset is not undone by its next save).
    Reset,
    /// As `Reset`, editor drafts kept.
    ResetKeepingDrafts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub step: String,
    pub did: Did,
}

/// The log beside a progress file.
pub fn path(progress: &Path) -> PathBuf {
    progress.with_extension("acts.jsonl")
}

/// Appends one act to the log of `progress`.
pub fn append(progress: &Path, entry: &Entry) -> io::Result<()> {
    let log = path(progress);
    if let Some(dir) = log.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut line = serde_json::to_vec(entry)?;
    line.push(b'\n');
    // One write of one line: appends of other processes cannot split it.
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?
        .write_all(&line)
}

/// Reads a log from where it last stopped.
#[derive(Debug)]
pub struct Reader {
    log: PathBuf,
    offset: u64,
}

impl Reader {
    pub fn new(progress: &Path) -> Reader {
        Reader {
            log: path(progress),
            offset: 0,
        }
    }

    /// Entries appended since the last read. A line still being written waits
    /// for the next read; a line that does not parse is skipped.
    pub fn read_new(&mut self) -> Vec<Entry> {
        let Ok(mut file) = fs::File::open(&self.log) else {
            return Vec::new();
        };
        let Ok(len) = file.metadata().map(|m| m.len()) else {
            return Vec::new();
        };
        if len < self.offset {
            self.offset = 0; // emptied by a reset elsewhere
        }
        let mut text = String::new();
        if file.seek(SeekFrom::Start(self.offset)).is_err()
            || file.read_to_string(&mut text).is_err()
        {
            return Vec::new();
        }
        let complete = text.rfind('\n').map_or(0, |end| end + 1);
        self.offset += complete as u64;
        text[..complete]
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Empties the log: the learner starts over.
    pub fn clear(&mut self) {
        let _ = fs::write(&self.log, b"");
        self.offset = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(step: &str, did: Did) -> Entry {
        Entry {
            step: step.into(),
            did,
        }
    }

    #[test]
    fn appends_are_read_once_a_half_line_waits_and_a_clear_starts_over() {
        let dir = std::env::temp_dir().join(format!("kt-acts-{:08x}", rand::random::<u32>()));
        let progress = dir.join("lesson-ns-abc.json");
        let mut reader = Reader::new(&progress);
        assert!(reader.read_new().is_empty(), "no log yet");
        append(&progress, &entry("anonymous-call", Did::Ran)).unwrap();
        append(&progress, &entry("role", Did::Applied)).unwrap();
        assert_eq!(
            reader.read_new(),
            vec![
                entry("anonymous-call", Did::Ran),
                entry("role", Did::Applied)
            ]
        );
        assert!(reader.read_new().is_empty(), "each entry once");
        let mut log = OpenOptions::new()
            .append(true)
            .open(path(&progress))
            .unwrap();
        log.write_all(br#"{"step":"token","did":"ran"}"#).unwrap();
        assert!(reader.read_new().is_empty(), "half a line waits");
        log.write_all(b"\nnot json\n").unwrap();
        assert_eq!(reader.read_new(), vec![entry("token", Did::Ran)]);
        reader.clear();
        append(&progress, &entry("demo-sa", Did::Applied)).unwrap();
        let mut fresh = Reader::new(&progress);
        assert_eq!(fresh.read_new(), vec![entry("demo-sa", Did::Applied)]);
        fs::remove_dir_all(dir).unwrap();
    }
}
