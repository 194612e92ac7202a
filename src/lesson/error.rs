//! Errors in lesson files, with the file, line and column they point at.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonError {
    pub file: PathBuf,
    /// 1-based; 0 when the error is about the file as a whole.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl LessonError {
    /// A YAML error in `file`, at its position.
    pub fn from_yaml(file: &Path, err: crate::yaml::YamlError) -> LessonError {
        LessonError::new(file, err.line, err.column, err.message)
    }

    pub fn new(
        file: impl Into<PathBuf>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An error about a value in `text` (the file's content): points at the first
    /// place `needle` appears, or at the file when it does not appear.
    pub fn at_text(
        file: impl Into<PathBuf>,
        text: &str,
        needle: &str,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = locate(text, needle).unwrap_or((0, 0));
        Self::new(file, line, column, message)
    }
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.message
            )
        }
    }
}

impl std::error::Error for LessonError {}

/// 1-based line and column of the first occurrence of `needle` in `text`.
pub fn locate(text: &str, needle: &str) -> Option<(usize, usize)> {
    Some(position(text, text.find(needle)?))
}

/// 1-based line and column of byte `offset` in `text`.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_counts_lines_and_columns_from_one() {
        assert_eq!(locate("a: 1\nbb: x\n", "x"), Some((2, 5)));
        assert_eq!(locate("x", "x"), Some((1, 1)));
        assert_eq!(locate("abc", "z"), None);
    }

    #[test]
    fn display_is_file_line_column_message() {
        let err = LessonError::new("l/lesson.yaml", 3, 7, "unknown field `hnt`");
        assert_eq!(err.to_string(), "l/lesson.yaml:3:7: unknown field `hnt`");
    }
}
