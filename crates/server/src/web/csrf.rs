//! CSRF protection for every page form (docs/web.md, "CSRF"): a double-submit token. The
//! middleware gives each browser a random token in the `__Host-cardlife_csrf` cookie (the prefix
//! means no sibling host can plant one); every form carries it back as `_csrf`; [`CsrfForm`]
//! compares the two in constant time before the handler runs, so a failed check answers 403 and
//! the handler, which is where anything would be written, never starts. A cross-site
//! `Sec-Fetch-Site` is refused as well.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::cookies::{self, CSRF_COOKIE};
use super::errors::ErrorPage;
use super::page::Page;

/// The form field that carries the token.
pub(crate) const CSRF_FIELD: &str = "_csrf";
/// Random bytes in a token (shown as 64 hex digits).
const TOKEN_BYTES: usize = 32;

/// This browser's token, put in the request extensions by [`ensure_token`].
#[derive(Clone, Debug)]
pub(crate) struct CsrfToken(pub(crate) String);

impl CsrfToken {
    /// A fresh random token.
    pub(crate) fn generate() -> Self {
        let bytes: [u8; TOKEN_BYTES] = rand::random();
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    fn parse(value: &str) -> Option<Self> {
        (value.len() == 2 * TOKEN_BYTES && value.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(value.to_owned()))
    }

    /// The `Set-Cookie` value that gives this token to the browser.
    pub(crate) fn cookie(&self) -> String {
        cookies::http_only(CSRF_COOKIE, &self.0)
    }
}

/// Middleware: reads the browser's token, or makes one and sets its cookie on the answer.
pub(crate) async fn ensure_token(mut req: Request, next: Next) -> Response {
    let existing = cookies::get(req.headers(), CSRF_COOKIE).and_then(CsrfToken::parse);
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(CsrfToken::generate);
    req.extensions_mut().insert(token.clone());
    let mut response = next.run(req).await;
    // A handler that set its own token (a login rotates it) wins.
    let handler_set_one = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(CSRF_COOKIE.as_bytes()));
    if fresh
        && !handler_set_one
        && let Ok(value) = HeaderValue::from_str(&token.cookie())
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A urlencoded form whose `_csrf` field matched the browser's token. Fields the form type does
/// not name are ignored; a body that is not a form answers 400; a missing or wrong token 403.
#[derive(Debug)]
pub(crate) struct CsrfForm<T>(pub(crate) T);

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let page = Page::from_parts(&parts);
        let expected = parts.extensions.get::<CsrfToken>().map(|t| t.0.clone());
        if !same_site_post(&parts) {
            return Err(ErrorPage::forbidden(page).into_response());
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| ErrorPage::bad_request(page.clone()).into_response())?;
        let presented = fields
            .iter()
            .find(|(name, _)| name == CSRF_FIELD)
            .map(|(_, value)| value.as_str());
        if !matches(expected.as_deref(), presented) {
            return Err(ErrorPage::forbidden(page).into_response());
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| ErrorPage::bad_request(page).into_response())
    }
}

/// Whether the request is a POST not marked cross-site by the browser.
fn same_site_post(parts: &Parts) -> bool {
    let cross_site = parts
        .headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    parts.method == Method::POST && !cross_site
}

/// Whether the presented token is the browser's, compared in constant time.
fn matches(expected: Option<&str>, presented: Option<&str>) -> bool {
    match (expected, presented) {
        (Some(expected), Some(presented)) => {
            bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
        }
        _ => false,
    }
}

/// The most parts a multipart form may have (the token and one file, with room to spare).
const UPLOAD_PARTS_MAX: usize = 4;
/// The longest text part read, in bytes (the token is 64).
const UPLOAD_TEXT_BYTES_MAX: usize = 256;

/// A `multipart/form-data` upload whose `_csrf` part matched the browser's token, with the
/// bytes of its one file part named `file_field`, read up to `max` bytes (a longer file is
/// kept cut at `max + 1` bytes, so the handler can say it is too large). The token part must
/// come first, as the form puts it; nothing of the file is kept before the token is checked.
#[derive(Debug)]
pub(crate) struct CsrfUpload {
    /// The file's bytes (possibly cut, see above); empty when no file was chosen.
    pub(crate) bytes: Vec<u8>,
}

impl CsrfUpload {
    /// Reads the upload from `req`.
    pub(crate) async fn read(req: Request, file_field: &str, max: usize) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let page = Page::from_parts(&parts);
        let expected = parts.extensions.get::<CsrfToken>().map(|t| t.0.clone());
        if !same_site_post(&parts) {
            return Err(ErrorPage::forbidden(page).into_response());
        }
        let mut form = Multipart::from_request(Request::from_parts(parts, body), &())
            .await
            .map_err(|_| ErrorPage::bad_request(page.clone()).into_response())?;
        let bad = || ErrorPage::bad_request(page.clone()).into_response();
        let mut token_ok = false;
        let mut bytes = Vec::new();
        for _ in 0..UPLOAD_PARTS_MAX {
            let Some(mut part) = form.next_field().await.map_err(|_| bad())? else {
                break;
            };
            let name = part.name().unwrap_or_default().to_owned();
            if name == CSRF_FIELD {
                let mut text = Vec::new();
                while let Some(chunk) = part.chunk().await.map_err(|_| bad())? {
                    if text.len() + chunk.len() > UPLOAD_TEXT_BYTES_MAX {
                        return Err(bad());
                    }
                    text.extend_from_slice(&chunk);
                }
                let presented = std::str::from_utf8(&text).ok();
                token_ok = matches(expected.as_deref(), presented);
                if !token_ok {
                    break;
                }
            } else if name == file_field && token_ok {
                while let Some(chunk) = part.chunk().await.map_err(|_| bad())? {
                    let room = (max + 1).saturating_sub(bytes.len());
                    bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if bytes.len() > max {
                        break;
                    }
                }
            }
        }
        if !token_ok {
            return Err(ErrorPage::forbidden(page).into_response());
        }
        Ok(Self { bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::CsrfToken;

    #[test]
    fn tokens_are_random_and_only_well_formed_ones_parse() {
        let a = CsrfToken::generate();
        let b = CsrfToken::generate();
        assert_ne!(a.0, b.0);
        assert!(CsrfToken::parse(&a.0).is_some());
        assert!(CsrfToken::parse("abc").is_none());
        assert!(CsrfToken::parse(&"z".repeat(64)).is_none());
    }
}
