//! YAML parsing with positions, for lesson files and for what the learner writes.

use serde::de::DeserializeOwned;

/// A YAML error: 1-based line and column (0 when unknown) and the message alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl From<serde_saphyr::Error> for YamlError {
    fn from(err: serde_saphyr::Error) -> Self {
        let (line, column) = err
            .location()
            .map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
        let text = err.without_snippet().to_string();
        // The position is reported in its own fields; drop the parser's suffix.
        let message = match text.rfind(" at line ") {
            Some(i) => text[..i].to_string(),
            None => text,
        };
        YamlError {
            line,
            column,
            message,
        }
    }
}

/// One YAML document into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_saphyr::from_str(text).map_err(YamlError::from)
}

/// Every document of a multi-document YAML text, as JSON values. Empty
/// documents (a stray `---`, only comments) are dropped.
pub fn documents(text: &str) -> Result<Vec<serde_json::Value>, YamlError> {
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(text).map_err(YamlError::from)?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_line_column_and_a_bare_message() {
        let err = documents("a: 1\n---\nb: [x\n").unwrap_err();
        assert_eq!((err.line, err.column), (3, 4));
        assert!(err.message.contains("unclosed bracket"), "{err:?}");
        assert!(!err.message.contains("line 3"), "{err:?}");
    }

    #[test]
    fn documents_skips_empty_ones() {
        let docs = documents("---\na: 1\n---\n# nothing\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
    }
}
