//! One writer per progress file. Two tutors on the same lesson, cluster and
//! namespace would each save their own state over the other's (last writer
//! wins, silently). The first takes an advisory lock on `<file>.lock` and
//! keeps it while the lesson is open; a second opens read-only and says so.
//! The lock goes with the process (flock), so a crash never leaves it held.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Held while this process may write the progress file.
#[derive(Debug)]
pub struct Writer {
    _file: File,
}

#[derive(Debug)]
pub enum Lock {
    Writer(Writer),
    /// Another process writes this file: "Another kubetutor (pid N) has this
    /// lesson open on this cluster and namespace".
    Held(String),
    /// The lock file cannot be opened: why.
    Unavailable(String),
}

impl Lock {
    pub fn is_writer(&self) -> bool {
        matches!(self, Lock::Writer(_))
    }

    /// What a tutor that is not the writer tells the learner when it opens.
    pub fn read_only_notice(&self) -> Option<String> {
        match self {
            Lock::Writer(_) => None,
            Lock::Held(who) => Some(format!(
                "{who}: this one is read-only and saves nothing (progress, drafts). \
                 Quit the other to save here."
            )),
            Lock::Unavailable(why) => Some(format!("Progress is not saved: {why}.")),
        }
    }
}

/// `<file>.lock`.
pub fn lock_path(progress: &Path) -> PathBuf {
    let mut name = progress.as_os_str().to_owned();
    name.push(".lock");
    name.into()
}

/// Takes the lock of `progress`, or says who holds it. A folder where locks
/// cannot be taken (some network filesystems) leaves this process the writer,
/// as before locks existed, and logs why.
pub fn lock(progress: &Path) -> Lock {
    let path = lock_path(progress);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut file = match OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
    {
        Ok(file) => file,
        Err(err) => {
            tracing::warn!(
                "cannot open {}: {err}; progress is not saved",
                path.display()
            );
            return Lock::Unavailable(format!(
                "its lock file {} cannot be opened ({err})",
                path.display()
            ));
        }
    };
    match file.try_lock() {
        Ok(()) => {
            // Who holds it, for the message a second tutor shows.
            let _ = file.set_len(0);
            let _ = write!(file, "{}", std::process::id());
            Lock::Writer(Writer { _file: file })
        }
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.rewind();
            let _ = file.take(32).read_to_string(&mut holder);
            let who = match holder.trim().parse::<u32>() {
                Ok(pid) => format!("Another kubetutor (pid {pid})"),
                Err(_) => "Another kubetutor".to_string(),
            };
            Lock::Held(format!(
                "{who} has this lesson open on this cluster and namespace"
            ))
        }
        Err(TryLockError::Error(err)) => {
            tracing::warn!(
                "cannot lock {}: {err}; saving without a lock",
                path.display()
            );
            Lock::Writer(Writer { _file: file })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_handle_is_read_only_until_the_first_goes() {
        let dir = std::env::temp_dir().join(format!("kt-lock-{}", std::process::id()));
        let progress = dir.join("p.json");
        let first = lock(&progress);
        assert!(first.is_writer());
        let second = lock(&progress);
        let said = second.read_only_notice().expect("two writers");
        assert!(
            said.contains(&format!("pid {}", std::process::id())),
            "{said}"
        );
        assert!(said.contains("read-only"), "{said}");
        drop(first);
        assert!(lock(&progress).is_writer(), "the lock goes with its holder");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_symlinked_lock_file_is_not_followed() {
        let dir = std::env::temp_dir().join(format!("kt-lock-link-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("elsewhere");
        std::fs::write(&target, "keep").unwrap();
        let progress = dir.join("p.json");
        std::os::unix::fs::symlink(&target, lock_path(&progress)).unwrap();
        assert!(!lock(&progress).is_writer());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
