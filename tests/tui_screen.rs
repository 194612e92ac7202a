//! What the screen says is true, in a real terminal (tmux) on the lab: the key
//! a notice names works where the focus is, a paste is text and never keys,
//! a refused manifest puts the cursor on the field's line with plain words,
//! and presenter mode at 100×30 shows a failing check's whole explanation.

mod common;

use std::time::Duration;

use common::tmux::{Tmux, pane_text, tui_command};
use common::{TestNamespace, lab, seed};

const WAIT: Duration = Duration::from_secs(15);

/// What line `number` of the editor shows, its indentation kept (the
/// editor's line numbers follow its left border, padded to their width).
fn editor_line(screen: &str, number: usize) -> String {
    let prefix = format!("{number} ");
    ["┃", "│"]
        .iter()
        .find_map(|border| {
            screen.lines().find_map(|line| {
                line.match_indices(border).find_map(|(at, _)| {
                    let rest = line[at + border.len()..].trim_start_matches(' ');
                    let text = rest.strip_prefix(&prefix)?;
                    let end = text.find(['┃', '│']).unwrap_or(text.len());
                    Some(text[..end].trim_end().to_string())
                })
            })
        })
        .unwrap_or_default()
}

/// The tutor at 160×48 in a fresh namespace, the learner having done the
/// first `done` steps, connected and showing `title`.
async fn tutor_on_step(
    prefix: &str,
    done: usize,
    title: &str,
) -> (Tmux, TestNamespace, std::path::PathBuf) {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, prefix).await;
    let state = common::temp_dir("tui");
    common::learner_did_steps(&state, &ns.name, done);
    let tmux = Tmux::start(
        &tui_command(&state, &lab().paths.kubeconfig(), &ns.name, ""),
        160,
        48,
    );
    tmux.wait_for(title, WAIT);
    tmux.wait_for("connected", WAIT);
    (tmux, ns, state)
}

/// In the editor the done notice names Ctrl-N, outside it n: each moves on
/// and leaves the YAML as it was.
#[tokio::test]
#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
async fn the_key_a_done_notice_names_moves_on_and_types_nothing() {
    let _one_at_a_time = common::pty_lock();
    let (tmux, ns, state) = tutor_on_step("notice", 3, "4. A Pod that uses the default").await;
    // A step with YAML opens with the focus in the editor, and says so.
    let screen = tmux.screen();
    assert!(
        screen.contains("▶Editor"),
        "the footer names the focus:\n{screen}"
    );
    assert!(
        screen.contains("┏▶ Editor"),
        "its border is marked:\n{screen}"
    );
    tmux.edit_line(5, " pod-default");
    tmux.keys(&["C-s"]);
    let screen = tmux.wait_for("✓ Step 4 done. Press Ctrl-N for the next step.", WAIT);
    assert!(screen.contains("^N next"), "the footer agrees:\n{screen}");
    tmux.keys(&["C-n"]);
    tmux.wait_for("5. Calling the API server anonymously", WAIT);
    let screen = tmux.wait_for("Focus: Lesson (step 5 needs no YAML)", WAIT);
    assert!(screen.contains("▶Lesson"), "{screen}");
    tmux.keys(&["C-p"]);
    let screen = tmux.wait_for("4. A Pod that uses the default", WAIT);
    assert_eq!(editor_line(&screen, 6), "  name: pod-default", "{screen}");

    // Outside the editor: n.
    tmux.keys(&["n"]);
    tmux.wait_for("5. Calling the API server anonymously", WAIT);
    tmux.keys(&["3", "r"]);
    tmux.wait_for("✓ Step 5 done. Press n for the next step.", WAIT);
    tmux.keys(&["n"]);
    tmux.wait_for("6. Calling it with the default", WAIT);
    let draft = lab().kubectl(
        &["get", "pod", "pod-default", "-n", &ns.name, "-o", "name"],
        None,
    );
    assert!(draft.status.success());
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

/// A paste with tabs, q and r in it: text in the editor, no command run.
#[tokio::test]
#[allow(clippy::await_holding_lock)]
async fn a_bracketed_paste_with_tabs_lands_in_the_editor_and_runs_nothing() {
    let _one_at_a_time = common::pty_lock();
    let (tmux, _ns, state) =
        tutor_on_step("paste", 6, "7. Create the demo-sa ServiceAccount").await;
    // The focus on the lesson text: a paste asks first, and its q is no quit.
    tmux.keys(&["BTab"]);
    tmux.wait_for("▶Lesson", WAIT);
    tmux.paste("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n\tname: demo-sa\nq r s\n");
    let screen = tmux.wait_for(
        "You pasted 5 lines while the Lesson pane had the focus",
        WAIT,
    );
    assert!(screen.contains("Enter: paste into the editor"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("Paste discarded", WAIT);

    tmux.keys(&["e", "C-Home"]);
    // Select everything the template holds and replace it with the paste.
    for _ in 0..12 {
        tmux.keys(&["C-k"]);
    }
    tmux.paste("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n\tname: demo-sa\n");
    let screen = tmux.wait_for("1 tab became 2 spaces each", WAIT);
    assert_eq!(
        editor_line(&screen, 4),
        "  name: demo-sa",
        "the tab became spaces:\n{screen}"
    );
    let output = pane_text(&screen, "Output");
    assert!(!output.contains("──"), "no action ran:\n{output}");
    tmux.keys(&["C-s"]);
    tmux.wait_for("✓ Step 7 done", WAIT);
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

/// Two mistakes of the first lesson's learners: the cursor goes to the line
/// of the field, and the message says what to do.
#[tokio::test]
#[allow(clippy::await_holding_lock)]
async fn refused_manifests_put_the_cursor_on_the_field_with_plain_words() {
    let _one_at_a_time = common::pty_lock();
    let (tmux, ns, state) = tutor_on_step("errline", 3, "4. A Pod that uses the default").await;
    // The template as it is: `name:` with nothing after it, on line 6.
    tmux.keys(&["C-s"]);
    let screen = tmux.wait_for("has an empty metadata.name", WAIT);
    assert!(screen.contains("line 6"), "{screen}");
    assert!(
        screen.contains("Ln 6,"),
        "the cursor is on line 6:\n{screen}"
    );

    // Step 10's Pod with serviceAccountName indented under the container.
    tmux.edit_line(5, " pod-default");
    tmux.keys(&["C-s"]);
    tmux.wait_for("✓ Step 4 done", WAIT);
    lab().apply(&ns.name, seed::demo_sa());
    // Steps 4 and 10 offer the solution, solving, then "Presenter mode on/off".
    tmux.keys(&["F10"]);
    for _ in 0..2 {
        tmux.keys(&["Down"]); // "Presenter mode on/off": every step open
    }
    tmux.keys(&["Enter"]);
    for _ in 0..6 {
        tmux.keys(&["C-n"]);
    }
    tmux.keys(&["F10"]);
    for _ in 0..2 {
        tmux.keys(&["Down"]);
    }
    tmux.keys(&["Enter"]); // presenter off again: the wide layout
    tmux.wait_for("10. A Pod that runs as demo-sa", WAIT);
    tmux.keys(&["e", "C-End", "End", "Enter"]);
    tmux.type_text("serviceAccountName: demo-sa");
    tmux.keys(&["C-s"]);
    let screen = tmux.wait_for(
        "serviceAccountName belongs under spec, not under a container",
        WAIT,
    );
    assert!(screen.contains("line 14"), "{screen}");
    assert!(
        screen.contains("Ln 14,"),
        "the cursor is on line 14:\n{screen}"
    );
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}

/// At 100×30 in presenter mode, a binding whose subject names the wrong
/// namespace: the room reads the explainer's whole sentence, fix included.
#[tokio::test]
#[allow(clippy::await_holding_lock)]
async fn presenter_mode_shows_the_whole_explanation_of_a_wrong_subject_namespace() {
    let _one_at_a_time = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "room").await;
    lab().apply(&ns.name, seed::demo_sa());
    lab().apply(&ns.name, &seed::role_list_pods(&ns.name));
    let state = common::temp_dir("tui");
    let command = tui_command(&state, &lab().paths.kubeconfig(), &ns.name, "")
        .replace(" -n ", " --presenter -n ");
    let tmux = Tmux::start(&command, 100, 30);
    tmux.wait_for("connected", WAIT);
    for _ in 0..8 {
        tmux.keys(&["C-n"]);
    }
    tmux.wait_for("Bind the Role to demo-sa", WAIT);
    tmux.keys(&["Tab"]);
    tmux.edit_line(8, " list-pods");
    tmux.edit_line(12, " demo-sa");
    // Line 14 says `namespace: <ns>`: make it another namespace.
    tmux.keys(&["C-Home"]);
    for _ in 0..13 {
        tmux.keys(&["Down"]);
    }
    tmux.keys(&["End"]);
    for _ in 0..ns.name.len() {
        tmux.keys(&["BSpace"]);
    }
    tmux.type_text("default");
    tmux.keys(&["C-s"]);
    let screen = tmux.wait_for("subjects[].namespace to", WAIT);
    let flat: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    let fix = format!("set subjects[].namespace to {}", ns.name);
    assert!(
        flat.contains("binds ServiceAccount demo-sa of namespace default") && flat.contains(&fix),
        "the whole explanation, fix included:\n{screen}"
    );
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}
