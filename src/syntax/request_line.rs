//! What a request named by a lesson (or typed on the command line) may say.
//! Lessons are shared between people, so a request's method and path are
//! untrusted: a fixed set of methods, and paths with nothing a shell, an HTTP
//! request line or a terminal could read as more than a path.

/// The HTTP methods a request step may use.
pub const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

/// Ok when `method` is one of `METHODS` (upper case, as HTTP writes them).
pub fn check_method(method: &str) -> Result<(), String> {
    if METHODS.contains(&method) {
        Ok(())
    } else {
        Err(format!(
            "{method:?} is not a request method kubetutor sends; use one of {}",
            METHODS.join(", ")
        ))
    }
}

/// Characters a path may hold besides ASCII letters and digits: what API
/// paths and their queries use (`?labelSelector=app%3Ddemo&limit=1`).
const PATH_PUNCTUATION: &str = "/-._~%?&=:,+@";

/// Ok when `path` starts with `/` and holds only letters, digits and
/// `PATH_PUNCTUATION`: no whitespace, control characters, quotes, `;`, `$`…
pub fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!(
            "request path {path:?} must start with / (e.g. /api/v1/namespaces/${{NAMESPACE}}/pods)"
        ));
    }
    if let Some(bad) = path
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !PATH_PUNCTUATION.contains(*c))
    {
        return Err(format!(
            "request path {path:?} holds {bad:?}; a path holds letters, digits and {PATH_PUNCTUATION} only (percent-encode anything else)"
        ));
    }
    check_not_streaming(path)
}

/// Query parameters and path segments that make the API server stream
/// until the client hangs up (a watch, a followed log, a proxy or attach):
/// a request step asks one question and reads one answer.
const STREAMING_PARAMS: [&str; 2] = ["watch", "follow"];
const STREAMING_SEGMENTS: [&str; 4] = ["watch", "proxy", "attach", "portforward"];

/// Err for a path whose answer never ends. Percent-encoding does not hide it.
fn check_not_streaming(path: &str) -> Result<(), String> {
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    let streaming_segment = route
        .split('/')
        .map(percent_decoded)
        .find(|segment| STREAMING_SEGMENTS.contains(&segment.to_ascii_lowercase().as_str()));
    let streaming_param = query
        .split('&')
        .map(|pair| percent_decoded(pair.split_once('=').map_or(pair, |(key, _)| key)))
        .find(|key| STREAMING_PARAMS.contains(&key.to_ascii_lowercase().as_str()));
    match (streaming_segment, streaming_param) {
        (Some(segment), _) => Err(format!(
            "request path {path:?} asks for /{segment}, an answer that streams until kubetutor hangs up; a request reads one answer"
        )),
        (None, Some(param)) => Err(format!(
            "request path {path:?} asks for {param}=, an answer that streams until kubetutor hangs up; drop it (a request reads one answer)"
        )),
        (None, None) => Ok(()),
    }
}

/// `text` with `%XX` decoded (invalid escapes kept as they are).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_fixed_methods_pass() {
        for method in METHODS {
            assert!(check_method(method).is_ok());
        }
        for bad in ["get", "TRACE", "CONNECT", "GET; rm -rf /", "", "GET\n"] {
            let err = check_method(bad).unwrap_err();
            assert!(err.contains("GET, POST, PUT, PATCH, DELETE, HEAD"), "{err}");
        }
    }

    #[test]
    fn hostile_paths_are_refused() {
        assert!(check_path("/api/v1/namespaces/demo/pods?limit=1").is_ok());
        for bad in [
            "api/v1",
            "",
            "/api'; rm -rf / #",
            "/api\"",
            "/api/$(id)`id`",
            "/api\nHost: evil",
            "/api\r\n",
            "/api v1",
            "/api\u{1b}[2J",
            "/api\\x",
            "/api\t",
            "/api;reboot",
            "/api/$(reboot)",
            "/api#frag",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?} passed");
        }
    }

    #[test]
    fn watch_follow_and_proxy_paths_are_refused_however_spelled() {
        for streaming in [
            "/api/v1/namespaces/demo/pods?watch=true",
            "/api/v1/namespaces/demo/pods?limit=1&watch=1",
            "/api/v1/namespaces/demo/pods?w%61tch=true",
            "/api/v1/namespaces/demo/pods?WATCH",
            "/api/v1/watch/namespaces/demo/pods",
            "/api/v1/namespaces/demo/pods/p/log?follow=true",
            "/api/v1/namespaces/demo/services/s/proxy/",
            "/api/v1/namespaces/demo/pods/p/attach",
            "/api/v1/namespaces/demo/pods/p/portforward",
        ] {
            let err = check_path(streaming).unwrap_err();
            assert!(err.contains("streams"), "{err}");
        }
        for fine in [
            "/api/v1/namespaces/demo/pods?limit=1&labelSelector=app%3Dwatch",
            "/api/v1/namespaces/demo/pods/p/log?tailLines=10",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        ] {
            assert!(check_path(fine).is_ok(), "{fine}");
        }
    }
}
