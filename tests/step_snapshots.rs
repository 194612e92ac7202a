//! Every step of the first lesson as a learner sees it at 80×24 (one pane
//! under tabs), in presenter mode at 100×30 (a projector), and at 160×48
//! (every pane): a change to any screen of the lesson shows up in review.

mod common;

use common::fixture::{fixture, render};
use kubetutor::app::{App, Pane};

/// The fixture (a learner halfway through) on step `index`, with the focus
/// where a learner arriving there has it.
fn on_step(index: usize, presenter: bool) -> App {
    let mut app = fixture();
    app.presenter = presenter;
    app.current = index;
    app.steps_cursor = index;
    app.focus = Pane::Lesson;
    app
}

#[test]
fn every_step_at_80x24_100x30_presenter_and_160x48() {
    let steps = fixture().lesson.steps.len();
    for index in 0..steps {
        let number = index + 1;
        insta::assert_snapshot!(
            format!("step{number:02}_80x24"),
            render(&on_step(index, false), 80, 24)
        );
        insta::assert_snapshot!(
            format!("step{number:02}_presenter_100x30"),
            render(&on_step(index, true), 100, 30)
        );
        insta::assert_snapshot!(
            format!("step{number:02}_160x48"),
            render(&on_step(index, false), 160, 48)
        );
    }
}
