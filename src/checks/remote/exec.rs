//! `exec`: a command in a container exits 0 and prints what is expected.
//! Only a real node runs containers; on kwok's fake nodes (the lab) the check
//! is undecided with the reason, never tried (lessons with exec checks
//! `require` containers and do not start there).

use super::RemoteContext;
use crate::checks::outcome::Outcome;
use crate::cluster::pod_exec::{self, Ran};
use crate::lesson::model::ExecCheck;

pub async fn exec(c: &ExecCheck, ctx: &RemoteContext<'_>) -> Outcome {
    let Some(pod) = ctx.snapshot.get("Pod", ctx.namespace, &c.pod) else {
        return Outcome::fail(format!("No Pod named {} in {} yet", c.pod, ctx.namespace));
    };
    if !pod_exec::runs_containers(ctx.client, pod).await {
        return Outcome::undecided(format!(
            "Pod {} runs no real container (not started yet, or on a simulated node): \
             an exec check needs a cluster whose Pods run containers",
            c.pod
        ));
    }
    match pod_exec::run(
        ctx.client,
        ctx.namespace,
        &c.pod,
        c.container.as_deref(),
        &c.command,
    )
    .await
    {
        Ok(ran) => verdict(c, &ran),
        Err(why) => Outcome::undecided(why),
    }
}

/// The check's outcome given what the command did.
pub fn verdict(c: &ExecCheck, ran: &Ran) -> Outcome {
    let command = c.command.join(" ");
    let said = ran.output.trim();
    if !ran.succeeded {
        return Outcome::fail(format!("`{command}` in Pod {} failed: {said}", c.pod));
    }
    if let Some(pattern) = &c.output {
        match crate::syntax::pattern::compile(pattern) {
            Ok(regex) if regex.is_match(said) => {}
            Ok(_) => {
                return Outcome::fail(format!(
                    "`{command}` in Pod {} printed {said:?}, which does not match /{pattern}/",
                    c.pod
                ));
            }
            Err(e) => return Outcome::fail(e),
        }
    }
    Outcome::pass(format!("`{command}` in Pod {}: {said}", c.pod))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check() -> ExecCheck {
        crate::yaml::from_str("{pod: web, command: [cat, /etc/hostname], output: '^web$'}").unwrap()
    }

    #[test]
    fn exit_status_and_output_decide() {
        let ran = |output: &str, succeeded| Ran {
            output: output.into(),
            succeeded,
        };
        assert!(verdict(&check(), &ran("web\n", true)).passed);
        assert_eq!(
            verdict(&check(), &ran("db\n", true)).message,
            "`cat /etc/hostname` in Pod web printed \"db\", which does not match /^web$/"
        );
        assert!(!verdict(&check(), &ran("No such file", false)).passed);
    }
}
