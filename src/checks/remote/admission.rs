//! `rejected`: the API server refuses a manifest. The check asks for a
//! server-side dry run (nothing is stored) and reads the refusal, so it holds
//! whatever refuses it — a ResourceQuota, a LimitRange, Pod Security
//! Admission, validation — as long as the message matches.

use super::RemoteContext;
use crate::checks::outcome::Outcome;
use crate::cluster::apply::{self, ApplyTarget, DryRun};
use crate::lesson::model::RejectedCheck;

pub async fn rejected(c: &RejectedCheck, ctx: &RemoteContext<'_>) -> Outcome {
    let Some(kinds) = ctx.kinds else {
        return Outcome::undecided("a dry run needs the cluster's kinds, which are not known here");
    };
    let target = ApplyTarget {
        namespace: ctx.namespace,
        lesson: ctx.lesson,
    };
    match apply::dry_run(kinds, &c.manifest, &target).await {
        Ok(answer) => verdict(c, &answer),
        Err(err) => Outcome::fail(format!("the manifest of this check cannot be sent: {err}")),
    }
}

/// The check's outcome given the server's answer to the dry run.
pub fn verdict(c: &RejectedCheck, answer: &DryRun) -> Outcome {
    let pattern = match crate::syntax::pattern::compile(&c.matches) {
        Ok(pattern) => pattern,
        Err(e) => return Outcome::fail(e),
    };
    match answer {
        DryRun::Accepted => Outcome::fail(format!(
            "The API server still accepts {}: nothing refuses it yet",
            described(c)
        )),
        DryRun::Refused { object, message } if pattern.is_match(message) => {
            Outcome::pass(format!("The API server refuses {object}: {message}"))
        }
        DryRun::Refused { object, message } => Outcome::fail(format!(
            "The API server refuses {object}, but not for the reason this step is about \
             (/{}/): {message}",
            c.matches
        )),
        DryRun::Unreachable(why) => {
            Outcome::undecided(format!("could not ask the API server: {why}"))
        }
    }
}

/// "Pod big" for the first document of the manifest.
fn described(c: &RejectedCheck) -> String {
    crate::manifest::parse(&c.manifest, "")
        .ok()
        .and_then(|docs| docs.into_iter().next())
        .map_or("the manifest".into(), |m| format!("{} {}", m.kind, m.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check() -> RejectedCheck {
        crate::yaml::from_str(
            "manifest: |\n  apiVersion: v1\n  kind: Pod\n  metadata: {name: big}\n  spec:\n    containers: [{name: c, image: busybox}]\nmatches: 'exceeded quota'",
        )
        .unwrap()
    }

    #[test]
    fn passes_only_on_a_refusal_that_matches() {
        assert_eq!(
            verdict(&check(), &DryRun::Accepted),
            Outcome::fail("The API server still accepts Pod big: nothing refuses it yet")
        );
        let quota = DryRun::Refused {
            object: "Pod big".into(),
            message: "pods \"big\" is forbidden: exceeded quota: q, requested: pods=1".into(),
        };
        assert!(verdict(&check(), &quota).passed);
        let other = DryRun::Refused {
            object: "Pod big".into(),
            message: "pods \"big\" is forbidden: violates PodSecurity \"restricted:latest\"".into(),
        };
        let outcome = verdict(&check(), &other);
        assert!(
            !outcome.passed && outcome.message.contains("not for the reason"),
            "{outcome:?}"
        );
        let outcome = verdict(&check(), &DryRun::Unreachable("connection refused".into()));
        assert!(outcome.undecided, "{outcome:?}");
    }
}
