//! `kubetutor doctor`: everything kubetutor depends on, one line each, with
//! what to do when it is wrong. Exits non-zero when something blocks the
//! lesson (no usable cluster, a lesson that does not load, rights the lesson
//! cannot do without); what only limits it is a warning.

mod cluster;
mod machine;

use std::fmt;
use std::process::ExitCode;

use super::{ClusterArgs, LessonArgs};

/// How one finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Ok,
    /// Works, but less well, or only part of it does.
    Warn,
    /// The tutor cannot be used for the lesson until this is fixed.
    Block,
}

/// One line of the report and, when it is not fine, what to do.
#[derive(Debug, Clone)]
pub struct Finding {
    pub topic: &'static str,
    pub verdict: Verdict,
    pub text: String,
    pub fix: Option<String>,
}

impl Finding {
    pub fn ok(topic: &'static str, text: impl Into<String>) -> Finding {
        Finding {
            topic,
            verdict: Verdict::Ok,
            text: text.into(),
            fix: None,
        }
    }
    pub fn warn(topic: &'static str, text: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            topic,
            verdict: Verdict::Warn,
            text: text.into(),
            fix: Some(fix.into()),
        }
    }
    pub fn block(topic: &'static str, text: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            topic,
            verdict: Verdict::Block,
            text: text.into(),
            fix: Some(fix.into()),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = match self.verdict {
            Verdict::Ok => "ok   ",
            Verdict::Warn => "warn ",
            Verdict::Block => "BLOCK",
        };
        write!(f, "{mark} {:<11} {}", self.topic, self.text)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n{:<18}→ {fix}", "")?;
        }
        Ok(())
    }
}

/// Prints every finding as it comes; exit 1 when any blocks, else 0.
pub async fn run(lesson: &LessonArgs, cluster: &ClusterArgs) -> anyhow::Result<ExitCode> {
    let mut worst = Verdict::Ok;
    let mut report = |finding: Finding| {
        worst = worst.max(finding.verdict);
        println!("{finding}");
    };
    for finding in machine::findings().await {
        report(finding);
    }
    for finding in cluster::findings(lesson, cluster).await {
        report(finding);
    }
    report(machine::terminal());
    Ok(if worst == Verdict::Block {
        println!("something blocks: fix the BLOCK lines above, then run `kubetutor doctor` again");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
