//! The regular expressions a lesson writes (`matches:`, a failing example's
//! reason), compiled, and said plainly when they are wrong.

use regex::Regex;

/// Compiles a lesson's regular expression; the error says what is wrong.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| format!("{pattern:?} is not a regular expression: {e}"))
}
