//! Lessons are data: `lessons/<id>/lesson.yaml` plus Markdown, templates and
//! solutions. This module loads them (with `${NAMESPACE}` substituted) and
//! checks them (`lessons lint`).

pub mod acts;
pub mod catalog;
pub mod error;
mod inside;
pub mod load;
pub mod meta;
pub mod model;
pub mod needs;
mod text;
pub mod vars;

pub use error::LessonError;
pub use load::{Lesson, Step};
