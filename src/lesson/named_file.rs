//! Reading a file a lesson names (its text, a template, a solution): confined
//! to the lesson folder, bounded, `${NAMESPACE}` substituted, and checked for
//! what the file is for, every problem as a lesson error at its position.

use std::path::Path;

use serde_saphyr::Spanned;

use super::error::{self, LessonError};
use super::load::Loader;
use super::{inside, text, vars};
use crate::manifest;
use crate::manifest::ApplyError;
use crate::yaml;

/// What a file named by a lesson is for, and so what it must be.
#[derive(Clone, Copy)]
enum FileKind {
    Markdown,
    Template,
    Solution,
}

/// A solution's apply error as a lesson error in that file.
fn apply_error(file: &Path, err: ApplyError) -> LessonError {
    match err {
        ApplyError::Yaml(err) => LessonError::from_yaml(file, err),
        ApplyError::Invalid {
            line,
            column,
            message,
        } => LessonError::new(file, line, column, message),
        ApplyError::Document { line, message } => LessonError::new(file, line, 1, message),
        other => LessonError::new(file, 0, 0, other.to_string()),
    }
}

impl Loader<'_> {
    /// A step's Markdown text.
    pub(super) fn read_text(&mut self, named: &Spanned<String>) -> Option<String> {
        self.read(named, FileKind::Markdown)
    }

    /// A starting buffer for the editor: may be unfinished, must parse.
    pub(super) fn read_template(&mut self, named: &Spanned<String>) -> Option<String> {
        self.read(named, FileKind::Template)
    }

    /// A solution or setup file: what `solve` applies, so every check the
    /// editor's apply makes.
    pub(super) fn read_solution(&mut self, named: &Spanned<String>) -> Option<String> {
        self.read(named, FileKind::Solution)
    }

    fn read(&mut self, named: &Spanned<String>, kind: FileKind) -> Option<String> {
        let relative = named.value.as_str();
        let refuse = |message: String| {
            let at = &named.referenced;
            LessonError::new(self.file, at.line() as usize, at.column() as usize, message)
        };
        let path = match inside::resolve(self.dir, relative) {
            Ok(path) => path,
            Err(message) => {
                self.errors.push(refuse(message));
                return None;
            }
        };
        let raw = match text::read(&path) {
            Ok(raw) => raw,
            Err(err) if err.line == 0 => {
                let why = err.message.trim_start_matches("cannot read it: ");
                self.errors
                    .push(refuse(format!("cannot read {relative}: {why}")));
                return None;
            }
            Err(err) => {
                self.errors.push(err);
                return None;
            }
        };
        let text = match vars::substitute_with(&raw, self.namespace, self.pod_image) {
            Ok(text) => text,
            Err((offset, name)) => {
                let (line, column) = error::position(&raw, offset);
                self.errors.push(LessonError::new(
                    &path,
                    line,
                    column,
                    format!("unknown variable ${{{name}}}; the only one is ${{NAMESPACE}}"),
                ));
                return None;
            }
        };
        match kind {
            FileKind::Markdown => {}
            FileKind::Template => {
                // A starting buffer may be unfinished, but must parse.
                if text.len() > manifest::MAX_BYTES {
                    self.errors.push(LessonError::new(
                        &path,
                        0,
                        0,
                        format!(
                            "{} KB is too big for the editor (at most {} KB)",
                            text.len() / 1024,
                            manifest::MAX_BYTES / 1024
                        ),
                    ));
                } else if let Err(err) = yaml::documents(&text) {
                    self.errors.push(LessonError::from_yaml(&path, err));
                }
            }
            FileKind::Solution => {
                // What `solve` applies: every check the editor's apply makes.
                if let Err(err) = manifest::parse(&text, self.namespace) {
                    self.errors.push(apply_error(&path, err));
                }
            }
        }
        Some(text)
    }
}
