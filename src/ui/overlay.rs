//! The overlays — help, menu, lesson picker, reset dialog, paste question —
//! drawn over the panes, in the order of `app::Overlays` (the top one last).

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::{MenuItem, keys};
use crate::theme;

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}

pub fn help(frame: &mut Frame, scroll: u16) {
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
    // On a terminal smaller than the list, its rows wrap to the width and
    // it scrolls (↑ ↓), so no key is ever cut off.
    let screen = frame.area();
    let width = screen.width.min(96);
    let paragraph = Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false });
    let rows = paragraph.line_count(width.saturating_sub(2)) as u16;
    let height = (rows + 2).min(screen.height);
    let visible = height.saturating_sub(2);
    let max_scroll = rows.saturating_sub(visible);
    let scroll = scroll.min(max_scroll);
    let mut block = Block::default().borders(Borders::ALL).title(" Help ");
    if max_scroll > 0 {
        block = block.title_bottom(Span::styled(
            format!(
                " ↑ ↓ scroll ({}/{}) · any other key closes ",
                scroll, max_scroll
            ),
            theme::strong(),
        ));
    }
    let area = centered(screen, width, height);
    frame.render_widget(Clear, area);
    frame.render_widget(paragraph.block(block).scroll((scroll, 0)), area);
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

/// F9's question, naming the object before anything is deleted.
pub fn recreate(frame: &mut Frame, offer: &crate::app::recreate::Recreate) {
    let lines: Vec<Line> = offer.question().into_iter().map(Line::from).collect();
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
        .title(" Delete and re-create ");
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The question before a lesson that reaches beyond its namespace acts:
/// every line it declares, wrapped, and the keys that answer.
pub fn consent(frame: &mut Frame, ask: &crate::lesson::consent::Ask) {
    let mut text = ask.lines();
    text.push(String::new());
    text.push(crate::app::consent::ANSWER.to_string());
    let area = frame.area();
    let width = area.width.saturating_sub(4).clamp(20, 100);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = text
        .iter()
        .map(|line| line.chars().count().div_ceil(inner).max(1))
        .sum();
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::warn())
        .title(" Before this lesson acts ");
    let lines: Vec<Line> = text.into_iter().map(Line::from).collect();
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(ratatui::widgets::Wrap { trim: false }),
        rect,
    );
}

pub fn menu(frame: &mut Frame, app: &crate::app::App, selected: usize) {
    let lines: Vec<Line> = MenuItem::offered(app)
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
/// A lesson whose declared rights this kubeconfig lacks is marked, and when
/// it is selected the sentence below the list says which right and what to do.
pub fn lesson_picker(frame: &mut Frame, app: &crate::app::App, selected: usize) {
    let current = app.lesson.id.as_str();
    let mut lines: Vec<Line> = app
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
            // First on the line, so a long title never cuts it off.
            let lacking = if app.lessons_lacking.contains_key(id) {
                "!"
            } else {
                " "
            };
            Line::from(Span::styled(
                format!(" {mark}{lacking}{title} ({id}) "),
                style,
            ))
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
    let width = width.max(44).min(frame.area().width);
    let why = app
        .lessons
        .get(selected)
        .and_then(|(id, _)| app.lessons_lacking.get(id));
    if !app.lessons_lacking.is_empty() {
        // Wrapped to the box, so the whole sentence is read, never cut.
        let inner = usize::from(width.saturating_sub(4)).max(20);
        let said = why.map_or(
            "! needs a right your kubeconfig lacks: select it to see which",
            String::as_str,
        );
        lines.push(Line::default());
        for row in word_rows(said, inner) {
            lines.push(Line::from(Span::styled(format!(" {row}"), theme::warn())));
        }
    }
    let height = lines.len() as u16 + 2;
    let area = centered(frame.area(), width, height);
    frame.render_widget(Clear, area);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(" Lessons (↑↓ Enter, Esc closes) ");
    if !app.lessons_root.is_empty() {
        block = block.title_bottom(source);
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// `text` in rows of at most `width` characters, broken between words (a
/// word longer than a row gets a row of its own, cut by the frame).
fn word_rows(text: &str, width: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split_whitespace() {
        let needed = row.chars().count() + usize::from(!row.is_empty()) + word.chars().count();
        if !row.is_empty() && needed > width {
            rows.push(std::mem::take(&mut row));
        }
        if !row.is_empty() {
            row.push(' ');
        }
        row.push_str(word);
    }
    if !row.is_empty() {
        rows.push(row);
    }
    rows
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
        ResetView::Confirm {
            from,
            objects,
            kept,
        } => {
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
                    "{} will be deleted (nothing else):",
                    crate::k8s_names::these_objects(objects.len())
                )));
                lines.extend(objects.iter().map(|o| Line::from(format!("  {o}"))));
            }
            lines.extend(
                kept.iter()
                    .map(|o| Line::from(format!("  {o}: not made by kubetutor: kept"))),
            );
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

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn screen(app: &crate::app::App, selected: usize, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| super::lesson_picker(frame, app, selected))
            .unwrap();
        let buffer = terminal.backend().buffer();
        (0..height)
            .map(|y| {
                (0..width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn app_with_two_lessons() -> crate::app::App {
        let mut app = crate::app::first_lesson_app();
        app.lessons = vec![
            ("serviceaccount-rbac".into(), "ServiceAccounts".into()),
            ("pod-security".into(), "Pod Security".into()),
        ];
        app
    }

    #[test]
    fn a_lesson_whose_rights_are_lacking_is_marked_and_says_why_when_selected() {
        let mut app = app_with_two_lessons();
        let why = "your kubeconfig may not label namespace lab, and this lesson needs it \
                   (to set its Pod Security level). Ask your instructor to grant it";
        app.lessons_lacking
            .insert("pod-security".into(), why.into());

        let on_it = screen(&app, 1, 80, 24);
        assert!(on_it.contains(" !Pod Security (pod-security)"), "{on_it}");
        assert!(
            on_it.contains(" ▶ ServiceAccounts (serviceaccount-rbac)"),
            "{on_it}"
        );
        // The whole sentence, wrapped inside the box at 80 columns.
        let said: String = on_it
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for word in why.split_whitespace() {
            assert!(said.contains(word), "{word:?} missing from\n{on_it}");
        }
        assert!(said.contains("Ask your instructor to grant it"), "{on_it}");

        let elsewhere = screen(&app, 0, 80, 24);
        assert!(elsewhere.contains(" !Pod Security"), "{elsewhere}");
        let legend = elsewhere
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            legend.contains("! needs a right your kubeconfig lacks: select it to see which"),
            "{elsewhere}"
        );
        assert!(!elsewhere.contains("Ask your instructor"), "{elsewhere}");
    }

    fn help_screen(scroll: u16, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| super::help(frame, scroll)).unwrap();
        let buffer = terminal.backend().buffer();
        (0..height)
            .map(|y| {
                (0..width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn words(screen: &str) -> String {
        screen
            .replace(['│', '─', '┌', '┐', '└', '┘'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn at_80x24_every_key_of_the_help_can_be_read_by_scrolling() {
        let mut seen = String::new();
        for scroll in 0..40 {
            seen.push_str(&words(&help_screen(scroll, 80, 24)));
            seen.push(' ');
        }
        assert!(
            help_screen(0, 80, 24).contains("↑ ↓ scroll"),
            "says it scrolls"
        );
        for (keys, what, _) in crate::app::keys::KEYS {
            assert!(seen.contains(&words(keys)), "{keys} never shown");
            // Each word of the description is there (wrapping may split it).
            for word in what.split_whitespace() {
                assert!(seen.contains(word), "{word:?} of {what:?} never shown");
            }
        }
        // Big enough, nothing scrolls.
        assert!(!help_screen(0, 160, 48).contains("↑ ↓ scroll"));
    }

    #[test]
    fn no_mark_when_every_right_is_held() {
        let app = app_with_two_lessons();
        let shown = screen(&app, 1, 80, 24);
        assert!(!shown.contains("needs a right"), "{shown}");
        assert!(!shown.contains(" !"), "{shown}");
    }
}
