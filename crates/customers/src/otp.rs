//! SMS one-time codes (§8): 6 digits, valid ≤ 5 min, single use, ≤ 5 attempts, resend ≥ 60 s
//! apart, a per-phone daily cap. The limits are data in [`OtpPolicy`], checked against §8's
//! bounds. An [`OtpChallenge`] stores only HMAC-SHA256(server key; phone, issue time, code) — never
//! the code (C2) — and compares in constant time. One challenge per phone is live: issuing a new
//! one replaces the previous, whose counters carry the resend spacing and the daily cap.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use cardlife_kernel::{BusinessZone, Secret};

use crate::crypto::{ct_eq, hmac_sha256};
use crate::entropy::Entropy;
use crate::error::CustomerError;
use crate::phone::Phone;

/// The §8 limits for one-time codes, validated on construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpPolicy {
    digits: u32,
    ttl: SignedDuration,
    max_attempts: u32,
    resend_spacing: SignedDuration,
    daily_cap: u32,
}

impl OtpPolicy {
    /// Code length required by §8.
    pub const DIGITS: u32 = 6;
    /// Longest validity §8 allows.
    pub const TTL_MAX: SignedDuration = SignedDuration::from_mins(5);
    /// Most attempts per code §8 allows.
    pub const ATTEMPTS_MAX: u32 = 5;
    /// Shortest resend spacing §8 allows.
    pub const RESEND_SPACING_MIN: SignedDuration = SignedDuration::from_secs(60);
    /// Highest daily cap this platform allows per phone (SMS carriers cap around here too).
    pub const DAILY_CAP_MAX: u32 = 20;

    /// The platform default: 6 digits, 5 min, 5 attempts, 60 s spacing, 10 codes a day.
    pub const DEFAULT: Self = Self {
        digits: Self::DIGITS,
        ttl: Self::TTL_MAX,
        max_attempts: Self::ATTEMPTS_MAX,
        resend_spacing: Self::RESEND_SPACING_MIN,
        daily_cap: 10,
    };

    /// A policy with the given limits; each must be within §8's bounds (code length is fixed at 6).
    pub fn new(
        ttl: SignedDuration,
        max_attempts: u32,
        resend_spacing: SignedDuration,
        daily_cap: u32,
    ) -> Result<Self, CustomerError> {
        let out = |field| Err(CustomerError::PolicyOutOfBounds { field });
        if ttl <= SignedDuration::ZERO || ttl > Self::TTL_MAX {
            return out("otp.ttl");
        }
        if !(1..=Self::ATTEMPTS_MAX).contains(&max_attempts) {
            return out("otp.max_attempts");
        }
        if resend_spacing < Self::RESEND_SPACING_MIN {
            return out("otp.resend_spacing");
        }
        if !(1..=Self::DAILY_CAP_MAX).contains(&daily_cap) {
            return out("otp.daily_cap");
        }
        Ok(Self {
            digits: Self::DIGITS,
            ttl,
            max_attempts,
            resend_spacing,
            daily_cap,
        })
    }

    /// Digits in a code.
    pub const fn digits(&self) -> u32 {
        self.digits
    }
    /// How long a code stays valid.
    pub const fn ttl(&self) -> SignedDuration {
        self.ttl
    }
    /// Verification attempts per code.
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }
    /// Least time between two codes to one phone.
    pub const fn resend_spacing(&self) -> SignedDuration {
        self.resend_spacing
    }
    /// Codes per phone per business day.
    pub const fn daily_cap(&self) -> u32 {
        self.daily_cap
    }
}

impl Default for OtpPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The server secret keying the code HMAC (32 bytes from the key store).
pub struct OtpKey(Secret<[u8; 32]>);

impl OtpKey {
    /// Wraps the key bytes.
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(Secret::new(bytes))
    }
}

impl std::fmt::Debug for OtpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpKey(***)")
    }
}

/// The state of the live one-time code for one phone. Holds no code, only its HMAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpChallenge {
    phone: Phone,
    code_mac: [u8; 32],
    issued_at: Timestamp,
    issued_on: Date,
    sends_on_day: u32,
    failed_attempts: u32,
    used: bool,
}

impl OtpChallenge {
    /// Restores a stored challenge (the store keeps the code's HMAC, never the code).
    pub const fn from_parts(
        phone: Phone,
        code_mac: [u8; 32],
        issued_at: Timestamp,
        issued_on: Date,
        sends_on_day: u32,
        failed_attempts: u32,
        used: bool,
    ) -> Self {
        Self {
            phone,
            code_mac,
            issued_at,
            issued_on,
            sends_on_day,
            failed_attempts,
            used,
        }
    }
    /// The keyed HMAC of the code, for storage.
    pub const fn code_mac(&self) -> &[u8; 32] {
        &self.code_mac
    }
    /// The phone the code was sent to.
    pub const fn phone(&self) -> &Phone {
        &self.phone
    }
    /// When the code was issued.
    pub const fn issued_at(&self) -> Timestamp {
        self.issued_at
    }
    /// The business day the code was issued on.
    pub const fn issued_on(&self) -> Date {
        self.issued_on
    }
    /// Codes sent to this phone on [`Self::issued_on`], this one included.
    pub const fn sends_on_day(&self) -> u32 {
        self.sends_on_day
    }
    /// Wrong codes entered so far.
    pub const fn failed_attempts(&self) -> u32 {
        self.failed_attempts
    }
    /// Whether the code has been used.
    pub const fn is_used(&self) -> bool {
        self.used
    }
}

/// A freshly issued challenge and its code; the code goes to the SMS gateway and is then dropped.
#[derive(Debug)]
pub struct IssuedOtp {
    /// The state to store (replacing any previous challenge for the phone).
    pub challenge: OtpChallenge,
    /// The code to send; never stored.
    pub code: Secret<String>,
}

/// Issues and verifies one-time codes under one policy, server key and business zone.
#[derive(Debug)]
pub struct OtpIssuer {
    policy: OtpPolicy,
    key: OtpKey,
    zone: BusinessZone,
}

impl OtpIssuer {
    /// An issuer; `zone` decides which business day a send counts against.
    pub const fn new(policy: OtpPolicy, key: OtpKey, zone: BusinessZone) -> Self {
        Self { policy, key, zone }
    }

    /// The policy in force.
    pub const fn policy(&self) -> &OtpPolicy {
        &self.policy
    }

    /// Issues a new code for `phone`. `previous` is the phone's last challenge, if any (a
    /// challenge for another phone is ignored); it enforces the daily cap and the resend spacing.
    pub fn issue(
        &self,
        phone: &Phone,
        previous: Option<&OtpChallenge>,
        now: Timestamp,
        entropy: &mut impl Entropy,
    ) -> Result<IssuedOtp, CustomerError> {
        let today = self.zone.date_of(now);
        let previous = previous.filter(|p| &p.phone == phone);
        let sends_before = match previous {
            Some(p) if p.issued_on == today => p.sends_on_day,
            _ => 0,
        };
        if sends_before >= self.policy.daily_cap {
            return Err(CustomerError::OtpDailyCapReached {
                cap: self.policy.daily_cap,
            });
        }
        if let Some(p) = previous {
            let since = now.duration_since(p.issued_at);
            if since < self.policy.resend_spacing {
                return Err(CustomerError::OtpResendTooSoon {
                    retry_after: self.policy.resend_spacing - since,
                });
            }
        }
        let code = self.random_code(entropy);
        let challenge = OtpChallenge {
            phone: phone.clone(),
            code_mac: self.mac(phone, now, &code),
            issued_at: now,
            issued_on: today,
            sends_on_day: sends_before + 1,
            failed_attempts: 0,
            used: false,
        };
        Ok(IssuedOtp {
            challenge,
            code: Secret::new(code),
        })
    }

    /// Checks `code` against the challenge. Succeeds once; a wrong code counts an attempt.
    pub fn verify(
        &self,
        challenge: &mut OtpChallenge,
        code: &str,
        now: Timestamp,
    ) -> Result<(), CustomerError> {
        if challenge.used {
            return Err(CustomerError::OtpAlreadyUsed);
        }
        if challenge.failed_attempts >= self.policy.max_attempts {
            return Err(CustomerError::OtpTooManyAttempts);
        }
        if now.duration_since(challenge.issued_at) >= self.policy.ttl {
            return Err(CustomerError::OtpExpired);
        }
        let candidate = self.mac(&challenge.phone, challenge.issued_at, code.trim());
        if !ct_eq(&candidate, &challenge.code_mac) {
            challenge.failed_attempts += 1;
            return Err(CustomerError::OtpMismatch {
                attempts_left: self.policy.max_attempts - challenge.failed_attempts,
            });
        }
        challenge.used = true;
        Ok(())
    }

    fn mac(&self, phone: &Phone, issued_at: Timestamp, code: &str) -> [u8; 32] {
        hmac_sha256(
            self.key.0.expose_secret(),
            &[
                b"cardlife-otp-v1",
                phone.expose_digits().as_bytes(),
                &issued_at.as_nanosecond().to_be_bytes(),
                code.as_bytes(),
            ],
        )
    }

    /// A uniformly distributed code, zero-padded. 64 random bits reduced mod 10^6: the bias is
    /// below 10^-13, far under what an attacker could use.
    fn random_code(&self, entropy: &mut impl Entropy) -> String {
        let mut bytes = [0u8; 8];
        entropy.fill(&mut bytes);
        let value = u64::from_be_bytes(bytes) % 10u64.pow(self.policy.digits);
        format!("{value:0width$}", width = self.policy.digits as usize)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::entropy::test_entropy;
    use proptest::prelude::*;

    fn issuer() -> OtpIssuer {
        OtpIssuer::new(
            OtpPolicy::DEFAULT,
            OtpKey::new([9; 32]),
            BusinessZone::shanghai(),
        )
    }
    fn phone() -> Phone {
        Phone::parse("13812345678").unwrap()
    }
    fn t0() -> Timestamp {
        "2025-03-01T02:00:00Z".parse().unwrap()
    }
    fn secs(n: i64) -> SignedDuration {
        SignedDuration::from_secs(n)
    }
    fn issue_at(now: Timestamp) -> IssuedOtp {
        issuer()
            .issue(&phone(), None, now, &mut test_entropy(42))
            .unwrap()
    }

    #[test]
    fn issued_code_has_six_digits_and_is_not_stored_in_the_challenge() {
        let issued = issue_at(t0());
        let code = issued.code.expose_secret();
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert!(!format!("{:?}", issued.challenge).contains(code.as_str()));
        assert!(!format!("{issued:?}").contains(code.as_str()));
    }

    #[test]
    fn correct_code_verifies_once_then_reports_already_used() {
        let IssuedOtp {
            mut challenge,
            code,
        } = issue_at(t0());
        let otp = issuer();
        otp.verify(&mut challenge, code.expose_secret(), t0() + secs(30))
            .unwrap();
        assert_eq!(
            otp.verify(&mut challenge, code.expose_secret(), t0() + secs(31)),
            Err(CustomerError::OtpAlreadyUsed)
        );
    }

    #[test]
    fn code_expires_after_five_minutes() {
        let IssuedOtp {
            mut challenge,
            code,
        } = issue_at(t0());
        assert_eq!(
            issuer().verify(&mut challenge, code.expose_secret(), t0() + secs(300)),
            Err(CustomerError::OtpExpired)
        );
        issuer()
            .verify(&mut challenge, code.expose_secret(), t0() + secs(299))
            .unwrap();
    }

    #[test]
    fn wrong_codes_count_attempts_and_the_sixth_try_is_refused_even_with_the_right_code() {
        let IssuedOtp {
            mut challenge,
            code,
        } = issue_at(t0());
        let wrong = if code.expose_secret() == "000000" {
            "111111"
        } else {
            "000000"
        };
        let otp = issuer();
        for left in (0..5).rev() {
            assert_eq!(
                otp.verify(&mut challenge, wrong, t0()),
                Err(CustomerError::OtpMismatch {
                    attempts_left: left
                })
            );
        }
        assert_eq!(
            otp.verify(&mut challenge, code.expose_secret(), t0()),
            Err(CustomerError::OtpTooManyAttempts)
        );
    }

    #[test]
    fn resend_within_sixty_seconds_is_refused_with_the_wait() {
        let first = issue_at(t0());
        let err = issuer()
            .issue(
                &phone(),
                Some(&first.challenge),
                t0() + secs(45),
                &mut test_entropy(1),
            )
            .unwrap_err();
        assert_eq!(
            err,
            CustomerError::OtpResendTooSoon {
                retry_after: secs(15)
            }
        );
        let again = issuer()
            .issue(
                &phone(),
                Some(&first.challenge),
                t0() + secs(60),
                &mut test_entropy(1),
            )
            .unwrap();
        assert_eq!(again.challenge.sends_on_day(), 2);
    }

    #[test]
    fn a_new_code_replaces_the_old_one() {
        let first = issue_at(t0());
        let mut second = issuer()
            .issue(
                &phone(),
                Some(&first.challenge),
                t0() + secs(60),
                &mut test_entropy(7),
            )
            .unwrap();
        if first.code.expose_secret() != second.code.expose_secret() {
            assert!(matches!(
                issuer().verify(
                    &mut second.challenge,
                    first.code.expose_secret(),
                    t0() + secs(61)
                ),
                Err(CustomerError::OtpMismatch { .. })
            ));
        }
    }

    #[test]
    fn daily_cap_stops_the_eleventh_code_and_resets_on_the_next_business_day() {
        let otp = issuer();
        let mut entropy = test_entropy(5);
        let mut last = otp
            .issue(&phone(), None, t0(), &mut entropy)
            .unwrap()
            .challenge;
        for i in 1..10 {
            last = otp
                .issue(&phone(), Some(&last), t0() + secs(60 * i), &mut entropy)
                .unwrap()
                .challenge;
        }
        assert_eq!(last.sends_on_day(), 10);
        assert_eq!(
            otp.issue(&phone(), Some(&last), t0() + secs(3600), &mut entropy)
                .err(),
            Some(CustomerError::OtpDailyCapReached { cap: 10 })
        );
        // 2025-03-01T02:00Z is 10:00 in Shanghai; 14 h later is the next business day.
        let next_day = otp
            .issue(&phone(), Some(&last), t0() + secs(14 * 3600), &mut entropy)
            .unwrap();
        assert_eq!(next_day.challenge.sends_on_day(), 1);
    }

    #[test]
    fn a_challenge_only_verifies_under_the_key_that_issued_it() {
        let IssuedOtp {
            mut challenge,
            code,
        } = issue_at(t0());
        let other = OtpIssuer::new(
            OtpPolicy::DEFAULT,
            OtpKey::new([8; 32]),
            BusinessZone::shanghai(),
        );
        assert!(matches!(
            other.verify(&mut challenge, code.expose_secret(), t0()),
            Err(CustomerError::OtpMismatch { .. })
        ));
    }

    #[test]
    fn otp_policy_rejects_limits_looser_than_section_8() {
        let ok = OtpPolicy::new(secs(300), 5, secs(60), 10).unwrap();
        assert_eq!(ok, OtpPolicy::DEFAULT);
        let field = |r: Result<OtpPolicy, CustomerError>| match r {
            Err(CustomerError::PolicyOutOfBounds { field }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(OtpPolicy::new(secs(301), 5, secs(60), 10)), "otp.ttl");
        assert_eq!(
            field(OtpPolicy::new(secs(300), 6, secs(60), 10)),
            "otp.max_attempts"
        );
        assert_eq!(
            field(OtpPolicy::new(secs(300), 5, secs(59), 10)),
            "otp.resend_spacing"
        );
        assert_eq!(
            field(OtpPolicy::new(secs(300), 5, secs(60), 0)),
            "otp.daily_cap"
        );
    }

    proptest! {
        #[test]
        fn only_the_issued_code_verifies(seed in any::<u64>(), guess in "[0-9]{6}") {
            let otp = issuer();
            let IssuedOtp { mut challenge, code } =
                otp.issue(&phone(), None, t0(), &mut test_entropy(seed)).unwrap();
            let result = otp.verify(&mut challenge, &guess, t0());
            prop_assert_eq!(result.is_ok(), &guess == code.expose_secret());
        }
    }
}
