//! One attendee of a class made for every lesson takes all of them, one
//! after another, in their one namespace, with their own kubeconfig: each is
//! solved and verified (none refused because of another), and each reset
//! leaves the namespace's labels, quotas and limit ranges as they were.

mod common;

use std::path::Path;

use common::{kubetutor, lab};

fn run(kubeconfig: &Path, state: &Path, args: &[&str]) -> (bool, String) {
    let lessons = concat!(env!("CARGO_MANIFEST_DIR"), "/lessons");
    let mut all = args.to_vec();
    all.extend(["--lessons-dir", lessons]);
    let out = kubetutor(
        &all,
        &[
            ("KUBECONFIG", kubeconfig.to_str().unwrap()),
            ("XDG_STATE_HOME", state.to_str().unwrap()),
        ],
    );
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// What a lesson must leave as it found it: the namespace's labels, its
/// ResourceQuotas and LimitRanges (names and specs).
fn namespace_state(namespace: &str) -> String {
    let labels = lab().kubectl(
        &[
            "get",
            "namespace",
            namespace,
            "-o",
            "jsonpath={.metadata.labels}",
        ],
        None,
    );
    let policies = lab().kubectl(
        &[
            "get",
            "resourcequotas,limitranges",
            "-n",
            namespace,
            "-o",
            "jsonpath={range .items[*]}{.kind} {.metadata.name} {.spec}{\"\\n\"}{end}",
        ],
        None,
    );
    format!(
        "labels: {}\n{}",
        String::from_utf8_lossy(&labels.stdout),
        String::from_utf8_lossy(&policies.stdout)
    )
}

#[test]
fn one_attendee_takes_every_lesson_in_one_namespace_and_each_reset_leaves_it_as_found() {
    let class = format!("all{:06x}", rand::random::<u32>() & 0xff_ffff);
    let out_dir = common::temp_dir(&class);
    let files = out_dir.join("files");
    let lessons_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/lessons");
    let admin_kubeconfig = lab().paths.kubeconfig();
    let admin = |args: &[&str]| {
        let out = kubetutor(args, &[("KUBECONFIG", admin_kubeconfig.to_str().unwrap())]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (ok, said) = admin(&[
        "class",
        "create",
        &class,
        "--attendees",
        "1",
        "--lesson",
        "all",
        "--allow-risky-rights",
        "--lessons-dir",
        lessons_dir,
        "--out",
        files.to_str().unwrap(),
    ]);
    assert!(ok, "class create:\n{said}");
    assert!(said.contains("Beyond admin of their namespace"), "{said}");
    let kubeconfig = files.join("attendee-01.kubeconfig");
    let namespace = format!("{class}-01");
    let state = out_dir.join("state");

    let before = namespace_state(&namespace);
    let order = kubetutor::lesson::catalog::in_learning_order(Path::new(lessons_dir));
    assert!(order.len() >= 7, "{order:?}");
    for (id, _) in &order {
        let (ok, said) = run(&kubeconfig, &state, &["solve", "--lesson", id]);
        assert!(ok, "{id}: solve as the attendee:\n{said}");
        let (ok, said) = run(&kubeconfig, &state, &["verify", "--lesson", id]);
        assert!(ok, "{id}: verify after solve:\n{said}");
        assert!(
            said.contains(&format!("namespace {namespace}")),
            "{id} ran in the attendee's namespace:\n{said}"
        );
        let (ok, said) = run(&kubeconfig, &state, &["reset", "--lesson", id, "--yes"]);
        assert!(ok, "{id}: reset:\n{said}");
        assert_eq!(
            namespace_state(&namespace),
            before,
            "{id}: the reset left the namespace changed:\n{said}"
        );
    }

    let (ok, said) = admin(&["class", "delete", &class]);
    assert!(ok, "class delete:\n{said}");
    let _ = std::fs::remove_dir_all(out_dir);
}
