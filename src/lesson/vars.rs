//! `${NAME}` template variables in lesson files: `${NAMESPACE}` (the lesson
//! namespace) and `${POD_IMAGE}` (the image lesson Pods run). Any other name
//! is an error rather than silently left in place.

/// The variable as written: what a lesson parsed without substitution holds.
pub const PLACEHOLDER: &str = "${NAMESPACE}";

/// `${POD_IMAGE}` on a cluster that pulls images: a small image with a shell.
pub const DEFAULT_POD_IMAGE: &str = "alpine:3.15";

/// Replaces `${NAMESPACE}` and `${POD_IMAGE}`; returns the first unknown
/// variable as Err((offset, name)).
pub fn substitute(text: &str, namespace: &str) -> Result<String, (usize, String)> {
    substitute_with(text, namespace, DEFAULT_POD_IMAGE)
}

/// As `substitute`, with the Pods' image given: a lab without a registry
/// names the image it built (the real node's toolbox), not one it cannot pull.
pub fn substitute_with(
    text: &str,
    namespace: &str,
    pod_image: &str,
) -> Result<String, (usize, String)> {
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
            "POD_IMAGE" => out.push_str(pod_image),
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
    fn the_pod_image_is_the_clusters_own() {
        assert_eq!(
            substitute("image: ${POD_IMAGE}", "x").unwrap(),
            "image: alpine:3.15"
        );
        assert_eq!(
            substitute_with("image: ${POD_IMAGE}", "x", "kubetutor.local/toolbox:1").unwrap(),
            "image: kubetutor.local/toolbox:1"
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
