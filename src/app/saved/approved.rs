//! Which lesson versions the learner said yes to (`lesson::consent`): one
//! file per version under the state folder, named by its hash and holding
//! what was shown, so the tutor and the headless commands ask once per
//! version, and anyone can read later what was accepted.

use std::path::{Path, PathBuf};

use crate::lesson::Lesson;
use crate::lesson::consent::{self, Ask};

fn folder(state_dir: &Path) -> PathBuf {
    state_dir.join("approved-lessons")
}

/// A version is a hash (hex digits only): anything else names no file.
fn file(state_dir: &Path, version: &str) -> Option<PathBuf> {
    (!version.is_empty() && version.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| folder(state_dir).join(version))
}

pub fn is_approved(state_dir: &Path, version: &str) -> bool {
    file(state_dir, version).is_some_and(|f| f.is_file())
}

/// Remembers the yes to `ask`, with what it said.
pub fn approve(state_dir: &Path, ask: &Ask) -> anyhow::Result<()> {
    let path = file(state_dir, &ask.version)
        .ok_or_else(|| anyhow::anyhow!("lesson version {:?} is not a hash", ask.version))?;
    crate::files::create_private_dir(&folder(state_dir))?;
    let mut text = ask.lines().join("\n");
    text.push('\n');
    crate::files::write_private(&path, text.as_bytes())
}

/// What to ask about `lesson` before it acts, unless its version was
/// approved already (or needs no asking: see `consent::ask`).
pub fn to_ask(state_dir: &Path, lesson: &Lesson) -> Option<Ask> {
    consent::ask(lesson).filter(|ask| !is_approved(state_dir, &ask.version))
}

/// Where a yes is remembered (for the words that say so).
pub fn where_remembered(state_dir: &Path) -> PathBuf {
    folder(state_dir)
}

/// For the instructor's commands (`class status`, `class board`), which
/// evaluate an attendee's lesson with the instructor's credentials: an
/// error unless this version of `lesson` needs no asking or was accepted on
/// this machine (by `class create --accept-rights`, or in the tutor).
/// The lesson id comes from the cluster, so it is never accepted here.
/// Each lesson is checked once, however many attendees have it (the check
/// hashes the lesson's files).
pub fn require_all<'a>(
    state_dir: &Path,
    lessons: impl IntoIterator<Item = &'a Lesson>,
) -> anyhow::Result<()> {
    let mut checked = std::collections::BTreeSet::new();
    for lesson in lessons {
        if checked.insert(lesson.id.as_str()) {
            require(state_dir, lesson)?;
        }
    }
    Ok(())
}

fn require(state_dir: &Path, lesson: &Lesson) -> anyhow::Result<()> {
    let Some(ask) = to_ask(state_dir, lesson) else {
        return Ok(());
    };
    anyhow::bail!(
        "{}\nkubetutor does not evaluate this lesson with your credentials until you accept \
         this version of it: read the above, then run `kubetutor class create <class> --lesson {} \
         --accept-rights` (or open the lesson in the tutor and answer its question)",
        ask.lines().join("\n"),
        lesson.id
    )
}
