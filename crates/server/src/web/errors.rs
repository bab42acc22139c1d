//! Error pages: a refused CSRF check (403) and a body that is not a form (400). Both say that
//! nothing was changed, in the page's language.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::page::Page;

/// An error page and its status.
#[derive(Debug)]
pub(crate) struct ErrorPage {
    status: StatusCode,
    body: ErrorTemplate,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorTemplate {
    page: Page,
    title: &'static str,
    message: &'static str,
}

impl ErrorPage {
    /// 403: the CSRF token was missing or wrong, or the request came from another site.
    pub(crate) fn forbidden(page: Page) -> Self {
        let t = page.t;
        Self {
            status: StatusCode::FORBIDDEN,
            body: ErrorTemplate {
                page,
                title: t.forbidden_title,
                message: t.forbidden_body,
            },
        }
    }

    /// 400: the body could not be read as a form.
    pub(crate) fn bad_request(page: Page) -> Self {
        let t = page.t;
        Self {
            status: StatusCode::BAD_REQUEST,
            body: ErrorTemplate {
                page,
                title: t.bad_request_title,
                message: t.bad_request_body,
            },
        }
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        (self.status, self.body).into_response()
    }
}
