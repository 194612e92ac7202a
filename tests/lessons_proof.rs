//! Every shipped lesson proves its checks on the lab (`kubetutor lessons
//! test`): each step's solution passes, its template does not, and every
//! example gets the verdict it names with the words the learner reads — as
//! the lab's admin and as a class attendee. The table is printed whole, so a
//! failure in CI says which lesson, step and example.

mod common;

use common::lab;

#[test]
fn every_lesson_proves_its_checks_as_admin_and_as_attendee() {
    let kubeconfig = lab().paths.kubeconfig();
    let lessons = concat!(env!("CARGO_MANIFEST_DIR"), "/lessons");
    let output = common::kubetutor(
        &[
            "lessons",
            "--lessons-dir",
            lessons,
            "test",
            "--as",
            "both",
            "--jobs",
            "8",
        ],
        &[("KUBECONFIG", kubeconfig.to_str().unwrap())],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "lessons test found disagreements (✗ rows above)"
    );
    assert!(stdout.contains("cases agree"), "{stdout}");
    // Both identities ran, for every lesson.
    for who in ["admin", "attendee"] {
        assert!(stdout.contains(&format!(" {who} ")), "no {who} rows");
    }
}
