//! Security headers on every page and asset (docs/web.md, "Headers"). The content security
//! policy allows scripts and styles from this origin only — no inline script, no CDN — and no
//! framing; pages are never cached (they show a person's data), assets set their own caching.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The policy. `form-action 'self'` keeps a form from posting elsewhere even if markup were
/// injected; `base-uri 'none'` stops a planted `<base>` from moving relative URLs.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// HSTS for a year, subdomains included (browsers ignore it over plain HTTP).
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

const HEADERS: [(HeaderName, &str); 6] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::STRICT_TRANSPORT_SECURITY, STRICT_TRANSPORT_SECURITY),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        HeaderName::from_static("permissions-policy"),
        "geolocation=(), microphone=(), payment=()",
    ),
];

/// Middleware: stamps the headers on every answer of the web routes.
pub(crate) async fn stamp(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
