//! The cardholder app once logged in: home (a greeting with the masked phone and the tiles),
//! "me" (profile and settings), logout and logout everywhere; and the language and elder-mode
//! switches, which work logged in or not (docs/web.md, "Cardholder app").
//!
//! The tiles name what the app will do; a capability not built yet shows "coming soon" and no
//! figures, never made-up data.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use cardlife_kernel::BusinessZone;
use serde::Deserialize;

use super::app_identity::{IdentitySection, section};
use super::cookies::{self, ELDER_COOKIE, LANG_COOKIE, SESSION_COOKIE};
use super::csrf::CsrfForm;
use super::i18n::Lang;
use super::page::{Page, safe_back};
use super::session::{LOGIN_PATH, PageSession};
use crate::AppState;
use crate::auth::Public;
use crate::problem::ApiError;

/// One tile on the home page.
#[derive(Debug)]
pub(crate) struct Tile {
    /// Its name.
    pub(crate) label: &'static str,
    /// Which icon the template draws.
    pub(crate) icon: &'static str,
    /// Where it leads; `None` while the capability is not built ("coming soon").
    pub(crate) href: Option<&'static str>,
    /// Shown in elder mode too (elder mode keeps the essentials only).
    essential: bool,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/home.html")]
pub(crate) struct HomePage {
    page: Page,
    phone_masked: String,
    tiles: Vec<Tile>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "app/me.html")]
pub(crate) struct MePage {
    page: Page,
    phone_masked: String,
    registered_on: String,
    has_password: bool,
    /// Real-name details and devices (`app_identity`).
    id: IdentitySection,
}

/// `GET /app`.
pub(crate) async fn home(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
) -> Result<HomePage, ApiError> {
    let me = state.app.customer(session.customer_id()).await?;
    let t = page.t;
    let all = [
        (t.tile_pay, "pay", true),
        (t.tile_bills, "bills", true),
        (t.tile_borrow, "borrow", false),
        (t.tile_rewards, "rewards", false),
        (t.tile_cards, "cards", true),
    ];
    let tiles = all
        .into_iter()
        .map(|(label, icon, essential)| Tile {
            label,
            icon,
            href: match icon {
                "pay" => Some("/app/pay"),
                "bills" => Some("/app/bills"),
                "borrow" => Some("/app/borrow"),
                "cards" => Some("/app/cards"),
                "rewards" => Some("/app/rewards"),
                _ => None,
            },
            essential,
        })
        .chain(points_tiles(page.lang))
        .filter(|tile| tile.essential || !page.elder)
        .collect();
    Ok(HomePage {
        page,
        phone_masked: me.phone_masked,
        tiles,
    })
}

/// The tiles of my points, the points mall, the membership card and inviting friends (my points
/// shows in elder mode too: the balance matters).
fn points_tiles(lang: Lang) -> [Tile; 4] {
    let r = super::i18n_points::points_texts(lang);
    [
        Tile {
            label: r.tile_points,
            icon: "points",
            href: Some("/app/points"),
            essential: true,
        },
        Tile {
            label: r.tile_mall,
            icon: "mall",
            href: Some("/app/mall"),
            essential: false,
        },
        Tile {
            label: r.tile_membership,
            icon: "membership",
            href: Some("/app/membership"),
            essential: false,
        },
        Tile {
            label: r.tile_invite,
            icon: "invite",
            href: Some("/app/invite"),
            essential: false,
        },
    ]
}

/// `GET /app/me`.
pub(crate) async fn me(
    session: PageSession,
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
) -> Result<MePage, ApiError> {
    me_page(&state, &session, page, &headers, None, String::new()).await
}

/// The "me" page, with the real-name form's refusal and the name typed when there is one.
pub(crate) async fn me_page(
    state: &AppState,
    session: &PageSession,
    page: Page,
    headers: &HeaderMap,
    error: Option<&'static str>,
    name_typed: String,
) -> Result<MePage, ApiError> {
    let customer = session.customer_id();
    let me = state.app.customer(customer).await?;
    let id = section(state, customer, &page, headers, error, name_typed).await?;
    Ok(MePage {
        page,
        phone_masked: me.phone_masked,
        registered_on: BusinessZone::shanghai()
            .date_of(me.registered_at)
            .to_string(),
        has_password: me.has_password,
        id,
    })
}

/// The fields of the preference switch.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PrefsForm {
    /// `zh-CN` or `en`; anything else is ignored.
    lang: String,
    /// `1` or `0`; anything else is ignored.
    elder: String,
    /// The page to go back to.
    back: String,
}

/// `POST /app/prefs`: sets the language and/or elder mode, then goes back.
pub(crate) async fn prefs(_: Public, CsrfForm(form): CsrfForm<PrefsForm>) -> Response {
    let mut set = Vec::new();
    if let Some(lang) = Lang::from_code(&form.lang) {
        set.push((SET_COOKIE, cookies::preference(LANG_COOKIE, lang.code())));
    }
    match form.elder.as_str() {
        "1" => set.push((SET_COOKIE, cookies::preference(ELDER_COOKIE, "1"))),
        "0" => set.push((SET_COOKIE, cookies::clear(ELDER_COOKIE))),
        _ => {}
    }
    (AppendHeaders(set), Redirect::to(safe_back(&form.back))).into_response()
}

/// No fields but the token.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Empty {}

/// `POST /app/logout`: ends this session.
pub(crate) async fn logout(
    session: PageSession,
    State(state): State<AppState>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    state.app.logout(session.token()).await?;
    Ok(logged_out())
}

/// `POST /app/logout-everywhere`: ends every session of the customer.
pub(crate) async fn logout_everywhere(
    session: PageSession,
    State(state): State<AppState>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, ApiError> {
    state.app.logout_everywhere(session.customer_id()).await?;
    Ok(logged_out())
}

fn logged_out() -> Response {
    (
        [(SET_COOKIE, cookies::clear(SESSION_COOKIE))],
        Redirect::to(LOGIN_PATH),
    )
        .into_response()
}
