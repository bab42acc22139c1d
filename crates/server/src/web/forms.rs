//! Checks every page form makes before calling the app, and the message a refusal shows
//! (docs/web.md, "Forms"). A field that fails answers the form again with one clear message and
//! nothing written; what the person typed is echoed back only through the template's escaping,
//! and never a password or a code.

use cardlife_app::AppError;
use cardlife_app::customers::CustomerError;
use cardlife_app::risk::RiskError;

use super::i18n::Texts;

/// The longest phone field accepted, in characters (`+86 138 1234 5678` is 17).
pub(crate) const PHONE_LEN_MAX: usize = 20;
/// The longest code field accepted, in characters.
pub(crate) const CODE_LEN_MAX: usize = 10;
/// The longest password accepted at the edge, in characters (the password policy's maximum):
/// nothing longer is ever hashed.
pub(crate) const PASSWORD_LEN_MAX: usize = 64;
/// Digits in a one-time code.
const CODE_DIGITS: usize = 6;

/// A mainland mobile number as 11 digits, from what the person typed (`+86`, spaces and dashes
/// allowed).
pub(crate) fn phone(t: &'static Texts, raw: &str) -> Result<String, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(t.err_phone_empty);
    }
    if raw.chars().count() > PHONE_LEN_MAX {
        return Err(t.err_too_long);
    }
    let rest = raw.strip_prefix("+86").unwrap_or(raw);
    let digits: String = rest.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let b = digits.as_bytes();
    let mobile = b.len() == 11
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1]);
    if mobile {
        Ok(digits)
    } else {
        Err(t.err_phone_format)
    }
}

/// A 6-digit one-time code.
pub(crate) fn code(t: &'static Texts, raw: &str) -> Result<String, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(t.err_code_empty);
    }
    if raw.chars().count() > CODE_LEN_MAX {
        return Err(t.err_too_long);
    }
    if raw.len() == CODE_DIGITS && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw.to_owned())
    } else {
        Err(t.err_code_format)
    }
}

/// A password typed at login (its rules are checked when it is set, not here).
pub(crate) fn password(t: &'static Texts, raw: &str) -> Result<String, &'static str> {
    if raw.is_empty() {
        return Err(t.err_password_empty);
    }
    if raw.chars().count() > PASSWORD_LEN_MAX {
        return Err(t.err_password_long);
    }
    Ok(raw.to_owned())
}

/// An optional new password: empty means none.
pub(crate) fn new_password(t: &'static Texts, raw: &str) -> Result<Option<String>, &'static str> {
    if raw.is_empty() {
        return Ok(None);
    }
    password(t, raw).map(Some)
}

/// The phone to echo back into the form: only a short, plausible one (askama escapes it all
/// the same; this keeps a pasted essay out of the page).
pub(crate) fn echo_phone(raw: &str) -> String {
    if raw.chars().count() <= PHONE_LEN_MAX {
        raw.trim().to_owned()
    } else {
        String::new()
    }
}

/// The message for an app refusal, or `None` when the failure is the server's (logged by the
/// caller, shown as "unavailable").
pub(crate) fn refusal(t: &'static Texts, e: &AppError) -> Option<&'static str> {
    use CustomerError as C;
    Some(match e {
        AppError::PhoneTaken => t.err_phone_taken,
        AppError::InvalidCredentials | AppError::Unauthenticated => t.err_invalid_credentials,
        AppError::Customer(c) => match c {
            C::PhoneNotDigits | C::PhoneWrongLength { .. } | C::PhoneNotMobile => {
                t.err_phone_format
            }
            C::OtpMismatch { .. } => t.err_code_wrong,
            C::OtpExpired | C::OtpTooManyAttempts | C::OtpAlreadyUsed => t.err_code_expired,
            C::OtpResendTooSoon { .. } => t.err_resend_too_soon,
            C::OtpDailyCapReached { .. } => t.err_daily_cap,
            C::PasswordTooShort { .. } => t.err_password_short,
            C::PasswordTooLong { .. } => t.err_password_long,
            C::PasswordAllDigits => t.err_password_digits,
            C::PasswordEqualsPhone => t.err_password_phone,
            C::PasswordMismatch => t.err_invalid_credentials,
            C::LoginLocked { .. } => t.err_locked,
            _ => return None,
        },
        // Refusals of other areas are shown by their own pages.
        AppError::Quote(_)
        | AppError::Merchants(_)
        | AppError::Installment(_)
        | AppError::Loan(_)
        | AppError::Lending(_)
        | AppError::Idempotency(_)
        | AppError::LedgerRefused(_)
        | AppError::Rewards(_) => return None,
        AppError::Risk(RiskError::Declined { .. }) => t.err_risk_declined,
        // Only the console filters by outcome, and it re-renders its own page.
        AppError::Risk(RiskError::UnknownOutcome) => return None,
        // No page moves credit yet: the credit API answers these itself.
        AppError::InvalidAmount(_)
        | AppError::Declined { .. }
        | AppError::InvalidProduct(_)
        | AppError::PaymentOnClosedAccount
        | AppError::InvalidCard(_)
        | AppError::CardAlreadyIssued
        | AppError::CaptureExceedsAuthorisation(_)
        | AppError::CommandRefused(_)
        | AppError::Credit(_) => return None,
        AppError::BatchTooLarge { .. }
        | AppError::EmptyBatch
        | AppError::NotFound(_)
        | AppError::Unavailable
        | AppError::Contention { .. }
        | AppError::Storage(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::ZH;

    #[test]
    fn phones_are_normalised_or_refused_with_the_right_message() {
        let t = &ZH;
        assert_eq!(
            phone(t, " +86 138-1234-5678 ").as_deref(),
            Ok("13812345678")
        );
        assert_eq!(phone(t, ""), Err(t.err_phone_empty));
        assert_eq!(phone(t, "   "), Err(t.err_phone_empty));
        assert_eq!(phone(t, &"1".repeat(21)), Err(t.err_too_long));
        assert_eq!(phone(t, "<script>x</script>"), Err(t.err_phone_format));
        assert_eq!(phone(t, "12812345678"), Err(t.err_phone_format));
        assert_eq!(phone(t, "1381234567"), Err(t.err_phone_format));
        assert_eq!(phone(t, "１３８１２３４５６７８"), Err(t.err_phone_format));
    }

    #[test]
    fn codes_are_six_ascii_digits() {
        let t = &ZH;
        assert_eq!(code(t, "012345").as_deref(), Ok("012345"));
        assert_eq!(code(t, ""), Err(t.err_code_empty));
        assert_eq!(code(t, "12345"), Err(t.err_code_format));
        assert_eq!(code(t, "12345a"), Err(t.err_code_format));
        assert_eq!(code(t, "12345678901"), Err(t.err_too_long));
    }

    #[test]
    fn passwords_are_bounded_before_any_hashing() {
        let t = &ZH;
        assert_eq!(password(t, ""), Err(t.err_password_empty));
        assert_eq!(password(t, &"a".repeat(65)), Err(t.err_password_long));
        assert_eq!(new_password(t, ""), Ok(None));
        assert_eq!(
            new_password(t, "good-pass").unwrap_or_default().as_deref(),
            Some("good-pass")
        );
    }
}
