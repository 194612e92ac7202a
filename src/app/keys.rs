//! Every key the TUI knows: the help overlay, the footer and the README list
//! come from this one table.

/// (keys, what they do, where they work)
pub const KEYS: &[(&str, &str, &str)] = &[
    ("Tab / Shift-Tab", "move focus between panes", "everywhere"),
    (
        "Ctrl-S / F5",
        "apply the editor's YAML to the cluster",
        "everywhere",
    ),
    (
        "n / Ctrl-N",
        "go to the next step once this one is done",
        "n outside the editor",
    ),
    (
        "p / Ctrl-P",
        "go back to the previous step",
        "p outside the editor",
    ),
    (
        "r / F6",
        "run the step's action (token, API call)",
        "r outside the editor",
    ),
    (
        "h / F2",
        "show or hide hints for failing checks",
        "h outside the editor",
    ),
    ("? / F1", "this help", "? outside the editor"),
    (
        "Esc / F10",
        "menu: reveal solution, reset editor, quit",
        "everywhere",
    ),
    (
        "q / Ctrl-C",
        "quit (drafts and progress are saved)",
        "q outside the editor",
    ),
    (
        "↑ ↓ PgUp PgDn j k",
        "scroll the focused pane / choose a step",
        "outside the editor",
    ),
    ("Enter", "open the chosen step", "Steps pane"),
    ("Ctrl-Z / Ctrl-U", "undo", "editor"),
    ("Ctrl-Y / Ctrl-R", "redo", "editor"),
    ("Ctrl-F", "search (Enter: next match, Esc: close)", "editor"),
    (
        "Ctrl-Home / Ctrl-End",
        "top / bottom of the buffer",
        "editor",
    ),
    (
        "mouse",
        "click a pane to focus it, wheel to scroll",
        "everywhere",
    ),
];

/// The footer: the most used keys, short.
pub const FOOTER: &str =
    "^S apply · n next · r run · s shell · h hint · Tab pane · ? help · Esc · q quit";
