//! YAML parsing with positions, for lesson files and for what the learner writes.

use serde::de::DeserializeOwned;

mod advice;

/// `value` as YAML text, each string on one line (quoted, with escapes,
/// when it needs to be): what kubetutor writes for people and tools to read
/// (a kubeconfig a `grep token:` or an editor finds whole).
pub fn to_text(value: &serde_json::Value) -> String {
    let options = serde_saphyr::ser_options! { prefer_block_scalars: false };
    serde_saphyr::to_string_with_options(value, options).expect("a JSON value serialises as YAML")
}

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
            message: for_people(message),
        }
    }
}

/// The parser's words, where they are written for programmers, in a
/// learner's: what is wrong and what to do.
fn for_people(message: String) -> String {
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return format!("the key `{key}` appears twice in this mapping: keep one");
    }
    if message.starts_with("budget breached") {
        return "this document grows past the size limit as its aliases expand \
                (a \"billion laughs\"): write it out without anchors (&) and aliases (*)"
            .into();
    }
    if message.starts_with("tabs disallowed") {
        return "a tab indents this line; YAML indents with spaces only".into();
    }
    message
}

/// One YAML document into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_saphyr::from_str(text)
        .map_err(|e| advice::explain(text, at_the_tab(text, YamlError::from(e))))
}

/// The parser reports some tabs where the token before them ends (the line
/// above, for an indenting tab): point at the tab itself.
fn at_the_tab(text: &str, mut err: YamlError) -> YamlError {
    if !err.message.contains("tab") || err.line == 0 {
        return err;
    }
    let from = text
        .split_inclusive('\n')
        .take(err.line - 1)
        .map(str::len)
        .sum::<usize>();
    if let Some(offset) = text[from..].find('\t') {
        let before = &text[..from + offset];
        err.line = before.matches('\n').count() + 1;
        err.column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        err.message = "a tab indents this line; YAML indents with spaces only".into();
    }
    err
}

/// Every document of a multi-document YAML text, as JSON values. Empty
/// documents (a stray `---`, only comments) are dropped.
pub fn documents(text: &str) -> Result<Vec<serde_json::Value>, YamlError> {
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(text)
        .map_err(|e| advice::explain(text, at_the_tab(text, YamlError::from(e))))?;
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
    fn parser_jargon_becomes_advice() {
        let err = documents("a: 1\na: 2\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 1));
        assert_eq!(
            err.message,
            "the key `a` appears twice in this mapping: keep one"
        );
        let err = documents("a:\n\tb: 1\n").unwrap_err();
        assert!(err.message.contains("spaces only"), "{err:?}");
    }

    #[test]
    fn documents_skips_empty_ones() {
        let docs = documents("---\na: 1\n---\n# nothing\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
    }
}
