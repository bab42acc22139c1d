//! Field checks of the pay pages, the merchant portal and the console (docs/web.md, "Forms"):
//! each answers the clean value or the one message the form shows again, before the app is
//! called. Free text refuses control characters and markup characters (`<`, `>`): a merchant's
//! name is printed in its QR codes and shown to payers.

use cardlife_app::AppError;
use cardlife_app::customers::CustomerError;
use cardlife_app::merchants::MerchantsError;
use cardlife_kernel::Money;

use crate::problem_merchants::merchants_refusal;

use super::i18n_faces::FaceTexts;
use super::qr_image::Unreadable;

/// The longest amount typed, in characters (`1000000.00` is 10).
pub(crate) const AMOUNT_LEN_MAX: usize = 12;
/// The largest amount a form takes: 1,000,000.00.
const AMOUNT_FEN_MAX: i64 = 100_000_000;
/// The longest QR payload pasted, in characters (EMVCo payloads are at most 512).
pub(crate) const PAYLOAD_LEN_MAX: usize = 512;
/// The longest staff or operator login.
pub(crate) const LOGIN_LEN_MAX: usize = 32;
/// The longest password typed (nothing longer is ever hashed).
pub(crate) const PASSWORD_LEN_MAX: usize = 64;

/// Free text of 1 to `max` characters, trimmed, without controls or markup characters.
pub(crate) fn text(f: &'static FaceTexts, raw: &str, max: usize) -> Result<String, &'static str> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(f.err_required);
    }
    if v.chars().count() > max {
        return Err(f.err_too_long);
    }
    if v.chars().any(|c| c.is_control() || c == '<' || c == '>') {
        return Err(f.err_markup);
    }
    Ok(v.to_owned())
}

/// Every field of a console form as typed: at most `max` characters, no markup, no control
/// characters (line breaks too when `lines` allows them, for multi-line fields). The first
/// problem's message.
pub(crate) fn fields_clean(
    f: &'static FaceTexts,
    fields: &[&str],
    max: usize,
    lines: bool,
) -> Result<(), &'static str> {
    let control = |c: char| c.is_control() && !(lines && (c == '\n' || c == '\r'));
    for v in fields {
        if v.chars().count() > max {
            return Err(f.err_too_long);
        }
        if v.chars().any(|c| control(c) || c == '<' || c == '>') {
            return Err(f.err_markup);
        }
    }
    Ok(())
}

/// Optional free text: empty is `None`.
pub(crate) fn optional_text(
    f: &'static FaceTexts,
    raw: &str,
    max: usize,
) -> Result<Option<String>, &'static str> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        text(f, raw, max).map(Some)
    }
}

/// Exactly `n` ASCII digits (spaces allowed between them when `spaced`), or between `min` and
/// `max` of them.
fn digits(
    f: &'static FaceTexts,
    raw: &str,
    min: usize,
    max: usize,
    wrong: &'static str,
) -> Result<String, &'static str> {
    let v: String = raw.chars().filter(|c| *c != ' ').collect();
    if v.is_empty() {
        return Err(f.err_required);
    }
    if v.len() > max * 2 {
        return Err(f.err_too_long);
    }
    if (min..=max).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(v)
    } else {
        Err(wrong)
    }
}

/// A merchant category code: four digits.
pub(crate) fn mcc(f: &'static FaceTexts, raw: &str) -> Result<String, &'static str> {
    digits(f, raw, 4, 4, f.err_mcc)
}

/// A settlement account number: 12 to 30 digits (spaces ignored).
pub(crate) fn account(f: &'static FaceTexts, raw: &str) -> Result<String, &'static str> {
    digits(f, raw, 12, 30, f.err_account)
}

/// A login: 3–32 characters of `a-z 0-9 _ . -`.
pub(crate) fn login(f: &'static FaceTexts, raw: &str) -> Result<String, &'static str> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(f.err_required);
    }
    if v.len() > LOGIN_LEN_MAX {
        return Err(f.err_too_long);
    }
    let ok = v.len() >= 3
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
    if ok {
        Ok(v.to_owned())
    } else {
        Err(f.err_login)
    }
}

/// A password as typed (its policy is checked where it is set).
pub(crate) fn password(f: &'static FaceTexts, raw: &str) -> Result<String, &'static str> {
    if raw.is_empty() {
        return Err(f.err_required);
    }
    if raw.chars().count() > PASSWORD_LEN_MAX {
        return Err(f.err_too_long);
    }
    Ok(raw.to_owned())
}

/// A positive amount in yuan with at most two decimals, up to 1,000,000.00.
pub(crate) fn amount(f: &'static FaceTexts, raw: &str) -> Result<Money, &'static str> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(f.err_required);
    }
    if v.len() > AMOUNT_LEN_MAX {
        return Err(f.err_too_long);
    }
    let plain = v.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    match Money::parse_cny(v) {
        Ok(m) if plain && m.is_positive() && m.fen() <= AMOUNT_FEN_MAX => Ok(m),
        _ => Err(f.err_amount),
    }
}

/// A pasted QR payload: not empty, not too long, no control characters.
pub(crate) fn payload(f: &'static FaceTexts, raw: &str) -> Result<String, &'static str> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(f.err_required);
    }
    if v.chars().count() > PAYLOAD_LEN_MAX {
        return Err(f.err_too_long);
    }
    if v.chars().any(char::is_control) {
        return Err(f.err_payload);
    }
    Ok(v.to_owned())
}

/// Why an uploaded picture gave no code, in words.
pub(crate) fn unreadable_picture(f: &'static FaceTexts, why: Unreadable) -> &'static str {
    match why {
        Unreadable::Empty => f.err_picture_empty,
        Unreadable::TooLarge => f.err_picture_large,
        Unreadable::NotAPicture => f.err_picture_format,
        Unreadable::NoCode => f.err_picture_no_code,
        Unreadable::SeveralCodes => f.err_picture_several,
    }
}

/// What to echo back into a text field: only short input (askama escapes it all the same).
pub(crate) fn echo(raw: &str, max: usize) -> String {
    if raw.chars().count() <= max {
        raw.trim().to_owned()
    } else {
        String::new()
    }
}

/// A fresh idempotency key for a money-moving form: one per render, so submitting the same
/// form twice pays once.
pub(crate) fn idempotency_key() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The message for an app refusal on these faces: a precise one for what a person can fix, else
/// "refused" with the API's stable code; `None` when the failure is the server's.
pub(crate) fn refusal(f: &'static FaceTexts, e: &AppError) -> Option<String> {
    use MerchantsError as M;
    let message = match e {
        AppError::InvalidCredentials | AppError::Unauthenticated => f.err_credentials,
        AppError::Customer(c) => match c {
            CustomerError::PasswordTooShort { .. } => f.err_password_short,
            CustomerError::PasswordAllDigits => f.err_password_digits,
            CustomerError::PasswordTooLong { .. } => f.err_too_long,
            _ => return None,
        },
        AppError::Merchants(m) => match m {
            M::LoginTaken => f.err_login_taken,
            M::QrInvalid(_) | M::QrCrcInvalid | M::QrUnknown => f.err_payload,
            M::MerchantNotApproved | M::MerchantSuspended => f.err_merchant_closed,
            M::InvalidAmount | M::AmountMismatch | M::AmountRequired => f.err_amount,
            M::NotFound(_) => f.not_found_body,
            M::ReviewNotAllowed { .. } => f.err_review_state,
            M::MerchantRefTaken => f.err_ref_taken,
            M::InvalidField {
                field: "password", ..
            } => f.err_password_login,
            M::InvalidField { field: "url", .. } => f.err_url,
            M::WebhookDestination(_) => f.err_webhook_destination,
            other => {
                let (_, code, _) = merchants_refusal(other);
                return Some(format!("{} ({code})", f.err_refused));
            }
        },
        _ => return None,
    };
    Some(message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n_faces::FACES_ZH;

    #[test]
    fn amounts_are_positive_yuan_with_two_decimals_at_most() {
        let f = &FACES_ZH;
        assert_eq!(amount(f, "12.5").map(|m| m.fen()), Ok(1250));
        assert_eq!(amount(f, ""), Err(f.err_required));
        assert_eq!(amount(f, "0"), Err(f.err_amount));
        assert_eq!(amount(f, "-1"), Err(f.err_amount));
        assert_eq!(amount(f, "1.234"), Err(f.err_amount));
        assert_eq!(amount(f, "1e3"), Err(f.err_amount));
        assert_eq!(amount(f, "1000000.01"), Err(f.err_amount));
        assert_eq!(amount(f, "1234567890123"), Err(f.err_too_long));
    }

    #[test]
    fn free_text_refuses_markup_and_controls() {
        let f = &FACES_ZH;
        assert_eq!(text(f, " 小店 ", 25).as_deref(), Ok("小店"));
        assert_eq!(text(f, "<script>", 25), Err(f.err_markup));
        assert_eq!(text(f, "a\u{7}b", 25), Err(f.err_markup));
        assert_eq!(text(f, &"x".repeat(26), 25), Err(f.err_too_long));
        assert_eq!(text(f, "  ", 25), Err(f.err_required));
    }

    #[test]
    fn codes_accounts_and_logins_have_their_formats() {
        let f = &FACES_ZH;
        assert_eq!(mcc(f, "5812").as_deref(), Ok("5812"));
        assert_eq!(mcc(f, "58a2"), Err(f.err_mcc));
        assert_eq!(
            account(f, "6222 0000 1111 3445").as_deref(),
            Ok("6222000011113445")
        );
        assert_eq!(account(f, "1234"), Err(f.err_account));
        assert_eq!(login(f, "shop.01").as_deref(), Ok("shop.01"));
        assert_eq!(login(f, "Shop"), Err(f.err_login));
        assert_eq!(login(f, "ab"), Err(f.err_login));
    }
}
