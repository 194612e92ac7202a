//! Reading a lesson's text files: UTF-8 only, and bytes that are not are an
//! error at their line and column (a file saved in Latin-1, a binary file
//! named by mistake), not a bare "invalid UTF-8".

use std::path::Path;

use super::error::{self, LessonError};

/// The largest lesson file read: far past any lesson's text, far below what
/// would stall the tutor.
pub const MAX_BYTES: u64 = 4 << 20;

pub fn read(path: &Path) -> Result<String, LessonError> {
    let bytes = read_bounded(path)
        .map_err(|why| LessonError::new(path, 0, 0, format!("cannot read it: {why}")))?;
    String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let bytes = err.as_bytes();
        let before = std::str::from_utf8(&bytes[..valid]).expect("valid up to here");
        let (line, column) = error::position(before, before.len());
        LessonError::new(
            path,
            line,
            column,
            format!(
                "byte 0x{:02x} is not UTF-8: save the file as UTF-8",
                bytes[valid]
            ),
        )
    })
}

/// A regular file of at most `MAX_BYTES`. Opened without blocking, so a FIFO
/// (which would wait for a writer forever) or a device is refused, not read.
pub(super) fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|err| err.to_string())?;
    let meta = file.metadata().map_err(|err| err.to_string())?;
    if !meta.is_file() {
        return Err("it is not a regular file (a FIFO, a device or a folder)".into());
    }
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "it is {} MiB; a lesson file may be at most {} MiB",
            meta.len() >> 20,
            MAX_BYTES >> 20
        ));
    }
    let mut bytes = Vec::new();
    // A file that grows while read stops at the cap all the same.
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| err.to_string())?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("it grew past {} MiB", MAX_BYTES >> 20));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_and_a_big_file_are_refused_at_once() {
        let dir = std::env::temp_dir().join(format!("kt-text-kinds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo.md");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let err = read(&fifo).unwrap_err();
        assert!(err.message.contains("not a regular file"), "{err}");
        let big = dir.join("big.yaml");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(MAX_BYTES + 1)
            .unwrap();
        let err = read(&big).unwrap_err();
        assert!(err.message.contains("at most 4 MiB"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_latin1_byte_is_located() {
        let file = std::env::temp_dir().join(format!("kt-text-{}", std::process::id()));
        std::fs::write(&file, b"id: demo\ntitle: caf\xe9\n").unwrap();
        let err = read(&file).unwrap_err();
        assert_eq!((err.line, err.column), (2, 11));
        assert!(err.message.contains("0xe9"), "{err}");
        std::fs::remove_file(file).unwrap();
    }
}
