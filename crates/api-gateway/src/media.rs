//! Serving image files, only from inside the configured roots: the path is resolved
//! (links followed) before it is checked, so neither `..` nor a link leads out.

use crate::error::{ApiError, ApiResult};
use crate::pb::ImageBytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};

/// Largest image served.
const MAX_IMAGE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads `path` if it lies inside one of `roots` once resolved.
pub async fn read_confined(roots: &[PathBuf], path: &str) -> ApiResult<ImageBytes> {
    let resolved = confine(roots, Path::new(path)).await?;
    let metadata = tokio::fs::metadata(&resolved)
        .await
        .map_err(|_| ApiError::not_found("the image file"))?;
    if !metadata.is_file() {
        return Err(ApiError::not_found("the image file"));
    }
    if metadata.len() > MAX_IMAGE_BYTES {
        return Err(ApiError::conflict("the image file is too large to serve"));
    }
    let data = tokio::fs::read(&resolved)
        .await
        .map_err(|_| ApiError::not_found("the image file"))?;
    let modified = metadata
        .modified()
        .ok()
        .map(chrono::DateTime::<chrono::Utc>::from);
    let etag = format!(
        "\"{}\"",
        &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data))[..32]
    );
    Ok(ImageBytes {
        content_type: content_type(&resolved).to_owned(),
        data,
        etag,
        last_modified: modified
            .map(|time| time.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
            .unwrap_or_default(),
    })
}

/// The resolved path, or `permission_denied` when it is outside every root.
pub async fn confine(roots: &[PathBuf], path: &Path) -> ApiResult<PathBuf> {
    if !path.is_absolute() {
        return Err(ApiError::permission_denied(
            "the image path is not absolute",
        ));
    }
    let resolved = tokio::fs::canonicalize(path)
        .await
        .map_err(|_| ApiError::not_found("the image file"))?;
    for root in roots {
        if let Ok(root) = tokio::fs::canonicalize(root).await {
            if resolved.starts_with(&root) {
                return Ok(resolved);
            }
        }
    }
    tracing::warn!(path = %path.display(), "refused to serve a file outside the media roots");
    Err(ApiError::permission_denied(
        "the image is outside the folders images are served from",
    ))
}

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("mp4") => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// The REST answer for an image: its bytes with validators and caching headers, or
/// 304 when the client's copy is current.
pub fn image_response(
    image: ImageBytes,
    request_headers: &HeaderMap,
    max_age_secs: u64,
) -> Response {
    let not_modified = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|tag| tag.trim() == image.etag || tag.trim() == "*")
        });
    let mut headers = HeaderMap::new();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(header::ETAG, &image.etag);
    set(
        header::CACHE_CONTROL,
        &format!("private, max-age={max_age_secs}"),
    );
    if !image.last_modified.is_empty() {
        set(header::LAST_MODIFIED, &image.last_modified);
    }
    set(header::CONTENT_TYPE, &image.content_type);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if not_modified {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (StatusCode::OK, headers, image.data).into_response()
}
