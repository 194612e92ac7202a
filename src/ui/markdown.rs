//! Markdown to styled lines: headings, paragraphs, lists, emphasis, inline
//! code and code blocks — what lesson text uses. Wrapping is left to the
//! Paragraph widget.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::theme;

pub fn render(markdown: &str) -> Vec<Line<'static>> {
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
                for line in text.lines() {
                    lines.push(Line::from(Span::styled(
                        format!("  │ {line}"),
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
    lines
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
}
