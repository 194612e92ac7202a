//! Every lesson but the seed (which `lesson_consistency.rs` walks in more
//! detail), on the lab, each in a fresh namespace: after the lesson's setup
//! no step passes; each step fails with its template (it does not apply, or
//! its checks do not hold) and passes after its solution; then `verify`
//! passes, `reset` removes what the lesson made (verify fails again), and
//! `solve` brings it all back. Data-driven: the lesson folders say it all.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{TestNamespace, lab};
use kubetutor::engine::{Engine, StepReport};
use kubetutor::lesson::Lesson;

/// A CronJob's first Job may take a minute.
const TIMEOUT: Duration = Duration::from_secs(75);
/// How long a template's objects get to (wrongly) make their step pass.
const TEMPLATE_GRACE: Duration = Duration::from_secs(3);

fn messages(report: &StepReport) -> String {
    report
        .outcomes
        .iter()
        .map(|(_, o)| format!("{} {}", o.mark(), o.message))
        .collect::<Vec<_>>()
        .join("\n")
}

fn load(id: &str, namespace: &str) -> Lesson {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("lessons")
        .join(id);
    Lesson::load(&dir, Some(namespace)).expect("the lesson loads")
}

async fn walk(id: &str) {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, &id[..id.len().min(12)]).await;
    let n = ns.name.as_str();
    let lesson = load(id, n);
    let mut engine = Engine::start(lesson.clone(), lab().config().await)
        .await
        .unwrap();
    engine.setup().await.expect("the setup applies");
    assert!(
        engine.setup().await.unwrap().is_empty(),
        "setup creates what is missing only"
    );

    for (index, report) in engine.evaluate_all().await.iter().enumerate() {
        let step = &lesson.steps[index];
        // What the learner builds cannot hold before they build it (an
        // observation of the cluster as it is may).
        let builds = step.acts.contains(&kubetutor::lesson::model::Act::Apply);
        if builds && !step.checks.is_empty() {
            assert!(
                !report.passed(),
                "{id}: step {} passes on a fresh namespace:\n{}",
                step.id,
                messages(report)
            );
        }
    }

    for (index, step) in lesson.steps.iter().enumerate() {
        let created = engine
            .setup_step(index)
            .await
            .expect("the step's setup applies");
        if !step.setup.is_empty() {
            assert!(!created.is_empty(), "{id}: step {} set up nothing", step.id);
            let report = engine.evaluate_step(index).await;
            assert!(
                !report.passed(),
                "{id}: step {} passes with its setup alone:\n{}",
                step.id,
                messages(&report)
            );
        }
        if let Some(template) = &step.template {
            match engine.apply(template).await {
                Err(err) => eprintln!("{id}/{}: the template does not apply: {err}", step.id),
                Ok(_) => {
                    let report = engine.wait_until_passed(index, TEMPLATE_GRACE).await;
                    let report = report.unwrap_or_else(|r| r);
                    assert!(
                        step.checks.is_empty() || !report.passed(),
                        "{id}: step {}'s template passes it:\n{}",
                        step.id,
                        messages(&report)
                    );
                    eprintln!("{id}/{}: with the template: {}", step.id, messages(&report));
                }
            }
        }
        if let Some(solution) = &step.solution
            && let Err(err) = engine.apply(solution).await
        {
            // The template made the object with a field the solution may
            // not change (a Job's completions): a learner deletes it and
            // applies again, as the tutor's F8 offers.
            let said = err.to_string();
            assert!(
                said.contains("immutable") || said.contains("cannot change"),
                "{id}: step {}: {said}",
                step.id
            );
            let deleted = lab().kubectl(
                &[
                    "delete",
                    "-n",
                    engine.namespace(),
                    "--ignore-not-found",
                    "--wait",
                    "-f",
                    "-",
                ],
                Some(solution),
            );
            assert!(deleted.status.success(), "{id}: {deleted:?}");
            engine
                .apply(solution)
                .await
                .unwrap_or_else(|e| panic!("{id}: step {} after delete: {e}", step.id));
        }
        for action in &step.actions {
            engine.run_action(action).await;
        }
        let report = engine.wait_until_passed(index, TIMEOUT).await;
        let report = report
            .unwrap_or_else(|r| panic!("{id}: step {} does not pass:\n{}", step.id, messages(&r)));
        eprintln!(
            "✓ {id}/{}: {}",
            step.id,
            messages(&report).replace('\n', " | ")
        );
    }
    drop(engine);

    let state = common::temp_dir(id);
    let cli = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--lesson", id, "-n", n]);
        common::run_on_lab(&all, &state)
    };
    let (ok, out) = cli(&["verify"]);
    assert!(ok, "{id}: verify after the solutions:\n{out}");
    assert!(
        out.contains(&format!("all {} steps pass", lesson.steps.len())),
        "{out}"
    );

    let (ok, out) = cli(&["reset", "--yes"]);
    assert!(ok, "{id}: reset:\n{out}");
    for owned in lesson.owns.iter().filter(|o| o.kind.starts_with("Cluster")) {
        let got = lab().kubectl(&["get", &owned.kind.to_lowercase(), &owned.name], None);
        assert!(
            !got.status.success(),
            "{id}: reset left {} {}",
            owned.kind,
            owned.name
        );
    }
    let (ok, out) = cli(&["verify"]);
    assert!(!ok, "{id}: verify passes after a reset:\n{out}");

    let (ok, out) = cli(&["solve"]);
    assert!(ok, "{id}: solve:\n{out}");
    let (ok, out) = cli(&["verify"]);
    assert!(ok, "{id}: verify after solve:\n{out}");
    // Cluster-scoped objects outlive the namespace: leave none behind.
    let (ok, out) = cli(&["reset", "--yes"]);
    assert!(ok, "{id}: the last reset:\n{out}");
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
async fn clusterrole_aggregation() {
    walk("clusterrole-aggregation").await;
}

#[tokio::test]
async fn quota_limitrange() {
    walk("quota-limitrange").await;
}

#[tokio::test]
async fn labels_owners() {
    walk("labels-owners").await;
}

#[tokio::test]
async fn deployments() {
    walk("deployments").await;
}

#[tokio::test]
async fn jobs_cronjobs() {
    walk("jobs-cronjobs").await;
}

#[tokio::test]
async fn pod_security() {
    walk("pod-security").await;
}

/// Every lesson folder has its test above: a new lesson without one fails here.
#[test]
fn every_lesson_is_walked() {
    let walked = [
        "serviceaccount-rbac", // tests/lesson_consistency.rs
        "clusterrole-aggregation",
        "quota-limitrange",
        "labels-owners",
        "deployments",
        "jobs-cronjobs",
        "pod-security",
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    for (id, _) in kubetutor::lesson::catalog::list(&root) {
        assert!(
            walked.contains(&id.as_str()),
            "lesson {id} has no walk in tests/lessons_on_lab.rs"
        );
    }
}

/// A lesson that requires real containers (its exec check runs a command in
/// one) is refused on the lab, whose node is simulated, and says why.
#[tokio::test]
async fn a_lesson_requiring_containers_does_not_start_on_the_lab() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "requires").await;
    let root = common::temp_dir("requires");
    let dir = root.join("needs-containers");
    std::fs::create_dir_all(dir.join("steps")).unwrap();
    std::fs::write(dir.join("steps/a.md"), "# Look inside\n").unwrap();
    std::fs::write(
        dir.join("lesson.yaml"),
        "id: needs-containers\ntitle: Inside a container\nrequires: [containers]\n\
         owns: [{kind: Pod, name: web}]\nsteps:\n  \
         - id: a\n    title: A\n    text: steps/a.md\n    checks:\n      \
         - exec: {pod: web, command: [cat, /etc/hostname]}\n",
    )
    .unwrap();
    let state = common::temp_dir("requires-state");
    let (ok, out) = common::run_on_lab(
        &[
            "verify",
            "--lessons-dir",
            root.to_str().unwrap(),
            "--lesson",
            "needs-containers",
            "-n",
            &ns.name,
        ],
        &state,
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("lesson needs-containers needs what this cluster lacks: containers (its nodes are simulated (kwok)"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(root);
    let _ = std::fs::remove_dir_all(state);
}

/// The operators no shipped lesson uses on the lab (`matches`, `atMost`),
/// against objects the API server really stored: the certificate every
/// namespace gets, and a ConfigMap the test writes.
#[tokio::test]
async fn matches_and_at_most_read_what_the_server_stored() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "operators").await;
    lab().apply(
        &ns.name,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: numbers}\ndata: {replicas: \"2\"}\n",
    );
    let root = common::temp_dir("operators");
    let dir = root.join("operators");
    std::fs::create_dir_all(dir.join("steps")).unwrap();
    std::fs::write(dir.join("steps/a.md"), "# Read\n").unwrap();
    std::fs::write(
        dir.join("lesson.yaml"),
        r#"id: operators
title: Operators
steps:
  - id: holds
    title: Holds
    text: steps/a.md
    checks:
      - field: {kind: ConfigMap, name: kube-root-ca.crt, path: data.ca.crt, matches: '^-----BEGIN CERTIFICATE-----'}
      - field: {kind: ConfigMap, name: numbers, path: data.replicas, atLeast: 1, atMost: 2, matches: '^\d+$'}
  - id: fails
    title: Fails
    text: steps/a.md
    checks:
      - field: {kind: ConfigMap, name: numbers, path: data.replicas, atMost: 1}
      - field: {kind: ConfigMap, name: kube-root-ca.crt, path: data.ca.crt, matches: 'PRIVATE KEY'}
"#,
    )
    .unwrap();
    let lesson = Lesson::load(&dir, Some(&ns.name)).expect("the lesson loads");
    let mut engine = Engine::start(lesson, lab().config().await).await.unwrap();
    let holds = engine.wait_until_passed(0, TIMEOUT).await;
    let holds = holds.unwrap_or_else(|r| panic!("{}", messages(&r)));
    eprintln!("{}", messages(&holds));
    let fails = engine.evaluate_step(1).await;
    let said = messages(&fails);
    assert!(
        said.contains("data.replicas is 2, expected at most 1")
            && said.contains("does not match /PRIVATE KEY/"),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(root);
}
