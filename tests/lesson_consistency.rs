//! The first lesson, step by step, on the lab in a fresh namespace: steps that
//! ask for a change fail before their solution (and with their template) with
//! the expected reasons and pass after it; observation and call steps pass on
//! the server's real answers; `kubetutor verify` exits 0 after `solve`.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{TestNamespace, lab};
use kubetutor::engine::{Engine, StepReport};
use kubetutor::lesson::Lesson;

const TIMEOUT: Duration = Duration::from_secs(20);

fn load(namespace: &str) -> Lesson {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    Lesson::load(&dir, Some(namespace)).expect("the lesson loads")
}

fn messages(report: &StepReport) -> String {
    report
        .outcomes
        .iter()
        .map(|(_, o)| o.message.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What each step's checks say before its solution is applied.
fn expected_failure(step: &str, ns: &str) -> Option<String> {
    Some(match step {
        "pod-default" => format!("No Pod named pod-default in {ns} yet"),
        "demo-sa" => format!("No ServiceAccount named demo-sa in {ns} yet"),
        "role" => format!("No Role in {ns} allows list pods yet"),
        "rolebinding" => {
            format!("The API server says ServiceAccount demo-sa may not list pods in {ns} yet")
        }
        "pod-demo-sa" => format!("No Pod named pod-demo-sa in {ns} yet"),
        _ => return None,
    })
}

/// Why each step's template, as given, does not pass: the apply's error (the
/// blanks are empty names and lists), or the check's reason once applied.
enum TemplateFails {
    ToApply(&'static str),
    Check(&'static str),
}

fn expected_template_failure(step: &str) -> Option<TemplateFails> {
    Some(match step {
        "pod-default" | "demo-sa" => TemplateFails::ToApply("metadata.name"),
        "role" => TemplateFails::Check("allows list pods yet"),
        "rolebinding" => TemplateFails::ToApply("roleRef.name"),
        "pod-demo-sa" => TemplateFails::Check("runs as ServiceAccount default, not demo-sa"),
        _ => return None,
    })
}

/// What each of a step's actions answers, in order, once the step's solution is in.
fn expected_answers(step: &str) -> &'static [&'static str] {
    match step {
        "token" => &["\"sub\": \"system:serviceaccount:"],
        "anonymous-call" => &["403 Forbidden"],
        "default-token-call" => &["200 OK", "403 Forbidden"],
        "demo-sa-call" => &["200 OK (PodList: pod-default, pod-demo-sa)"],
        _ => &[],
    }
}

#[tokio::test]
async fn every_step_fails_before_and_passes_after_its_solution() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "lesson").await;
    let lesson = load(&ns.name);
    let mut engine = Engine::start(lesson.clone(), lab().config().await)
        .await
        .unwrap();

    for (index, step) in lesson.steps.iter().enumerate() {
        if let Some(expected) = expected_failure(&step.id, &ns.name) {
            let before = engine.evaluate_step(index).await;
            assert!(
                !before.passed(),
                "step {} passes before its solution",
                step.id
            );
            assert!(
                messages(&before).contains(&expected),
                "step {}: {}",
                step.id,
                messages(&before)
            );
        }
        if let (Some(template), Some(expected)) =
            (&step.template, expected_template_failure(&step.id))
        {
            match (engine.apply(template).await, expected) {
                (Err(err), TemplateFails::ToApply(reason)) => assert!(
                    err.to_string().contains(reason),
                    "step {}: the template fails to apply for another reason than {reason:?}: {err}",
                    step.id
                ),
                (Err(err), TemplateFails::Check(_)) => {
                    panic!("step {}: template did not apply: {err}", step.id)
                }
                (Ok(_), TemplateFails::ToApply(reason)) => {
                    panic!(
                        "step {}: the template applied, but should fail on {reason:?}",
                        step.id
                    )
                }
                (Ok(_), TemplateFails::Check(expected)) => {
                    let report = engine
                        .wait_until_passed(index, Duration::from_secs(2))
                        .await;
                    let report = report.expect_err("a template must not pass its step");
                    assert!(
                        messages(&report).contains(expected),
                        "step {}: {}",
                        step.id,
                        messages(&report)
                    );
                }
            }
            if step.id == "pod-demo-sa" {
                // serviceAccountName cannot change on a Pod: the learner deletes it first.
                let out = lab().kubectl(
                    &[
                        "delete",
                        "pod",
                        "pod-demo-sa",
                        "-n",
                        &ns.name,
                        "--wait=true",
                    ],
                    None,
                );
                assert!(out.status.success());
            }
        }
        if let Some(solution) = &step.solution {
            engine
                .apply(solution)
                .await
                .unwrap_or_else(|e| panic!("step {}: {e}", step.id));
        }
        let answers = expected_answers(&step.id);
        assert_eq!(
            answers.len(),
            step.actions.len(),
            "step {}: one answer per action",
            step.id
        );
        for (action, answer) in step.actions.iter().zip(answers) {
            let output = engine.run_action(action).await;
            let said = output.lines.join("\n");
            assert!(
                said.contains(answer),
                "step {}: {} said:\n{said}",
                step.id,
                output.title
            );
        }
        let report = engine.wait_until_passed(index, TIMEOUT).await;
        let report =
            report.unwrap_or_else(|r| panic!("step {} does not pass:\n{}", step.id, messages(&r)));
        eprintln!("✓ {}: {}", step.id, messages(&report).replace('\n', " | "));
    }

    let out = common::kubetutor(
        &["verify", "--namespace", &ns.name],
        &[("KUBECONFIG", lab().paths.kubeconfig().to_str().unwrap())],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "verify after solving:\n{stdout}");
    assert!(stdout.contains("all 12 steps pass"), "{stdout}");
}

#[tokio::test]
async fn solve_then_verify_from_the_command_line() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "solve").await;
    let kubeconfig = lab().paths.kubeconfig();
    let env = [("KUBECONFIG", kubeconfig.to_str().unwrap())];

    let out = common::kubetutor(&["verify", "-n", &ns.name], &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success(),
        "verify must fail on a fresh namespace:\n{stdout}"
    );
    assert!(
        stdout.contains("current step: 4. A Pod that uses the default ServiceAccount"),
        "{stdout}"
    );

    let out = common::kubetutor(&["solve", "-n", &ns.name, "--through", "rolebinding"], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = common::kubetutor(&["verify", "-n", &ns.name], &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("current step: 10. A Pod that runs as demo-sa"),
        "{stdout}"
    );

    let out = common::kubetutor(&["solve", "-n", &ns.name], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = common::kubetutor(&["verify", "-n", &ns.name], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
