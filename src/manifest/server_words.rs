//! The API server's refusals in plain words. It names the field by path and
//! the problem in its own terms (`field not declared in schema`, `Required
//! value`); the learner needs the field, what is wrong, and what to do.

use super::locate::{self, Segment};

/// A refusal about one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub path: Vec<Segment>,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not a field where it is written (a typo, or the wrong indentation).
    Unknown,
    /// Missing, and the kind needs it; the server's detail, if any.
    Required(String),
    /// Present with a value the server refuses: (value, why).
    Invalid(String, String),
    /// Anything else the server says about the field.
    Other(String),
}

/// The first field problem in a server message, if it names one.
pub fn field_problem(message: &str) -> Option<FieldProblem> {
    // Server-side apply's typed patch: `… (ns/p; /v1, Kind=Pod): .spec.x: field not declared in schema`.
    if let Some(before) = message.split(": field not declared in schema").next()
        && before.len() < message.len()
    {
        let path = before.rsplit(": ").next()?;
        return Some(FieldProblem {
            path: locate::segments(path)?,
            problem: Problem::Unknown,
        });
    }
    // Strict field validation: `unknown field "spec.x"`.
    if let Some(rest) = message.split("unknown field \"").nth(1) {
        return Some(FieldProblem {
            path: locate::segments(rest.split('"').next()?)?,
            problem: Problem::Unknown,
        });
    }
    // Validation: `Kind "name" is invalid: [path: Reason: detail, …]`.
    let listed = message
        .split(" is invalid: ")
        .nth(1)?
        .trim_start_matches('[');
    let (path, rest) = listed.split_once(": ")?;
    let path = locate::segments(path)?;
    let first = first_item(rest).trim_end_matches(']');
    let problem = if let Some(detail) = first.strip_prefix("Required value") {
        Problem::Required(detail.trim_start_matches(": ").to_string())
    } else if let Some(rest) = first.strip_prefix("Invalid value: ") {
        let (value, why) = rest.split_once(": ").unwrap_or((rest, ""));
        Problem::Invalid(value.to_string(), why.to_string())
    } else {
        Problem::Other(first.to_string())
    };
    Some(FieldProblem { path, problem })
}

/// The first of several problems the server lists as `a: …, b: …`. A
/// detail may hold ", " itself (`valid values: "OnFailure", "Never"`): an
/// item ends only where a field path and ": " follow.
fn first_item(rest: &str) -> &str {
    for (at, _) in rest.match_indices(", ") {
        let next = &rest[at + 2..];
        if let Some((path, _)) = next.split_once(": ")
            && !path.contains(' ')
            && locate::segments(path).is_some()
        {
            return &rest[..at];
        }
    }
    rest
}

impl FieldProblem {
    /// The field's own name (the path's last key).
    pub fn field(&self) -> &str {
        self.path
            .iter()
            .rev()
            .find_map(|s| match s {
                Segment::Key(k) => Some(k.as_str()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Where the field is written: the path without its last key.
    pub fn parent(&self) -> &[Segment] {
        &self.path[..self.path.len().saturating_sub(1)]
    }

    /// What to tell the learner. `belongs_under` is where the server would
    /// accept an unknown field, when that was found out.
    /// `written` says whether the field is in the manifest: the server says
    /// "Required value" for a value it does not accept, too.
    pub fn plain(&self, belongs_under: Option<&[Segment]>, written: bool) -> String {
        let field = self.field();
        let path = locate::show(&self.path);
        match &self.problem {
            Problem::Unknown => match belongs_under {
                Some(place) => format!(
                    "{field} belongs under {}, not under {}: move it there (indent it like the other fields of {}).",
                    place_words(place),
                    place_words(self.parent()),
                    place_words(place),
                ),
                None => format!(
                    "{field} is not a field of {}: check its spelling and its indentation.",
                    place_words(self.parent())
                ),
            },
            Problem::Required(detail) if written => {
                format!("{path} needs another value: {detail}")
            }
            Problem::Required(detail) => {
                let why = if detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({detail})")
                };
                format!(
                    "{path} is missing and required{why}: add {field}: under {}.",
                    place_words(self.parent())
                )
            }
            Problem::Invalid(value, why) => {
                format!("{path} cannot be {value}: {why}")
            }
            Problem::Other(said) => format!("{path}: {said}"),
        }
    }
}

/// `spec` → "spec"; `spec.containers[name="a"]` → "a container
/// (spec.containers[name="a"])"; the root → "the top level".
fn place_words(path: &[Segment]) -> String {
    if path.is_empty() {
        return "the top level".into();
    }
    let shown = locate::show(path);
    match path {
        [
            ..,
            Segment::Key(list),
            Segment::Index(_) | Segment::Entry { .. },
        ] => {
            let one = list
                .strip_suffix('s')
                .filter(|_| !list.ends_with("ss"))
                .unwrap_or(list);
            let article = if one.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!("{article} {one} ({shown})")
        }
        _ => shown,
    }
}

/// Every ancestor of `parent`, nearest first, the root last: where an
/// unknown field might belong instead.
pub fn ancestors(parent: &[Segment]) -> Vec<&[Segment]> {
    (0..parent.len())
        .rev()
        .map(|len| &parent[..len])
        // A list (a plural key, see below) holds entries, not fields.
        .filter(|p| !matches!(p.last(), Some(Segment::Key(_))) || is_mapping_key(p))
        .collect()
}

/// Whether the segment path ends on a key (a mapping) rather than a list:
/// `spec.containers` is a list, `spec` a mapping. A list holds entries, not
/// fields; without the schema, a plural key is taken for a list.
fn is_mapping_key(path: &[Segment]) -> bool {
    match path.last() {
        Some(Segment::Key(k)) => !k.ends_with('s') || k.ends_with("ss"),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPED: &str = r#"failed to create typed patch object (lab/pod-demo-sa; /v1, Kind=Pod): .spec.containers[name="alpine"].serviceAccountName: field not declared in schema"#;

    #[test]
    fn a_misplaced_field_says_where_it_belongs() {
        let problem = field_problem(TYPED).unwrap();
        assert_eq!(problem.field(), "serviceAccountName");
        let spec = [Segment::Key("spec".into())];
        assert_eq!(
            problem.plain(Some(&spec), true),
            r#"serviceAccountName belongs under spec, not under a container (spec.containers[name="alpine"]): move it there (indent it like the other fields of spec)."#
        );
        assert_eq!(
            problem.plain(None, true),
            r#"serviceAccountName is not a field of a container (spec.containers[name="alpine"]): check its spelling and its indentation."#
        );
    }

    #[test]
    fn strict_validation_and_required_values_read_plainly() {
        let strict =
            field_problem(r#".spec.x: field not declared in schema, unknown field "spec.imagee""#)
                .unwrap();
        assert_eq!(strict.field(), "x");
        let required = field_problem(
            r#"Role.rbac.authorization.k8s.io "list-pods" is invalid: rules[0].apiGroups: Required value: resource rules must supply at least one api group"#,
        )
        .unwrap();
        assert_eq!(
            required.plain(None, false),
            "rules[0].apiGroups is missing and required (resource rules must supply at least one api group): add apiGroups: under a rule (rules[0])."
        );
        let invalid = field_problem(
            r#"Pod "x" is invalid: [spec.containers[0].name: Invalid value: "Alpine": a lowercase RFC 1123 label must consist of lower case alphanumeric characters, spec.x: Required value]"#,
        )
        .unwrap();
        assert!(
            invalid
                .plain(None, true)
                .starts_with(r#"spec.containers[0].name cannot be "Alpine": a lowercase RFC 1123"#)
        );
        assert_eq!(field_problem("etcdserver: request timed out"), None);
    }

    #[test]
    fn a_detail_with_commas_is_kept_whole_and_a_written_value_is_not_called_missing() {
        let job = field_problem(
            r#"Job.batch "batch" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never""#,
        )
        .unwrap();
        assert_eq!(
            job.plain(None, true),
            r#"spec.template.spec.restartPolicy needs another value: valid values: "OnFailure", "Never""#
        );
        let two = field_problem(
            r#"Pod "x" is invalid: [spec.a: Required value: one, two, spec.b: Invalid value: "c": no]"#,
        )
        .unwrap();
        assert_eq!(two.problem, Problem::Required("one, two".into()));
    }

    #[test]
    fn the_places_to_try_are_mappings_nearest_first() {
        let problem = field_problem(TYPED).unwrap();
        let tried: Vec<String> = ancestors(problem.parent())
            .into_iter()
            .map(locate::show)
            .collect();
        assert_eq!(tried, ["spec", ""]);
    }
}
