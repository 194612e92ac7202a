//! Enter in the editor keeps the indentation of the line, indents one step
//! (two spaces, YAML's custom) under a line that opens a block (`key:`), and
//! lines up under the key after a list item's `- key: value`, so typing YAML
//! does not mean counting spaces.

use ratatui_textarea::TextArea;

/// The indentation the next line gets after `before`, the text of the line
/// up to the cursor.
pub fn next_line_indent(before: &str) -> String {
    let indent = before.len() - before.trim_start_matches(' ').len();
    let content = before.trim();
    if content.is_empty() {
        return " ".repeat(indent); // a blank line keeps its spaces
    }
    // Where this line's key starts: after the dash of a list item.
    let item = content.starts_with("- ");
    let key_column = indent + if item { 2 } else { 0 };
    let next = if content.ends_with(':') {
        key_column + 2 // a block opens under the key
    } else if item && content.contains(": ") {
        key_column // the item's mapping goes on: `- name: x` then `image: y`
    } else {
        indent // the next scalar item, or the next key
    };
    " ".repeat(next)
}

/// Breaks the line at the cursor and indents the new one.
pub fn enter(editor: &mut TextArea<'static>) {
    let ratatui_textarea::DataCursor(row, col) = editor.cursor();
    let before: String = editor.lines()[row].chars().take(col).collect();
    editor.insert_newline();
    editor.insert_str(next_line_indent(&before));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_indentation_and_indents_after_a_block_or_list_item() {
        assert_eq!(next_line_indent("  name: demo-sa"), "  ");
        assert_eq!(next_line_indent("spec:"), "  ");
        assert_eq!(next_line_indent("  containers:"), "    ");
        assert_eq!(next_line_indent("  - name: alpine"), "    ");
        assert_eq!(next_line_indent("  - containers:"), "      ");
        assert_eq!(
            next_line_indent("      - ''"),
            "      ",
            "the next scalar item"
        );
        assert_eq!(next_line_indent("kind: Pod"), "");
        assert_eq!(
            next_line_indent("    "),
            "    ",
            "a blank line keeps its spaces"
        );
    }

    #[test]
    fn enter_in_the_middle_of_a_yaml_buffer() {
        let mut editor = TextArea::new(vec!["spec:".to_string(), "  containers:".to_string()]);
        editor.move_cursor(ratatui_textarea::CursorMove::End);
        enter(&mut editor);
        editor.insert_str("serviceAccountName: demo-sa");
        assert_eq!(
            editor.lines(),
            ["spec:", "  serviceAccountName: demo-sa", "  containers:"]
        );
    }
}
