//! What can still be read from a progress file cut short: every draft whose
//! key and text are whole. A crash mid-write (of another tool), a full disk or
//! a hand edit must not cost the learner the drafts before the damage.

use std::collections::BTreeMap;

/// The drafts of the `"drafts": {…}` object that parse, in order, up to the
/// first damaged one.
pub fn drafts(text: &str) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    // Fields are written in declaration order (current, unlocked, drafts), so
    // the first `"drafts"` is the key: draft texts come after it.
    let Some(start) = text.find("\"drafts\"") else {
        return found;
    };
    let mut rest = &text[start + "\"drafts\"".len()..];
    if !eat(&mut rest, ':') || !eat(&mut rest, '{') {
        return found;
    }
    while let Some(key) = string(&mut rest) {
        if !eat(&mut rest, ':') {
            break;
        }
        let Some(value) = string(&mut rest) else {
            break;
        };
        found.insert(key, value);
        if !eat(&mut rest, ',') {
            break;
        }
    }
    found
}

/// Skips whitespace, then `expected` if it is next.
fn eat(rest: &mut &str, expected: char) -> bool {
    let trimmed = rest.trim_start();
    match trimmed.strip_prefix(expected) {
        Some(after) => {
            *rest = after;
            true
        }
        None => false,
    }
}

/// One whole JSON string literal (escapes decoded), or None.
fn string(rest: &mut &str) -> Option<String> {
    let trimmed = rest.trim_start();
    if !trimmed.starts_with('"') {
        return None;
    }
    let mut stream = serde_json::Deserializer::from_str(trimmed).into_iter::<String>();
    let value = stream.next()?.ok()?;
    *rest = &trimmed[stream.byte_offset()..];
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHOLE: &str = r#"{
  "current": 2,
  "unlocked": 3,
  "drafts": {
    "demo-sa": "kind: ServiceAccount\nmetadata:\n  name: \"demo-sa\"",
    "role": "kind: Role"
  }
}"#;

    #[test]
    fn a_whole_file_gives_every_draft() {
        let drafts = drafts(WHOLE);
        assert_eq!(drafts.len(), 2);
        assert!(drafts["demo-sa"].contains("name: \"demo-sa\""));
    }

    #[test]
    fn a_file_cut_in_the_second_draft_gives_the_first() {
        let cut = &WHOLE[..WHOLE.find("Role").unwrap()];
        let drafts = drafts(cut);
        assert_eq!(drafts.keys().collect::<Vec<_>>(), ["demo-sa"]);
    }

    #[test]
    fn a_file_cut_before_the_drafts_gives_none() {
        assert!(drafts(&WHOLE[..20]).is_empty());
        assert!(drafts("").is_empty());
        assert!(drafts("\"drafts\": [1]").is_empty());
    }
}
