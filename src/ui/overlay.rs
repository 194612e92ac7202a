//! Help and menu, drawn over the panes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::theme;
use crate::app::{MenuItem, keys};

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}

pub fn help(frame: &mut Frame) {
    let mut lines = vec![
        Line::from(Span::styled("Keys (any key closes this)", theme::heading())),
        Line::default(),
    ];
    for (keys, what, scope) in keys::KEYS {
        lines.push(Line::from(vec![
            Span::styled(format!("{keys:<21}"), theme::strong()),
            Span::raw(what.to_string()),
            Span::styled(format!("  [{scope}]"), theme::dim()),
        ]));
    }
    lines.push(Line::default());
    let marks: Vec<Span> = keys::STEP_MARKS
        .iter()
        .flat_map(|(mark, what)| {
            [
                Span::styled(format!("{mark} "), theme::strong()),
                Span::raw(format!("{what}   ")),
            ]
        })
        .collect();
    lines.push(Line::from(Span::styled("Steps pane", theme::heading())));
    // Two marks per row keep the legend inside 96 columns.
    for pair in marks.chunks(4) {
        lines.push(Line::from(pair.to_vec()));
    }
    let area = centered(frame.area(), 96, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Help ")),
        area,
    );
}

/// "You pasted N lines while … had the focus: put them in the editor?"
pub fn paste(frame: &mut Frame, app: &crate::app::App, text: &str) {
    let lines: Vec<Line> = crate::app::paste_question(app, text)
        .into_iter()
        .map(Line::from)
        .collect();
    let width = lines
        .iter()
        .map(|l| l.width() as u16 + 4)
        .max()
        .unwrap_or(40)
        .max(40);
    let area = centered(frame.area(), width, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::warn())
        .title(" Paste ");
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

pub fn menu(frame: &mut Frame, selected: usize) {
    let lines: Vec<Line> = MenuItem::ALL
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let style = if i == selected {
                theme::selected()
            } else {
                ratatui::style::Style::default()
            };
            Line::from(Span::styled(format!(" {} ", item.label()), style))
        })
        .collect();
    let width = lines
        .iter()
        .map(|l| l.width() as u16 + 2)
        .max()
        .unwrap_or(0);
    let area = centered(frame.area(), width.max(34), lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Menu (↑↓ Enter, Esc closes) ");
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The lessons to choose from; its bottom line says where they come from.
pub fn lesson_picker(frame: &mut Frame, app: &crate::app::App, selected: usize) {
    let current = app.lesson.id.as_str();
    let lines: Vec<Line> = app
        .lessons
        .iter()
        .enumerate()
        .map(|(i, (id, title))| {
            let style = if i == selected {
                theme::selected()
            } else {
                ratatui::style::Style::default()
            };
            let mark = if id == current { "▶" } else { " " };
            Line::from(Span::styled(format!(" {mark} {title} ({id}) "), style))
        })
        .collect();
    let source = format!(" {} ", app.lessons_root);
    let width = lines
        .iter()
        .map(Line::width)
        .chain([source.chars().count()])
        .max()
        .unwrap_or(20) as u16
        + 2;
    let area = centered(frame.area(), width.max(44), lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(" Lessons (↑↓ Enter, Esc closes) ");
    if !app.lessons_root.is_empty() {
        block = block.title_bottom(source);
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

pub fn reset(frame: &mut Frame, view: &crate::app::ResetView) {
    use crate::app::ResetView;
    use ratatui::widgets::Gauge;
    let (title, mut lines, gauge) = match view {
        ResetView::Planning { .. } => (
            " Reset ",
            vec![Line::from("Looking for what the lesson made …")],
            None,
        ),
        ResetView::Confirm { from, objects } => {
            let what = if *from == 0 {
                "the whole lesson".to_string()
            } else {
                format!("step {} and later ones", from + 1)
            };
            let mut lines = vec![Line::from(Span::styled(
                format!("Reset {what}"),
                theme::heading(),
            ))];
            if objects.is_empty() {
                lines.push(Line::from(
                    "Nothing of the lesson is in the cluster; only your progress goes back.",
                ));
            } else {
                lines.push(Line::from(format!(
                    "These {} objects will be deleted (nothing else):",
                    objects.len()
                )));
                lines.extend(objects.iter().map(|o| Line::from(format!("  {o}"))));
            }
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                "Enter: delete, editors back to templates · k: delete, keep drafts · Esc: cancel",
                theme::strong(),
            )));
            (" Reset ", lines, None)
        }
        ResetView::Running {
            objects,
            gone,
            lines,
            ..
        } => {
            let ratio = if objects.is_empty() {
                1.0
            } else {
                *gone as f64 / objects.len() as f64
            };
            let shown: Vec<Line> = lines
                .iter()
                .rev()
                .take(12)
                .rev()
                .map(|l| Line::from(l.clone()))
                .collect();
            (
                " Resetting … ",
                shown,
                Some((ratio, format!("{gone}/{} deleted", objects.len()))),
            )
        }
        ResetView::Failed { lines } => {
            let mut shown: Vec<Line> = lines
                .iter()
                .map(|l| Line::from(Span::styled(l.clone(), theme::fail())))
                .collect();
            shown.push(Line::from(Span::styled(
                "Esc or Enter closes",
                theme::dim(),
            )));
            (" Reset incomplete ", shown, None)
        }
    };
    let height = lines.len() as u16 + if gauge.is_some() { 4 } else { 2 };
    let area = centered(frame.area(), 90, height.max(5));
    frame.render_widget(Clear, area);
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some((ratio, label)) = gauge {
        let [bar, rest] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
        frame.render_widget(
            Gauge::default()
                .ratio(ratio)
                .label(label)
                .gauge_style(theme::pass()),
            bar,
        );
        frame.render_widget(Paragraph::new(std::mem::take(&mut lines)), rest);
    } else {
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
