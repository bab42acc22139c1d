//! Coupon and campaign terms as people type them (the API's JSON and the console's form share
//! these): amounts in yuan (`"10.00"`), a percentage (`"15"` for 15 % off), dates `YYYY-MM-DD`,
//! lists comma-separated. Parsing answers one precise `INVALID_TERMS` reason and builds nothing.

use cardlife_kernel::{BusinessZone, MerchantId, Money, Rate};
use cardlife_rewards::CardBin;
use cardlife_rewards::Mcc;
use cardlife_rewards::RewardsError;
use cardlife_rewards::campaign::Trigger;
use cardlife_rewards::coupon::{Caps, Discount, FundingSource, Scope, Validity};
use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::campaigns::NewCampaign;
use super::coupons::{CouponTemplateId, NewCouponTemplate, PartnerId};
use super::segment_terms::SegmentInput;
use crate::AppError;

/// The largest amount a template or campaign takes (10,000,000.00 yuan).
const AMOUNT_FEN_MAX: i64 = 1_000_000_000;
/// The largest stock or cap.
const COUNT_MAX: u32 = 10_000_000;

/// A coupon template as typed.
#[derive(Debug, Clone, Default)]
pub struct TemplateTerms {
    /// Name.
    pub name: String,
    /// `fixed_off`, `percent_off` or `threshold`.
    pub kind: String,
    /// Amount off (fixed, threshold).
    pub off: String,
    /// Percent off, e.g. `15` (percent off).
    pub percent: String,
    /// Most a percent-off coupon takes.
    pub cap: String,
    /// The threshold.
    pub min_spend: String,
    /// A fixed window's first date (with `valid_until`), or empty.
    pub valid_from: String,
    /// A fixed window's last date.
    pub valid_until: String,
    /// Days valid from the claim (instead of a window).
    pub valid_days: String,
    /// Merchant ids, comma-separated (empty: any).
    pub merchants: String,
    /// MCCs, comma-separated (empty: any).
    pub mccs: String,
    /// Card BINs, comma-separated (empty: any).
    pub card_bins: String,
    /// `bank`, `merchant` or `partner`.
    pub funding: String,
    /// The funding merchant's or partner's id.
    pub funder_id: String,
    /// Total face value that may be issued.
    pub budget: String,
    /// Most coupons.
    pub stock: String,
    /// Per-customer cap.
    pub per_user: String,
    /// Per-customer per-day cap (empty: none).
    pub per_user_per_day: String,
    /// All-customers per-day cap (empty: none).
    pub per_day: String,
    /// Customers may claim it themselves.
    pub claimable: bool,
}

/// A campaign as typed.
#[derive(Debug, Clone, Default)]
pub struct CampaignTerms {
    /// Name.
    pub name: String,
    /// `first_card_binding` or `payment`.
    pub trigger: String,
    /// For a payment trigger: the minimum amount.
    pub min_amount: String,
    /// For a payment trigger: MCCs, comma-separated (empty: any).
    pub mccs: String,
    /// For a payment trigger: ISO weekdays 1–7, comma-separated (empty: any).
    pub weekdays: String,
    /// Variant A's template (`cpt_…`).
    pub template_a: String,
    /// Variant B's template (empty: no A/B test).
    pub template_b: String,
    /// Variant A's share in percent when there is a B (1–99).
    pub split_a: String,
    /// Budget (face value granted).
    pub budget: String,
    /// RFC 3339 start.
    pub starts_at: String,
    /// RFC 3339 end.
    pub ends_at: String,
    /// Awards per customer.
    pub per_customer: String,
    /// Who it targets (every list empty: everybody).
    pub segment: SegmentInput,
}

fn bad(reason: &'static str) -> AppError {
    AppError::Rewards(RewardsError::InvalidConfig { reason })
}

fn amount(text: &str, reason: &'static str) -> Result<Money, AppError> {
    match Money::parse_cny(text.trim()) {
        Ok(m) if m.is_positive() && m.fen() <= AMOUNT_FEN_MAX => Ok(m),
        _ => Err(bad(reason)),
    }
}

fn number(text: &str, reason: &'static str) -> Result<u32, AppError> {
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=COUNT_MAX).contains(&n) => Ok(n),
        _ => Err(bad(reason)),
    }
}

fn optional_number(text: &str, reason: &'static str) -> Result<Option<u32>, AppError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    number(text, reason).map(Some)
}

fn list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn mccs(text: &str) -> Result<Vec<Mcc>, AppError> {
    list(text)
        .map(|m| {
            let ok = m.len() == 4 && m.bytes().all(|b| b.is_ascii_digit());
            m.parse::<u16>()
                .ok()
                .filter(|_| ok)
                .and_then(|v| Mcc::new(v).ok())
                .ok_or(bad("an MCC is four digits"))
        })
        .collect()
}

fn date(text: &str, reason: &'static str) -> Result<Date, AppError> {
    text.trim().parse::<Date>().map_err(|_| bad(reason))
}

impl TemplateTerms {
    /// The template these terms describe, or the first thing wrong with them.
    pub fn parse(&self) -> Result<NewCouponTemplate, AppError> {
        super::coupons::check_name(&self.name)?;
        let discount = match self.kind.trim() {
            "fixed_off" => Discount::FixedOff {
                off: amount(&self.off, "the amount off is a positive amount in yuan")?,
            },
            "percent_off" => {
                let pct = self
                    .percent
                    .trim()
                    .parse::<Decimal>()
                    .ok()
                    .filter(|p| *p > Decimal::ZERO && *p <= Decimal::from(100) && p.scale() <= 2)
                    .ok_or(bad("the percent off is more than 0 and at most 100"))?;
                Discount::PercentOff {
                    rate: Rate::new(pct / Decimal::from(100)),
                    cap: amount(
                        &self.cap,
                        "a percent-off coupon needs a positive cap in yuan",
                    )?,
                }
            }
            "threshold" => Discount::Threshold {
                min_spend: amount(
                    &self.min_spend,
                    "the threshold is a positive amount in yuan",
                )?,
                off: amount(&self.off, "the amount off is a positive amount in yuan")?,
            },
            _ => return Err(bad("the kind is fixed_off, percent_off or threshold")),
        };
        let validity = if self.valid_days.trim().is_empty() {
            Validity::Window {
                from: date(
                    &self.valid_from,
                    "a validity window needs a first date YYYY-MM-DD",
                )?,
                until: date(
                    &self.valid_until,
                    "a validity window needs a last date YYYY-MM-DD",
                )?,
            }
        } else {
            let days = self
                .valid_days
                .trim()
                .parse::<i32>()
                .ok()
                .filter(|d| (1..=3660).contains(d))
                .ok_or(bad("days of validity are 1 to 3660"))?;
            Validity::DaysAfterClaim { days }
        };
        let merchants = list(&self.merchants)
            .map(|m| {
                MerchantId::parse(m).map_err(|_| bad("a merchant id is mer_ and 32 hex digits"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let card_bins = list(&self.card_bins)
            .map(|b| CardBin::parse(b).map_err(|_| bad("a card BIN is 6 to 8 digits")))
            .collect::<Result<Vec<_>, _>>()?;
        let funding = match self.funding.trim() {
            "" | "bank" => FundingSource::Bank,
            "merchant" => FundingSource::Merchant(
                MerchantId::parse(self.funder_id.trim())
                    .map_err(|_| bad("merchant funding needs the merchant's id"))?,
            ),
            "partner" => FundingSource::Partner(
                PartnerId::parse(self.funder_id.trim())
                    .map_err(|_| bad("partner funding needs the partner's id (ptn_…)"))?,
            ),
            _ => return Err(bad("the funding is bank, merchant or partner")),
        };
        Ok(NewCouponTemplate {
            name: self.name.trim().to_owned(),
            discount,
            validity,
            scope: Scope {
                merchants,
                mccs: mccs(&self.mccs)?,
                scenes: Vec::new(),
                card_bins,
            },
            funding,
            budget: amount(&self.budget, "the budget is a positive amount in yuan")?,
            stock: number(&self.stock, "the stock is 1 to 10,000,000")?,
            caps: Caps {
                per_user: number(&self.per_user, "the per-customer cap is 1 to 10,000,000")?,
                per_user_per_day: optional_number(
                    &self.per_user_per_day,
                    "the per-customer daily cap is empty or 1 to 10,000,000",
                )?,
                per_day: optional_number(
                    &self.per_day,
                    "the daily cap is empty or 1 to 10,000,000",
                )?,
            },
            claimable: self.claimable,
        })
    }
}

impl CampaignTerms {
    /// The campaign these terms describe, or the first thing wrong with them.
    pub fn parse(&self) -> Result<NewCampaign, AppError> {
        super::coupons::check_name(&self.name)?;
        let trigger = match self.trigger.trim() {
            "first_card_binding" => Trigger::FirstCardBinding,
            "payment" => {
                let weekdays = list(&self.weekdays)
                    .map(|d| {
                        d.parse::<i8>()
                            .ok()
                            .filter(|d| (1..=7).contains(d))
                            .ok_or(bad("a weekday is 1 (Monday) to 7 (Sunday)"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Trigger::Payment {
                    min_amount: amount(
                        &self.min_amount,
                        "a payment trigger needs a positive minimum in yuan",
                    )?,
                    mccs: mccs(&self.mccs)?,
                    weekdays,
                }
            }
            _ => return Err(bad("the trigger is first_card_binding or payment")),
        };
        let template = |t: &str| {
            CouponTemplateId::parse(t.trim())
                .map_err(|_| bad("a template id is cpt_ and 32 hex digits"))
        };
        let a = template(&self.template_a)?;
        let variants = if self.template_b.trim().is_empty() {
            vec![("A".to_owned(), 1, a)]
        } else {
            let split = self
                .split_a
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|s| (1..=99).contains(s))
                .ok_or(bad("variant A's share is 1 to 99 percent"))?;
            vec![
                ("A".to_owned(), split, a),
                ("B".to_owned(), 100 - split, template(&self.template_b)?),
            ]
        };
        // An RFC 3339 instant, or a date meaning its start in Asia/Shanghai.
        let instant = |t: &str, reason| {
            let t = t.trim();
            t.parse::<Timestamp>()
                .or_else(|_| {
                    t.parse::<Date>()
                        .map(|d| BusinessZone::shanghai().start_of(d))
                })
                .map_err(|_| bad(reason))
        };
        Ok(NewCampaign {
            name: self.name.trim().to_owned(),
            trigger,
            segment: self.segment.parse()?,
            variants,
            budget: amount(&self.budget, "the budget is a positive amount in yuan")?,
            starts_at: instant(
                &self.starts_at,
                "the start is a date YYYY-MM-DD or an RFC 3339 instant",
            )?,
            ends_at: instant(
                &self.ends_at,
                "the end is a date YYYY-MM-DD or an RFC 3339 instant",
            )?,
            per_customer: number(
                &self.per_customer,
                "the per-customer limit is 1 to 10,000,000",
            )?,
        })
    }
}
