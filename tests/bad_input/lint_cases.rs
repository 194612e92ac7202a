//! The lesson author's corpus: broken lesson folders and what `lessons lint`
//! (the loader it runs) must say, in which file, at which line and column.

use std::path::PathBuf;

use kubetutor::lesson::Lesson;

const LESSON: &str = "id: demo
title: A demo lesson
namespace: demo
steps:
  - id: first
    title: First step
    text: steps/first.md
    editor: templates/sa.yaml
    solution: solutions/sa.yaml
    checks:
      - exists: {kind: ServiceAccount, name: demo-sa}
";
const SA: &str = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: demo-sa\n";

pub struct Case {
    pub name: &'static str,
    lesson: Vec<u8>,
    template: Vec<u8>,
    solution: Vec<u8>,
    /// None: loads. Some((file, message, line, column)).
    expect: Option<(&'static str, &'static str, usize, usize)>,
}

fn case(
    name: &'static str,
    lesson: impl Into<Vec<u8>>,
    template: impl Into<Vec<u8>>,
    solution: impl Into<Vec<u8>>,
    expect: Option<(&'static str, &'static str, usize, usize)>,
) -> Case {
    Case {
        name,
        lesson: lesson.into(),
        template: template.into(),
        solution: solution.into(),
        expect,
    }
}

fn lesson_with(from: &str, to: &str) -> String {
    assert!(LESSON.contains(from), "{from}");
    LESSON.replacen(from, to, 1)
}

pub fn cases() -> Vec<Case> {
    let laughs = {
        let mut text = format!("{LESSON}x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (prev, next) in "abcdefgh".chars().zip("bcdefghi".chars()) {
            let refs = vec![format!("*{prev}"); 9].join(", ");
            text.push_str(&format!("x-{next}: &{next} [{refs}]\n"));
        }
        text
    };
    let y = "lesson.yaml";
    vec![
        case("a good lesson", LESSON, SA, SA, None),
        case("empty lesson file", "", SA, SA, Some((y, "", 0, 0))),
        case(
            "only comments",
            "# nothing yet\n",
            SA,
            SA,
            Some((y, "", 0, 0)),
        ),
        case(
            "tab-indented step",
            lesson_with("    title: First step", "\ttitle: First step"),
            SA,
            SA,
            Some((y, "spaces only", 6, 1)),
        ),
        case(
            "dedented field",
            lesson_with("    title: First step", "   title: First step"),
            SA,
            SA,
            Some((y, "missing field `title`", 5, 5)),
        ),
        case(
            "duplicate key",
            lesson_with(
                "title: A demo lesson\n",
                "title: A demo lesson\ntitle: Again\n",
            ),
            SA,
            SA,
            Some((y, "the key `title` appears twice", 3, 1)),
        ),
        case(
            "non-UTF-8 title",
            lesson_with("A demo lesson", "Caf\u{e9}")
                .replace('\u{e9}', "\u{1}")
                .into_bytes()
                .into_iter()
                .map(|b| if b == 1 { 0xe9 } else { b })
                .collect::<Vec<u8>>(),
            SA,
            SA,
            Some((y, "byte 0xe9 is not UTF-8", 2, 11)),
        ),
        case(
            "misspelled field",
            lesson_with("    title: First step", "    tittle: First step"),
            SA,
            SA,
            Some((y, "unknown field `tittle`", 6, 5)),
        ),
        case(
            "unknown top-level field",
            format!("{LESSON}author: me\n"),
            SA,
            SA,
            Some((y, "unknown field `author`", 12, 1)),
        ),
        // Refused at once (the first unknown key), never expanded.
        case(
            "billion laughs in the lesson",
            laughs.clone(),
            SA,
            SA,
            Some((y, "", 0, 0)),
        ),
        case(
            "billion laughs in a template",
            LESSON,
            laughs
                .split_once("x-a")
                .map(|(_, l)| format!("x-a{l}"))
                .unwrap(),
            SA,
            Some(("templates/sa.yaml", "billion laughs", 0, 0)),
        ),
        case(
            "JSON lesson",
            r#"{"id": "demo", "title": "T", "namespace": "demo", "steps": [{"id": "first", "title": "F", "text": "steps/first.md"}]}"#,
            SA,
            SA,
            None,
        ),
        case(
            "1 MB of comments in the lesson",
            format!(
                "{LESSON}{}",
                "# padding padding padding padding\n".repeat(32 * 1024)
            ),
            SA,
            SA,
            None,
        ),
        case(
            "template with a tab",
            LESSON,
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n\tname: x\n",
            SA,
            Some(("templates/sa.yaml", "spaces only", 4, 1)),
        ),
        case(
            "non-UTF-8 template",
            LESSON,
            b"apiVersion: v1\nkind: \xff\n".to_vec(),
            SA,
            Some(("templates/sa.yaml", "byte 0xff is not UTF-8", 2, 7)),
        ),
        case(
            "1 MB template",
            LESSON,
            format!("{SA}# {}\n", "x".repeat(1 << 20)),
            SA,
            Some(("templates/sa.yaml", "too big for the editor", 0, 0)),
        ),
        case(
            "unfinished template (no name yet) is fine",
            LESSON,
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name:\n",
            SA,
            None,
        ),
        case(
            "solution in the wrong namespace",
            LESSON,
            SA,
            format!("{SA}  namespace: kube-system\n"),
            Some(("solutions/sa.yaml", "says namespace kube-system", 5, 3)),
        ),
        case(
            "solution Secret with non-base64 data",
            LESSON,
            SA,
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  token: not base64!\n",
            Some(("solutions/sa.yaml", "data.token is not base64", 6, 3)),
        ),
        case(
            "solution List",
            LESSON,
            SA,
            "apiVersion: v1\nkind: List\nitems: []\n",
            Some(("solutions/sa.yaml", "write each as its own document", 2, 1)),
        ),
        case(
            "solution with an invalid name",
            LESSON,
            SA,
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: Demo_SA\n",
            Some(("solutions/sa.yaml", "is not a valid name", 4, 3)),
        ),
        case(
            "solution whose second document is bad",
            LESSON,
            SA,
            format!("{SA}---\napiVersion: v1\nmetadata: {{name: x}}\n"),
            Some(("solutions/sa.yaml", "kind is missing", 6, 1)),
        ),
        case(
            "solution with a duplicate key",
            LESSON,
            SA,
            format!("{SA}  name: again\n"),
            Some(("solutions/sa.yaml", "the key `name` appears twice", 5, 3)),
        ),
        case(
            "editor path outside the folder",
            lesson_with("editor: templates/sa.yaml", "editor: /etc/hostname"),
            SA,
            SA,
            Some((y, "absolute path", 8, 13)),
        ),
        case(
            "request with a hostile method",
            lesson_with(
                "      - exists: {kind: ServiceAccount, name: demo-sa}",
                "      - request: {as: anonymous, method: \"GET;reboot\", path: /api, expectStatus: 200}",
            ),
            SA,
            SA,
            Some((y, "is not a request method", 11, 0)),
        ),
    ]
}

fn folder(case: &Case) -> PathBuf {
    let root = std::env::temp_dir().join(format!("kubetutor-corpus-{:08x}", rand::random::<u32>()));
    let dir = root.join("demo");
    for sub in ["steps", "templates", "solutions"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::write(dir.join("lesson.yaml"), &case.lesson).unwrap();
    std::fs::write(dir.join("steps/first.md"), "# First\n").unwrap();
    std::fs::write(dir.join("templates/sa.yaml"), &case.template).unwrap();
    std::fs::write(dir.join("solutions/sa.yaml"), &case.solution).unwrap();
    dir
}

/// None when the case gets what it expects; else what it got. Line or column
/// 0 in the table: any.
pub fn judge(case: &Case) -> Option<String> {
    let dir = folder(case);
    let result = Lesson::load(&dir, None);
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    match (&case.expect, result) {
        (None, Ok(_)) => None,
        (None, Err(errors)) => Some(format!("should load; got {errors:?}")),
        (Some(_), Ok(_)) => Some("should fail; it loads".into()),
        (Some((file, says, line, column)), Err(errors)) => {
            let hit = errors.iter().any(|e| {
                e.file.ends_with(file)
                    && e.message.contains(says)
                    && (*line == 0 || e.line == *line)
                    && (*column == 0 || e.column == *column)
            });
            (!hit).then(|| {
                let got: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                format!("expected {file}:{line}:{column} {says:?}; got {got:?}")
            })
        }
    }
}
