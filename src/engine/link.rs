//! How the engine's connection stands, in words for the status bar and for
//! `verify`: connected (and what it cannot see), or reconnecting and why.

use std::time::Duration;

/// The connection as the learner should read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Every followed scope is in sync. `limited` names what the current
    /// user may not see (empty for a cluster admin).
    Connected { limited: Vec<String> },
    /// Something is not in sync: why, and when the next try is.
    Reconnecting { reason: String, retry_in: Duration },
    /// The server answers again; these scopes are being listed anew.
    Resyncing { what: Vec<String> },
    /// Just started: these scopes are being listed for the first time (the
    /// steps that read them wait; the others are already answered).
    Reading { what: Vec<String> },
}

impl Link {
    pub fn is_connected(&self) -> bool {
        matches!(self, Link::Connected { .. })
    }

    /// "connected", "connected · limited view: Pods in lab",
    /// "reconnecting (API server not ready: shutdown failing; next try in 1 s)".
    pub fn describe(&self) -> String {
        match self {
            Link::Connected { limited } if limited.is_empty() => "connected".into(),
            Link::Connected { limited } => {
                format!("connected · limited view: {}", limited.join(", "))
            }
            Link::Reconnecting { reason, retry_in } => {
                let seconds = retry_in.as_secs_f64().ceil().max(1.0) as u64;
                format!("reconnecting ({reason}; next try in {seconds} s)")
            }
            Link::Resyncing { what } => format!("resyncing {}…", what.join(", ")),
            Link::Reading { what } => format!("reading {}…", what.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_words_say_what_is_wrong_and_when_it_is_tried_again() {
        assert_eq!(Link::Connected { limited: vec![] }.describe(), "connected");
        assert_eq!(
            Link::Connected {
                limited: vec![
                    "ClusterRoles".into(),
                    "Service kubernetes in default".into()
                ]
            }
            .describe(),
            "connected · limited view: ClusterRoles, Service kubernetes in default"
        );
        assert_eq!(
            Link::Reconnecting {
                reason: "API server not ready: shutdown failing".into(),
                retry_in: Duration::from_millis(300)
            }
            .describe(),
            "reconnecting (API server not ready: shutdown failing; next try in 1 s)"
        );
    }
}
