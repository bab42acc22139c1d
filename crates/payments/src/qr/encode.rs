//! Building a merchant-presented payload: validated fields in, the signed string out.

use std::fmt;

use super::crc::crc_hex;
use super::payload::PointOfInitiation;
use super::tag::Tag;
use super::tlv::VALUE_CHARS_MAX;

/// The GUID put in template 26's subtag 00 when the caller names none.
pub const DEFAULT_ACCOUNT_GUID: &str = "com.cardlife";
/// The payload format indicator this encoder writes (tag 00).
const PAYLOAD_FORMAT: &str = "01";
/// Digits before the decimal point of an amount, at most.
const AMOUNT_INTEGER_DIGITS_MAX: usize = 10;
/// Digits after the decimal point of an amount, at most.
const AMOUNT_DECIMALS_MAX: usize = 2;

/// What a merchant's code should say, as given (validated by [`MerchantPresented::encode`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantPresented {
    /// Tag 59.
    pub merchant_name: String,
    /// Tag 60.
    pub merchant_city: String,
    /// Tag 52: four digits (ISO 18245).
    pub mcc: String,
    /// Tag 53: three digits (ISO 4217 numeric, `156` for CNY).
    pub currency: String,
    /// Tag 58: two upper-case letters (ISO 3166-1 alpha-2).
    pub country: String,
    /// Tag 54: `^\d{1,10}(\.\d{1,2})?$`. Present makes the code dynamic (`12`), absent static
    /// (`11`).
    pub amount: Option<String>,
    /// Template 26, subtag 00 (see [`DEFAULT_ACCOUNT_GUID`]).
    pub account_guid: String,
    /// Template 26, subtag 01.
    pub account: String,
    /// Template 62, subtag 01.
    pub bill_number: Option<String>,
}

/// A field of [`MerchantPresented`], or a template built from some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Tag 59.
    MerchantName,
    /// Tag 60.
    MerchantCity,
    /// Tag 52.
    Mcc,
    /// Tag 53.
    Currency,
    /// Tag 58.
    Country,
    /// Tag 54.
    Amount,
    /// Template 26 subtag 00.
    AccountGuid,
    /// Template 26 subtag 01.
    Account,
    /// Template 62 subtag 01.
    BillNumber,
    /// Template 26 as a whole.
    MerchantAccountTemplate,
    /// Template 62 as a whole.
    AdditionalDataTemplate,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::MerchantName => "merchant name",
            Field::MerchantCity => "merchant city",
            Field::Mcc => "merchant category code",
            Field::Currency => "currency",
            Field::Country => "country",
            Field::Amount => "amount",
            Field::AccountGuid => "account GUID",
            Field::Account => "account",
            Field::BillNumber => "bill number",
            Field::MerchantAccountTemplate => "merchant account template (GUID and account)",
            Field::AdditionalDataTemplate => "additional data template (bill number)",
        })
    }
}

/// Why a payload cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A field that must say something is empty.
    #[error("{field} is empty")]
    Empty {
        /// Which.
        field: Field,
    },
    /// A value longer than a two-digit length can announce.
    #[error("{field} is {chars} characters; a 2-digit length allows at most {VALUE_CHARS_MAX}")]
    TooLong {
        /// Which.
        field: Field,
        /// Its length in characters.
        chars: usize,
    },
    /// The amount is not 1–10 digits with up to two decimals.
    #[error("amount {amount:?} is not 1 to 10 digits with up to 2 decimals (like 36.50)")]
    InvalidAmount {
        /// The amount given.
        amount: String,
    },
    /// The merchant category code is not four digits.
    #[error("merchant category code {mcc:?} is not 4 digits")]
    InvalidMcc {
        /// The code given.
        mcc: String,
    },
    /// The currency is not three digits.
    #[error("currency {currency:?} is not an ISO 4217 numeric code (3 digits, 156 for CNY)")]
    InvalidCurrency {
        /// The code given.
        currency: String,
    },
    /// The country is not two upper-case letters.
    #[error("country {country:?} is not an ISO 3166 alpha-2 code (2 upper-case letters)")]
    InvalidCountry {
        /// The code given.
        country: String,
    },
}

impl MerchantPresented {
    /// The payload, tags in ascending order, ending with tag 63 and its CRC in upper-case hex.
    pub fn encode(&self) -> Result<String, EncodeError> {
        self.check_codes()?;
        let initiation = match self.amount {
            Some(_) => PointOfInitiation::Dynamic,
            None => PointOfInitiation::Static,
        };
        let account = tlv(
            Tag::MERCHANT_ACCOUNT,
            Field::MerchantAccountTemplate,
            &(tlv(Tag::ACCOUNT_GUID, Field::AccountGuid, &self.account_guid)?
                + &tlv(Tag::ACCOUNT_ID, Field::Account, &self.account)?),
        )?;
        let mut body = fixed(Tag::PAYLOAD_FORMAT, PAYLOAD_FORMAT)
            + &fixed(Tag::POINT_OF_INITIATION, initiation.code())
            + &account
            + &tlv(Tag::MCC, Field::Mcc, &self.mcc)?
            + &tlv(Tag::CURRENCY, Field::Currency, &self.currency)?;
        if let Some(amount) = &self.amount {
            body += &tlv(Tag::AMOUNT, Field::Amount, amount)?;
        }
        body += &tlv(Tag::COUNTRY, Field::Country, &self.country)?;
        body += &tlv(Tag::MERCHANT_NAME, Field::MerchantName, &self.merchant_name)?;
        body += &tlv(Tag::MERCHANT_CITY, Field::MerchantCity, &self.merchant_city)?;
        if let Some(bill_number) = &self.bill_number {
            let bill = tlv(Tag::BILL_NUMBER, Field::BillNumber, bill_number)?;
            body += &tlv(Tag::ADDITIONAL_DATA, Field::AdditionalDataTemplate, &bill)?;
        }
        Ok(signed(body))
    }

    /// The fixed-format codes: MCC, currency, country, amount.
    fn check_codes(&self) -> Result<(), EncodeError> {
        if !is_ascii_digits(&self.mcc, 4) {
            return Err(EncodeError::InvalidMcc {
                mcc: self.mcc.clone(),
            });
        }
        if !is_ascii_digits(&self.currency, 3) {
            return Err(EncodeError::InvalidCurrency {
                currency: self.currency.clone(),
            });
        }
        if self.country.len() != 2 || !self.country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(EncodeError::InvalidCountry {
                country: self.country.clone(),
            });
        }
        match &self.amount {
            Some(amount) if !is_amount(amount) => Err(EncodeError::InvalidAmount {
                amount: amount.clone(),
            }),
            _ => Ok(()),
        }
    }
}

/// `^\d{1,10}(\.\d{1,2})?$`, ASCII digits only.
pub fn is_amount(amount: &str) -> bool {
    let (integer, decimals) = match amount.split_once('.') {
        Some((integer, decimals)) => (integer, Some(decimals)),
        None => (amount, None),
    };
    let digits = |part: &str, max: usize| {
        (1..=max).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    digits(integer, AMOUNT_INTEGER_DIGITS_MAX)
        && decimals.is_none_or(|decimals| digits(decimals, AMOUNT_DECIMALS_MAX))
}

fn is_ascii_digits(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_digit())
}

/// One data object, its value non-empty and at most [`VALUE_CHARS_MAX`] characters.
fn tlv(tag: Tag, field: Field, value: &str) -> Result<String, EncodeError> {
    let chars = value.chars().count();
    if chars == 0 {
        return Err(EncodeError::Empty { field });
    }
    if chars > VALUE_CHARS_MAX {
        return Err(EncodeError::TooLong { field, chars });
    }
    Ok(format!("{tag}{chars:02}{value}"))
}

/// One data object whose value is a constant of this module (two characters).
fn fixed(tag: Tag, value: &'static str) -> String {
    format!("{tag}{:02}{value}", value.chars().count())
}

/// `body` followed by `6304` and the CRC of both.
fn signed(body: String) -> String {
    let mut covered = body + &Tag::CRC.to_string() + "04";
    let crc = crc_hex(covered.as_bytes());
    covered.push_str(&crc);
    covered
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use proptest::prelude::*;

    use super::super::payload::Payload;
    use super::super::tlv::Contents;
    use super::*;

    fn noodles() -> MerchantPresented {
        MerchantPresented {
            merchant_name: "LAOWANG NOODLES".into(),
            merchant_city: "SHANGHAI".into(),
            mcc: "5812".into(),
            currency: "156".into(),
            country: "CN".into(),
            amount: None,
            account_guid: DEFAULT_ACCOUNT_GUID.into(),
            account: "mer_0001".into(),
            bill_number: None,
        }
    }

    #[test]
    fn a_static_code_is_written_in_tag_order_and_signed() {
        let payload = noodles().encode().unwrap();
        let body = "000201010211\
            26280012com.cardlife0108mer_0001\
            52045812530315658\
            02CN5915LAOWANG NOODLES6008SHANGHAI6304";
        assert_eq!(&payload[..payload.len() - 4], body);
        assert_eq!(&payload[payload.len() - 4..], crc_hex(body.as_bytes()));
    }

    #[test]
    fn an_amount_makes_the_code_dynamic() {
        let qr = MerchantPresented {
            amount: Some("36.50".into()),
            bill_number: Some("ORDER-42".into()),
            ..noodles()
        };
        let payload = Payload::decode(&qr.encode().unwrap()).unwrap();
        assert_eq!(
            payload.point_of_initiation(),
            Some(PointOfInitiation::Dynamic)
        );
        assert_eq!(payload.amount(), Some("36.50"));
        assert!(payload.crc_valid());
        let additional = payload
            .objects()
            .iter()
            .find(|o| o.tag == Tag::ADDITIONAL_DATA)
            .unwrap();
        assert_eq!(additional.children().unwrap()[0].value, "ORDER-42");
    }

    #[test]
    fn amounts_follow_one_to_ten_digits_and_up_to_two_decimals() {
        for good in ["0", "36.5", "36.50", "1234567890", "1234567890.12"] {
            assert!(is_amount(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "36.",
            ".50",
            "36.505",
            "12345678901",
            "-1",
            "+1",
            "1,000",
            "3 6",
            "١٢",
            "1.2.3",
            "1e3",
        ] {
            assert!(!is_amount(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_bad_amount_is_refused_with_a_clear_error() {
        let qr = MerchantPresented {
            amount: Some("36.505".into()),
            ..noodles()
        };
        let error = qr.encode().unwrap_err();
        assert_eq!(
            error,
            EncodeError::InvalidAmount {
                amount: "36.505".into()
            }
        );
        assert!(error.to_string().contains("36.505"));
    }

    #[test]
    fn a_value_over_99_characters_is_refused() {
        let qr = MerchantPresented {
            merchant_name: "面".repeat(100),
            ..noodles()
        };
        assert_eq!(
            qr.encode(),
            Err(EncodeError::TooLong {
                field: Field::MerchantName,
                chars: 100
            })
        );
        let qr = MerchantPresented {
            merchant_name: "面".repeat(99),
            ..noodles()
        };
        assert!(qr.encode().is_ok());
    }

    #[test]
    fn a_template_over_99_characters_is_refused_even_if_each_part_fits() {
        let qr = MerchantPresented {
            account: "a".repeat(90),
            ..noodles()
        };
        assert!(matches!(
            qr.encode(),
            Err(EncodeError::TooLong {
                field: Field::MerchantAccountTemplate,
                ..
            })
        ));
    }

    #[test]
    fn empty_fields_and_malformed_codes_are_refused() {
        let empty_city = MerchantPresented {
            merchant_city: String::new(),
            ..noodles()
        };
        assert_eq!(
            empty_city.encode(),
            Err(EncodeError::Empty {
                field: Field::MerchantCity
            })
        );
        let mcc = MerchantPresented {
            mcc: "581".into(),
            ..noodles()
        };
        assert!(matches!(mcc.encode(), Err(EncodeError::InvalidMcc { .. })));
        let currency = MerchantPresented {
            currency: "CNY".into(),
            ..noodles()
        };
        assert!(matches!(
            currency.encode(),
            Err(EncodeError::InvalidCurrency { .. })
        ));
        let country = MerchantPresented {
            country: "cn".into(),
            ..noodles()
        };
        assert!(matches!(
            country.encode(),
            Err(EncodeError::InvalidCountry { .. })
        ));
    }

    fn text(max: usize) -> impl Strategy<Value = String> {
        prop::string::string_regex(&format!("[A-Za-z0-9 ._老王面馆上海é€😀-]{{1,{max}}}")).unwrap()
    }

    fn merchant() -> impl Strategy<Value = MerchantPresented> {
        (
            (text(99), text(99), "[0-9]{4}", "[0-9]{3}", "[A-Z]{2}"),
            prop::option::of("[0-9]{1,10}(\\.[0-9]{1,2})?"),
            (text(40), text(40), prop::option::of(text(95))),
        )
            .prop_map(
                |((name, city, mcc, currency, country), amount, (guid, account, bill))| {
                    MerchantPresented {
                        merchant_name: name,
                        merchant_city: city,
                        mcc,
                        currency,
                        country,
                        amount,
                        account_guid: guid,
                        account,
                        bill_number: bill,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn encoded_payloads_decode_to_what_was_encoded(qr in merchant()) {
            let encoded = qr.encode().unwrap();
            let payload = Payload::decode(&encoded).unwrap();
            prop_assert!(payload.crc_valid());
            prop_assert_eq!(payload.payload_format(), Some("01"));
            prop_assert_eq!(payload.merchant_name(), Some(qr.merchant_name.as_str()));
            prop_assert_eq!(payload.merchant_city(), Some(qr.merchant_city.as_str()));
            prop_assert_eq!(payload.mcc(), Some(qr.mcc.as_str()));
            prop_assert_eq!(payload.currency(), Some(qr.currency.as_str()));
            prop_assert_eq!(payload.country(), Some(qr.country.as_str()));
            prop_assert_eq!(payload.amount(), qr.amount.as_deref());
            let expected = if qr.amount.is_some() {
                PointOfInitiation::Dynamic
            } else {
                PointOfInitiation::Static
            };
            prop_assert_eq!(payload.point_of_initiation(), Some(expected));
            let account = payload.objects().iter().find(|o| o.tag == Tag::MERCHANT_ACCOUNT).unwrap();
            let Contents::Template(children) = &account.contents else {
                return Err(TestCaseError::fail("template 26 is not TLV"));
            };
            prop_assert_eq!(&children[0].value, &qr.account_guid);
            prop_assert_eq!(&children[1].value, &qr.account);
            let bill = payload
                .objects()
                .iter()
                .find(|o| o.tag == Tag::ADDITIONAL_DATA)
                .and_then(|o| o.children())
                .map(|children| children[0].value.clone());
            prop_assert_eq!(bill, qr.bill_number);
        }
    }
}
