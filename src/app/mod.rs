//! The TUI's state and its one place of change, `update` (The Elm
//! Architecture): messages in, effects out, no I/O here. Each concern keeps
//! its state and its keys in a file of its own (the menu, the reset dialog,
//! the editor, navigation, the step's actions, quitting, scrolling, pasting);
//! `update` only routes.

mod actions;
mod acts;
pub(crate) mod acts_log;
pub mod code;
pub mod consent;
mod editor;
#[cfg(test)]
mod focus_tests;
mod indent;
pub mod keys;
mod lab;
mod limited;
mod menu;
mod nav;
mod overlay;
mod paste;
mod picker;
mod progress;
mod publish;
mod quit;
pub mod recreate;
mod reset;
mod reveal;
pub mod saved;
mod scroll;
mod shown_keys;
mod update;

use ratatui_textarea::TextArea;

use crate::cluster::apply::ApplyError;
pub use crate::cluster::context::ClusterLabel;
use crate::engine::StepReport;
use crate::engine::actor::EngineUpdate;
use crate::engine::link::Link;
use crate::engine::view::ClusterView;
use crate::lesson::Lesson;
pub use acts::StepActs;
pub use editor::new_editor;
pub use lab::PARTLY_UP as LAB_PARTLY_UP;
pub use lab::WAITING as LAB_WAITING;
pub use menu::MenuItem;
pub use overlay::{Overlay, Overlays};
pub use paste::question as paste_question;
pub use reset::ResetView;
pub use reveal::{Holdback, REVEAL_KEYS};
pub use saved::SavedState;
pub use scroll::{Scroll, Scrolls};
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
    /// The lessons (id, why) whose declared rights this kubeconfig lacks.
    LessonsLacking(Vec<(String, String)>),
    /// SIGTERM, SIGINT or SIGHUP.
    Signal(&'static str),
    /// The shell opened with `s` ended: what to tell the learner.
    ShellClosed(String),
    /// Acts done in another terminal (`kubetutor call`, `token`, `solve`).
    ActsElsewhere(Vec<acts_log::Entry>),
    /// The class's progress record could not be written: why (said once).
    ProgressNotPublished(String),
    /// `--lab`: the lab's build or start moved on (`lab::background`).
    Lab(crate::lab::background::LabPhase),
    /// A second passed while the lab builds: its elapsed time moves.
    Tick,
}

/// What `update` asks the runtime to do.
#[derive(Debug, Clone)]
pub enum Effect {
    Engine(crate::engine::actor::EngineCommand),
    /// Progress or drafts changed: save soon (debounced).
    Save,
    /// Suspend the TUI and open a shell for this pod.
    Shell(String),
    /// Put this text on the clipboard (OSC 52).
    Copy(String),
    /// Leave this lesson for another (by id); progress is saved first.
    SwitchLesson(String),
    /// The learner starts over: acts logged by other commands are forgotten.
    ClearActsLog,
    /// The learner's progress changed: publish it for the class's board.
    Publish(crate::class::record::Record),
    /// The learner accepted what the lesson declares (`consent`): remember
    /// this version, then start the lesson.
    AcceptRights(crate::lesson::consent::Ask),
    /// The lab is up: start the lesson's engine (it waited for the lab).
    StartEngine,
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
    /// The engine was not started: why (the lesson waits for the learner's
    /// answer about its rights, or was declined).
    NotStarted(String),
}

impl Connection {
    pub fn is_connected(&self) -> bool {
        matches!(self, Connection::Link(link) if link.is_connected())
    }
}

/// A short message in the footer ("Step done, press n…"). The one an apply
/// leaves keeps what was applied, typed, so the step's next report can add
/// what is still missing without reading the words back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notice {
    text: String,
    applied: Option<String>,
}

impl Notice {
    /// "✓ Applied ServiceAccount demo-sa."
    pub fn applied(names: String) -> Notice {
        Notice {
            text: format!("✓ Applied {names}."),
            applied: Some(names),
        }
    }

    /// "Applied Role list-pods; still to do: …": an apply that leaves the
    /// step failing is not shown as a success.
    pub fn applied_but(names: String, still: &str) -> Notice {
        Notice {
            text: format!("Applied {names}; still to do: {still}"),
            applied: Some(names),
        }
    }

    /// What the apply this notice reports applied, if it reports one.
    pub fn applied_names(&self) -> Option<&str> {
        self.applied.as_deref()
    }
}

impl From<String> for Notice {
    fn from(text: String) -> Notice {
        Notice {
            text,
            applied: None,
        }
    }
}

impl From<&str> for Notice {
    fn from(text: &str) -> Notice {
        Notice::from(text.to_string())
    }
}

impl std::ops::Deref for Notice {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// One step's state, beside the lesson's step of the same index.
pub struct StepState {
    /// The latest evaluation (the engine evaluates every step).
    pub report: Option<StepReport>,
    /// Its checks held at some point.
    pub passed: bool,
    /// Done: its checks held and the learner did what it asks.
    pub done: bool,
    /// Done, and its checks fail again now.
    pub regressed: bool,
    /// What the learner did in it (applied, ran, answered).
    pub acts: StepActs,
    /// Its editor, holding the draft.
    pub editor: TextArea<'static>,
    /// Presenter mode: the instructor revealed the answer to the room (not
    /// saved: a room that comes back to the step votes again).
    pub revealed: bool,
}

impl StepState {
    fn new(acts: StepActs, editor: TextArea<'static>) -> StepState {
        StepState {
            report: None,
            passed: false,
            done: false,
            regressed: false,
            acts,
            editor,
            revealed: false,
        }
    }
}

pub struct App {
    pub lesson: Lesson,
    pub cluster: ClusterLabel,
    pub connection: Connection,
    /// The step shown.
    pub current: usize,
    /// Steps up to this index may be opened.
    pub unlocked: usize,
    /// One per lesson step, in its order.
    pub steps: Vec<StepState>,
    pub focus: Pane,
    /// Where each scrolling pane starts (its end noted by the renderer).
    pub scroll: Scrolls,
    /// The lesson's code: how far it scrolls sideways, the block in view.
    pub code: code::CodeView,
    /// How far the help overlay is scrolled (on a terminal too small for it).
    pub help_scroll: u16,
    /// The panes are tabs (a small terminal): noted by the renderer, so
    /// arriving on a step shows its text rather than a tab it hides behind.
    pub narrow: std::cell::Cell<bool>,
    /// The Output pane got something the learner has not looked at: its tab
    /// carries a mark until it has the focus.
    pub output_unseen: bool,
    pub steps_cursor: usize,
    pub output: Vec<String>,
    /// The step whose action answered last (its answer ends `output`).
    pub last_action_step: Option<usize>,
    pub cluster_view: ClusterView,
    pub apply_error: Option<ApplyError>,
    pub notice: Option<Notice>,
    pub show_hints: bool,
    /// Help, menu, lesson picker, reset dialog, paste question: keys go to
    /// the top one, which is drawn last.
    pub overlays: Overlays,
    /// Every lesson there is: (id, title), for the lesson picker.
    pub lessons: Vec<(String, String)>,
    /// Where those lessons come from ("built in", or the folder named and by
    /// what), shown under the lesson picker.
    pub lessons_root: String,
    /// Lessons (id → the sentence saying which right is missing and what to
    /// do) that this kubeconfig lacks a declared right for: the picker marks them.
    pub lessons_lacking: std::collections::BTreeMap<String, String>,
    /// Presenter mode: big titles, free navigation, tokens always masked.
    pub presenter: bool,
    /// The last keys pressed, newest last, shown in presenter mode.
    pub last_keys: std::collections::VecDeque<String>,
    /// The search prompt of the editor, while open.
    pub search: Option<String>,
    pub quitting: bool,
    /// An apply was sent and its result has not come back.
    pub applying: bool,
    /// Ctrl-C was pressed once while a reset or an apply ran.
    pub quit_asked: bool,
    /// Said on stderr once the terminal is restored: work a quit cut short.
    pub farewell: Option<String>,
    /// The limited view last explained in the Output pane.
    pub limited_explained: Vec<String>,
    /// In a class: progress is published for the instructor's board.
    pub publishing: bool,
    /// The record last handed out for publishing.
    pub published: Option<crate::class::record::Record>,
    /// `--lab`: where the lab stands (None: the cluster was not ours to start).
    pub lab: Option<crate::lab::background::LabPhase>,
}

impl App {
    /// A new app, restored from `saved` when there is one.
    /// Whatever `saved` holds (it is read from disk), the app is valid: what
    /// does not fit the lesson is dropped and said in the Output pane.
    pub fn new(lesson: Lesson, cluster: ClusterLabel, saved: Option<SavedState>) -> App {
        let count = lesson.steps.len();
        let (saved, dropped) = saved::fit(saved.unwrap_or_default(), &lesson);
        let steps = lesson
            .steps
            .iter()
            .map(|step| {
                let text = saved
                    .drafts
                    .get(&step.id)
                    .cloned()
                    .or_else(|| step.template.clone())
                    .unwrap_or_default();
                let acts = saved.acts.get(&step.id).cloned().unwrap_or_default();
                StepState::new(acts, new_editor(&text))
            })
            .collect();
        let unlocked = saved.unlocked.min(count - 1);
        let current = saved.current.min(unlocked);
        let mut app = App {
            lesson,
            cluster,
            connection: Connection::Connecting,
            current,
            unlocked,
            steps,
            focus: Pane::Lesson,
            scroll: Scrolls::default(),
            code: Default::default(),
            help_scroll: 0,
            narrow: std::cell::Cell::new(false),
            output_unseen: false,
            steps_cursor: current,
            output: Vec::new(),
            last_action_step: None,
            cluster_view: ClusterView::default(),
            apply_error: None,
            notice: None,
            show_hints: false,
            overlays: Overlays::default(),
            lessons: Vec::new(),
            lessons_root: String::new(),
            lessons_lacking: Default::default(),
            presenter: false,
            last_keys: std::collections::VecDeque::new(),
            search: None,
            quitting: false,
            applying: false,
            quit_asked: false,
            farewell: None,
            limited_explained: Vec::new(),
            publishing: false,
            published: None,
            lab: None,
        };
        app.focus = app.home_pane();
        editor::sync_cursor(&mut app);
        if let Some(said) = saved::misfit_notice(&dropped) {
            tracing::warn!("{said}");
            app.tell_lasting(said);
        }
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

    pub fn step(&self) -> &crate::lesson::Step {
        &self.lesson.steps[self.current]
    }

    /// The latest evaluation of the step shown.
    pub fn report(&self) -> Option<&StepReport> {
        self.steps[self.current].report.as_ref()
    }

    /// The step could not be decided (the learner may not see what it needs).
    pub fn undecided(&self, index: usize) -> bool {
        self.steps[index]
            .report
            .as_ref()
            .is_some_and(StepReport::undecided)
    }

    pub fn editor(&self) -> &TextArea<'static> {
        &self.steps[self.current].editor
    }

    /// Something the learner must not miss (a damaged progress file, lessons
    /// from the current directory): the footer's notice, and the Output pane,
    /// where it stays when the first step report replaces the notice.
    pub fn tell_lasting(&mut self, notice: String) {
        self.output.push(notice.clone());
        self.notice = Some(notice.into());
    }

    /// What to save: progress and every draft that differs from its template.
    pub fn saved_state(&self) -> SavedState {
        let drafts = self
            .lesson
            .steps
            .iter()
            .zip(&self.steps)
            .filter_map(|(step, state)| {
                let text = state.editor.lines().join("\n");
                let template = step.template.clone().unwrap_or_default();
                (text.trim_end() != template.trim_end()).then(|| (step.id.clone(), text))
            })
            .collect();
        let acts = self
            .lesson
            .steps
            .iter()
            .zip(&self.steps)
            .filter(|(_, state)| state.acts != StepActs::default())
            .map(|(step, state)| (step.id.clone(), state.acts.clone()))
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

/// A key without modifiers, as the unit tests press it.
#[cfg(test)]
pub(crate) fn press(app: &mut App, code: crossterm::event::KeyCode) -> Vec<Effect> {
    use crossterm::event::{KeyEvent, KeyModifiers};
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// A report of step `index` with every check at `outcome` (passing when None).
#[cfg(test)]
pub(crate) fn report(
    app: &App,
    index: usize,
    outcome: Option<crate::checks::Outcome>,
) -> StepReport {
    StepReport {
        index,
        outcomes: app.lesson.steps[index]
            .checks
            .iter()
            .map(|c| {
                (
                    c.clone(),
                    outcome
                        .clone()
                        .unwrap_or_else(|| crate::checks::Outcome::pass("ok")),
                )
            })
            .collect(),
    }
}

/// A report of step `index` failing for one reason.
#[cfg(test)]
pub(crate) fn failing(app: &App, index: usize) -> StepReport {
    report(
        app,
        index,
        Some(crate::checks::Outcome::fail(
            "RoleBinding list-pods_demo-sa is gone",
        )),
    )
}
