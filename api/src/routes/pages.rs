//! The pages: every path no other route claims is a file from the web folder (`web/`, or
//! `BUERGERAMT_WEB_DIR`): plain HTML, ES modules and the KERN-UX styles and fonts under
//! `node_modules/@kern-ux/native/dist/`. They are read from disk, so a page change needs no
//! rebuild. Paths under `/api/` never fall through to files: an unknown API path is an API 404.

use std::path::Path;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::{ApiError, AppState};

/// The fallback route: a file from the state's web folder.
pub async fn static_file(State(state): State<AppState>, request: Request) -> Response {
    serve_file(&state.web_dir, request).await
}

/// A file from the web folder (`/` is `index.html`), with its content type, a UTF-8 charset on
/// text and `X-Content-Type-Options: nosniff`.
pub async fn serve_file(web_dir: &Path, request: Request) -> Response {
    let path = request.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::NotFound.into_response();
    }
    let response = match ServeDir::new(web_dir).oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    let mut response = response.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let with_charset = match headers.get(header::CONTENT_TYPE).map(HeaderValue::as_bytes) {
        Some(b"text/html") => Some("text/html; charset=utf-8"),
        Some(b"text/css") => Some("text/css; charset=utf-8"),
        Some(b"text/javascript" | b"application/javascript") => {
            Some("text/javascript; charset=utf-8")
        }
        _ => None,
    };
    if let Some(value) = with_charset {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(path: &str) -> Response {
        serve_file(
            Path::new(crate::settings::DEFAULT_WEB_DIR),
            Request::get(path).body(Body::empty()).unwrap(),
        )
        .await
    }

    fn header(response: &Response, name: header::HeaderName) -> Option<&str> {
        response.headers().get(name).and_then(|v| v.to_str().ok())
    }

    #[tokio::test]
    async fn the_start_page_and_its_module_are_served_with_a_charset_and_nosniff() {
        for (path, content_type) in [
            ("/", "text/html; charset=utf-8"),
            ("/landing.js", "text/javascript; charset=utf-8"),
            ("/site.css", "text/css; charset=utf-8"),
        ] {
            let response = get(path).await;
            assert_eq!(response.status(), 200, "{path}");
            assert_eq!(header(&response, header::CONTENT_TYPE), Some(content_type));
            assert_eq!(
                header(&response, header::X_CONTENT_TYPE_OPTIONS),
                Some("nosniff")
            );
        }
    }

    #[tokio::test]
    async fn unknown_api_paths_are_api_404s_and_never_files() {
        let response = get("/api/v1/no-such-thing").await;
        assert_eq!(response.status(), 404);
        assert_eq!(
            header(&response, header::CONTENT_TYPE),
            Some("application/problem+json")
        );
        assert_eq!(get("/no-such-page.html").await.status(), 404);
        assert_eq!(get("/../Cargo.toml").await.status(), 404);
    }
}
