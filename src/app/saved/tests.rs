use super::*;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kt-saved-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn state(current: usize, drafts: &[(&str, &str)]) -> SavedState {
    SavedState {
        current,
        unlocked: current,
        drafts: drafts
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        acts: Default::default(),
    }
}

fn corrupt_files(path: &Path) -> Vec<PathBuf> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(&format!("{name}.corrupt-"))
        })
        .collect()
}

#[test]
fn round_trips() {
    let dir = temp_dir("round");
    let (file, loaded) = open(&dir, "https://127.0.0.1:1", "ns", "l");
    assert_eq!(loaded, Loaded::default(), "nothing saved yet, nothing said");
    let saved = state(3, &[("demo-sa", "kind: x")]);
    store(&file, &saved).unwrap();
    assert_eq!(load(&file).state, Some(saved));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_truncated_file_is_moved_aside_and_the_backup_restored() {
    let dir = temp_dir("truncated");
    let file = path(&dir, "https://127.0.0.1:1", "ns", "l");
    let older = state(1, &[("demo-sa", "older draft")]);
    let newer = state(2, &[("demo-sa", "newer draft")]);
    store(&file, &older).unwrap();
    store(&file, &newer).unwrap();
    // A crash of another tool, a full disk: the file ends mid-way.
    let whole = std::fs::read(&file).unwrap();
    std::fs::write(&file, &whole[..whole.len() / 2]).unwrap();

    let loaded = load(&file);
    assert_eq!(loaded.state, Some(older), "the backup is restored");
    let notice = loaded.notice.expect("the learner is told");
    assert!(notice.contains("could not be read"), "{notice}");
    assert!(notice.contains("restored the previous save"), "{notice}");
    let aside = corrupt_files(&file);
    assert_eq!(aside.len(), 1, "moved aside once");
    assert!(notice.contains(&aside[0].display().to_string()), "{notice}");
    assert_eq!(std::fs::read(&aside[0]).unwrap(), &whole[..whole.len() / 2]);

    // The next save does not touch what was moved aside.
    store(&file, &newer).unwrap();
    assert_eq!(corrupt_files(&file).len(), 1);
    assert_eq!(
        load(&file),
        Loaded {
            state: Some(newer),
            notice: None
        }
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn without_a_backup_the_drafts_that_still_parse_are_restored() {
    let dir = temp_dir("salvage");
    let file = path(&dir, "s", "ns", "l");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let text = serde_json::to_string_pretty(&state(4, &[("a", "first"), ("b", "second")])).unwrap();
    std::fs::write(&file, &text[..text.find("second").unwrap()]).unwrap();

    let loaded = load(&file);
    assert_eq!(loaded.state, Some(state(0, &[("a", "first")])));
    let notice = loaded.notice.unwrap();
    assert!(
        notice.contains("restored 1 draft that still parses"),
        "{notice}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn garbage_is_kept_and_said_even_when_nothing_is_recovered() {
    let dir = temp_dir("garbage");
    let file = path(&dir, "s", "ns", "l");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, b"\xff\xfe not json").unwrap();
    let loaded = load(&file);
    assert_eq!(loaded.state, Some(SavedState::default()));
    assert!(
        loaded
            .notice
            .unwrap()
            .contains("nothing in it could be recovered")
    );
    assert_eq!(corrupt_files(&file).len(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_old_style_file_is_renamed_to_the_stable_name() {
    let dir = temp_dir("legacy");
    let old = legacy_path(&dir, "https://127.0.0.1:1", "ns", "l");
    let saved = state(2, &[("demo-sa", "from an older kubetutor")]);
    std::fs::create_dir_all(old.parent().unwrap()).unwrap();
    std::fs::write(&old, serde_json::to_vec(&saved).unwrap()).unwrap();

    let (file, loaded) = open(&dir, "https://127.0.0.1:1", "ns", "l");
    assert_ne!(file, old);
    assert_eq!(loaded.state, Some(saved));
    assert!(!old.exists(), "migrated, not copied");
    assert!(file.exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn peek_reads_progress_and_leaves_a_damaged_file_where_it_is() {
    let dir = temp_dir("peek");
    let file = path(&dir, "https://127.0.0.1:1", "lab", "demo");
    assert_eq!(peek(&dir, "https://127.0.0.1:1", "lab", "demo"), None);
    store(&file, &state(2, &[])).unwrap();
    assert_eq!(
        peek(&dir, "https://127.0.0.1:1", "lab", "demo").map(|s| s.unlocked),
        Some(2)
    );
    std::fs::write(&file, "{ cut sho").unwrap();
    assert_eq!(peek(&dir, "https://127.0.0.1:1", "lab", "demo"), None);
    assert!(
        file.exists() && corrupt_files(&file).is_empty(),
        "nothing moved"
    );
    let _ = std::fs::remove_dir_all(dir);
}
