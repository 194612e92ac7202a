//! How far the lab's build is, from the `@plan`, `@start` and `@done` lines
//! build.sh writes for kubetutor (`KUBETUTOR_LAB_PROGRESS=1`), and the one
//! line the tutor's status bar shows for it: component N of M, the time
//! since the build began, and what is left by the last build on this machine
//! (build.sh keeps each component's time in its cache folder).

use std::time::{Duration, Instant};

/// One machine line of build.sh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildEvent {
    /// `@plan TOTAL SECONDS|- [ID…]`: this many components to build; the last
    /// build of each of them here took SECONDS in all (`-`: one was never
    /// built here); their names, in build order, when the script gives them
    /// (kubetutor then starts each as soon as it is built: `arrivals`).
    Plan {
        total: usize,
        estimate: Option<Duration>,
        components: Option<Vec<String>>,
    },
    /// `@start N ID`: component N (from 1) begins.
    Start { index: usize, component: String },
    /// `@done N ID SECONDS`: component N is built and installed.
    Done {
        index: usize,
        component: String,
        took: Duration,
    },
}

impl BuildEvent {
    /// The event of a stderr line of build.sh, None for the lines meant for people.
    pub fn parse(line: &str) -> Option<BuildEvent> {
        let mut words = line.strip_prefix('@')?.split_whitespace();
        let verb = words.next()?;
        let mut number = || words.next()?.parse::<u64>().ok();
        let event = match verb {
            "plan" => {
                let total = number()? as usize;
                // `-` does not parse: no estimate.
                let estimate = number().map(Duration::from_secs);
                let components: Vec<String> = words.map(str::to_string).collect();
                BuildEvent::Plan {
                    total,
                    estimate,
                    components: (components.len() == total).then_some(components),
                }
            }
            "start" => BuildEvent::Start {
                index: number()? as usize,
                component: words.next()?.to_string(),
            },
            "done" => {
                let index = number()? as usize;
                let component = words.next()?.to_string();
                let took = Duration::from_secs(words.next()?.parse().ok()?);
                BuildEvent::Done {
                    index,
                    component,
                    took,
                }
            }
            _ => return None,
        };
        Some(event)
    }
}

/// The build as far as its events tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildProgress {
    pub began: Instant,
    /// Components to build this time (0 until the plan is known).
    pub total: usize,
    /// Components built and installed.
    pub done: usize,
    /// The component being built, if one is.
    pub building: Option<String>,
    /// What the last build of these components on this machine took.
    pub estimate: Option<Duration>,
}

impl BuildProgress {
    pub fn new(began: Instant) -> BuildProgress {
        BuildProgress {
            began,
            total: 0,
            done: 0,
            building: None,
            estimate: None,
        }
    }

    pub fn apply(&mut self, event: &BuildEvent) {
        match event {
            BuildEvent::Plan {
                total, estimate, ..
            } => {
                self.total = *total;
                self.estimate = *estimate;
            }
            BuildEvent::Start { component, .. } => self.building = Some(component.clone()),
            BuildEvent::Done { index, .. } => {
                self.done = *index;
                self.building = None;
            }
        }
    }

    /// "building kube-apiserver (3 of 6) · 2 min 10 s · about 4 min
    /// left by the last build here", as of `now`.
    pub fn line(&self, now: Instant) -> String {
        let elapsed = now.saturating_duration_since(self.began);
        let what = match (&self.building, self.total) {
            (_, 0) => "its build starts".to_string(),
            (Some(component), total) => {
                format!("building {component} ({} of {total})", self.done + 1)
            }
            (None, total) => format!("{} of {total} built", self.done),
        };
        let time = match self.estimate {
            None if self.total == 0 => clock(elapsed),
            None => format!(
                "{} (first build here: about 6 min on 2 cores)",
                clock(elapsed)
            ),
            Some(estimate) if estimate > elapsed => format!(
                "{} of about {} (the last build here)",
                clock(elapsed),
                clock(estimate)
            ),
            Some(estimate) => format!(
                "{}, longer than the last build here ({})",
                clock(elapsed),
                clock(estimate)
            ),
        };
        format!("{what} · {time}")
    }
}
/// "2 min 05 s", or "40 s" under a minute.
pub fn clock(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds < 60 {
        format!("{seconds} s")
    } else {
        format!("{} min {:02} s", seconds / 60, seconds % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_lines_parse_and_people_lines_do_not() {
        assert_eq!(
            BuildEvent::parse("@plan 6 411"),
            Some(BuildEvent::Plan {
                total: 6,
                estimate: Some(Duration::from_secs(411)),
                components: None,
            })
        );
        assert_eq!(
            BuildEvent::parse("@plan 2 - etcd kube-apiserver"),
            Some(BuildEvent::Plan {
                total: 2,
                estimate: None,
                components: Some(vec!["etcd".into(), "kube-apiserver".into()]),
            })
        );
        assert_eq!(
            BuildEvent::parse("@plan 6 -"),
            Some(BuildEvent::Plan {
                total: 6,
                estimate: None,
                components: None,
            })
        );
        assert_eq!(
            BuildEvent::parse("@start 3 kube-apiserver"),
            Some(BuildEvent::Start {
                index: 3,
                component: "kube-apiserver".into()
            })
        );
        assert_eq!(
            BuildEvent::parse("@done 3 kube-apiserver 187"),
            Some(BuildEvent::Done {
                index: 3,
                component: "kube-apiserver".into(),
                took: Duration::from_secs(187)
            })
        );
        for line in [
            "lab build: [3/6] kube-apiserver: building",
            "@start three kube-apiserver",
            "@done 3 kube-apiserver",
            "@launch 1 etcd",
            "",
        ] {
            assert_eq!(BuildEvent::parse(line), None, "{line:?}");
        }
    }

    fn at(progress: &BuildProgress, seconds: u64) -> String {
        progress.line(progress.began + Duration::from_secs(seconds))
    }

    #[test]
    fn the_line_counts_components_and_tells_the_time_left_by_the_last_build() {
        let mut progress = BuildProgress::new(Instant::now());
        assert_eq!(at(&progress, 2), "its build starts · 2 s");
        for event in [
            "@plan 6 411",
            "@start 1 etcd",
            "@done 1 etcd 50",
            "@start 2 kwok",
            "@done 2 kwok 40",
            "@start 3 kube-apiserver",
        ] {
            progress.apply(&BuildEvent::parse(event).unwrap());
        }
        assert_eq!(
            at(&progress, 130),
            "building kube-apiserver (3 of 6) · 2 min 10 s of \
             about 6 min 51 s (the last build here)"
        );
        // Slower than last time: said so, never a negative time.
        assert_eq!(
            at(&progress, 500),
            "building kube-apiserver (3 of 6) · 8 min 20 s, \
             longer than the last build here (6 min 51 s)"
        );
        progress.apply(&BuildEvent::parse("@done 3 kube-apiserver 200").unwrap());
        assert_eq!(progress.done, 3);
        assert!(
            at(&progress, 300).starts_with("3 of 6 built · 5 min 00 s of about"),
            "{}",
            at(&progress, 300)
        );
    }

    #[test]
    fn a_first_build_says_so_instead_of_an_estimate() {
        let mut progress = BuildProgress::new(Instant::now());
        progress.apply(&BuildEvent::parse("@plan 6 -").unwrap());
        progress.apply(&BuildEvent::parse("@start 1 etcd").unwrap());
        assert_eq!(
            at(&progress, 45),
            "building etcd (1 of 6) · 45 s (first build here: about \
             6 min on 2 cores)"
        );
    }
}
