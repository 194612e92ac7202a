//! Markdown to styled lines: headings, paragraphs, lists, emphasis, inline
//! code and code blocks — what lesson text uses. Wrapping prose is left to
//! the Paragraph widget; a code line is never broken (a URL or a YAML line
//! cut in two cannot be copied): one wider than the pane is cut at its edge
//! with `›`, and scrolls sideways (`shift`), with `‹` in the margin while it
//! is scrolled. Each block's exact text is kept for copying.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::theme;

/// The prefix of every code line: the block's margin.
const CODE_MARGIN: &str = "  │ ";

/// The lines of a text, and where its code blocks are.
pub struct Rendered {
    pub lines: Vec<Line<'static>>,
    /// Each code block: the index of its first line in `lines`, and its text
    /// exactly as written (what a copy puts on the clipboard).
    pub blocks: Vec<(usize, String)>,
    /// Some code line is cut at the edge or scrolled sideways.
    pub cut: bool,
}

pub fn render(markdown: &str) -> Vec<Line<'static>> {
    render_to_width(markdown, usize::MAX)
}

/// As `render`, with code lines cut to fit `width` columns.
pub fn render_to_width(markdown: &str, width: usize) -> Vec<Line<'static>> {
    render_shifted(markdown, width, 0).lines
}

/// As `render_to_width`, with code lines scrolled `shift` columns sideways.
pub fn render_shifted(markdown: &str, width: usize, shift: usize) -> Rendered {
    let mut blocks: Vec<(usize, String)> = Vec::new();
    let mut cut = false;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut styles: Vec<Style> = vec![Style::default()];
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut in_code_block = false;
    // The block whose text events are arriving (a block may come in pieces).
    let mut block_open = false;

    let flush = |lines: &mut Vec<Line<'static>>, current: &mut Vec<Span<'static>>| {
        if !current.is_empty() {
            lines.push(Line::from(std::mem::take(current)));
        }
    };
    let blank = |lines: &mut Vec<Line<'static>>| {
        if lines.last().is_some_and(|l| !l.spans.is_empty()) {
            lines.push(Line::default());
        }
    };

    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut lines, &mut current);
                blank(&mut lines);
                let marks = "#".repeat(level as usize);
                current.push(Span::styled(format!("{marks} "), theme::heading()));
                styles.push(theme::heading());
            }
            Event::End(TagEnd::Heading(_)) => {
                styles.pop();
                flush(&mut lines, &mut current);
                lines.push(Line::default());
            }
            Event::Start(Tag::Paragraph) => {}
            Event::End(TagEnd::Paragraph) => {
                flush(&mut lines, &mut current);
                if lists.is_empty() {
                    lines.push(Line::default());
                }
            }
            Event::Start(Tag::Emphasis) => styles.push(top(&styles).patch(theme::emphasis())),
            Event::Start(Tag::Strong) => styles.push(top(&styles).patch(theme::strong())),
            Event::End(TagEnd::Emphasis | TagEnd::Strong) => {
                styles.pop();
            }
            Event::Start(Tag::List(start)) => {
                flush(&mut lines, &mut current);
                lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                if lists.is_empty() {
                    lines.push(Line::default());
                }
            }
            Event::Start(Tag::Item) => {
                flush(&mut lines, &mut current);
                let indent = "  ".repeat(lists.len().saturating_sub(1));
                let bullet = match lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{indent}{}. ", *n - 1)
                    }
                    _ => format!("{indent}• "),
                };
                current.push(Span::raw(bullet));
            }
            Event::End(TagEnd::Item) => flush(&mut lines, &mut current),
            Event::Start(Tag::CodeBlock(kind)) => {
                flush(&mut lines, &mut current);
                in_code_block = true;
                if let CodeBlockKind::Fenced(lang) = kind
                    && !lang.is_empty()
                {
                    lines.push(Line::from(Span::styled(
                        format!("  ┌ {lang}"),
                        theme::dim(),
                    )));
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                block_open = false;
                lines.push(Line::default());
            }
            Event::Code(text) => current.push(Span::styled(text.to_string(), theme::code())),
            Event::Text(text) if in_code_block => {
                match blocks.last_mut() {
                    Some((_, block)) if block_open => block.push_str(&text),
                    _ => {
                        blocks.push((lines.len(), text.to_string()));
                        block_open = true;
                    }
                }
                let room = width.saturating_sub(CODE_MARGIN.chars().count());
                for line in text.lines() {
                    let (margin, piece) = code_line(line, room, shift);
                    cut |= shift > 0 || piece.ends_with('›');
                    lines.push(Line::from(Span::styled(
                        format!("{margin}{piece}"),
                        theme::code(),
                    )));
                }
            }
            Event::Text(text) => current.push(Span::styled(text.to_string(), top(&styles))),
            Event::SoftBreak => current.push(Span::raw(" ")),
            Event::HardBreak => flush(&mut lines, &mut current),
            Event::Rule => {
                flush(&mut lines, &mut current);
                lines.push(Line::from(Span::styled("─".repeat(40), theme::dim())));
            }
            Event::Start(Tag::Link { .. }) => styles.push(top(&styles).patch(theme::code())),
            Event::End(TagEnd::Link) => {
                styles.pop();
            }
            _ => {}
        }
    }
    flush(&mut lines, &mut current);
    while lines.last().is_some_and(|l| l.spans.is_empty()) {
        lines.pop();
    }
    Rendered { lines, blocks, cut }
}

/// A code line as shown: its margin (`‹` in it while scrolled sideways)
/// and the `room` columns from `shift` on, ending in `›` when more follows.
fn code_line(line: &str, room: usize, shift: usize) -> (&'static str, String) {
    const SHIFTED_MARGIN: &str = "  ‹ ";
    let margin = if shift > 0 && !line.is_empty() {
        SHIFTED_MARGIN
    } else {
        CODE_MARGIN
    };
    let rest: Vec<char> = line.chars().skip(shift).collect();
    if room == 0 || rest.len() <= room {
        return (margin, rest.into_iter().collect());
    }
    let mut shown: String = rest[..room - 1].iter().collect();
    shown.push('›');
    (margin, shown)
}

fn top(styles: &[Style]) -> Style {
    styles.last().copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn renders_headings_lists_code_and_emphasis() {
        let md = "# Title\n\nSome *soft* and **strong** `code`.\n\n- one\n- two\n\n1. first\n2. second\n\n```sh\nkubectl get sa\n```\n";
        let out = text(&render(md));
        assert_eq!(
            out,
            vec![
                "# Title",
                "",
                "Some soft and strong code.",
                "",
                "• one",
                "• two",
                "",
                "1. first",
                "2. second",
                "",
                "  ┌ sh",
                "  │ kubectl get sa",
            ]
        );
    }

    #[test]
    fn long_code_lines_are_cut_never_broken_and_scroll_sideways() {
        let command = "curl -H \"Authorization: Bearer $TOKEN\" https://kubernetes/api/v1/namespaces/teach-13171/pods";
        let md = format!("Run:\n\n```sh\n{command}\nshort\n```\n");
        let out = text(&render_to_width(&md, 40));
        assert_eq!(
            out,
            vec![
                "Run:",
                "",
                "  ┌ sh",
                "  │ curl -H \"Authorization: Bearer $TOK›",
                "  │ short",
            ]
        );
        assert!(out.iter().all(|l| l.chars().count() <= 40), "{out:?}");

        let shifted = render_shifted(&md, 40, 30);
        let out = text(&shifted.lines);
        assert_eq!(out[3], "  ‹  $TOKEN\" https://kubernetes/api/v1/›");
        assert_eq!(out[4], "  ‹ ", "a short line scrolls out of view");
        // The block's text is kept whole, for copying.
        assert_eq!(shifted.blocks, vec![(3, format!("{command}\nshort\n"))]);
    }
}
