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
            Span::styled(format!("{keys:<18}"), theme::strong()),
            Span::raw(what.to_string()),
            Span::styled(format!("  [{scope}]"), theme::dim()),
        ]));
    }
    let area = centered(frame.area(), 96, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Help ")),
        area,
    );
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
    let area = centered(frame.area(), 50, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Menu (↑↓ Enter, Esc closes) ");
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

pub fn lesson_picker(
    frame: &mut Frame,
    lessons: &[(String, String)],
    current: &str,
    selected: usize,
) {
    let lines: Vec<Line> = lessons
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
    let width = lines.iter().map(Line::width).max().unwrap_or(20) as u16 + 2;
    let area = centered(frame.area(), width.max(44), lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Lessons (↑↓ Enter, Esc closes) ");
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
