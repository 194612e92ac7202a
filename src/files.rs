//! Writing files that hold secrets (kubeconfigs with tokens or keys): mode
//! 0600 always — also when the file already existed with another mode —
//! and folders 0700.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;

/// Writes `contents` to `path`, readable and writable by its owner only,
/// atomically: a crash mid-write (the admin kubeconfig is rewritten on every
/// `lab up`) leaves the old file whole, never a truncated one. The new file
/// is 0600 whatever mode the old one had.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    replace_private(path, contents, false).with_context(|| format!("writing {}", path.display()))
}

/// Replaces `path` with `contents` so that a crash at any moment leaves either
/// the old file or the new one whole, never a truncated one: a temporary file
/// in the same folder (0600), flushed to disk, then renamed over `path`. With
/// `keep_backup`, the version replaced stays next to it as `<name>.bak`.
pub fn replace_private(path: &Path, contents: &[u8], keep_backup: bool) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other(format!("{} names no file", path.display())))?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut file = open_new_private(&tmp)?;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        file.write_all(contents)?;
        file.sync_all()
    })();
    if let Err(err) = written {
        let _ = fs::remove_file(&tmp);
        return Err(err);
    }
    if keep_backup && path.exists() {
        // A hard link keeps the old contents under the backup name while the
        // rename below swaps in the new ones: no moment without either file.
        let backup = backup_path(path);
        let _ = fs::remove_file(&backup);
        if fs::hard_link(path, &backup).is_err() {
            fs::copy(path, &backup)?;
        }
    }
    fs::rename(&tmp, path)?;
    // The rename is durable only once the folder itself is flushed.
    fs::File::open(dir)?.sync_all()
}

/// A new file, 0600, opened without following a symbolic link and only if
/// nothing is there (O_EXCL): a link planted at the temporary name (in a
/// folder others may write) is never written through. Something left there
/// by an earlier run of the same pid (a crash) is removed (the name, not
/// what a link points to) and the file created once more.
fn open_new_private(tmp: &Path) -> std::io::Result<fs::File> {
    let open = || {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(tmp)
    };
    match open() {
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            fs::remove_file(tmp)?;
            open()
        }
        other => other,
    }
}

/// `<path>.bak`: where `replace_private` keeps the version it replaced.
pub fn backup_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".bak");
    name.into()
}

/// A folder for private files the user named (`class create --out DIR`):
/// created 0700 when new; an existing one keeps its mode (`--out .` must not
/// close the user's own folder to others), the files written in it are 0600.
pub fn ensure_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

/// Creates `dir` (and its parents) and makes it 0700.
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .with_context(|| format!("setting the mode of {}", dir.display()))?;
    Ok(())
}

#[cfg(test)]
mod ensure_tests {
    use super::*;

    #[test]
    fn an_existing_folder_keeps_its_mode_and_a_new_one_is_private() {
        let base = std::env::temp_dir().join(format!("kt-ensure-{}", std::process::id()));
        fs::create_dir_all(&base).unwrap();
        fs::set_permissions(&base, fs::Permissions::from_mode(0o755)).unwrap();
        ensure_private_dir(&base).unwrap();
        let mode = fs::metadata(&base).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "an existing folder is left as it was");
        let new = base.join("class-files");
        ensure_private_dir(&new).unwrap();
        let mode = fs::metadata(&new).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        fs::remove_dir_all(base).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_file_loses_its_loose_mode() {
        let dir = std::env::temp_dir().join(format!("kubetutor-files-{}", std::process::id()));
        create_private_dir(&dir).unwrap();
        let file = dir.join("k");
        fs::write(&file, "old").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&file, b"new").unwrap();
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(fs::read_to_string(&file).unwrap(), "new");
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_link_planted_at_the_temporary_name_is_not_written_through() {
        let dir = std::env::temp_dir().join(format!("kubetutor-planted-{}", std::process::id()));
        create_private_dir(&dir).unwrap();
        let victim = dir.join("victim");
        fs::write(&victim, "the learner's own file").unwrap();
        let target = dir.join("progress.json");
        let tmp = dir.join(format!(".progress.json.tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &tmp).unwrap();
        write_private(&target, b"{}").unwrap();
        assert_eq!(
            fs::read_to_string(&victim).unwrap(),
            "the learner's own file"
        );
        assert_eq!(fs::read_to_string(&target).unwrap(), "{}");
        assert!(
            !fs::symlink_metadata(&target)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_replaced_file_keeps_its_previous_version_as_backup() {
        let dir = std::env::temp_dir().join(format!("kubetutor-replace-{}", std::process::id()));
        create_private_dir(&dir).unwrap();
        let file = dir.join("progress.json");
        replace_private(&file, b"first", true).unwrap();
        assert!(!backup_path(&file).exists(), "nothing to back up yet");
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        replace_private(&file, b"second", true).unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "second");
        assert_eq!(fs::read_to_string(backup_path(&file)).unwrap(), "first");
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains(".tmp-"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "no temporary file left: {leftovers:?}"
        );
        fs::remove_dir_all(dir).unwrap();
    }
}
