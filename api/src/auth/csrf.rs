//! Cross-site request forgery guard for state changes that ride on the session cookie.
//!
//! A browser attaches the cookie to any request to this host, including one a hostile page
//! makes. `SameSite=Strict` already keeps it off cross-site requests in current browsers; this
//! guard is the second line (older browsers, same-site subdomains). A request with a method other
//! than GET, HEAD or OPTIONS that carries the session cookie must
//! 1. have `Content-Type: application/json` or no body (a cross-site form cannot send JSON
//!    without a CORS preflight, which this service never grants), and
//! 2. say it comes from this site: `Sec-Fetch-Site: same-origin`, or an `Origin` equal to the
//!    public URL's origin.
//!
//! Otherwise 403 `csrf-rejected`. Requests without the cookie (citizens with a bearer capability
//! token, a first login) are not cookie-borne and pass unchanged.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::session::has_session_cookie;
use crate::{ApiError, AppState};

/// The middleware (see the module docs).
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || !has_session_cookie(request.headers(), &state) {
        return next.run(request).await;
    }
    if !json_or_empty(request.headers()) || !same_origin(request.headers(), &state.public_url) {
        tracing::warn!(method = %request.method(), "cross-site state change refused");
        return ApiError::CsrfRejected.into_response();
    }
    next.run(request).await
}

/// `Content-Type: application/json` (parameters allowed), or no body at all.
fn json_or_empty(headers: &HeaderMap) -> bool {
    match headers.get(header::CONTENT_TYPE) {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json")),
        None => {
            let declared_empty = headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .is_none_or(|v| v.trim() == "0");
            declared_empty && !headers.contains_key(header::TRANSFER_ENCODING)
        }
    }
}

/// `Sec-Fetch-Site: same-origin`, or an `Origin` equal to the public URL's origin.
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let header_is = |name: &str, expected: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected))
    };
    header_is("sec-fetch-site", "same-origin") || header_is("origin", origin_of(public_url))
}

/// `scheme://host[:port]` of a URL (what browsers send as `Origin`).
pub fn origin_of(url: &str) -> &str {
    match url.find("://") {
        Some(start) => {
            let rest = &url[start + 3..];
            let end = rest.find('/').map_or(url.len(), |i| start + 3 + i);
            &url[..end]
        }
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_origin_of_a_public_url_is_its_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://termine.potsdam.de"),
            "https://termine.potsdam.de"
        );
        assert_eq!(origin_of("https://x.de/buergeramt"), "https://x.de");
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }

    #[test]
    fn only_json_or_an_empty_body_passes_the_content_type_check() {
        let with = |pairs: &[(header::HeaderName, &str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(name.clone(), HeaderValue::from_str(value).unwrap());
            }
            json_or_empty(&headers)
        };
        assert!(with(&[]));
        assert!(with(&[(
            header::CONTENT_TYPE,
            "application/json; charset=utf-8"
        )]));
        assert!(with(&[(header::CONTENT_LENGTH, "0")]));
        assert!(!with(&[(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded"
        )]));
        assert!(!with(&[(header::CONTENT_TYPE, "text/plain")]));
        assert!(!with(&[(header::CONTENT_LENGTH, "12")]));
        assert!(!with(&[(header::TRANSFER_ENCODING, "chunked")]));
    }
}
