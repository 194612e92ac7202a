//! The TUI's state and its one place of change, `update` (The Elm
//! Architecture): messages in, effects out, no I/O here.

mod acts;
pub mod acts_log;
#[cfg(test)]
mod focus_tests;
mod indent;
pub mod keys;
mod paste;
mod progress;
pub mod saved;
mod shown_keys;
mod update;

use ratatui_textarea::TextArea;

use crate::cluster::apply::ApplyError;
use crate::engine::StepReport;
use crate::engine::actor::EngineUpdate;
use crate::engine::link::Link;
use crate::engine::view::ClusterView;
use crate::lesson::Lesson;
pub use acts::StepActs;
pub use paste::question as paste_question;
pub use saved::SavedState;
pub use update::update;

/// Everything that can happen to the app.
#[derive(Debug)]
pub enum Msg {
    Key(crossterm::event::KeyEvent),
    Mouse(crossterm::event::MouseEvent),
    /// Text pasted into the terminal (bracketed paste): text, never keys.
    Paste(String),
    /// A click landed on this pane.
    Focus(Pane),
    /// The terminal was resized: redraw.
    Resize,
    Engine(EngineUpdate),
    /// The engine could not start (cluster unreachable, bad kubeconfig…).
    EngineFailed(String),
    /// SIGTERM, SIGINT or SIGHUP.
    Signal(&'static str),
    /// The shell opened with `s` ended: what to tell the learner.
    ShellClosed(String),
    /// Acts done in another terminal (`kubetutor call`, `token`, `solve`).
    ActsElsewhere(Vec<acts_log::Entry>),
}

/// What `update` asks the runtime to do.
#[derive(Debug, Clone)]
pub enum Effect {
    Engine(crate::engine::actor::EngineCommand),
    /// Progress or drafts changed: save soon (debounced).
    Save,
    /// Suspend the TUI and open a shell for this pod.
    Shell(String),
    /// Leave this lesson for another (by id); progress is saved first.
    SwitchLesson(String),
    /// The learner starts over: acts logged by other commands are forgotten.
    ClearActsLog,
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Steps,
    Lesson,
    Editor,
    Cluster,
    Checks,
    Output,
}

impl Pane {
    pub const ORDER: [Pane; 6] = [
        Pane::Steps,
        Pane::Lesson,
        Pane::Editor,
        Pane::Cluster,
        Pane::Checks,
        Pane::Output,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Steps => "Steps",
            Pane::Lesson => "Lesson",
            Pane::Editor => "Editor",
            Pane::Cluster => "Cluster",
            Pane::Checks => "Checks",
            Pane::Output => "Output",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    /// The engine runs: connected, or reconnecting and why.
    Link(Link),
    /// The engine could not start.
    Unreachable(String),
}

impl Connection {
    pub fn is_connected(&self) -> bool {
        matches!(self, Connection::Link(link) if link.is_connected())
    }
}

/// Where the learner is talking to.
#[derive(Debug, Clone, Default)]
pub struct ClusterLabel {
    pub context: String,
    pub server: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuItem {
    RevealSolution,
    RunAction,
    RevealToken,
    SolveStep,
    ResetLesson,
    ResetStep,
    ResetEditor,
    ChooseLesson,
    TogglePresenter,
    Help,
    Quit,
}

impl MenuItem {
    pub const ALL: [MenuItem; 11] = [
        MenuItem::RevealSolution,
        MenuItem::SolveStep,
        MenuItem::RunAction,
        MenuItem::RevealToken,
        MenuItem::TogglePresenter,
        MenuItem::ResetLesson,
        MenuItem::ResetStep,
        MenuItem::ResetEditor,
        MenuItem::ChooseLesson,
        MenuItem::Help,
        MenuItem::Quit,
    ];

    pub fn label(self) -> &'static str {
        match self {
            MenuItem::ChooseLesson => "Choose a lesson",
            MenuItem::SolveStep => "Solve this step (apply solution, run action)",
            MenuItem::TogglePresenter => "Presenter mode on/off",
            MenuItem::ResetLesson => "Reset the lab: delete what this lesson made",
            MenuItem::ResetStep => "Reset this step (and the ones after it)",
            MenuItem::RevealToken => "Show this step's token in full",
            MenuItem::RevealSolution => "Reveal the solution into the editor",
            MenuItem::RunAction => "Run this step's action",
            MenuItem::ResetEditor => "Put the step's template back in the editor",
            MenuItem::Help => "Keys",
            MenuItem::Quit => "Quit",
        }
    }

    /// The name a room reads in the presenter's key strip.
    pub fn short_label(self) -> &'static str {
        match self {
            MenuItem::ChooseLesson => "Choose a lesson",
            MenuItem::SolveStep => "Solve this step",
            MenuItem::TogglePresenter => "Presenter mode",
            MenuItem::ResetLesson => "Reset the lab",
            MenuItem::ResetStep => "Reset this step",
            MenuItem::RevealToken => "Show the token",
            MenuItem::RevealSolution => "Reveal the solution",
            MenuItem::RunAction => "Run the action",
            MenuItem::ResetEditor => "Template back",
            MenuItem::Help => "Keys",
            MenuItem::Quit => "Quit",
        }
    }
}

/// Where a reset started from the menu stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetView {
    /// Asking the cluster what the lesson made.
    Planning { from: usize },
    /// Showing what will be deleted; waiting for the learner's answer.
    Confirm { from: usize, objects: Vec<String> },
    /// Deleting: `gone` of `objects`; `lines` says what happens.
    Running {
        from: usize,
        objects: Vec<String>,
        gone: usize,
        keep_drafts: bool,
        lines: Vec<String>,
    },
    /// Finished with objects left (named in `lines`), or could not start.
    Failed { lines: Vec<String> },
}

pub struct App {
    pub lesson: Lesson,
    pub cluster: ClusterLabel,
    pub connection: Connection,
    /// The step shown.
    pub current: usize,
    /// Steps up to this index may be opened.
    pub unlocked: usize,
    /// Steps whose checks held at some point.
    pub passed: Vec<bool>,
    /// Steps done: their checks held and the learner did what they ask.
    pub done: Vec<bool>,
    /// Done steps whose checks fail again now.
    pub regressed: Vec<bool>,
    /// What the learner did in each step (applied, ran, answered).
    pub acts: Vec<StepActs>,
    /// The latest evaluation of every step (the engine evaluates them all).
    pub reports: Vec<Option<StepReport>>,
    /// One editor per step, holding the draft.
    pub editors: Vec<TextArea<'static>>,
    pub focus: Pane,
    /// Narrow terminals show one pane at a time.
    /// First line of the lesson text shown; `LESSON_END` shows its end.
    pub lesson_scroll: u16,
    /// The scroll that shows the end of the lesson text, as last drawn. The
    /// renderer notes it (it alone knows the wrapped height), so scrolling
    /// stops at the end instead of into blank space.
    pub lesson_end: std::cell::Cell<u16>,
    /// First line of `output` shown.
    pub output_scroll: u16,
    /// The last `output_scroll` that still fills the pane, as last drawn
    /// (like `lesson_end`).
    pub output_end: std::cell::Cell<u16>,
    pub cluster_scroll: u16,
    /// First row of the Checks pane shown, and the last that still fills it
    /// (noted by the renderer, like `lesson_end`).
    pub checks_scroll: u16,
    pub checks_end: std::cell::Cell<u16>,
    pub steps_cursor: usize,
    pub output: Vec<String>,
    /// The step whose action answered last (its answer ends `output`).
    pub last_action_step: Option<usize>,
    pub cluster_view: ClusterView,
    pub apply_error: Option<ApplyError>,
    /// A short message in the footer ("Step done, press n…").
    pub notice: Option<String>,
    pub show_help: bool,
    pub show_hints: bool,
    pub menu: Option<usize>,
    /// Every lesson there is: (id, title), for the lesson picker.
    pub lessons: Vec<(String, String)>,
    /// Where those lessons come from ("built in", or the folder named and by
    /// what), shown under the lesson picker.
    pub lessons_root: String,
    /// The lesson picker, while open: the highlighted row.
    pub picker: Option<usize>,
    /// The reset dialog, while open.
    pub reset: Option<ResetView>,
    /// Presenter mode: big titles, free navigation, tokens always masked.
    pub presenter: bool,
    /// The last keys pressed, newest last, shown in presenter mode.
    pub last_keys: std::collections::VecDeque<String>,
    /// Text pasted while the editor did not have the focus, waiting for the
    /// learner to say whether it goes into the editor.
    pub pending_paste: Option<String>,
    /// The search prompt of the editor, while open.
    pub search: Option<String>,
    pub quitting: bool,
    /// An apply was sent and its result has not come back.
    pub applying: bool,
    /// Ctrl-C was pressed once while a reset or an apply ran.
    pub quit_asked: bool,
    /// Said on stderr once the terminal is restored: work a quit cut short.
    pub farewell: Option<String>,
}

impl App {
    /// A new app, restored from `saved` when there is one.
    pub fn new(lesson: Lesson, cluster: ClusterLabel, saved: Option<SavedState>) -> App {
        let steps = lesson.steps.len();
        let saved = saved.unwrap_or_default();
        let editors = lesson
            .steps
            .iter()
            .map(|step| {
                let text = saved
                    .drafts
                    .get(&step.id)
                    .cloned()
                    .or_else(|| step.template.clone())
                    .unwrap_or_default();
                new_editor(&text)
            })
            .collect();
        let acts = lesson
            .steps
            .iter()
            .map(|step| saved.acts.get(&step.id).cloned().unwrap_or_default())
            .collect();
        let unlocked = saved.unlocked.min(steps - 1);
        let current = saved.current.min(unlocked);
        let mut app = App {
            lesson,
            cluster,
            connection: Connection::Connecting,
            current,
            unlocked,
            passed: vec![false; steps],
            done: vec![false; steps],
            regressed: vec![false; steps],
            acts,
            reports: vec![None; steps],
            editors,
            focus: Pane::Lesson,
            lesson_scroll: 0,
            lesson_end: std::cell::Cell::new(u16::MAX),
            output_scroll: 0,
            output_end: std::cell::Cell::new(u16::MAX),
            cluster_scroll: 0,
            checks_scroll: 0,
            checks_end: std::cell::Cell::new(u16::MAX),
            steps_cursor: current,
            output: Vec::new(),
            last_action_step: None,
            cluster_view: ClusterView::default(),
            apply_error: None,
            notice: None,
            show_help: false,
            show_hints: false,
            menu: None,
            lessons: Vec::new(),
            lessons_root: String::new(),
            picker: None,
            reset: None,
            presenter: false,
            last_keys: std::collections::VecDeque::new(),
            pending_paste: None,
            search: None,
            quitting: false,
            applying: false,
            quit_asked: false,
            farewell: None,
        };
        app.focus = app.home_pane();
        app.sync_editor_cursor();
        app
    }

    /// Where the learner starts on a step: the editor when the step asks for
    /// YAML, else the lesson text (what a one-pane terminal shows).
    pub fn home_pane(&self) -> Pane {
        if self.step().template.is_some() {
            Pane::Editor
        } else {
            Pane::Lesson
        }
    }

    /// The step shown asks for YAML (it has a template or a solution to
    /// reveal): only then does presenter mode give the editor room.
    pub fn step_has_yaml(&self) -> bool {
        let step = self.step();
        step.template.is_some() || step.solution.is_some()
    }

    /// Arriving on a step (or after a reset, or presenter mode on or off)
    /// keeps the pane the learner was in. Only an editor with nothing to edit
    /// (a step without YAML) hands the focus to the lesson text, and says so:
    /// keys meant for the lesson would otherwise be typed into an empty buffer.
    pub fn keep_focus_on_arrival(&mut self) {
        let hidden_in_presenter =
            self.presenter && !matches!(self.focus, Pane::Lesson | Pane::Editor);
        let editor_idle = self.focus == Pane::Editor && !self.step_has_yaml();
        if hidden_in_presenter || editor_idle {
            self.focus = Pane::Lesson;
            let why = if editor_idle {
                format!("step {} needs no YAML", self.current + 1)
            } else {
                "presenter mode shows the lesson and the editor".to_string()
            };
            let said = format!("Focus: Lesson ({why}).");
            self.notice = Some(match self.notice.take() {
                Some(notice) => format!("{notice} {said}"),
                None => said,
            });
        }
    }

    pub fn step(&self) -> &crate::lesson::Step {
        &self.lesson.steps[self.current]
    }

    /// The latest evaluation of the step shown.
    pub fn report(&self) -> Option<&StepReport> {
        self.reports[self.current].as_ref()
    }

    /// The step could not be decided (the learner may not see what it needs).
    pub fn undecided(&self, index: usize) -> bool {
        self.reports[index]
            .as_ref()
            .is_some_and(StepReport::undecided)
    }

    pub fn editor(&self) -> &TextArea<'static> {
        &self.editors[self.current]
    }

    /// Something the learner must not miss (a damaged progress file, lessons
    /// from the current directory): the footer's notice, and the Output pane,
    /// where it stays when the first step report replaces the notice.
    pub fn tell_lasting(&mut self, notice: String) {
        self.output.push(notice.clone());
        self.notice = Some(notice);
    }

    /// What to save: progress and every draft that differs from its template.
    pub fn saved_state(&self) -> SavedState {
        let drafts = self
            .lesson
            .steps
            .iter()
            .zip(&self.editors)
            .filter_map(|(step, editor)| {
                let text = editor.lines().join("\n");
                let template = step.template.clone().unwrap_or_default();
                (text.trim_end() != template.trim_end()).then(|| (step.id.clone(), text))
            })
            .collect();
        let acts = self
            .lesson
            .steps
            .iter()
            .zip(&self.acts)
            .filter(|(_, acts)| **acts != StepActs::default())
            .map(|(step, acts)| (step.id.clone(), acts.clone()))
            .collect();
        SavedState {
            current: self.current,
            unlocked: self.unlocked,
            drafts,
            acts,
        }
    }
}

/// The first lesson in namespace `lab`, fresh: what the app's unit tests start from.
#[cfg(test)]
pub(crate) fn first_lesson_app() -> App {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let lesson = crate::lesson::Lesson::load(&dir, Some("lab")).unwrap();
    App::new(lesson, ClusterLabel::default(), None)
}

/// `lesson_scroll` value that shows the end of the text, wherever that is.
pub const LESSON_END: u16 = u16::MAX;

pub fn new_editor(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut editor = if lines.is_empty() {
        TextArea::default()
    } else {
        TextArea::new(lines)
    };
    editor.set_tab_length(2);
    editor.set_hard_tab_indent(false);
    editor.set_max_histories(500);
    editor.set_line_number_style(crate::ui::theme::dim());
    editor
}

impl App {
    /// The editor shows its cursor only while it has the focus, and a step
    /// without YAML says so in its empty editor. Kept on the TextArea itself
    /// (set after every update, in constant time) so drawing needs no copy.
    pub fn sync_editor_cursor(&mut self) {
        let needs_no_yaml = self.step().template.is_none();
        let editor = &mut self.editors[self.current];
        if needs_no_yaml && editor.placeholder_text().is_empty() {
            // Short: it must fit the editor of a presenter or an 80-column
            // terminal; `r` only where there is an action to run.
            editor.set_placeholder_text(if self.lesson.steps[self.current].actions.is_empty() {
                "No YAML in this step."
            } else {
                "No YAML in this step: r runs its action."
            });
        }
        let style = if self.focus == Pane::Editor {
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED)
        } else {
            ratatui::style::Style::default()
        };
        let editor = &mut self.editors[self.current];
        if editor.cursor_style() != style {
            editor.set_cursor_style(style);
        }
    }
}
