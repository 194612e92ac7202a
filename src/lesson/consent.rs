//! What a lesson will do beyond its own namespace with the learner's rights,
//! as sentences the learner reads before anything is applied, and which
//! version of the lesson they said yes to. A lesson is data from whoever
//! wrote it (`--lessons-dir`); its `rights:` and `needs:` declare what it
//! reaches beyond its namespace (lint makes sure they cover what it does),
//! and its setups say what it creates unasked. The tutor asks once per
//! version (a hash of the lesson's files); the lessons shipped in this
//! binary were reviewed, so a folder identical to a shipped one is not asked.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::Lesson;
use super::model::Action;
use crate::k8s_names::is_cluster_scoped;

/// An object a setup creates, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// "when the lesson opens", "when step 2 (reader) opens".
    pub when: String,
    pub kind: String,
    pub name: String,
    pub cluster_scoped: bool,
}

impl std::fmt::Display for Created {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scope = if self.cluster_scoped {
            " (cluster-scoped: outside the lesson namespace)"
        } else {
            ""
        };
        write!(f, "{}: {} {}{scope}", self.when, self.kind, self.name)
    }
}

/// What a lesson declares and creates, for people to read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Declared {
    /// What it does beyond admin of its namespace: its `rights:`, its
    /// `needs:` (reads elsewhere), the namespace labels its actions set.
    pub beyond: Vec<String>,
    /// What its setups create, unasked, as lessons and steps open.
    pub creates: Vec<Created>,
}

impl Declared {
    pub fn of(lesson: &Lesson) -> Declared {
        let namespace = &lesson.namespace;
        let mut beyond: Vec<String> = lesson
            .rights
            .iter()
            .map(|right| right.describe(namespace))
            .collect();
        beyond.extend(lesson.needs.iter().map(|need| {
            format!(
                "read {} {}/{} (outside {namespace}) — {}",
                need.kind, need.namespace, need.name, need.why
            )
        }));
        for (index, step) in lesson.steps.iter().enumerate() {
            for action in &step.actions {
                if let Action::LabelNamespace(labels) = action {
                    let labels: Vec<String> =
                        labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    beyond.push(format!(
                        "step {} ({}): `r` labels namespace {namespace}: {}",
                        index + 1,
                        step.id,
                        labels.join(", ")
                    ));
                }
            }
        }
        let mut creates = created_by(&lesson.setup, "when the lesson opens");
        for (index, step) in lesson.steps.iter().enumerate() {
            let when = format!("when step {} ({}) opens", index + 1, step.id);
            creates.extend(created_by(&step.setup, &when));
        }
        Declared { beyond, creates }
    }

    /// The learner is asked before the lesson acts: it reaches beyond its
    /// namespace, or creates something there unasked.
    pub fn asks(&self) -> bool {
        !self.beyond.is_empty() || self.creates.iter().any(|c| c.cluster_scoped)
    }

    /// The declarations as lines for a screen or a terminal (escapes were
    /// refused by the loader; names from YAML are shown as written).
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.beyond.is_empty() {
            lines.push("Beyond its namespace: nothing.".to_string());
        } else {
            lines.push("Beyond its namespace, with your rights, it may:".to_string());
            lines.extend(self.beyond.iter().map(|b| format!("  - {b}")));
        }
        if !self.creates.is_empty() {
            lines.push("It creates (its setups, as the lesson and its steps open):".to_string());
            lines.extend(self.creates.iter().map(|c| format!("  - {c}")));
        }
        lines
    }
}

fn created_by(manifests: &[String], when: &str) -> Vec<Created> {
    manifests
        .iter()
        .flat_map(|text| crate::yaml::documents(text).unwrap_or_default())
        .map(|doc| {
            let kind = doc["kind"].as_str().unwrap_or("(no kind)").to_string();
            Created {
                when: when.to_string(),
                cluster_scoped: is_cluster_scoped(&kind),
                name: doc["metadata"]["name"]
                    .as_str()
                    .unwrap_or("(no name)")
                    .to_string(),
                kind,
            }
        })
        .collect()
}

/// One lesson to ask about: which, which version, what it declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub lesson: String,
    pub title: String,
    /// The version's hash (`version()`), under which a yes is remembered.
    pub version: String,
    pub declared: Declared,
}

impl Ask {
    /// The question, whole: what the lesson declares and how to answer.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "Lesson {} ({}) acts with your rights on the cluster.",
            self.lesson, self.title
        )];
        lines.extend(self.declared.lines());
        lines.push(format!(
            "Nothing has been created yet. A yes is remembered for this version of the lesson ({}).",
            short(&self.version)
        ));
        lines
    }
}

/// What to ask about `lesson`, if anything: None when it stays in its
/// namespace, or is a lesson shipped with kubetutor, unchanged.
pub fn ask(lesson: &Lesson) -> Option<Ask> {
    let declared = Declared::of(lesson);
    if !declared.asks() {
        return None;
    }
    let version = version(&lesson.dir);
    if shipped(&lesson.id, &version) {
        return None;
    }
    Some(Ask {
        lesson: lesson.id.clone(),
        title: lesson.title.clone(),
        version,
        declared,
    })
}

/// The first 12 hex digits of a version, for people.
pub fn short(version: &str) -> &str {
    &version[..version.len().min(12)]
}

/// A hash of every file of a lesson folder (path and content): any edit to
/// the lesson, its setups or its texts makes a new version. Folders are
/// walked without following links to folders; files that the loader would
/// refuse (FIFOs, devices, files over its size bound) are left out, as no
/// lesson that loads reads them.
pub fn version(dir: &Path) -> String {
    let mut files = Vec::new();
    walk(dir, "", &mut files);
    hash(files)
}

/// Whether a lesson of this id and version is one of those shipped in this
/// binary (reviewed with it).
pub fn shipped(id: &str, version: &str) -> bool {
    let Some(dir) = crate::embedded::LESSONS.get_dir(id) else {
        return false;
    };
    let mut files = Vec::new();
    embedded_files(dir, id, &mut files);
    hash(files) == version
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        let path = entry.path();
        let is_folder = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if is_folder {
            walk(&path, &format!("{relative}/"), out);
        } else if let Ok(bytes) = super::text::read_bounded(&path) {
            out.push((relative, bytes));
        }
    }
}

fn embedded_files(dir: &include_dir::Dir<'_>, id: &str, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in dir.entries() {
        match entry {
            include_dir::DirEntry::Dir(sub) => embedded_files(sub, id, out),
            include_dir::DirEntry::File(file) => {
                let path = file.path().strip_prefix(id).unwrap_or(file.path());
                out.push((
                    path.to_string_lossy().into_owned(),
                    file.contents().to_vec(),
                ));
            }
        }
    }
}

fn hash(mut files: Vec<(String, Vec<u8>)>) -> String {
    files.sort();
    let mut hash = Sha256::new();
    for (path, contents) in files {
        // Lengths first, so no two different sets of files hash alike.
        hash.update((path.len() as u64).to_le_bytes());
        hash.update(path.as_bytes());
        hash.update((contents.len() as u64).to_le_bytes());
        hash.update(&contents);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lessons() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons")
    }

    #[test]
    fn a_shipped_lesson_is_not_asked_and_an_edited_copy_is() {
        let lesson = Lesson::load(&lessons().join("quota-limitrange"), None).unwrap();
        assert!(Declared::of(&lesson).asks(), "it declares rights");
        assert_eq!(ask(&lesson), None, "shipped and unchanged");

        let copy = std::env::temp_dir().join(format!("kt-consent-{}", std::process::id()));
        let dir = copy.join("quota-limitrange");
        std::fs::create_dir_all(&copy).unwrap();
        let out = std::process::Command::new("cp")
            .args(["-r"])
            .arg(lessons().join("quota-limitrange"))
            .arg(&dir)
            .output()
            .unwrap();
        assert!(out.status.success());
        let same = Lesson::load(&dir, None).unwrap();
        assert_eq!(ask(&same), None, "an identical copy is the shipped version");
        let text = std::fs::read_to_string(dir.join("lesson.yaml")).unwrap();
        std::fs::write(dir.join("lesson.yaml"), format!("{text}\n# edited\n")).unwrap();
        let edited = Lesson::load(&dir, None).unwrap();
        let asked = ask(&edited).expect("an edited lesson is asked about");
        assert_ne!(asked.version, version(&lessons().join("quota-limitrange")));
        let lines = asked.lines().join("\n");
        assert!(lines.contains("LimitRange"), "{lines}");
        std::fs::remove_dir_all(copy).unwrap();
    }

    #[test]
    fn a_lesson_in_its_namespace_asks_nothing() {
        let lesson = Lesson::load(&lessons().join("deployments"), None).unwrap();
        let declared = Declared::of(&lesson);
        assert!(!declared.asks(), "{declared:?}");
        assert_eq!(ask(&lesson), None);
    }
}
