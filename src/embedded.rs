//! Files the binary carries (the lessons, the lab's build inputs) and how they
//! reach the disk.
//!
//! Why materialise instead of reading from memory: the lesson loader, `lessons
//! lint`, error messages (file:line:column) and `lab/build.sh` all work on real
//! paths a person can open. So each bundle is written once to
//! `~/.cache/kubetutor/<bundle>/<version>-<content hash>/` and used from there.
//! The folder is filled under a temporary name and renamed into place, so a
//! second kubetutor starting at the same moment sees either nothing or the
//! whole folder, never half of it; it is never modified in place afterwards
//! (a new binary with other contents gets a new folder).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context;
use include_dir::{Dir, DirEntry, include_dir};
use sha2::{Digest, Sha256};

/// The lessons shipped with this build (`lessons/`).
pub static LESSONS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/lessons");

/// The lab's build inputs (`assets/lab/`): build.sh, versions.env, and the Go
/// module files of etcd, kwok and Kubernetes.
pub static LAB: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets/lab");

/// `$XDG_CACHE_HOME/kubetutor` (`~/.cache/kubetutor`).
pub fn cache_root() -> anyhow::Result<PathBuf> {
    let base = directories::BaseDirs::new().context(
        "cannot find your home folder (is $HOME set?); set XDG_CACHE_HOME to a writable folder",
    )?;
    Ok(base.cache_dir().join("kubetutor"))
}

/// `<crate version>-<12 hex digits of a hash over every path and content>`:
/// the same for every binary built from the same files.
pub fn fingerprint(dir: &Dir<'_>) -> String {
    let mut files = Vec::new();
    collect_files(dir, &mut files);
    files.sort_by_key(|f| f.path());
    let mut hash = Sha256::new();
    for file in files {
        let path = file.path().to_string_lossy();
        // Lengths first, so no two different sets of files hash alike.
        hash.update((path.len() as u64).to_le_bytes());
        hash.update(path.as_bytes());
        hash.update((file.contents().len() as u64).to_le_bytes());
        hash.update(file.contents());
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", env!("CARGO_PKG_VERSION"))
}

/// Writes `dir` to `parent/<fingerprint>` unless it is there already, and
/// returns that folder.
pub fn materialise(dir: &Dir<'_>, parent: &Path) -> anyhow::Result<PathBuf> {
    let target = parent.join(fingerprint(dir));
    if target.is_dir() {
        return Ok(target);
    }
    fs::create_dir_all(parent).with_context(|| {
        format!(
            "creating {} (set XDG_CACHE_HOME to a writable folder)",
            parent.display()
        )
    })?;
    // Unique per process and per call: threads of one process may race too.
    static CALLS: AtomicU32 = AtomicU32::new(0);
    let staging = parent.join(format!(
        ".partial-{}-{}",
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed)
    ));
    let written = write_tree(dir, &staging);
    let renamed = written.and_then(|()| {
        fs::rename(&staging, &target)
            .with_context(|| format!("moving {} to {}", staging.display(), target.display()))
    });
    if let Err(err) = renamed {
        let _ = fs::remove_dir_all(&staging);
        // Another kubetutor renamed the same contents into place first: fine.
        if target.is_dir() {
            return Ok(target);
        }
        return Err(err);
    }
    Ok(target)
}

fn write_tree(dir: &Dir<'_>, root: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    let mut files = Vec::new();
    collect_files(dir, &mut files);
    for file in files {
        let path = root.join(file.path());
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
        }
        fs::write(&path, file.contents()).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn collect_files<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a include_dir::File<'a>>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(sub) => collect_files(sub, out),
            DirEntry::File(file) => out.push(file),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("kubetutor-embedded-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    /// Every file under `root`, relative, with its contents.
    fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let relative = path.strip_prefix(root).unwrap().to_path_buf();
                    out.push((relative, fs::read(&path).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn materialised_lessons_are_the_lessons_folder_byte_for_byte() {
        let parent = scratch("lessons");
        let written = materialise(&LESSONS, &parent).unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
        assert_eq!(tree(&written), tree(&source));
        assert!(
            written
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(concat!(env!("CARGO_PKG_VERSION"), "-"))
        );
        // No staging folder is left behind.
        let names: Vec<_> = fs::read_dir(&parent).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "{names:?}");
        fs::remove_dir_all(&parent).unwrap();
    }

    #[test]
    fn materialised_lab_sources_are_the_assets_lab_folder_byte_for_byte() {
        let parent = scratch("lab");
        let written = materialise(&LAB, &parent).unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lab");
        let files = tree(&written);
        assert_eq!(files, tree(&source));
        for needed in [
            "build.sh",
            "versions.env",
            "kube/go.mod",
            "etcd/main.go",
            "kwok/go.sum",
        ] {
            assert!(
                files.iter().any(|(p, _)| p == Path::new(needed)),
                "{needed}"
            );
        }
        fs::remove_dir_all(&parent).unwrap();
    }

    #[test]
    fn an_existing_folder_is_reused_not_rewritten() {
        let parent = scratch("reuse");
        let first = materialise(&LESSONS, &parent).unwrap();
        let marker = first.join("marker");
        fs::write(&marker, "left alone").unwrap();
        let second = materialise(&LESSONS, &parent).unwrap();
        assert_eq!(first, second);
        assert!(marker.is_file(), "the folder was rewritten");
        fs::remove_dir_all(&parent).unwrap();
    }

    #[test]
    fn starts_racing_for_the_same_folder_all_get_it_whole() {
        let parent = scratch("race");
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let parent = parent.clone();
                std::thread::spawn(move || materialise(&LESSONS, &parent).unwrap())
            })
            .collect();
        let folders: Vec<PathBuf> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(folders.windows(2).all(|w| w[0] == w[1]));
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
        assert_eq!(tree(&folders[0]), tree(&source));
        assert_eq!(fs::read_dir(&parent).unwrap().count(), 1);
        fs::remove_dir_all(&parent).unwrap();
    }

    #[test]
    fn an_unwritable_cache_is_an_error_that_names_the_folder() {
        let err = materialise(&LESSONS, Path::new("/proc/kubetutor-cannot-write")).unwrap_err();
        assert!(
            format!("{err:#}").contains("/proc/kubetutor-cannot-write"),
            "{err:#}"
        );
    }
}
