//! Lessons are data: `lessons/<id>/lesson.yaml` plus Markdown, templates and
//! solutions. This module loads them (with `${NAMESPACE}` substituted) and
//! checks them (`lessons lint`).

pub(crate) mod acts;
pub mod catalog;
pub mod consent;
pub(crate) mod error;
mod examples;
mod inside;
pub(crate) mod kubectl;
mod lint;
pub(crate) mod load;
pub(crate) mod meta;
pub mod model;
mod named_file;
pub(crate) mod needs;
pub(crate) mod rights;
mod slim;
mod text;
pub mod untrusted;
pub mod vars;

pub use error::LessonError;
pub use load::{Lesson, Step};
