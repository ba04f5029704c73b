//! The web UI: the built `ui/dist` tree, embedded in the binary at compile time so that one
//! file is the whole product (no Node at run time, no asset directory to ship).
//!
//! `GET /` and every client-side route (any GET path that is neither an asset nor one of the
//! API's prefixes) answer `index.html`, so a reload or a shared link to `/journeys/x` works.
//! Paths under `/api`, `/v1`, `/v2`, `/metrics` and `/healthz` never fall back: an unknown
//! one keeps answering the API's JSON 404.
//!
//! Caching: files under `assets/` carry a content hash in their name (Vite's output), so they
//! are cached for a year as immutable; everything else, `index.html` above all, is `no-cache`
//! so that a new binary's UI is picked up at the next load.

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};

use super::health;

/// The built UI (`npm --prefix ui run build`; committed, and checked in CI to match the
/// sources).
static DIST: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../ui/dist");

/// Prefixes that belong to the API: an unknown path under them is a JSON 404, never the UI.
const API_PREFIXES: &[&str] = &["/api", "/v1", "/v2", "/metrics", "/healthz"];

/// `GET /`.
pub(crate) async fn index() -> Response {
    file("index.html").unwrap_or_else(missing_build)
}

/// The router's fallback: an embedded asset, the UI for a client-side route, or the API's
/// JSON 404.
pub(crate) async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let is_api = API_PREFIXES
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")));
    if is_api || (method != Method::GET && method != Method::HEAD) {
        return health::not_found().await.into_response();
    }
    let relative = path.trim_start_matches('/');
    if let Some(found) = file(relative) {
        return found;
    }
    // A missing hashed asset is a stale page asking for an old build: a 404, not the HTML.
    if relative.starts_with("assets/") || relative.contains('.') {
        return health::not_found().await.into_response();
    }
    index().await
}

/// An embedded file with its content type and cache policy.
fn file(relative: &str) -> Option<Response> {
    let f = DIST.get_file(relative)?;
    let cache = if relative.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut resp = Response::new(Body::from(f.contents()));
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(relative)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Some(resp)
}

/// The content type of a built file, by extension (Vite emits only these kinds).
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A binary built from a tree without `ui/dist` (it is committed, so only a broken checkout).
fn missing_build() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "The web UI was not built into this binary: run `npm --prefix ui ci && npm --prefix ui run build`, then rebuild.",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_is_embedded_with_hashed_assets() {
        assert!(DIST.get_file("index.html").is_some());
        let assets = DIST.get_dir("assets").expect("assets/");
        assert!(
            assets
                .files()
                .any(|f| f.path().extension().is_some_and(|e| e == "js"))
        );
    }

    fn header(resp: &Response, name: header::HeaderName) -> &str {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[tokio::test]
    async fn client_routes_get_the_page_assets_are_immutable_and_the_api_keeps_its_404() {
        let page = index().await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(header(&page, header::CACHE_CONTROL), "no-cache");
        assert_eq!(
            header(&page, header::CONTENT_TYPE),
            "text/html; charset=utf-8"
        );

        let route = fallback(Method::GET, "/journeys/cart?x=1".parse().unwrap()).await;
        assert_eq!(route.status(), StatusCode::OK);
        assert_eq!(
            header(&route, header::CONTENT_TYPE),
            "text/html; charset=utf-8"
        );

        let js = DIST
            .get_dir("assets")
            .unwrap()
            .files()
            .find(|f| f.path().extension().is_some_and(|e| e == "js"))
            .unwrap();
        let uri = format!("/{}", js.path().display());
        let asset = fallback(Method::GET, uri.parse().unwrap()).await;
        assert_eq!(asset.status(), StatusCode::OK);
        assert_eq!(
            header(&asset, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            header(&asset, header::CONTENT_TYPE),
            "text/javascript; charset=utf-8"
        );

        for (method, path) in [
            (Method::GET, "/api/nothing"),
            (Method::GET, "/api"),
            (Method::GET, "/v1/nothing/else"),
            (Method::GET, "/v2"),
            (Method::GET, "/metrics/x"),
            (Method::GET, "/healthz/x"),
            (Method::GET, "/assets/gone-1234.js"),
            (Method::GET, "/favicon.ico"),
            (Method::POST, "/journeys"),
        ] {
            let resp = fallback(method.clone(), path.parse().unwrap()).await;
            assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{method} {path}");
            assert_eq!(
                header(&resp, header::CONTENT_TYPE),
                "application/json",
                "{method} {path}"
            );
        }
        // A path that only starts like an API prefix is a client route.
        let apis = fallback(Method::GET, "/apis".parse().unwrap()).await;
        assert_eq!(apis.status(), StatusCode::OK);
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/index-abc.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("assets/x.css"), "text/css; charset=utf-8");
    }
}
