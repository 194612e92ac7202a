//! What an attendee's tutor publishes about its progress, and how the
//! instructor's side reads it back (pure): one ConfigMap `kubetutor-progress`
//! in the attendee's namespace, holding one JSON document.
//!
//! The attendee can write anything there (they are admin of that
//! namespace), so what is read is untrusted: bounded in size before it is
//! parsed, every list and text cut to a bound after, and every control
//! character (a terminal escape begins with one) removed before anything of
//! it is printed. Never in it: a token, or the text of a draft.

use serde::{Deserialize, Serialize};

/// The ConfigMap's name, in the attendee's namespace.
pub const CONFIGMAP: &str = "kubetutor-progress";
/// Its one data key.
pub const KEY: &str = "progress.json";
/// Larger than any honest record of a lesson (a few KiB): refused unread.
pub const MAX_BYTES: usize = 16 * 1024;
/// Longest text kept (an apply error, an answer); the rest is cut.
const MAX_TEXT: usize = 300;
/// Most entries kept in a list (a lesson has far fewer steps).
const MAX_ITEMS: usize = 100;

/// One prediction the attendee answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The step's id.
    pub step: String,
    /// The choice picked, 1-based, as the learner pressed it.
    pub choice: usize,
    /// The choice's text.
    pub answer: String,
    pub right: bool,
}

/// The last apply the attendee's tutor saw refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyFailure {
    /// The step's id.
    pub step: String,
    pub text: String,
}

/// What the tutor knows that the cluster does not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub lesson: String,
    /// The step on the attendee's screen: 1-based index and id.
    pub step: usize,
    pub step_id: String,
    /// Steps the tutor counts done (checks held and acts done), by id.
    #[serde(default)]
    pub done: Vec<String>,
    /// Steps whose acts are all done (applied, ran, answered), by id.
    #[serde(default)]
    pub acts_done: Vec<String>,
    #[serde(default)]
    pub answers: Vec<Answer>,
    #[serde(default)]
    pub apply_error: Option<ApplyFailure>,
    /// Unix seconds: when this was written (the publisher sets it).
    #[serde(default)]
    pub last_seen: i64,
    /// Unix seconds: since when `step` is on the screen (the publisher sets it).
    #[serde(default)]
    pub step_since: i64,
}

impl Record {
    /// The record with its times left out: what "changed" compares.
    pub fn content(&self) -> Record {
        Record {
            last_seen: 0,
            step_since: 0,
            ..self.clone()
        }
    }

    /// The JSON the ConfigMap holds.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Reads a record from the ConfigMap's data value: refused when too large
/// or not a record; bounded and cleaned when it is one.
pub fn parse(text: &str) -> Result<Record, String> {
    if text.len() > MAX_BYTES {
        return Err(format!(
            "progress record of {} bytes, more than {MAX_BYTES}: ignored",
            text.len()
        ));
    }
    let mut record: Record =
        serde_json::from_str(text).map_err(|e| format!("progress record unreadable: {e}"))?;
    clean(&mut record.lesson);
    clean(&mut record.step_id);
    for list in [&mut record.done, &mut record.acts_done] {
        list.truncate(MAX_ITEMS);
        list.iter_mut().for_each(clean);
    }
    record.answers.truncate(MAX_ITEMS);
    for answer in &mut record.answers {
        clean(&mut answer.step);
        clean(&mut answer.answer);
    }
    if let Some(failure) = &mut record.apply_error {
        clean(&mut failure.step);
        clean(&mut failure.text);
    }
    Ok(record)
}

/// `text` without control characters (ESC, CSI, newlines: kept to one line)
/// and cut to `MAX_TEXT` characters.
pub fn clean(text: &mut String) {
    *text = sanitize(text, MAX_TEXT);
}

/// `text` on one line, without control characters, at most `max` characters
/// (an ellipsis says it was cut).
pub fn sanitize(text: &str, max: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect();
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            lesson: "serviceaccount-rbac".into(),
            step: 3,
            step_id: "anonymous".into(),
            done: vec!["pod-default".into()],
            acts_done: vec!["pod-default".into()],
            answers: vec![Answer {
                step: "anonymous".into(),
                choice: 2,
                answer: "401".into(),
                right: false,
            }],
            apply_error: Some(ApplyFailure {
                step: "anonymous".into(),
                text: "line 3: bad".into(),
            }),
            last_seen: 10,
            step_since: 5,
        }
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let r = record();
        assert_eq!(parse(&r.to_json()).unwrap(), r);
        assert_eq!(r.content().last_seen, 0);
    }

    #[test]
    fn an_attendees_record_is_bounded_and_loses_its_escapes() {
        let mut r = record();
        r.apply_error.as_mut().unwrap().text =
            format!("\x1b]0;owned\x07\x1b[2Jred\u{9b}31m{}", "x".repeat(2000));
        r.answers[0].answer = "a\nb".into();
        r.done = vec!["s".into(); 500];
        let back = parse(&r.to_json()).unwrap();
        let text = &back.apply_error.unwrap().text;
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.starts_with("]0;owned[2Jred31m"), "{text:?}");
        assert_eq!(text.chars().count(), MAX_TEXT);
        assert_eq!(back.answers[0].answer, "a b");
        assert_eq!(back.done.len(), MAX_ITEMS);
    }

    #[test]
    fn too_large_or_not_a_record_is_refused() {
        assert!(
            parse(&" ".repeat(MAX_BYTES + 1))
                .unwrap_err()
                .contains("more than")
        );
        assert!(parse("{\"lesson\": 3}").is_err());
        assert!(parse("not json").is_err());
    }
}
