//! Logs go to a file in the state folder, never to the screen. The folder is
//! the learner's alone (0700) and the log too (0600): it names their
//! clusters, namespaces and lessons. A log past `ROTATE_AT` is moved to
//! `kubetutor.log.1` when the tutor starts, so it never grows without end.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A log bigger than this at start is set aside (the one before is dropped).
pub const ROTATE_AT: u64 = 4 << 20;

pub fn init(file: &Path) -> anyhow::Result<()> {
    let log = open(file)?;
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

/// `<log>.1`: where a full log is set aside.
fn rotated(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".1");
    name.into()
}

/// The log, for appending: its folder made 0700, a full one rotated, the
/// file 0600 whatever the umask or its old mode, never through a link.
fn open(file: &Path) -> anyhow::Result<File> {
    if let Some(dir) = file.parent() {
        crate::files::create_private_dir(dir)?;
    }
    if fs::symlink_metadata(file).is_ok_and(|m| m.len() > ROTATE_AT) {
        fs::rename(file, rotated(file))?;
    }
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(file)?;
    log.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_log_and_its_folder_are_private_and_a_full_log_is_set_aside() {
        let base = std::env::temp_dir().join(format!("kt-log-{}", std::process::id()));
        let dir = base.join("kubetutor");
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.join("kubetutor.log");
        fs::write(&file, "old line\n").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();

        let mut log = open(&file).unwrap();
        writeln!(log, "new line").unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert_eq!(fs::read_to_string(&file).unwrap(), "old line\nnew line\n");
        assert!(!rotated(&file).exists(), "a small log is kept");

        fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap()
            .set_len(ROTATE_AT + 1)
            .unwrap();
        let mut log = open(&file).unwrap();
        writeln!(log, "after rotation").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "after rotation\n");
        assert_eq!(fs::metadata(rotated(&file)).unwrap().len(), ROTATE_AT + 1);
        fs::remove_dir_all(base).unwrap();
    }
}
