//! A request sent from *inside* a Pod's container, where the cluster runs real
//! containers: curl with the Pod's mounted token and ca.crt, run through exec.
//! The command and the parsing of its output are plain functions, unit-tested;
//! the exec itself needs a cluster with containers (not the kwok lab).

use super::bounded::{self, OUTPUT_CAP};
use super::request::ApiResponse;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Client;
use kube::api::{Api, AttachParams};

const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Printed by curl after the body, so the status can be told from the body.
const STATUS_MARKER: &str = "__KUBETUTOR_STATUS__";
/// What a Pod calls the API server (a name in the serving certificate).
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";

/// The shell script run in the container: the same text for every request.
/// The method and URL arrive as its arguments (`$1`, `$2`), never spliced
/// into the script, so a lesson's quotes, `;`, `$(…)` or newlines stay data.
/// The token is read from the Pod's own mount inside the container: it never
/// leaves the Pod. It is on no command line either, not even curl's (any
/// process of the container may read another's): the header goes to curl's
/// standard input (`-H @-`), written by the shell's own `printf` and by
/// `cat`. TLS is verified with the mounted ca.crt; there is no insecure option.
pub fn script() -> String {
    script_in(SERVICE_ACCOUNT_DIR)
}

/// The script, reading the token and CA from `dir` (tests run it on a folder
/// of their own).
fn script_in(dir: &str) -> String {
    let write_status = format!("'\\n{STATUS_MARKER}%{{http_code}}'");
    format!(
        "command -v curl >/dev/null 2>&1 || {{ echo 'kubetutor: this image has no curl' >&2; exit 127; }}\n\
         if [ \"$3\" = {WITH_TOKEN} ]; then\n\
         {{ printf 'Authorization: Bearer '; cat {dir}/token; printf '\\n'; }} | \
         curl -sS --cacert {dir}/ca.crt -H @- -X \"$1\" -w {write_status} \"$2\"\n\
         exit $?\n\
         fi\n\
         exec curl -sS --cacert {dir}/ca.crt -X \"$1\" -w {write_status} \"$2\"\n"
    )
}

/// `$3` of the script when the request carries the Pod's token.
const WITH_TOKEN: &str = "token";
/// `$0` of the script: what `ps` in the Pod shows.
const SCRIPT_NAME: &str = "kubetutor-request";

/// The exec command: `sh -c SCRIPT kubetutor-request METHOD URL token|anonymous`.
/// Refuses a method or path `request_line` would not accept, though the
/// arguments could not change the script anyway.
pub fn command(method: &str, path: &str, anonymous: bool) -> Result<Vec<String>, String> {
    crate::syntax::request_line::check_method(method)?;
    crate::syntax::request_line::check_path(path)?;
    Ok(argv(
        method,
        &format!("{IN_CLUSTER_SERVER}{path}"),
        anonymous,
    ))
}

/// The argument vector, unchecked: each value its own argument.
fn argv(method: &str, url: &str, anonymous: bool) -> Vec<String> {
    let auth = if anonymous { "anonymous" } else { WITH_TOKEN };
    vec![
        "sh".into(),
        "-c".into(),
        script(),
        SCRIPT_NAME.into(),
        method.into(),
        url.into(),
        auth.into(),
    ]
}

/// Splits curl's output into the answer's status and body.
pub fn parse_output(stdout: &str) -> Result<ApiResponse, String> {
    let (body, status) = stdout
        .rsplit_once(STATUS_MARKER)
        .ok_or_else(|| "curl printed no status: the request did not complete".to_string())?;
    let status = status
        .trim()
        .parse::<u16>()
        .map_err(|_| format!("curl printed an odd status {status:?}"))?;
    if status == 0 {
        return Err("curl could not reach the API server from the Pod".into());
    }
    Ok(ApiResponse {
        status,
        body: body.strip_suffix('\n').unwrap_or(body).to_string(),
    })
}

/// Whether `pod` (JSON) runs on a node with real containers. kwok's fake nodes
/// do not, and an exec there would make the API server dial a fake node
/// address: never try. A node we may not read counts as real.
pub async fn runs_containers(client: &Client, pod: &crate::tree::Tree) -> bool {
    let Some(node) = pod["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()) else {
        return false; // not scheduled: nothing runs yet
    };
    // A container runtime names every container it starts ("containerd://…");
    // kwok marks containers running without one. This needs no right to read
    // Nodes, which a namespace-scoped user does not have.
    let started_by_a_runtime = pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["containerID"].as_str().is_some_and(|id| !id.is_empty()));
    if !started_by_a_runtime {
        return false;
    }
    match Api::<Node>::all(client.clone()).get_opt(node).await {
        Ok(Some(node)) => !is_fake(&node),
        Ok(None) => false,
        Err(_) => true,
    }
}

/// A node kwok simulates.
pub fn is_fake(node: &Node) -> bool {
    node.metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.get("kwok.x-k8s.io/node").is_some_and(|v| v == "fake"))
}

/// Runs the request in the Pod's first container. Err says why (no curl,
/// exec refused, …) so the caller can fall back and say so.
pub async fn request(
    client: &Client,
    namespace: &str,
    pod: &str,
    method: &str,
    path: &str,
    anonymous: bool,
) -> Result<ApiResponse, String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let params = AttachParams::default()
        .stdin(false)
        .stdout(true)
        .stderr(true);
    let command = command(method, path, anonymous)?;
    let ran = async {
        let mut process = pods
            .exec(pod, command, &params)
            .await
            .map_err(|e| format!("exec into Pod {pod} failed: {e}"))?;
        let output = bounded::read_both(process.stdout(), process.stderr(), OUTPUT_CAP).await;
        let _ = process.join().await;
        Ok::<_, String>(output)
    };
    let bounded::Output {
        stdout,
        stderr,
        cut,
    } = tokio::time::timeout(bounded::TIME_LIMIT, ran)
        .await
        .map_err(|_| format!("the request in Pod {pod} {}", bounded::time_limit_said()))??;
    if cut {
        return Err(format!("the answer is too long: {}", bounded::cap_said()));
    }
    parse_output(&stdout).map_err(|e| {
        if stderr.trim().is_empty() {
            e
        } else {
            format!("{e}: {}", stderr.trim())
        }
    })
}

/// What a command run in a container printed, and whether it exited 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub output: String,
    pub succeeded: bool,
}

/// Runs `command` (argv, no shell) in a container of the Pod. Err says why
/// it could not run at all.
pub async fn run(
    client: &Client,
    namespace: &str,
    pod: &str,
    container: Option<&str>,
    command: &[String],
) -> Result<Ran, String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let mut params = AttachParams::default()
        .stdin(false)
        .stdout(true)
        .stderr(true);
    if let Some(container) = container {
        params = params.container(container);
    }
    let ran = async {
        let mut process = pods
            .exec(pod, command.to_vec(), &params)
            .await
            .map_err(|e| format!("exec into Pod {pod} failed: {e}"))?;
        let status = process.take_status();
        let output = bounded::read_both(process.stdout(), process.stderr(), OUTPUT_CAP).await;
        let status = match status {
            Some(status) => status.await,
            None => None,
        };
        let _ = process.join().await;
        Ok::<_, String>((output, status))
    };
    let (output, status) = tokio::time::timeout(bounded::TIME_LIMIT, ran)
        .await
        .map_err(|_| format!("the command in Pod {pod} {}", bounded::time_limit_said()))??;
    let mut printed = output.stdout + &output.stderr;
    if output.cut {
        printed.push_str(&format!("\n… {}", bounded::cap_said()));
    }
    Ok(Ran {
        output: printed,
        succeeded: status.is_some_and(|s| s.status.as_deref() == Some("Success")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_verifies_tls_with_the_pods_ca_and_reads_its_token_in_place() {
        let script = script();
        assert!(
            script.contains("--cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt"),
            "{script}"
        );
        assert!(
            script.contains("cat /var/run/secrets/kubernetes.io/serviceaccount/token;"),
            "{script}"
        );
        assert!(
            !script.contains("--insecure") && !script.contains(" -k "),
            "{script}"
        );
        let argv = command("GET", "/api/v1/namespaces/demo/pods", false).unwrap();
        assert_eq!(
            argv[3..],
            [
                "kubetutor-request",
                "GET",
                "https://kubernetes.default.svc/api/v1/namespaces/demo/pods",
                "token"
            ]
        );
        assert_eq!(command("HEAD", "/api", true).unwrap()[6], "anonymous");
    }

    const HOSTILE: [&str; 7] = [
        "GET'; touch /tmp/x; echo '",
        "GET\"; touch /tmp/x; \"",
        "GET; touch /tmp/x",
        "$(touch /tmp/x)",
        "`touch /tmp/x`",
        "GET\ntouch /tmp/x",
        "GET -k",
    ];

    #[test]
    fn hostile_methods_and_paths_are_refused_and_never_reach_the_script() {
        for hostile in HOSTILE {
            assert!(command(hostile, "/api", false).is_err(), "{hostile:?}");
            let path = format!("/api/{hostile}");
            assert!(command("GET", &path, false).is_err(), "{path:?}");
            // Were one to slip through, the script would not change.
            assert_eq!(argv(hostile, &path, false)[2], script());
        }
    }

    /// Runs the real argv with a stand-in curl that prints its arguments:
    /// hostile values arrive as single arguments, and nothing in them runs.
    #[test]
    fn hostile_values_arrive_as_single_arguments_when_the_script_runs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("kt-podexec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let curl = dir.join("curl");
        std::fs::write(
            &curl,
            "#!/bin/sh\nfor a in \"$@\"; do printf '<%s>' \"$a\"; done\n",
        )
        .unwrap();
        std::fs::set_permissions(&curl, std::fs::Permissions::from_mode(0o755)).unwrap();
        let witness = dir.join("ran");
        for hostile in HOSTILE {
            let hostile = hostile.replace("/tmp/x", &witness.display().to_string());
            let url = format!("https://kubernetes.default.svc/{hostile}");
            let argv = argv(&hostile, &url, true);
            let out = std::process::Command::new(&argv[0])
                .args(&argv[1..])
                .env("PATH", format!("{}:/usr/bin:/bin", dir.display()))
                .output()
                .unwrap();
            let printed = String::from_utf8_lossy(&out.stdout);
            assert!(printed.contains(&format!("<-X><{hostile}>")), "{printed}");
            assert!(printed.contains(&format!("<{url}>")), "{printed}");
            assert!(!witness.exists(), "{hostile:?} ran a command");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn output_is_split_into_body_and_status() {
        let out = "{\n  \"kind\": \"Status\",\n  \"code\": 403\n}\n__KUBETUTOR_STATUS__403";
        let response = parse_output(out).unwrap();
        assert_eq!(response.status, 403);
        assert_eq!(response.json().unwrap()["code"], 403);
        assert!(parse_output("curl: (6) Could not resolve host").is_err());
        assert!(
            parse_output("\n__KUBETUTOR_STATUS__000")
                .unwrap_err()
                .contains("could not reach")
        );
    }

    /// The script run by a real shell, with a `curl` of the test's that
    /// prints its arguments and its input: the token reaches curl's input as
    /// a header, and no command line of the container holds it.
    #[test]
    fn the_token_is_on_no_command_line() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("kt-token-argv-{}", std::process::id()));
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(dir.join("token"), "s3cret-token").unwrap();
        std::fs::write(dir.join("ca.crt"), "ca").unwrap();
        let curl = bin.join("curl");
        std::fs::write(
            &curl,
            "#!/bin/sh\nprintf 'ARGV:'; for a in \"$@\"; do printf ' [%s]' \"$a\"; done; echo\n\
             printf 'STDIN:'; cat; echo\n",
        )
        .unwrap();
        std::fs::set_permissions(&curl, std::fs::Permissions::from_mode(0o755)).unwrap();
        let run = |auth: &str| {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(script_in(dir.to_str().unwrap()))
                .args([
                    SCRIPT_NAME,
                    "GET",
                    "https://kubernetes.default.svc/api",
                    auth,
                ])
                .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            String::from_utf8(out.stdout).unwrap()
        };
        let said = run(WITH_TOKEN);
        let (argv, stdin) = said.split_once("STDIN:").unwrap();
        assert!(!argv.contains("s3cret-token"), "{said}");
        assert!(argv.contains("[-H] [@-]"), "{said}");
        assert!(
            stdin.contains("Authorization: Bearer s3cret-token"),
            "{said}"
        );
        let anonymous = run("anonymous");
        assert!(
            !anonymous.contains("s3cret-token") && !anonymous.contains("Authorization"),
            "{anonymous}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
