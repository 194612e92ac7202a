//! The kubectl commands a lesson's examples may use (`kubectl:` in
//! `examples:`), parsed without a cluster so `lessons lint` can point at a
//! typo. They are the learner's other road to a step — `kubectl label`,
//! `scale`, `rollout undo` instead of the editor's YAML — and
//! `cluster::kubectl` sends the same API requests kubectl sends for them.
//! Written without `kubectl` and without `-n`: every command acts in the
//! lesson namespace (a namespace in the command is an error).

mod args;

use args::{Args, key_change, key_values, number, seconds};

use std::collections::BTreeMap;

/// An object named as kubectl takes it: `deployment/web`, `deploy web`,
/// `pods shop-db`. The kind is as typed (resolved against discovery later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: String,
    pub name: String,
}

/// Objects named one by one, or every object of a kind matching a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets {
    Named(Vec<Target>),
    Selected { kind: String, selector: String },
}

/// `key=value` sets a label (or annotation), `key-` removes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChange {
    Set(String, String),
    Remove(String),
}

/// A RoleBinding's or ClusterRoleBinding's subject, as kubectl's flags give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// `--serviceaccount=NAMESPACE:NAME`
    ServiceAccount {
        namespace: String,
        name: String,
    },
    User(String),
    Group(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Strategic,
    Merge,
    Json,
}

/// `delete --cascade=…`: what happens to the object's dependents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cascade {
    /// The default: the owner goes at once, the garbage collector deletes
    /// its dependents afterwards.
    Background,
    /// Dependents first, then the owner.
    Foreground,
    /// The dependents stay, without their owner reference.
    Orphan,
}

/// What `kubectl wait --for=…` waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitFor {
    /// `condition=Available` (status "True"), `condition=Progressing=False`.
    Condition {
        type_: String,
        status: String,
    },
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `apply -f -`: the example's manifest, server-side applied by kubectl's
    /// field manager, with none of kubetutor's labels.
    Apply,
    /// `create -f -`: the example's manifest, created (POST).
    Create,
    CreateServiceAccount {
        name: String,
    },
    /// `create role NAME --verb=… --resource=… [--resource-name=…]`, and
    /// `create clusterrole` (which may take `--aggregation-rule=k=v` instead).
    CreateRole {
        cluster: bool,
        name: String,
        verbs: Vec<String>,
        resources: Vec<String>,
        resource_names: Vec<String>,
        aggregation_rule: BTreeMap<String, String>,
    },
    /// `create rolebinding NAME --role=R|--clusterrole=R --serviceaccount=NS:N…`,
    /// and `create clusterrolebinding NAME --clusterrole=R …`.
    CreateBinding {
        cluster: bool,
        name: String,
        role_kind: String,
        role: String,
        subjects: Vec<Subject>,
    },
    /// `create quota NAME --hard=cpu=1,pods=3`
    CreateQuota {
        name: String,
        hard: BTreeMap<String, String>,
    },
    /// `create job NAME --from=cronjob/CRON`
    CreateJobFromCronJob {
        name: String,
        cronjob: String,
    },
    /// `create deployment NAME --image=I [--replicas=N]`
    CreateDeployment {
        name: String,
        image: String,
        replicas: Option<i64>,
    },
    Label {
        targets: Targets,
        changes: Vec<KeyChange>,
        overwrite: bool,
    },
    Annotate {
        targets: Targets,
        changes: Vec<KeyChange>,
        overwrite: bool,
    },
    Scale {
        target: Target,
        replicas: i64,
    },
    /// `set image deployment/web CONTAINER=IMAGE` (`*=IMAGE`: every container).
    SetImage {
        target: Target,
        images: BTreeMap<String, String>,
    },
    RolloutUndo {
        target: Target,
        to_revision: Option<i64>,
    },
    RolloutRestart {
        target: Target,
    },
    Patch {
        target: Target,
        type_: PatchType,
        patch: serde_json::Value,
    },
    Delete {
        targets: Targets,
        cascade: Cascade,
    },
    Wait {
        target: Target,
        until: WaitFor,
        timeout_seconds: u64,
    },
}

impl Command {
    /// Reads the example's manifest (`-f -`).
    pub fn reads_manifest(&self) -> bool {
        matches!(self, Command::Apply | Command::Create)
    }
}

/// Splits a command line as a shell would (quotes, escapes) and parses it.
pub fn parse(line: &str) -> Result<Command, String> {
    let words = shlex::split(line).ok_or_else(|| format!("{line:?}: unbalanced quotes"))?;
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let words = match words.first() {
        Some(&"kubectl") => &words[1..],
        _ => &words[..],
    };
    let mut args = Args::split(words)?;
    let command = match (args.word(0), args.word(1)) {
        (Some("apply"), _) => {
            args.manifest_from_stdin()?;
            Command::Apply
        }
        (Some("create"), Some("serviceaccount" | "sa")) => Command::CreateServiceAccount {
            name: args.name(2, "the ServiceAccount")?,
        },
        (Some("create"), Some(kind @ ("role" | "clusterrole"))) => {
            let cluster = kind == "clusterrole";
            let aggregation_rule = match args.take("aggregation-rule") {
                Some(rule) => key_values(&rule)?,
                None => BTreeMap::new(),
            };
            let verbs = args.take_list("verb");
            let resources = args.take_list("resource");
            if aggregation_rule.is_empty() && (verbs.is_empty() || resources.is_empty()) {
                return Err(format!(
                    "create {kind} needs --verb and --resource (or, for a clusterrole, --aggregation-rule)"
                ));
            }
            Command::CreateRole {
                cluster,
                name: args.name(2, kind)?,
                verbs,
                resources,
                resource_names: args.take_list("resource-name"),
                aggregation_rule,
            }
        }
        (Some("create"), Some(kind @ ("rolebinding" | "clusterrolebinding"))) => {
            let cluster = kind == "clusterrolebinding";
            let (role_kind, role) = match (args.take("role"), args.take("clusterrole")) {
                (Some(role), None) if !cluster => ("Role", role),
                (None, Some(role)) => ("ClusterRole", role),
                _ if cluster => return Err("create clusterrolebinding needs --clusterrole".into()),
                _ => return Err("create rolebinding needs one of --role or --clusterrole".into()),
            };
            let mut subjects = Vec::new();
            for account in args.take_all("serviceaccount") {
                let (namespace, name) = account.split_once(':').ok_or_else(|| {
                    format!("--serviceaccount={account}: write it as NAMESPACE:NAME")
                })?;
                subjects.push(Subject::ServiceAccount {
                    namespace: namespace.into(),
                    name: name.into(),
                });
            }
            subjects.extend(args.take_all("user").into_iter().map(Subject::User));
            subjects.extend(args.take_all("group").into_iter().map(Subject::Group));
            Command::CreateBinding {
                cluster,
                name: args.name(2, kind)?,
                role_kind: role_kind.into(),
                role,
                subjects,
            }
        }
        (Some("create"), Some("quota" | "resourcequota")) => Command::CreateQuota {
            name: args.name(2, "the quota")?,
            hard: key_values(&args.require("hard")?)?,
        },
        (Some("create"), Some("job")) => {
            let from = args.require("from")?;
            let cronjob = from
                .strip_prefix("cronjob/")
                .or_else(|| from.strip_prefix("cronjobs/"))
                .or_else(|| from.strip_prefix("cj/"))
                .ok_or_else(|| format!("--from={from}: only --from=cronjob/NAME is supported"))?;
            Command::CreateJobFromCronJob {
                name: args.name(2, "the Job")?,
                cronjob: cronjob.into(),
            }
        }
        (Some("create"), Some("deployment" | "deploy")) => Command::CreateDeployment {
            name: args.name(2, "the Deployment")?,
            image: args.require("image")?,
            replicas: args.take("replicas").map(|r| number(&r)).transpose()?,
        },
        (Some("create"), _) => {
            args.manifest_from_stdin()?;
            Command::Create
        }
        (Some(verb @ ("label" | "annotate")), _) => {
            let overwrite = args.flag("overwrite");
            let (targets, rest) = args.targets(1, true)?;
            let changes = rest
                .iter()
                .map(|w| key_change(w))
                .collect::<Result<Vec<_>, _>>()?;
            if changes.is_empty() {
                return Err(format!("{verb}: give at least one key=value or key-"));
            }
            if verb == "label" {
                Command::Label {
                    targets,
                    changes,
                    overwrite,
                }
            } else {
                Command::Annotate {
                    targets,
                    changes,
                    overwrite,
                }
            }
        }
        (Some("scale"), _) => Command::Scale {
            replicas: number(&args.require("replicas")?)?,
            target: args.one_target(1)?,
        },
        (Some("set"), Some("image")) => {
            let (targets, rest) = args.targets(2, false)?;
            let Targets::Named(mut named) = targets else {
                unreachable!("targets(…, false) never selects")
            };
            if named.len() != 1 {
                return Err("set image: name one object (deployment/NAME)".into());
            }
            let images = rest
                .iter()
                .map(|w| {
                    w.split_once('=')
                        .map(|(c, i)| (c.to_string(), i.to_string()))
                        .ok_or_else(|| format!("{w:?}: write CONTAINER=IMAGE"))
                })
                .collect::<Result<BTreeMap<_, _>, _>>()?;
            if images.is_empty() {
                return Err("set image: give CONTAINER=IMAGE".into());
            }
            Command::SetImage {
                target: named.remove(0),
                images,
            }
        }
        (Some("rollout"), Some("undo")) => Command::RolloutUndo {
            to_revision: args
                .take("to-revision")
                .map(|r| number(&r))
                .transpose()?
                .filter(|r| *r != 0),
            target: args.one_target(2)?,
        },
        (Some("rollout"), Some("restart")) => Command::RolloutRestart {
            target: args.one_target(2)?,
        },
        (Some("patch"), _) => {
            let type_ = match args.take("type").as_deref() {
                None | Some("strategic") => PatchType::Strategic,
                Some("merge") => PatchType::Merge,
                Some("json") => PatchType::Json,
                Some(other) => {
                    return Err(format!("--type={other}: use strategic, merge or json"));
                }
            };
            let text = args
                .take("patch")
                .or_else(|| args.take("p"))
                .ok_or("patch needs -p '<JSON>'")?;
            let patch = serde_json::from_str(&text)
                .map_err(|e| format!("the patch {text:?} is not JSON: {e}"))?;
            Command::Patch {
                target: args.one_target(1)?,
                type_,
                patch,
            }
        }
        (Some("delete"), _) => {
            let cascade = match args.take("cascade").as_deref() {
                None | Some("background") | Some("true") => Cascade::Background,
                Some("foreground") => Cascade::Foreground,
                Some("orphan") | Some("false") => Cascade::Orphan,
                Some(other) => {
                    return Err(format!(
                        "--cascade={other}: use background, foreground or orphan"
                    ));
                }
            };
            let (targets, rest) = args.targets(1, true)?;
            if let Some(extra) = rest.first() {
                return Err(format!("delete: unexpected {extra:?}"));
            }
            Command::Delete { targets, cascade }
        }
        (Some("wait"), _) => {
            let until = match args.require("for")?.as_str() {
                "delete" => WaitFor::Delete,
                other => {
                    let condition = other.strip_prefix("condition=").ok_or_else(|| {
                        format!("--for={other}: use condition=TYPE[=STATUS] or delete")
                    })?;
                    let (type_, status) = condition.split_once('=').unwrap_or((condition, "True"));
                    WaitFor::Condition {
                        type_: type_.into(),
                        status: status.into(),
                    }
                }
            };
            let timeout_seconds = match args.take("timeout") {
                Some(t) => seconds(&t)?,
                None => 30,
            };
            Command::Wait {
                target: args.one_target(1)?,
                until,
                timeout_seconds,
            }
        }
        (Some(verb), _) => {
            return Err(format!(
                "kubectl {verb}: not one of the commands examples may use (apply, create, label, \
                 annotate, scale, set image, rollout undo|restart, patch, delete, wait)"
            ));
        }
        (None, _) => return Err("an empty kubectl command".into()),
    };
    args.done()?;
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Command {
        parse(line).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    fn named(kind: &str, name: &str) -> Targets {
        Targets::Named(vec![Target {
            kind: kind.into(),
            name: name.into(),
        }])
    }

    #[test]
    fn labels_set_and_remove_on_named_or_selected_objects() {
        assert_eq!(
            ok("label pod shop-db tier=db legacy- --overwrite"),
            Command::Label {
                targets: named("pod", "shop-db"),
                changes: vec![
                    KeyChange::Set("tier".into(), "db".into()),
                    KeyChange::Remove("legacy".into())
                ],
                overwrite: true,
            }
        );
        assert_eq!(
            ok("kubectl label pods -l app=shop team=blue"),
            Command::Label {
                targets: Targets::Selected {
                    kind: "pods".into(),
                    selector: "app=shop".into()
                },
                changes: vec![KeyChange::Set("team".into(), "blue".into())],
                overwrite: false,
            }
        );
        assert!(matches!(
            ok("annotate deployment/web kubernetes.io/change-cause='new image'"),
            Command::Annotate { .. }
        ));
    }

    #[test]
    fn workload_commands() {
        assert_eq!(
            ok("scale deploy/web --replicas=5"),
            Command::Scale {
                target: Target {
                    kind: "deploy".into(),
                    name: "web".into()
                },
                replicas: 5
            }
        );
        assert_eq!(
            ok("rollout undo deployment web --to-revision 2"),
            Command::RolloutUndo {
                target: Target {
                    kind: "deployment".into(),
                    name: "web".into()
                },
                to_revision: Some(2)
            }
        );
        assert!(matches!(
            ok("set image deployment/web web=nginx:1.28"),
            Command::SetImage { images, .. } if images["web"] == "nginx:1.28"
        ));
        assert!(matches!(
            ok("patch deployment web --type=merge -p '{\"spec\":{\"paused\":true}}'"),
            Command::Patch {
                type_: PatchType::Merge,
                ..
            }
        ));
        assert!(matches!(
            ok("wait --for=condition=Progressing=False deployment/web --timeout=90s"),
            Command::Wait { until: WaitFor::Condition { status, .. }, timeout_seconds: 90, .. } if status == "False"
        ));
    }

    #[test]
    fn generators_give_what_kubectl_would() {
        assert_eq!(
            ok("create role pod-reader --verb=get,list --verb=watch --resource=pods"),
            Command::CreateRole {
                cluster: false,
                name: "pod-reader".into(),
                verbs: vec!["get".into(), "list".into(), "watch".into()],
                resources: vec!["pods".into()],
                resource_names: vec![],
                aggregation_rule: BTreeMap::new(),
            }
        );
        assert!(matches!(
            ok("create rolebinding b --clusterrole=view --serviceaccount=ns:demo-sa"),
            Command::CreateBinding { role_kind, subjects, .. }
                if role_kind == "ClusterRole" && subjects.len() == 1
        ));
        assert!(matches!(
            ok("create quota q --hard=cpu=1,pods=3"),
            Command::CreateQuota { hard, .. } if hard["pods"] == "3"
        ));
        assert!(matches!(
            ok("create job now --from=cronjob/tick"),
            Command::CreateJobFromCronJob { cronjob, .. } if cronjob == "tick"
        ));
        assert_eq!(ok("apply -f -"), Command::Apply);
        assert!(matches!(
            ok("delete replicaset shop-api --cascade=orphan"),
            Command::Delete {
                cascade: Cascade::Orphan,
                ..
            }
        ));
        assert_eq!(ok("create -f -"), Command::Create);
    }

    #[test]
    fn mistakes_in_a_command_are_named() {
        for (line, words) in [
            ("label pod x tier=db -n other", "lesson namespace"),
            ("apply -f pod.yaml", "write -f -"),
            ("scale deploy/web", "--replicas is required"),
            ("create role r --resource=pods", "needs --verb"),
            ("rollout status deploy/web", "not one of the commands"),
            ("label pod", "which one"),
            ("delete pod x --grace-period=0", "not an option"),
            (
                "delete rs x --cascade=sideways",
                "background, foreground or orphan",
            ),
            ("patch deploy/web -p '{nope'", "not JSON"),
            (
                "create rolebinding b --role=r --serviceaccount=demo-sa",
                "NAMESPACE:NAME",
            ),
            ("label pod x 'tier=db", "unbalanced quotes"),
        ] {
            let err = parse(line).unwrap_err();
            assert!(err.contains(words), "{line}: {err}");
        }
    }
}
