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
    Ok(())
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
}
