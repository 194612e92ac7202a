//! `s` in the tutor: the TUI suspended, a shell "in" a Pod (`kubectl exec`
//! where it runs real containers, else a local shell holding what the Pod
//! holds; see `cluster::shell`), and the TUI back — raw mode and the screen
//! restored, keys typed meanwhile dropped.

use std::path::Path;

use super::terminal::Terminal;
use crate::app::App;
use crate::cluster::connect::Target;
use crate::cluster::shell::{self, ShellPlan};

/// Runs a shell for `pod` between `suspend` and `resume`. Returns what to
/// tell the learner.
pub async fn open(
    terminal: &mut Terminal,
    target: &Target,
    app: &App,
    pod: &str,
    state_dir: &Path,
) -> String {
    let namespace = app.lesson.namespace.clone();
    let plan = async {
        let config = target.config().await.map_err(|e| format!("{e:#}"))?;
        let client = crate::transport::client(&config).map_err(|e| format!("{e:#}"))?;
        let pod_json =
            kube::Api::<k8s_openapi::api::core::v1::Pod>::namespaced(client.clone(), &namespace)
                .get_opt(pod)
                .await
                .map_err(|e| crate::cluster::apply::server_message(&e))?
                .map(|p| {
                    let mut value = serde_json::to_value(p).unwrap_or_default();
                    value["kind"] = "Pod".into();
                    crate::tree::Tree::from(value)
                })
                .ok_or_else(|| format!("it does not exist in {namespace} (yet)"))?;
        let ca_file = state_dir.join("cluster-ca.crt");
        shell::plan(
            &client,
            &config,
            target.kubeconfig.as_ref(),
            target.context.as_deref(),
            &pod_json,
            ca_file,
        )
        .await
    };
    let plan = match plan.await {
        Ok(plan) => plan,
        Err(message) => return format!("No shell for Pod {pod}: {message}"),
    };

    terminal.suspend();
    let status = tokio::task::spawn_blocking(move || match &plan {
        ShellPlan::Exec { program, args } => {
            println!(
                "kubetutor: {} {} (type exit to come back)",
                program.display(),
                args.join(" ")
            );
            std::process::Command::new(program).args(args).status()
        }
        ShellPlan::PodView { env, banner } => {
            println!("{banner}\n");
            let shell = std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".into());
            let mut command = std::process::Command::new(shell);
            command.envs(env.iter().map(|(k, v)| (k, v)));
            if command.get_program().to_string_lossy().ends_with("bash") {
                command.arg("--norc"); // keep our PS1
            }
            command.status()
        }
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    terminal.resume();
    match status {
        Ok(status) if status.success() => format!("Back from the shell of Pod {pod}."),
        Ok(status) => format!("The shell of Pod {pod} ended with {status}."),
        Err(err) => format!("Could not start the shell for Pod {pod}: {err}"),
    }
}
