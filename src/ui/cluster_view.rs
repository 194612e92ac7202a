//! The cluster pane: a window over the engine's `ClusterView`. Only the rows
//! in the window become lines, so a namespace of thousands of Pods costs a
//! frame no more than one of ten.

use ratatui::text::{Line, Span};

use crate::engine::shape::Tone;
use crate::engine::view::{ClusterView, Row};
use crate::theme;

/// The lines from `first` (0-based over every heading and row), at most `height`.
pub fn window(view: &ClusterView, first: usize, height: usize) -> Vec<Line<'static>> {
    let mut out = Vec::with_capacity(height);
    let mut at = 0; // the line number of the next section's heading
    for section in &view.sections {
        if out.len() >= height {
            break;
        }
        let body = section.rows.len().max(1);
        if at + 1 + body <= first {
            at += 1 + body; // the whole section is above the window
            continue;
        }
        if at >= first {
            out.push(Line::from(Span::styled(
                section.title.clone(),
                theme::heading(),
            )));
        }
        let skip = first.saturating_sub(at + 1);
        if section.rows.is_empty() {
            if skip == 0 && out.len() < height {
                out.push(match &section.blind {
                    Some(why) => {
                        Line::from(Span::styled(format!("  cannot see: {why}"), theme::warn()))
                    }
                    None => Line::from(Span::styled("  (none)", theme::dim())),
                });
            }
        } else {
            let room = height - out.len();
            out.extend(section.rows.iter().skip(skip).take(room).map(row));
        }
        at += 1 + body;
    }
    out
}

fn row(row: &Row) -> Line<'static> {
    let style = match row.tone {
        Tone::Good => theme::pass(),
        Tone::Waiting => theme::warn(),
        Tone::Plain => ratatui::style::Style::default(),
    };
    let text = format!("  {}", row.text);
    if row.named {
        Line::from(Span::styled(text, style.patch(theme::strong())))
    } else {
        Line::from(Span::styled(text, style))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::view::Section;

    fn section(kind: &str, rows: usize) -> Section {
        Section {
            namespace: String::new(),
            kind: kind.into(),
            title: format!("{kind}s ({rows})"),
            rows: (0..rows)
                .map(|i| Row {
                    name: format!("{kind}-{i}"),
                    text: format!("{kind}-{i}"),
                    tone: Tone::Plain,
                    named: false,
                })
                .collect(),
            blind: None,
        }
    }

    fn text(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn the_window_shows_exactly_its_lines_wherever_it_starts() {
        let view = ClusterView {
            sections: vec![
                section("Role", 2),
                section("Pod", 5000),
                section("Empty", 0),
            ],
        };
        assert_eq!(view.line_count(), 3 + 5001 + 2);
        assert_eq!(
            text(&window(&view, 0, 5)),
            [
                "Roles (2)",
                "  Role-0",
                "  Role-1",
                "Pods (5000)",
                "  Pod-0"
            ]
        );
        assert_eq!(text(&window(&view, 4, 2)), ["  Pod-0", "  Pod-1"]);
        assert_eq!(
            text(&window(&view, 5002, 10)),
            ["  Pod-4998", "  Pod-4999", "Emptys (0)", "  (none)"]
        );
        assert!(window(&view, 10_000, 10).is_empty());
    }
}
