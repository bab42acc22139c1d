//! The static files the pages use — our stylesheet and the vendored htmx and ECharts — compiled
//! into the binary with rust-embed, so the pages work offline and on an intranet with no CDN
//! (docs/web.md, "Assets"). Vendored files live under a versioned folder and are cached for a
//! year as immutable; our own files are revalidated with their ETag.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::auth::Public;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// How long a vendored (versioned) file may be cached, in seconds.
const IMMUTABLE_MAX_AGE_S: u32 = 365 * 24 * 3600;
/// How long one of our own files may be used before revalidating, in seconds.
const OWN_MAX_AGE_S: u32 = 300;

/// `GET /assets/{*path}`.
pub(crate) async fn asset(_: Public, Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(file) = Assets::get(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let cache = if path.starts_with("vendor/") {
        format!("public, max-age={IMMUTABLE_MAX_AGE_S}, immutable")
    } else {
        format!("public, max-age={OWN_MAX_AGE_S}")
    };
    let mut out = HeaderMap::new();
    for (name, value) in [
        (header::ETAG, etag.as_str()),
        (header::CACHE_CONTROL, cache.as_str()),
        (header::CONTENT_TYPE, file.metadata.mimetype()),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            out.insert(name, value);
        }
    }
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    if not_modified {
        return (StatusCode::NOT_MODIFIED, out).into_response();
    }
    (out, file.data.into_owned()).into_response()
}
