//! The parser's words for the commonest slips, turned into what to type
//! instead. The parser says where it got stuck ("mapping values are not
//! allowed in this context", "simple key expected ':'"); the line it points
//! at says why: a missing space after a colon, a line indented one step too
//! far or not far enough, a `---` that does not start its line, text after a
//! closing quote. Each becomes a sentence about that line, pointing at it.

use super::YamlError;

/// `err` explained with the line it points at in `text`; unchanged when the
/// line says nothing more than the parser did.
pub fn explain(text: &str, mut err: YamlError) -> YamlError {
    if err.line == 0 {
        return err;
    }
    let lines: Vec<&str> = text.lines().collect();
    let Some(line) = lines.get(err.line - 1).copied() else {
        return err;
    };
    let above = lines[..err.line - 1]
        .iter()
        .rev()
        .copied()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let said = err.message.clone();
    let advice = if line.trim() == "---" && indent(line) > 0 {
        Some("`---` starts a new document only at the very start of a line: remove the spaces before it".to_string())
    } else if said.starts_with("simple key expected ':'") {
        missing_space_or_colon(line)
    } else if said.contains("mapping values are not allowed") {
        over_indented(line, above).or_else(|| colon_in_value(line))
    } else if said.contains("did not find expected key") {
        Some(matches_no_level(line, &lines[..err.line - 1]))
    } else if said.contains("did not find expected '-' indicator") {
        Some(not_a_list_item(line, above))
    } else if said.contains("trailing content after double-quoted scalar") {
        Some("text follows the closing quote (\"): put all of the value inside the quotes, or remove what follows them".to_string())
    } else if said.contains("trailing content after single-quoted scalar") {
        Some("a ' inside a value in single quotes ends it: write it twice ('it''s') or put the value in double quotes".to_string())
    } else {
        None
    };
    if let Some(advice) = advice {
        // Indentation is about where the line starts: point there.
        if !said.contains("trailing content") {
            err.column = indent(line) + 1;
        }
        err.message = advice;
    }
    err
}

fn spaces(n: usize) -> String {
    if n == 1 {
        "1 space".into()
    } else {
        format!("{n} spaces")
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// `image:nginx:1.27` (no space after the key's colon) or `metadata` (no
/// colon at all).
fn missing_space_or_colon(line: &str) -> Option<String> {
    let content = line.trim();
    let content = content.strip_prefix("- ").unwrap_or(content);
    match content.split_once(':') {
        Some((key, value)) if !key.is_empty() && !value.is_empty() && !value.starts_with(' ') => {
            Some(format!(
                "`{content}` needs a space after the first colon: `{key}: {value}` (YAML separates a key from its value with \": \")"
            ))
        }
        None if !content.is_empty() && !content.contains(' ') => {
            Some(format!("`{content}` needs a colon after it: `{content}:`"))
        }
        _ => None,
    }
}

/// A key indented deeper than the key above it, which already has a value:
/// it cannot belong to it.
fn over_indented(line: &str, above: Option<&str>) -> Option<String> {
    let above = above?;
    let (mine, theirs) = (indent(line), indent(above));
    let above_key = above.trim().trim_start_matches("- ");
    let above_has_value = above_key
        .split_once(": ")
        .is_some_and(|(_, v)| !v.trim().is_empty());
    if mine <= theirs || !above_has_value {
        return None;
    }
    let key = line.trim().split(':').next().unwrap_or_default();
    let key_column = if above.trim_start().starts_with("- ") {
        theirs + 2
    } else {
        theirs
    };
    Some(format!(
        "`{key}:` is indented {mine} spaces, deeper than `{}` above it, which already has a value: \
         line it up with that key ({key_column} spaces) to add it beside it",
        above_key.split(':').next().unwrap_or_default().to_string() + ":"
    ))
}

/// `command: echo a: b`: a value with ": " in it reads as a new key.
fn colon_in_value(line: &str) -> Option<String> {
    let content = line.trim().trim_start_matches("- ");
    let (key, value) = content.split_once(": ")?;
    value.contains(": ").then(|| {
        format!(
            "the value of `{key}` contains \": \", which YAML reads as another key: put the value in quotes (`{key}: \"{value}\"`)"
        )
    })
}

/// A line indented less than the mapping it ends, at no level used above.
fn matches_no_level(line: &str, before: &[&str]) -> String {
    let mine = indent(line);
    let mut levels: Vec<usize> = before
        .iter()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| indent(l))
        .collect();
    levels.sort_unstable();
    levels.dedup();
    let nearest = levels
        .iter()
        .copied()
        // On a tie the deeper level: the key above is the likelier sibling.
        .min_by_key(|level| (level.abs_diff(mine), std::cmp::Reverse(*level)))
        .unwrap_or(0);
    format!(
        "this line is indented {}, which lines it up with no key above it: \
         indent it like the keys it belongs with ({}, probably)",
        spaces(mine),
        spaces(nearest)
    )
}

/// A line at the indentation of a list's `- ` items that is not an item.
fn not_a_list_item(line: &str, above: Option<&str>) -> String {
    let mine = indent(line);
    let item_key = above
        .map(|a| {
            indent(a)
                + if a.trim_start().starts_with("- ") {
                    2
                } else {
                    0
                }
        })
        .unwrap_or(mine + 2);
    format!(
        "this line is at the indentation of the list's `- ` items but is not one: indent it \
         {item_key} spaces to add it to the item above, or start it with `- ` to begin a new item"
    )
}

#[cfg(test)]
mod tests {
    use crate::yaml::documents;

    fn said(text: &str) -> (usize, usize, String) {
        let err = documents(text).unwrap_err();
        (err.line, err.column, err.message)
    }

    #[test]
    fn a_missing_space_after_a_colon_says_where_the_space_goes() {
        let (line, column, message) =
            said("spec:\n  containers:\n    - name: web\n      image:nginx:1.27\n");
        assert_eq!((line, column), (4, 7));
        assert!(message.contains("`image: nginx:1.27`"), "{message}");
    }

    #[test]
    fn a_key_without_its_colon_gets_one() {
        let (line, _, message) = said("kind: Pod\nmetadata\n  name: x\n");
        assert_eq!(line, 2);
        assert!(message.contains("`metadata:`"), "{message}");
    }

    #[test]
    fn a_key_one_step_too_deep_is_told_where_it_lines_up() {
        let (line, column, message) = said("metadata:\n  name: web\n    labels:\n      a: b\n");
        assert_eq!((line, column), (3, 5));
        assert!(message.contains("deeper than `name:`"), "{message}");
        assert!(message.contains("(2 spaces)"), "{message}");
    }

    #[test]
    fn a_colon_inside_a_value_asks_for_quotes() {
        let (_, _, message) = said("command: echo a: b\n");
        assert!(message.contains("put the value in quotes"), "{message}");
    }

    #[test]
    fn a_key_at_no_level_names_the_nearest() {
        let (line, column, message) = said("metadata:\n  name: web\n labels:\n    a: b\n");
        assert_eq!((line, column), (3, 2));
        assert!(message.contains("indented 1 space,"), "{message}");
        assert!(message.contains("(2 spaces, probably)"), "{message}");
    }

    #[test]
    fn a_line_among_list_items_that_is_not_one() {
        let (line, column, message) =
            said("spec:\n  containers:\n    - name: web\n    image: nginx\n");
        assert_eq!((line, column), (4, 5));
        assert!(message.contains("indent it 6 spaces"), "{message}");
        assert!(message.contains("start it with `- `"), "{message}");
    }

    #[test]
    fn text_after_a_closing_quote() {
        let (line, _, message) = said("metadata:\n  name: \"web\"x\n");
        assert_eq!(line, 2);
        assert!(
            message.contains("text follows the closing quote"),
            "{message}"
        );
        let (_, _, message) = said("a: 'it's'\n");
        assert!(message.contains("'it''s'"), "{message}");
    }
}
