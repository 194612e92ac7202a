//! What a stopped component must give back before a successor may start:
//! its loopback ports and, for etcd, its data directory.
//!
//! etcd locks its data directory twice: bbolt takes `flock(LOCK_EX)` on
//! `member/snap/db`, and the WAL takes open-file-description write locks
//! (`F_OFD_SETLK`) on the files in `member/wal/`. A second etcd started while
//! the first still holds them waits forever inside bbolt's open, before it
//! listens on anything.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, Flock, FlockArg, fcntl};

use super::ports::is_free;

/// Ports among `ports` that something still listens on.
pub fn busy_ports(ports: &[u16]) -> Vec<u16> {
    ports.iter().copied().filter(|p| !is_free(*p)).collect()
}

/// The first lock some process still holds in etcd's data directory, worded
/// for a person ("member/snap/db is locked by pid 123"); None when free.
pub fn etcd_data_lock(data_dir: &Path) -> Option<String> {
    let member = data_dir.join("member");
    let db = member.join("snap").join("db");
    if db.exists() && !flock_free(&db) {
        return Some(format!("{} is locked{}", db.display(), holder(&db)));
    }
    let wal_files = fs::read_dir(member.join("wal"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path());
    for file in wal_files {
        if !ofd_lock_free(&file) {
            return Some(format!("{} is locked", file.display()));
        }
    }
    None
}

/// Waits up to `timeout` until every port in `ports` is free and, when given,
/// etcd's data directory is unlocked. The error says what is still held.
pub fn wait_released(
    ports: &[u16],
    etcd_data: Option<&Path>,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let busy = busy_ports(ports);
        let locked = etcd_data.and_then(etcd_data_lock);
        if busy.is_empty() && locked.is_none() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let mut held = Vec::new();
            if !busy.is_empty() {
                let list: Vec<String> = busy.iter().map(|p| format!("127.0.0.1:{p}")).collect();
                held.push(format!("port {} still in use", list.join(", ")));
            }
            held.extend(locked);
            anyhow::bail!(
                "after {} s: {}. Another program holds it: find it with `ss -ltnp` or \
                 `cat /proc/locks`, stop it, and try again",
                timeout.as_secs(),
                held.join("; ")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether we could take bbolt's flock ourselves (released at once).
fn flock_free(file: &Path) -> bool {
    let Ok(handle) = fs::File::open(file) else {
        return true;
    };
    Flock::lock(handle, FlockArg::LockExclusiveNonblock).is_ok()
}

/// Whether no other open file description holds a lock on any byte of `file`
/// (F_OFD_GETLK asks without taking anything).
fn ofd_lock_free(file: &Path) -> bool {
    let Ok(handle) = fs::File::open(file) else {
        return true;
    };
    // SAFETY: flock is a plain C struct; all-zero is a valid value.
    let mut query: nix::libc::flock = unsafe { std::mem::zeroed() };
    query.l_type = nix::libc::F_WRLCK as i16;
    query.l_whence = nix::libc::SEEK_SET as i16;
    match fcntl(&handle, FcntlArg::F_OFD_GETLK(&mut query)) {
        Ok(_) => query.l_type == nix::libc::F_UNLCK as i16,
        // A kernel without OFD locks: etcd fell back to flock.
        Err(_) => flock_free(file),
    }
}

/// " by pid N" from /proc/locks when the kernel names the holder of a flock.
fn holder(file: &Path) -> String {
    let Ok(meta) = fs::metadata(file) else {
        return String::new();
    };
    let inode = meta.ino().to_string();
    let locks = fs::read_to_string("/proc/locks").unwrap_or_default();
    // "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF": pid, then maj:min:inode.
    locks
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (pid, id) = (fields.get(4)?, fields.get(5)?);
            (id.rsplit(':').next()? == inode).then(|| pid.to_string())
        })
        .find(|pid| pid != "-1")
        .map(|pid| format!(" by pid {pid} ({})", program_of(&pid)))
        .unwrap_or_default()
}

fn program_of(pid: &str) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .ok()
        .and_then(|c| c.split(|b| *b == 0).next().map(<[u8]>::to_vec))
        .map(|argv0| PathBuf::from(String::from_utf8_lossy(&argv0).into_owned()))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "exited".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn temp_data_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "kubetutor-release-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        fs::create_dir_all(dir.join("member/snap")).unwrap();
        fs::create_dir_all(dir.join("member/wal")).unwrap();
        fs::write(dir.join("member/snap/db"), b"").unwrap();
        fs::write(dir.join("member/wal/0.wal"), b"").unwrap();
        dir
    }

    #[test]
    fn a_held_flock_on_the_bolt_db_is_found_and_named() {
        let dir = temp_data_dir();
        assert_eq!(etcd_data_lock(&dir), None);
        let held = Flock::lock(
            fs::File::open(dir.join("member/snap/db")).unwrap(),
            FlockArg::LockExclusiveNonblock,
        )
        .unwrap();
        let found = etcd_data_lock(&dir).expect("the lock is seen");
        assert!(found.contains("member/snap/db is locked"), "{found}");
        assert!(
            found.contains(&format!("pid {}", std::process::id())),
            "{found}"
        );
        drop(held);
        assert_eq!(etcd_data_lock(&dir), None);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_held_ofd_lock_on_a_wal_file_is_found() {
        let dir = temp_data_dir();
        let wal = fs::OpenOptions::new()
            .write(true)
            .open(dir.join("member/wal/0.wal"))
            .unwrap();
        // SAFETY: as above.
        let mut lock: nix::libc::flock = unsafe { std::mem::zeroed() };
        lock.l_type = nix::libc::F_WRLCK as i16;
        lock.l_whence = nix::libc::SEEK_SET as i16;
        fcntl(&wal, FcntlArg::F_OFD_SETLK(&lock)).unwrap();
        let found = etcd_data_lock(&dir).expect("the lock is seen");
        assert!(found.contains("0.wal is locked"), "{found}");
        drop(wal);
        assert_eq!(etcd_data_lock(&dir), None);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_busy_port_is_named_and_a_released_one_is_not() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let err = wait_released(&[port], None, Duration::from_millis(100)).unwrap_err();
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
        drop(listener);
        wait_released(&[port], None, Duration::from_millis(100)).unwrap();
    }
}
