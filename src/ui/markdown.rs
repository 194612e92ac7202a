//! Markdown to styled lines: headings, paragraphs, lists, emphasis, inline
//! code and code blocks — what lesson text uses. Wrapping prose is left to
//! the Paragraph widget; code lines are wrapped here, at spaces, each piece
//! ending in ` \` (a shell line continuation, so a copied command still
//! runs) and every piece behind the block's margin.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::theme;

/// The prefix of every code line: the block's margin.
const CODE_MARGIN: &str = "  │ ";

pub fn render(markdown: &str) -> Vec<Line<'static>> {
    render_to_width(markdown, usize::MAX)
}

/// As `render`, with code lines wrapped to fit `width` columns.
pub fn render_to_width(markdown: &str, width: usize) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut styles: Vec<Style> = vec![Style::default()];
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut in_code_block = false;

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
                lines.push(Line::default());
            }
            Event::Code(text) => current.push(Span::styled(text.to_string(), theme::code())),
            Event::Text(text) if in_code_block => {
                let room = width.saturating_sub(CODE_MARGIN.chars().count());
                for line in text.lines() {
                    for piece in wrap_code(line, room) {
                        lines.push(Line::from(Span::styled(
                            format!("{CODE_MARGIN}{piece}"),
                            theme::code(),
                        )));
                    }
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
    lines
}

/// A code line cut to `room` columns: at the last space that leaves room
/// for ` \`, continued four spaces in. A token longer than the room is cut
/// where it must be (there is no better place), still behind the margin.
fn wrap_code(line: &str, room: usize) -> Vec<String> {
    const CONTINUED: &str = "    ";
    if room < 16 || line.chars().count() <= room {
        return vec![line.to_string()];
    }
    let mut pieces = Vec::new();
    let mut rest: String = line.to_string();
    let mut first = true;
    loop {
        let indent = if first { "" } else { CONTINUED };
        let budget = room - indent.len();
        if rest.chars().count() <= budget {
            pieces.push(format!("{indent}{rest}"));
            return pieces;
        }
        let head: String = rest.chars().take(budget - 1).collect();
        let (piece, tail) = match break_at(&head) {
            Some(at) => (format!("{} \\", &head[..at]), rest[at + 1..].to_string()),
            None => {
                let whole: String = rest.chars().take(budget).collect();
                let tail = rest[whole.len()..].to_string();
                (whole, tail)
            }
        };
        pieces.push(format!("{indent}{piece}"));
        rest = tail;
        first = false;
    }
}

/// Where to cut `head`: its last space outside quotes (a cut inside
/// "Authorization: Bearer …" would put the continuation's indent into the
/// header), else its last space.
fn break_at(head: &str) -> Option<usize> {
    let mut quote = None;
    let mut outside = None;
    let mut any = None;
    for (at, c) in head.char_indices() {
        match (c, quote) {
            ('"' | '\'', None) => quote = Some(c),
            (c, Some(q)) if c == q => quote = None,
            (' ', _) if at > 0 => {
                any = Some(at);
                if quote.is_none() {
                    outside = Some(at);
                }
            }
            _ => {}
        }
    }
    outside.or(any)
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
    fn long_code_lines_wrap_at_spaces_behind_the_margin_as_shell_continuations() {
        let md = "```sh\ncurl -H \"Authorization: Bearer $TOKEN\" https://kubernetes/api/v1/namespaces/teach-13171/pods\n```\n";
        let out = text(&render_to_width(md, 40));
        assert_eq!(
            out,
            vec![
                "  ┌ sh",
                "  │ curl -H \\",
                "  │     \"Authorization: Bearer $TOKEN\" \\",
                "  │     https://kubernetes/api/v1/namesp",
                "  │     aces/teach-13171/pods",
            ]
        );
        assert!(out.iter().all(|l| l.chars().count() <= 40), "{out:?}");
        // Joined back the shell's way, the command is the same.
        let joined = out[1..]
            .iter()
            .map(|l| {
                l.trim_start_matches("  │ ")
                    .trim_start()
                    .trim_end_matches(" \\")
            })
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            joined.starts_with("curl -H \"Authorization: Bearer $TOKEN\" https://"),
            "{joined}"
        );
    }
}
