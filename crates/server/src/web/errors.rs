//! Error pages: a refused CSRF check (403), a role that does not allow the page (403), a record
//! not found (404) and a body that is not a form (400), in the page's language.

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

    /// 403: the operator's role does not allow this page or action.
    pub(crate) fn forbidden_role(page: Page) -> Self {
        let f = page.f;
        Self {
            status: StatusCode::FORBIDDEN,
            body: ErrorTemplate {
                page,
                title: f.role_forbidden_title,
                message: f.role_forbidden_body,
            },
        }
    }

    /// 404: no such record (or another owner's).
    pub(crate) fn not_found(page: Page) -> Self {
        let f = page.f;
        Self {
            status: StatusCode::NOT_FOUND,
            body: ErrorTemplate {
                page,
                title: f.not_found_title,
                message: f.not_found_body,
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
