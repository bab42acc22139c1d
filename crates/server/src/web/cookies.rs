//! The pages' cookies: reading one by name and writing `Set-Cookie` values. Every cookie the
//! pages set carries the `__Host-` prefix (Secure, `Path=/`, no `Domain`: no other host or path
//! can plant or read it) and `SameSite=Lax` (docs/web.md, "Cookies").

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

pub(crate) use crate::auth::SESSION_COOKIE;

/// The double-submit CSRF token (docs/web.md, "CSRF").
pub(crate) const CSRF_COOKIE: &str = "__Host-cardlife_csrf";
/// An operator's console session (docs/web.md, "Operator console").
pub(crate) const OPERATOR_COOKIE: &str = "__Host-cardlife_operator";
/// A merchant staff member's portal session (docs/web.md, "Merchant portal").
pub(crate) const MERCHANT_COOKIE: &str = "__Host-cardlife_merchant";
/// The chosen language (`zh-CN`, `en`).
pub(crate) const LANG_COOKIE: &str = "__Host-cardlife_lang";
/// Elder mode (`1` when on).
pub(crate) const ELDER_COOKIE: &str = "__Host-cardlife_elder";
/// This browser's device id (random, kept a year), named at each login (docs/identity.md).
pub(crate) const DEVICE_COOKIE: &str = "__Host-cardlife_device";

/// How long a preference cookie lives, in seconds (one year).
const PREFERENCE_MAX_AGE_S: u32 = 365 * 24 * 3600;

/// The value of the cookie `name`, if the request carried one.
pub(crate) fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// A cookie that lives as long as the browser session, unreadable by scripts. `value` must be
/// a cookie-safe token (the callers pass base64url or hex).
pub(crate) fn http_only(name: &str, value: &str) -> String {
    format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Lax")
}

/// A preference cookie kept for a year.
pub(crate) fn preference(name: &str, value: &str) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={PREFERENCE_MAX_AGE_S}; Secure; HttpOnly; SameSite=Lax"
    )
}

/// A `Set-Cookie` value that deletes `name`.
pub(crate) fn clear(name: &str) -> String {
    format!("{name}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_cookie_is_found_by_its_exact_name_only() {
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_static("a=1; __Host-cardlife_lang=en"),
        );
        headers.append(COOKIE, HeaderValue::from_static("x__Host-cardlife_elder=1"));
        assert_eq!(get(&headers, LANG_COOKIE), Some("en"));
        assert_eq!(get(&headers, ELDER_COOKIE), None);
        assert_eq!(get(&headers, "a"), Some("1"));
    }

    #[test]
    fn every_cookie_written_is_host_only_secure_and_http_only() {
        for value in [
            http_only(SESSION_COOKIE, "t"),
            preference(LANG_COOKIE, "en"),
            clear(ELDER_COOKIE),
        ] {
            assert!(value.starts_with("__Host-"), "{value}");
            for flag in ["; Path=/", "; Secure", "; HttpOnly", "; SameSite=Lax"] {
                assert!(value.contains(flag), "{value} lacks {flag}");
            }
            assert!(!value.contains("Domain"), "{value}");
        }
    }
}
