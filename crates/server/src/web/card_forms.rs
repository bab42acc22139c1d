//! Field checks, refusal messages and the once-per-form guard of the bills, borrow and my-cards
//! pages (docs/web.md, "Bills, borrow and my cards"). Each check answers the clean value or the
//! one message the form shows again, before the app is called.

use std::future::Future;

use cardlife_app::AppError;
use cardlife_app::credit::DeclineCode;
use cardlife_app::idempotency::StoredAnswer;
use cardlife_app::loans::LoanRefusal;
use cardlife_app::{App, Missing};
use cardlife_kernel::CustomerId;
use cardlife_kernel::Money;

use super::face_forms;
use super::i18n_cards::CardTexts;
use super::i18n_faces::FaceTexts;
use crate::problem::ApiError;

/// The longest card number typed, spaces included.
pub(crate) const CARD_NUMBER_LEN_MAX: usize = 23;
/// The longest idempotency key a form carries (the pages make 32 hex characters).
const FORM_KEY_LEN_MAX: usize = 64;

/// A card number: 13 to 19 digits, spaces allowed between them. Never echoed back.
pub(crate) fn card_number(
    f: &'static FaceTexts,
    c: &'static CardTexts,
    raw: &str,
) -> Result<String, &'static str> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(f.err_required);
    }
    if v.chars().count() > CARD_NUMBER_LEN_MAX {
        return Err(f.err_too_long);
    }
    let digits: String = v.chars().filter(|ch| *ch != ' ').collect();
    if (13..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(c.err_card_number)
    }
}

/// A loan term in months: a whole number from 1 to 60.
pub(crate) fn periods(
    f: &'static FaceTexts,
    c: &'static CardTexts,
    raw: &str,
) -> Result<u32, &'static str> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(f.err_required);
    }
    if v.len() > 2 {
        return Err(c.err_periods);
    }
    match v.parse::<u32>() {
        Ok(n) if (1..=60).contains(&n) && v.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(c.err_periods),
    }
}

/// A repayment method of the loan product.
pub(crate) fn method(c: &'static CardTexts, raw: &str) -> Result<&'static str, &'static str> {
    ["equal_installment", "equal_principal", "interest_only"]
        .into_iter()
        .find(|m| *m == raw)
        .ok_or(c.err_method)
}

/// An amount in yuan (the pay pages' rule: positive, two decimals at most, ≤ 1,000,000.00).
pub(crate) fn amount(f: &'static FaceTexts, raw: &str) -> Result<Money, &'static str> {
    face_forms::amount(f, raw)
}

/// An idempotency key as a form sends it back: 1–64 ASCII letters and digits.
pub(crate) fn form_key(raw: &str) -> Option<&str> {
    let ok = !raw.is_empty()
        && raw.len() <= FORM_KEY_LEN_MAX
        && raw.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then_some(raw)
}

/// The message for an app refusal on these pages: a precise one for what a person can fix,
/// else "refused" with the API's stable code. A not-found or a server failure is not a form
/// message: it comes back as the error the caller answers with (the 404 or 500 page).
pub(crate) fn refusal(
    f: &'static FaceTexts,
    c: &'static CardTexts,
    e: AppError,
) -> Result<String, ApiError> {
    let message = match &e {
        AppError::NotFound(Missing::LoanQuote) => c.err_expired,
        AppError::InvalidAmount(_) => f.err_amount,
        AppError::InvalidCard(_) => c.err_card_number,
        AppError::PaymentOnClosedAccount => c.err_closed,
        AppError::Declined {
            code: DeclineCode::InsufficientCredit,
            ..
        } => c.err_insufficient,
        AppError::Lending(r) => match r {
            LoanRefusal::QuoteExpired => c.err_expired,
            LoanRefusal::QuoteUsed => c.err_used,
            LoanRefusal::ConsentRequired => c.err_consent,
            LoanRefusal::DebitCardNotFound => c.err_debit_card,
            LoanRefusal::DebitCardBoundElsewhere => c.err_bound_elsewhere,
            LoanRefusal::UnknownMethod { .. } => c.err_method,
            _ => return coded(f, c, e),
        },
        _ => return coded(f, c, e),
    };
    Ok(message.to_owned())
}

/// "Refused (CODE)" for a client error the pages have no sentence for.
pub(crate) fn coded(
    f: &'static FaceTexts,
    c: &'static CardTexts,
    e: AppError,
) -> Result<String, ApiError> {
    let api = ApiError::from(e);
    let problem = api.problem();
    if problem.status >= 500 || problem.status == 404 {
        return Err(api);
    }
    Ok(match problem.code.as_str() {
        "INVALID_CARD_NUMBER" => c.err_card_number.to_owned(),
        "LOAN_AMOUNT_OUT_OF_RANGE" => c.err_loan_amount.to_owned(),
        "CUSTOMER_CAP_EXCEEDED" => c.err_cap.to_owned(),
        "TERM_TOO_LONG" | "PERIODS_OUT_OF_RANGE" => c.err_periods.to_owned(),
        code => format!("{} ({code})", f.err_refused),
    })
}

/// What a refused form answers: the message to show again (`Ok`), or the error page (`Err`).
pub(crate) type Refused = Result<String, ApiError>;

/// Runs a money-moving form once per (customer, form, key): `Ok(None)` when this submit repeats
/// one already done (nothing runs again), `Ok(Some(value))` when it ran now, `Err` with the
/// refusal. A refusal or a not-found wrote nothing, so the key is free again; after a server
/// error it stays held, so a retry can never apply the form twice.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn once<T, F>(
    app: &App,
    f: &'static FaceTexts,
    c: &'static CardTexts,
    customer: CustomerId,
    form: &str,
    key: &str,
    request: &str,
    run: F,
) -> Result<Option<T>, Refused>
where
    F: Future<Output = Result<T, AppError>>,
{
    let explain = |e| refusal(f, c, e);
    once_with(app, customer, form, (key, request), explain, run).await
}

/// [`once`] with the refusal messages of another page group (`explain`).
pub(crate) async fn once_with<T, F, E>(
    app: &App,
    customer: CustomerId,
    form: &str,
    (key, request): (&str, &str),
    explain: E,
    run: F,
) -> Result<Option<T>, Refused>
where
    F: Future<Output = Result<T, AppError>>,
    E: Fn(AppError) -> Refused,
{
    let scope = format!("{customer}:page:{form}");
    match app
        .idempotency_begin(&scope, Some(key), request.as_bytes())
        .await
    {
        Ok(Some(_)) => return Ok(None),
        Ok(None) => {}
        Err(e) => return Err(explain(e)),
    }
    match run.await {
        Ok(value) => {
            let answer = StoredAnswer {
                status: 200,
                body: String::new(),
            };
            app.idempotency_finish(&scope, key, &answer)
                .await
                .map_err(|e| Err(ApiError::from(e)))?;
            Ok(Some(value))
        }
        Err(e) => {
            let refused = explain(e);
            let server_side = matches!(&refused, Err(api) if api.problem().status >= 500);
            if !server_side && let Err(release) = app.idempotency_release(&scope, key).await {
                tracing::error!(error = %release, "could not release an idempotency key");
            }
            Err(refused)
        }
    }
}
