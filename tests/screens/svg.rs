//! A terminal screen, as tmux captures it with its colours (`capture-pane
//! -e`), drawn as an SVG picture: one text run per stretch of equal style, a
//! rectangle behind runs with a background colour.

use std::fmt::Write;

const CELL_WIDTH: f32 = 8.4;
const LINE_HEIGHT: f32 = 17.0;
const BACKGROUND: &str = "#1d1f21";
const FOREGROUND: &str = "#d6d6d6";

/// The 16 ANSI colours (xterm's defaults, slightly softened for a page).
const ANSI: [&str; 16] = [
    "#1d1f21", "#cc6666", "#b5bd68", "#f0c674", "#81a2be", "#b294bb", "#8abeb7", "#c5c8c6",
    "#969896", "#ff7b7b", "#d0e08a", "#ffe08a", "#9fc6f0", "#d7b7e0", "#a3e0d8", "#ffffff",
];

#[derive(Clone, Default, PartialEq)]
struct Style {
    fg: Option<String>,
    bg: Option<String>,
    bold: bool,
    reverse: bool,
}

fn colour_256(n: u8) -> String {
    match n {
        0..=15 => ANSI[n as usize].to_string(),
        16..=231 => {
            let n = n - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            format!(
                "#{:02x}{:02x}{:02x}",
                level(n / 36),
                level(n / 6 % 6),
                level(n % 6)
            )
        }
        232..=255 => {
            let grey = 8 + 10 * (n - 232);
            format!("#{grey:02x}{grey:02x}{grey:02x}")
        }
    }
}

/// Applies one SGR sequence's parameters to `style`.
fn apply_sgr(style: &mut Style, params: &str) {
    let codes: Vec<u16> = params.split(';').map(|p| p.parse().unwrap_or(0)).collect();
    let mut i = 0;
    while i < codes.len() {
        match codes[i] {
            0 => *style = Style::default(),
            1 => style.bold = true,
            22 => style.bold = false,
            7 => style.reverse = true,
            27 => style.reverse = false,
            c @ 30..=37 => style.fg = Some(ANSI[(c - 30) as usize].into()),
            c @ 90..=97 => style.fg = Some(ANSI[(c - 90 + 8) as usize].into()),
            c @ 40..=47 => style.bg = Some(ANSI[(c - 40) as usize].into()),
            c @ 100..=107 => style.bg = Some(ANSI[(c - 100 + 8) as usize].into()),
            39 => style.fg = None,
            49 => style.bg = None,
            c @ (38 | 48) => {
                let colour = match codes.get(i + 1) {
                    Some(5) => codes.get(i + 2).map(|n| colour_256(*n as u8)),
                    Some(2) => match (codes.get(i + 2), codes.get(i + 3), codes.get(i + 4)) {
                        (Some(r), Some(g), Some(b)) => Some(format!("#{r:02x}{g:02x}{b:02x}")),
                        _ => None,
                    },
                    _ => None,
                };
                i += if codes.get(i + 1) == Some(&2) { 4 } else { 2 };
                if c == 38 {
                    style.fg = colour;
                } else {
                    style.bg = colour;
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// One line as runs of (style, text).
fn runs(line: &str, style: &mut Style) -> Vec<(Style, String)> {
    let mut out: Vec<(Style, String)> = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                let mut params = String::new();
                for p in chars.by_ref() {
                    if p.is_ascii_alphabetic() {
                        if p == 'm' {
                            apply_sgr(style, &params);
                        }
                        break;
                    }
                    params.push(p);
                }
            }
            continue;
        }
        match out.last_mut() {
            Some((s, text)) if s == style => text.push(c),
            _ => out.push((style.clone(), c.to_string())),
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The SVG picture of a `cols`×`rows` screen captured with escapes.
pub fn render(captured: &str, cols: usize, rows: usize, title: &str) -> String {
    let width = cols as f32 * CELL_WIDTH + 16.0;
    let height = rows as f32 * LINE_HEIGHT + 16.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n\
         <title>{}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"{BACKGROUND}\"/>\n\
         <g font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\" xml:space=\"preserve\">\n",
        escape(title)
    );
    let mut style = Style::default();
    for (row, line) in captured.lines().take(rows).enumerate() {
        let y = 8.0 + row as f32 * LINE_HEIGHT;
        let mut col = 0usize;
        for (s, text) in runs(line, &mut style) {
            let len = text.chars().count();
            let x = 8.0 + col as f32 * CELL_WIDTH;
            let (mut fg, mut bg) = (s.fg.clone(), s.bg.clone());
            if s.reverse {
                (fg, bg) = (
                    Some(bg.unwrap_or(BACKGROUND.into())),
                    Some(fg.unwrap_or(FOREGROUND.into())),
                );
            }
            if let Some(bg) = bg {
                let w = len as f32 * CELL_WIDTH;
                let _ = writeln!(
                    svg,
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{LINE_HEIGHT}\" fill=\"{bg}\"/>"
                );
            }
            if !text.trim().is_empty() {
                let weight = if s.bold { " font-weight=\"bold\"" } else { "" };
                let _ = writeln!(
                    svg,
                    "<text x=\"{x}\" y=\"{}\" fill=\"{}\"{weight}>{}</text>",
                    y + 13.0,
                    fg.as_deref().unwrap_or(FOREGROUND),
                    escape(&text)
                );
            }
            col += len;
        }
    }
    svg.push_str("</g>\n</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_bold_and_reverse_become_fills_and_text_is_escaped() {
        let captured = "\u{1b}[1m\u{1b}[38;5;2m✓\u{1b}[0m a<b & c\n\u{1b}[7mx\u{1b}[0m";
        let svg = render(captured, 10, 2, "t");
        assert!(
            svg.contains(&format!(
                "fill=\"{}\" font-weight=\"bold\">✓</text>",
                ANSI[2]
            )),
            "{svg}"
        );
        assert!(svg.contains("> a&lt;b &amp; c</text>"), "{svg}");
        // Reverse video: the default foreground becomes the background.
        assert!(svg.contains(&format!("fill=\"{FOREGROUND}\"/>")), "{svg}");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    }

    #[test]
    fn the_256_colour_cube_and_grey_ramp() {
        assert_eq!(colour_256(16), "#000000");
        assert_eq!(colour_256(231), "#ffffff");
        assert_eq!(colour_256(232), "#080808");
    }
}
