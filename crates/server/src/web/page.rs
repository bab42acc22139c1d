//! What every page template needs besides its own data: the language and its strings, elder
//! mode, the CSRF token for its forms and where "back" goes after a preference switch.
//! [`Page`] is an extractor, so a handler takes it next to its authentication extractor.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::cookies::{self, ELDER_COOKIE, LANG_COOKIE};
use super::csrf::CsrfToken;
use super::i18n::{Lang, Texts};
use super::i18n_cards::CardTexts;
use super::i18n_faces::FaceTexts;
use super::i18n_rewards::RewardTexts;

/// The longest path kept as the target of a preference switch.
const BACK_LEN_MAX: usize = 200;

/// The request's page context.
#[derive(Clone, Debug)]
pub(crate) struct Page {
    /// The language of the page.
    pub(crate) lang: Lang,
    /// Its strings.
    pub(crate) t: &'static Texts,
    /// The strings of the pay pages, the merchant portal and the console.
    pub(crate) f: &'static FaceTexts,
    /// The strings of the bills, borrow and my-cards pages.
    pub(crate) c: &'static CardTexts,
    /// The strings of the rewards pages.
    pub(crate) r: &'static RewardTexts,
    /// Large type and fewer items.
    pub(crate) elder: bool,
    /// The token every form on the page submits as `_csrf`.
    pub(crate) csrf: String,
    /// This page's path, so a preference switch comes back to it.
    pub(crate) path: String,
}

impl Page {
    /// The context for a request whose cookies and CSRF token are in `parts`.
    pub(crate) fn from_parts(parts: &Parts) -> Self {
        let lang = cookies::get(&parts.headers, LANG_COOKIE)
            .and_then(Lang::from_code)
            .unwrap_or_default();
        let elder = cookies::get(&parts.headers, ELDER_COOKIE) == Some("1");
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        Self {
            lang,
            t: lang.texts(),
            f: lang.face_texts(),
            c: lang.card_texts(),
            r: lang.reward_texts(),
            elder,
            csrf,
            path: safe_back(parts.uri.path()).to_owned(),
        }
    }

    /// The front page of this page's face, where an error page's "back" goes.
    pub(crate) fn home(&self) -> &'static str {
        if self.path.starts_with("/console") {
            "/console"
        } else if self.path.starts_with("/merchant") {
            "/merchant"
        } else {
            "/app"
        }
    }

    /// The language the switch offers.
    pub(crate) fn other_lang(&self) -> Lang {
        self.lang.other()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_parts(parts))
    }
}

/// `back` when it is a path on this site under `/app`, `/dev`, `/merchant` or `/console`, else
/// `/app`: a switch never
/// redirects anywhere else (no open redirect through `//host` or `/\host`).
pub(crate) fn safe_back(back: &str) -> &str {
    let local = ["/app", "/dev", "/merchant", "/console"]
        .iter()
        .any(|face| back.starts_with(face))
        && back.len() <= BACK_LEN_MAX
        && !back.contains("//")
        && !back.contains('\\')
        && back
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b));
    if local { back } else { "/app" }
}

#[cfg(test)]
mod tests {
    use super::safe_back;

    #[test]
    fn only_local_app_paths_are_kept_as_the_way_back() {
        assert_eq!(safe_back("/app/me"), "/app/me");
        assert_eq!(safe_back("/dev/sms"), "/dev/sms");
        assert_eq!(safe_back("/console/audit"), "/console/audit");
        assert_eq!(safe_back("/merchant/qr"), "/merchant/qr");
        for bad in [
            "//evil.example",
            "/app//evil.example",
            "/app/\\evil",
            "https://evil.example",
            "/v1/me",
            "/app?x=<script>",
            "",
        ] {
            assert_eq!(safe_back(bad), "/app", "{bad}");
        }
    }
}
