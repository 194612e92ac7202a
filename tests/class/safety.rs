//! A class that cannot hurt the cluster it runs on.

use super::common::{self, lab};
use super::support::kubectl_with_stdin;
use super::{admin, class_name};

/// A class cannot hurt the cluster: it takes over no namespace it did not
/// make, deletes only what its record lists (checked by UID, not by label),
/// and its attendees may not run a privileged Pod.
#[tokio::test]
async fn a_class_takes_over_nothing_and_deletes_only_what_it_made() {
    let class = class_name("safe");
    let out = common::temp_dir("safe").join("files");
    let kubectl = |args: &[&str]| {
        let out = lab().kubectl(args, None);
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let theirs = format!("{class}-02");
    assert!(kubectl(&["create", "namespace", &theirs]).0);
    lab().apply(
        &theirs,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: their-data\n",
    );
    let create = || {
        admin(&[
            "class",
            "create",
            &class,
            "--attendees",
            "3",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let (ok, text) = create();
    assert!(
        !ok && text.contains(&format!("Namespace {theirs}"))
            && text.contains("Nothing was changed"),
        "{text}"
    );
    for ns in [class.clone(), format!("{class}-01")] {
        assert!(!kubectl(&["get", "namespace", &ns]).0, "{ns} was not made");
    }
    let (_, labels) = kubectl(&["get", "namespace", &theirs, "--show-labels"]);
    assert!(!labels.contains("kubetutor.dev/class"), "{labels}");
    assert!(!out.exists(), "no kubeconfig written");
    assert!(kubectl(&["delete", "namespace", &theirs, "--wait=true"]).0);

    let (ok, text) = create();
    assert!(ok && text.contains("baseline enforced"), "{text}");
    let file = |n: usize| out.join(format!("attendee-{n:02}.kubeconfig"));
    let privileged = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: root\nspec:\n  containers:\n  - name: c\n    image: busybox\n    securityContext: {privileged: true}\n";
    let (ok, text) = kubectl_with_stdin(&file(1), privileged);
    assert!(!ok && text.contains("violates PodSecurity"), "{text}");

    // The class's grant in default, replaced by another object of its name and label.
    let grant = format!("kubetutor-class-{class}");
    assert!(kubectl(&["delete", "role", &grant, "-n", "default"]).0);
    lab().apply(
        "default",
        &format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {grant}\n  labels: {{kubetutor.dev/class: {class}}}\nrules: []\n"
        ),
    );
    let (ok, text) = admin(&["class", "delete", &class]);
    assert!(
        ok && text.contains(&format!(
            "left alone, not made by it though named as it named them: Role {grant} in default"
        )),
        "{text}"
    );
    assert!(
        text.contains("rm ") && text.contains("attendee-03.kubeconfig"),
        "the files it leaves are named: {text}"
    );
    assert!(
        kubectl(&["get", "role", &grant, "-n", "default"]).0,
        "the other Role stays"
    );
    for ns in [class.clone(), format!("{class}-01")] {
        assert!(!kubectl(&["get", "namespace", &ns]).0, "{ns} is gone");
    }
    let _ = kubectl(&["delete", "role", &grant, "-n", "default"]);
    let _ = std::fs::remove_dir_all(out.parent().unwrap());
}
