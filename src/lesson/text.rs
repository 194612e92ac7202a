//! Reading a lesson's text files: UTF-8 only, and bytes that are not are an
//! error at their line and column (a file saved in Latin-1, a binary file
//! named by mistake), not a bare "invalid UTF-8".

use std::path::Path;

use super::error::{self, LessonError};

pub fn read(path: &Path) -> Result<String, LessonError> {
    let bytes = std::fs::read(path)
        .map_err(|err| LessonError::new(path, 0, 0, format!("cannot read it: {err}")))?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
