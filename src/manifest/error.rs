//! What went wrong with a learner's YAML, from the parser (here, pure) or
//! from the server (the apply): each points at the line (and column) to fix.

use crate::yaml::YamlError;

/// Why an apply did not happen, pointing at one place of the editor's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("YAML error at {0}")]
    Yaml(YamlError),
    #[error("line {line}: {message}")]
    Document { line: usize, message: String },
    /// A document that parses but cannot be right, pointing at the field.
    #[error("line {line}, column {column}: {message}")]
    Invalid {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("line {line}: {object}: {message}")]
    Server {
        line: usize,
        object: String,
        message: String,
    },
    /// A field that cannot change once the object exists: only deleting the
    /// object and creating it again applies the change (F9 offers it).
    #[error("line {line}, column {column}: {message}")]
    Immutable {
        line: usize,
        column: usize,
        kind: String,
        name: String,
        namespace: String,
        message: String,
    },
    #[error("nothing to apply: the editor holds no YAML document")]
    Empty,
}

impl ApplyError {
    /// The line (1-based) the error points at, for marking it in the editor.
    pub fn line(&self) -> Option<usize> {
        match self {
            ApplyError::Yaml(e) if e.line > 0 => Some(e.line),
            ApplyError::Document { line, .. }
            | ApplyError::Invalid { line, .. }
            | ApplyError::Immutable { line, .. }
            | ApplyError::Server { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The column (1-based) the error points at, when it names one.
    pub fn column(&self) -> Option<usize> {
        match self {
            ApplyError::Yaml(e) if e.line > 0 && e.column > 0 => Some(e.column),
            ApplyError::Invalid { column, .. } | ApplyError::Immutable { column, .. }
                if *column > 0 =>
            {
                Some(*column)
            }
            _ => None,
        }
    }
}
