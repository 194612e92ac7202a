//! Every key the TUI knows: the help overlay, the footer and docs/tutor.md list
//! come from this one table.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// `key` is Ctrl and the letter `c`.
pub fn is_ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

/// (keys, what they do, where they work). Letter keys act outside the editor;
/// their F-key or Ctrl twins work everywhere.
#[rustfmt::skip]
pub const KEYS: &[(&str, &str, &str)] = &[
    ("Tab / Shift-Tab", "move between panes", "everywhere"),
    ("e", "edit: put the focus in the editor", "not in editor"),
    ("Ctrl-S / F5", "apply the editor's YAML to the cluster", "everywhere"),
    ("n / Ctrl-N", "next step (once this one is done)", "n: not in editor"),
    ("p / Ctrl-P", "previous step", "p: not in editor"),
    ("r / F6", "run the step's action (token, API call)", "r: not in editor"),
    ("s / F7", "shell with the Pod's view", "s: not in editor"),
    ("1 … 9", "answer the step's prediction (before running it)", "question on screen"),
    ("v / F8", "presenter: reveal the answer once the room has voted", "v: not in editor"),
    ("F9", "re-create what an apply cannot change (asks first)", "after that error"),
    ("h / F2", "show or hide hints and worked answers", "h: not in editor"),
    ("? / F1", "this help", "?: not in editor"),
    ("Esc / F10", "menu: solve, reset, presenter, lessons…", "everywhere"),
    ("q / Ctrl-C", "quit (drafts and progress are saved)", "q: not in editor"),
    ("↑ ↓ PgUp PgDn j k", "scroll the pane / choose a step", "not in editor"),
    ("← →", "scroll the lesson's code sideways", "Lesson pane"),
    ("c", "copy the code block in view (OSC 52)", "Lesson pane"),
    ("Enter", "open the chosen step", "Steps pane"),
    ("Ctrl-Z / Ctrl-U", "undo", "editor"),
    ("Ctrl-Y / Ctrl-R", "redo", "editor"),
    ("Ctrl-F", "search (Enter: next, Esc: close)", "editor"),
    ("Ctrl-Home / Ctrl-End", "top / bottom of the buffer", "editor"),
    ("mouse", "click a pane to focus it, wheel to scroll", "everywhere"),
];

/// The footer: the most used keys, short, as they work outside the editor.
pub const FOOTER: &str =
    "^S apply · e edit · n next · r run · s shell · h hint · Tab pane · ? help · Esc menu · q quit";

/// The footer while the editor has the focus: letters are text there, so it
/// names the twins that work in it.
pub const FOOTER_EDITOR: &str =
    "^S apply · ^N next · ^P prev · F6 run · F7 shell · F2 hint · Tab leave · F1 help · Esc menu";

/// The same, for terminals narrower than the long forms.
pub const FOOTER_SHORT: &str = "^S apply e edit n next r run s shell h hint ? help Esc menu q quit";
pub const FOOTER_EDITOR_SHORT: &str =
    "^S apply ^N next F6 run F7 shell F2 hint F1 help Esc menu Tab leave";

/// What the step markers of the Steps pane mean (shown in the help).
#[rustfmt::skip]
pub const STEP_MARKS: &[(&str, &str)] = &[
    ("▶", "the step shown"),
    ("○", "open: you may work on it"),
    ("·", "locked: finish the steps before it"),
    ("✓", "done: its checks held and you did what it asks"),
    ("◇", "holds already: counts once you do what it asks"),
    ("!", "was done, no longer holds"),
    ("?", "cannot be decided with your rights"),
];
