//! `${NAME}` template variables in lesson files. Only `${NAMESPACE}` exists;
//! any other name is an error rather than silently left in place.

/// The variable as written: what a lesson parsed without substitution holds.
pub const PLACEHOLDER: &str = "${NAMESPACE}";

/// Replaces `${NAMESPACE}`; returns the first unknown variable as Err((offset, name)).
pub fn substitute(text: &str, namespace: &str) -> Result<String, (usize, String)> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err((offset + start, "${ without a closing }".into()));
        };
        match &after[..end] {
            "NAMESPACE" => out.push_str(namespace),
            other => return Err((offset + start, other.to_string())),
        }
        let consumed = start + 2 + end + 1;
        offset += consumed;
        rest = &rest[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_is_substituted_everywhere() {
        assert_eq!(
            substitute("ns: ${NAMESPACE}, sub: a:${NAMESPACE}:b", "x").unwrap(),
            "ns: x, sub: a:x:b"
        );
    }

    #[test]
    fn unknown_variables_are_reported_with_their_offset() {
        assert_eq!(
            substitute("a ${NAMESPCE}", "x"),
            Err((2, "NAMESPCE".to_string()))
        );
        assert!(substitute("a ${NAMESPACE", "x").is_err());
    }
}
