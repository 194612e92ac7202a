//! The API server's own readiness, asked once a second. Watches alone cannot
//! tell a server that is shutting down: after SIGTERM it drains for tens of
//! seconds, keeping open watches open while it no longer serves new
//! requests, and the tutor would say "connected" throughout. `/readyz` fails
//! the moment shutdown begins, and is readable by anyone on a default
//! cluster (the `system:public-info-viewer` ClusterRole).

use std::time::Duration;

use kube::Client;
use tokio::sync::mpsc;

/// How often readiness is asked.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// One answer: Ok when ready, else why not.
pub type Readiness = Result<(), String>;

/// The reason a `/readyz` body gives for not being ready: its failed checks.
pub fn not_ready_reason(body: &str) -> String {
    let failed: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("[-]"))
        .map(|l| l.split_whitespace().next().unwrap_or(l))
        .collect();
    if failed.is_empty() {
        body.lines()
            .next()
            .unwrap_or("not ready")
            .trim()
            .to_string()
    } else {
        format!("{} failing", failed.join(", "))
    }
}

async fn ask(client: &Client) -> Option<Readiness> {
    let request = http::Request::get("/readyz?verbose")
        .body(Vec::new())
        .expect("a static request");
    let answer = tokio::time::timeout(INTERVAL, client.send(request.map(Into::into))).await;
    match answer {
        Err(_) => Some(Err("no answer to /readyz within 1 s".into())),
        Ok(Err(err)) => Some(Err(format!(
            "cannot reach the API server: {}",
            short_error(&err)
        ))),
        Ok(Ok(response)) => {
            let status = response.status();
            if status.is_success() {
                return Some(Ok(()));
            }
            if matches!(status.as_u16(), 401 | 403 | 404) {
                return None; // this cluster does not let us ask: rely on the watches
            }
            let body = response
                .into_body()
                .collect_bytes()
                .await
                .unwrap_or_default();
            Some(Err(format!(
                "API server not ready: {}",
                not_ready_reason(&String::from_utf8_lossy(&body))
            )))
        }
    }
}

/// The innermost cause of a transport error, e.g. "Connection refused (os error 111)".
pub fn short_error(err: &dyn std::error::Error) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// Sends each answer until the receiver is gone, or stops when the cluster
/// does not allow asking.
pub fn spawn(
    client: Client,
    answers: mpsc::UnboundedSender<Readiness>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(answer) = ask(&client).await else {
                return;
            };
            if answers.send(answer).is_err() {
                return;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failed_checks_are_the_reason() {
        let body =
            "[+]ping ok\n[+]etcd ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n";
        assert_eq!(not_ready_reason(body), "shutdown failing");
        assert_eq!(
            not_ready_reason("Service Unavailable"),
            "Service Unavailable"
        );
    }
}
