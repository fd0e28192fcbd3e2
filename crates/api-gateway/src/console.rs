//! The web console: the built single-page app in `console.dir`, served at `/`.
//!
//! The console's files are public (they hold no data; everything it shows comes from
//! the API with the user's key). Hashed assets under `/assets/` are cached for good;
//! every other path the API does not serve gets `index.html`, so a shared link such as
//! `/events/42?levels=high` opens that view. A strict Content-Security-Policy keeps the
//! page to its own scripts and its own origin.

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The console's files.
#[derive(Debug, Clone)]
pub struct Console {
    assets: ServeDir,
    pages: ServeDir<ServeFile>,
}

impl Console {
    pub fn new(dir: &Path) -> Self {
        let index: PathBuf = dir.join("index.html");
        Self {
            // A missing hashed asset is a 404, not the page (a stale tab asking for an
            // old build's script must fail loudly, not parse HTML as JavaScript).
            assets: ServeDir::new(dir).precompressed_gzip(),
            pages: ServeDir::new(dir)
                .precompressed_gzip()
                .fallback(ServeFile::new(index)),
        }
    }

    /// Answers a GET or HEAD for a path outside the API.
    pub async fn serve(&self, request: Request<Body>) -> Response {
        let path = request.uri().path().to_owned();
        let immutable = path.starts_with("/assets/");
        let served = if immutable {
            self.assets.clone().oneshot(request).await
        } else {
            self.pages.clone().oneshot(request).await
        };
        let mut response = match served {
            Ok(response) => response.map(Body::new),
            Err(never) => match never {},
        };
        let found = response.status() == StatusCode::OK;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        let cache = if immutable && found {
            "public, max-age=31536000, immutable"
        } else {
            // The page names the current build's assets: always revalidate it.
            "no-cache"
        };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        response.into_response()
    }
}
