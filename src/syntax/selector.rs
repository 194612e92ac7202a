//! Label selectors as `kubectl -l` takes them, parsed and matched.

use crate::tree::Tree;

/// One requirement of a label selector, as `kubectl -l` takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl Requirement {
    /// Whether `labels` (an object's `metadata.labels`) meet it.
    pub fn holds(&self, labels: &Tree) -> bool {
        let label = |key: &str| labels[key].as_str();
        match self {
            Requirement::Equals(k, v) => label(k) == Some(v),
            Requirement::NotEquals(k, v) => label(k) != Some(v),
            Requirement::In(k, vs) => label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            Requirement::NotIn(k, vs) => label(k).is_none_or(|l| !vs.iter().any(|v| v == l)),
            Requirement::Exists(k) => label(k).is_some(),
            Requirement::DoesNotExist(k) => label(k).is_none(),
        }
    }
}

/// Parses `app=web,tier!=db,env in (a,b),env notin (c),key,!legacy`.
pub fn parse_selector(text: &str) -> Result<Vec<Requirement>, String> {
    let mut requirements = Vec::new();
    for part in split_top_level(text) {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("empty requirement in selector {text:?}"));
        }
        let requirement = if let Some(key) = part.strip_prefix('!') {
            Requirement::DoesNotExist(key.trim().to_string())
        } else if let Some((key, values)) = split_set(part, " notin ") {
            Requirement::NotIn(key, values?)
        } else if let Some((key, values)) = split_set(part, " in ") {
            Requirement::In(key, values?)
        } else if let Some((key, value)) = part.split_once("!=") {
            Requirement::NotEquals(key.trim().into(), value.trim().into())
        } else if let Some((key, value)) = part.split_once("==").or_else(|| part.split_once('=')) {
            Requirement::Equals(key.trim().into(), value.trim().into())
        } else {
            Requirement::Exists(part.to_string())
        };
        let key = match &requirement {
            Requirement::Equals(k, _)
            | Requirement::NotEquals(k, _)
            | Requirement::In(k, _)
            | Requirement::NotIn(k, _)
            | Requirement::Exists(k)
            | Requirement::DoesNotExist(k) => k,
        };
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(format!(
                "{part:?} in selector {text:?} has no valid label key"
            ));
        }
        requirements.push(requirement);
    }
    Ok(requirements)
}

/// Splits on commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

type SetRequirement = (String, Result<Vec<String>, String>);

fn split_set(part: &str, operator: &str) -> Option<SetRequirement> {
    let (key, rest) = part.split_once(operator)?;
    let rest = rest.trim();
    let values = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .map(|inner| inner.split(',').map(|v| v.trim().to_string()).collect())
        .ok_or_else(|| {
            format!(
                "{part:?}: the values after `{}` go in parentheses",
                operator.trim()
            )
        });
    Some((key.trim().to_string(), values))
}
