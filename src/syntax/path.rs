//! The small path syntax checks use to point into an object or a JSON body:
//! dot-separated keys with `[N]` list indexes, e.g. `spec.ports[0].port`.
//!
//! Keys may themselves contain dots (`kubernetes.io` in token claims): lookup
//! tries the longest run of segments that is a key first, so
//! `kubernetes.io.namespace` finds `{"kubernetes.io": {"namespace": ..}}`.

use serde_json::Value;

use crate::tree::Tree;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Parses a path, or says what is wrong with it.
pub fn parse(path: &str) -> Result<Vec<Segment>, String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    let mut segments = Vec::new();
    for part in path.split('.') {
        let (key, mut indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && (segments.is_empty() || indexes.is_empty()) {
            return Err(format!("empty key in path {path:?}"));
        }
        if !key.is_empty() {
            segments.push(Segment::Key(key.to_string()));
        }
        while !indexes.is_empty() {
            let close = indexes
                .find(']')
                .ok_or_else(|| format!("missing ] in path {path:?}"))?;
            let number = indexes[1..close].parse::<usize>().map_err(|_| {
                format!(
                    "{:?} is not a list index in path {path:?}",
                    &indexes[1..close]
                )
            })?;
            segments.push(Segment::Index(number));
            indexes = &indexes[close + 1..];
            if !indexes.is_empty() && !indexes.starts_with('[') {
                return Err(format!("unexpected {indexes:?} after ] in path {path:?}"));
            }
        }
    }
    Ok(segments)
}

/// The value at `path` in `value`, if there is one.
pub fn lookup<'a>(value: &'a Tree, path: &str) -> Option<&'a Tree> {
    let segments = parse(path).ok()?;
    lookup_segments(value, &segments)
}

fn lookup_segments<'a>(value: &'a Tree, segments: &[Segment]) -> Option<&'a Tree> {
    let Some(first) = segments.first() else {
        return Some(value);
    };
    match first {
        Segment::Index(i) => lookup_segments(value.as_array()?.get(*i)?, &segments[1..]),
        Segment::Key(_) => {
            let object = value.as_object()?;
            // Longest run of keys joined by '.' that names a key here, first.
            let run = segments
                .iter()
                .take_while(|s| matches!(s, Segment::Key(_)))
                .count();
            (1..=run).rev().find_map(|n| {
                let key = segments[..n]
                    .iter()
                    .map(|s| match s {
                        Segment::Key(k) => k.as_str(),
                        Segment::Index(_) => unreachable!(),
                    })
                    .collect::<Vec<_>>()
                    .join(".");
                lookup_segments(object.get(&key)?, &segments[n..])
            })
        }
    }
}

/// A value as a person reads it: strings without quotes, the rest as JSON.
pub fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_keys_and_indexes() {
        assert_eq!(
            parse("spec.ports[0].port").unwrap(),
            vec![
                Segment::Key("spec".into()),
                Segment::Key("ports".into()),
                Segment::Index(0),
                Segment::Key("port".into())
            ]
        );
        assert_eq!(parse("items[1][2]").unwrap().len(), 3);
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in ["", "a..b", "a[x]", "a[1", "a[1]b", ".a"] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn looks_up_nested_values_and_dotted_keys() {
        let v = Tree::from(json!({
            "spec": {"ports": [{"port": 443}]},
            "kubernetes.io": {"namespace": "default", "serviceaccount": {"name": "demo-sa"}},
            "sub": "system:serviceaccount:default:demo-sa"
        }));
        let at = |path| lookup(&v, path).map(Tree::to_value);
        assert_eq!(at("spec.ports[0].port"), Some(json!(443)));
        assert_eq!(at("kubernetes.io.namespace"), Some(json!("default")));
        assert_eq!(
            at("kubernetes.io.serviceaccount.name"),
            Some(json!("demo-sa"))
        );
        assert_eq!(lookup(&v, "spec.ports[1].port"), None);
        assert_eq!(lookup(&v, "spec.nothing"), None);
    }
}
