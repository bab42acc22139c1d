//! MDR by payment type (docs/merchants.md, "Fees by payment type"): a merchant reviewer may
//! give a merchant its own rate, minimum and cap for merchant-presented QR payments (static
//! and dynamic codes) and for pay-code charges; a type without one is charged the merchant's
//! own rate. The fee is fixed at capture and stored on the order, so settlement, the fee
//! split and the reconciliation file read it unchanged.

use cardlife_kernel::{MerchantId, Money, Rate, Rounding};
use cardlife_payments::mdr::{FeePlan, FeeSchedule};
use cardlife_store::audit;
use cardlife_store::merchants::MerchantRecord;
use cardlife_store::merchants::fees::{FeeScheduleRecord, FeeStore};
use cardlife_store::tx::Tx;

use super::operators::{Operator, Role, operator_entry};
use super::{MerchantsError, fee_plan};
use crate::{App, AppError};

/// The largest rate a schedule may carry (10 %).
const RATE_FEN_ON_10K_MAX: i64 = 100_000;

/// The payment types a schedule is set for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeePaymentType {
    /// The payer scans the merchant's static or dynamic code.
    MerchantQr,
    /// The merchant scans the payer's pay code.
    PayCode,
}

impl FeePaymentType {
    /// `merchant_qr` or `pay_code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MerchantQr => "merchant_qr",
            Self::PayCode => "pay_code",
        }
    }

    /// From its name; anything else is `INVALID_FIELD`.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        match s {
            "merchant_qr" => Ok(Self::MerchantQr),
            "pay_code" => Ok(Self::PayCode),
            _ => Err(MerchantsError::InvalidField {
                field: "payment_type",
                reason: "merchant_qr or pay_code",
            }
            .into()),
        }
    }

    /// The type of an order by its channel.
    fn of_channel(channel: &str) -> Self {
        match channel {
            "pay_code" => Self::PayCode,
            _ => Self::MerchantQr,
        }
    }
}

/// A schedule as asked for and as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeScheduleView {
    /// Which payments it prices.
    pub payment_type: FeePaymentType,
    /// A decimal rate, `0.0038`.
    pub rate: String,
    /// The least fee per payment.
    pub minimum: Money,
    /// The most fee per payment, if any.
    pub cap: Option<Money>,
}

/// The schedule `rate`, `minimum`, `cap` if it is one: a rate from 0 to 0.1, a non-negative
/// minimum, a cap not below it.
fn schedule(v: &FeeScheduleView) -> Result<FeeSchedule, AppError> {
    let bad = |field, reason| MerchantsError::InvalidField { field, reason };
    let rate = Rate::parse(&v.rate).map_err(|_| bad("rate", "a decimal rate"))?;
    match rate.apply(Money::cny(1_000_000), Rounding::HalfUp) {
        Ok(fee) if !fee.is_negative() && fee.fen() <= RATE_FEN_ON_10K_MAX => {}
        _ => return Err(bad("rate", "a rate from 0 to 0.1").into()),
    }
    FeeSchedule::new(rate, v.minimum, v.cap)
        .map_err(|_| bad("cap", "a minimum of at least 0 and a cap not below it").into())
}

impl App {
    /// Sets the merchant's schedule for one payment type (merchant reviewer), audited in the
    /// same transaction; payments captured from now on are charged by it.
    pub async fn set_fee_schedule(
        &self,
        by: &Operator,
        merchant: MerchantId,
        wanted: FeeScheduleView,
    ) -> Result<FeeScheduleView, AppError> {
        by.require(Role::MerchantReviewer)?;
        schedule(&wanted)?;
        self.merchant_record(merchant).await?;
        let now = self.clock().now();
        let record = FeeScheduleRecord {
            merchant,
            payment_type: wanted.payment_type.as_str().to_owned(),
            rate: wanted.rate.clone(),
            minimum_fen: wanted.minimum.fen(),
            cap_fen: wanted.cap.map(Money::fen),
            updated_at: now,
        };
        let detail = serde_json::json!({
            "payment_type": record.payment_type, "rate": record.rate,
            "minimum": wanted.minimum.to_string(), "cap": wanted.cap.map(|c| c.to_string()),
        });
        let entry = operator_entry(
            by,
            now,
            "merchant.set_fee_schedule",
            "merchant",
            merchant.to_string(),
            detail,
        );
        let mut tx = Tx::begin(self.db()).await?;
        FeeStore::put(&mut tx, &record).await?;
        audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(wanted)
    }

    /// The fees of a payment of `channel` at `m`: its payment type's schedule when one was
    /// set, else the merchant's own rate. Both card types use it (every payer pays by credit
    /// card today).
    pub(crate) async fn fee_plan_for(
        &self,
        m: &MerchantRecord,
        channel: &str,
    ) -> Result<FeePlan, AppError> {
        let kind = FeePaymentType::of_channel(channel);
        let stored = FeeStore::new(self.db().clone())
            .of(m.id, kind.as_str())
            .await?;
        let Some(r) = stored else {
            return fee_plan(m);
        };
        let s = schedule(&FeeScheduleView {
            payment_type: kind,
            rate: r.rate,
            minimum: Money::cny(r.minimum_fen),
            cap: r.cap_fen.map(Money::cny),
        })?;
        Ok(FeePlan {
            credit: s,
            debit: s,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn view(rate: &str, minimum: i64, cap: Option<i64>) -> FeeScheduleView {
        FeeScheduleView {
            payment_type: FeePaymentType::PayCode,
            rate: rate.to_owned(),
            minimum: Money::cny(minimum),
            cap: cap.map(Money::cny),
        }
    }

    #[test]
    fn a_schedule_needs_a_rate_up_to_ten_percent_and_a_cap_not_below_its_minimum() {
        assert!(schedule(&view("0.0038", 0, Some(300))).is_ok());
        assert!(schedule(&view("0.1", 0, None)).is_ok());
        for bad in [
            view("0.11", 0, None),
            view("-0.01", 0, None),
            view("abc", 0, None),
            view("0.006", 500, Some(100)),
            view("0.006", -1, None),
        ] {
            assert!(schedule(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pay_code_orders_are_priced_as_pay_codes_and_every_code_kind_as_merchant_qr() {
        assert_eq!(
            FeePaymentType::of_channel("pay_code"),
            FeePaymentType::PayCode
        );
        for c in ["dynamic_qr", "static_qr"] {
            assert_eq!(FeePaymentType::of_channel(c), FeePaymentType::MerchantQr);
        }
        assert!(FeePaymentType::parse("debit").is_err());
    }
}
