//! A lottery's terms as people type them (the API's JSON and the console form), parsed into
//! domain types at the edge. Amounts are yuan (`"1000.00"`), odds basis points (`"100"` =
//! 1 %), instants a date (its start in Asia/Shanghai) or RFC 3339. Every refusal is
//! `INVALID_TERMS` with the reason, and nothing is written.

use cardlife_kernel::{BusinessZone, Money, Points};
use cardlife_rewards::RewardsError;
use cardlife_rewards::campaign::{SpendTier, SpendTierRule};
use cardlife_rewards::ids::CouponTemplateId;
use cardlife_rewards::lottery::{LotteryPrize, LotteryTerms, PrizeKind};
use jiff::Timestamp;
use jiff::civil::Date;

use super::lottery::NewLottery;
use super::segment_terms::SegmentInput;
use crate::AppError;

/// Largest amount accepted, fen (10,000,000.00).
const AMOUNT_FEN_MAX: i64 = 1_000_000_000;
/// Largest stock or points value accepted.
const COUNT_MAX: u32 = 10_000_000;

/// One prize as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrizeInput {
    /// Shown to customers.
    pub name: String,
    /// Basis points.
    pub odds_bp: String,
    /// `coupon`, `points` or `none`.
    pub kind: String,
    /// `cpt_…` (coupon).
    pub template: String,
    /// Points (points).
    pub points: String,
    /// Units (coupon, points).
    pub stock: String,
}

/// A lottery as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LotteryInput {
    /// 1–40 characters.
    pub name: String,
    /// `(minimum monthly spend in yuan, draws in total at that tier)`, ascending.
    pub tiers: Vec<(String, String)>,
    /// The prizes; their odds sum to 10,000.
    pub prizes: Vec<PrizeInput>,
    /// Coupon face value the draws may award, yuan (`"0"` allowed).
    pub budget: String,
    /// Points the draws may award (`"0"` allowed).
    pub points_budget: String,
    /// First instant it runs.
    pub starts_at: String,
    /// First instant it no longer runs.
    pub ends_at: String,
    /// Target lifecycle stages (codes); empty = any.
    pub stages: Vec<String>,
    /// Target value tiers (codes); empty = any.
    pub value_tiers: Vec<String>,
    /// Target card BINs; empty = any.
    pub card_bins: Vec<String>,
}

fn bad(reason: &'static str) -> AppError {
    AppError::Rewards(RewardsError::InvalidConfig { reason })
}

fn count(text: &str, reason: &'static str) -> Result<u32, AppError> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= COUNT_MAX)
        .ok_or(bad(reason))
}

fn budget(text: &str, reason: &'static str) -> Result<Money, AppError> {
    let text = if text.trim().is_empty() {
        "0"
    } else {
        text.trim()
    };
    match Money::parse_cny(text) {
        Ok(m) if m.fen() >= 0 && m.fen() <= AMOUNT_FEN_MAX => Ok(m),
        _ => Err(bad(reason)),
    }
}

fn instant(text: &str, reason: &'static str) -> Result<Timestamp, AppError> {
    let t = text.trim();
    t.parse::<Timestamp>()
        .or_else(|_| {
            t.parse::<Date>()
                .map(|d| BusinessZone::shanghai().start_of(d))
        })
        .map_err(|_| bad(reason))
}

fn tier((min, draws): &(String, String)) -> Result<SpendTier, AppError> {
    let min_spend = Money::parse_cny(min.trim())
        .ok()
        .filter(|m| m.fen().abs() <= AMOUNT_FEN_MAX)
        .ok_or(bad("a tier's minimum is an amount in yuan"))?;
    let units = draws
        .trim()
        .parse::<u32>()
        .map_err(|_| bad("a tier gives a whole number of draws"))?;
    Ok(SpendTier { min_spend, units })
}

fn prize(p: &PrizeInput) -> Result<LotteryPrize, AppError> {
    let odds_bp = p
        .odds_bp
        .trim()
        .parse::<u32>()
        .map_err(|_| bad("a prize's odds are 0 to 10,000 basis points"))?;
    let stock = || count(&p.stock, "a prize's stock is 1 to 10,000,000");
    let (kind, stock) = match p.kind.trim() {
        "coupon" => (
            PrizeKind::Coupon {
                template: CouponTemplateId::parse(p.template.trim())
                    .map_err(|_| bad("a template id is cpt_ and 32 hex digits"))?,
                // Replaced by the template's own face value when the lottery is created.
                face_value: Money::cny(1),
            },
            stock()?,
        ),
        "points" => (
            PrizeKind::Points(Points::new(i64::from(count(
                &p.points,
                "a points prize is 1 to 10,000,000 points",
            )?))),
            stock()?,
        ),
        "none" => (PrizeKind::Nothing, 0),
        _ => return Err(bad("a prize is coupon, points or none")),
    };
    Ok(LotteryPrize {
        name: p.name.trim().to_owned(),
        odds_bp,
        kind,
        stock,
    })
}

impl LotteryInput {
    /// The domain's lottery, or the first thing wrong with it.
    pub fn parse(&self) -> Result<NewLottery, AppError> {
        super::coupons::check_name(&self.name)?;
        let rule = SpendTierRule {
            tiers: self.tiers.iter().map(tier).collect::<Result<_, _>>()?,
            segment: SegmentInput {
                stages: self.stages.clone(),
                value_tiers: self.value_tiers.clone(),
                card_bins: self.card_bins.clone(),
            }
            .parse()?,
        };
        rule.validate().map_err(AppError::Rewards)?;
        let terms = LotteryTerms {
            prizes: self.prizes.iter().map(prize).collect::<Result<_, _>>()?,
            budget: budget(&self.budget, "the budget is an amount in yuan, 0 or more")?,
            points_budget: Points::new(i64::from(count(
                if self.points_budget.trim().is_empty() {
                    "0"
                } else {
                    self.points_budget.as_str()
                },
                "the points budget is 0 to 10,000,000 points",
            )?)),
        };
        terms.validate().map_err(AppError::Rewards)?;
        Ok(NewLottery {
            name: self.name.trim().to_owned(),
            rule,
            terms,
            starts_at: instant(
                &self.starts_at,
                "the start is a date YYYY-MM-DD or an RFC 3339 instant",
            )?,
            ends_at: instant(
                &self.ends_at,
                "the end is a date YYYY-MM-DD or an RFC 3339 instant",
            )?,
        })
    }

    /// Fills tiers and prizes from the console form's text: tiers `1000.00:1, 3000.00:3`;
    /// one prize a line, `name | odds_bp | coupon:cpt_… | stock`, `name | odds_bp |
    /// points:100 | stock` or `name | odds_bp | none`.
    pub fn with_text(mut self, tiers: &str, prizes: &str) -> Result<Self, AppError> {
        self.tiers = tiers
            .split([',', '\n'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.split_once(':')
                    .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
                    .ok_or(bad("a tier is written minimum:draws, e.g. 1000.00:1"))
            })
            .collect::<Result<_, _>>()?;
        self.prizes = prizes
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(prize_line)
            .collect::<Result<_, _>>()?;
        Ok(self)
    }
}

fn prize_line(line: &str) -> Result<PrizeInput, AppError> {
    let parts: Vec<&str> = line.split('|').map(str::trim).collect();
    let shape = "a prize line is name | odds | coupon:cpt_… or points:N or none | stock";
    let (name, odds, what) = match parts.as_slice() {
        [name, odds, what] | [name, odds, what, _] => (*name, *odds, *what),
        _ => return Err(bad(shape)),
    };
    let stock = parts.get(3).copied().unwrap_or_default();
    let (kind, value) = what.split_once(':').unwrap_or((what, ""));
    let mut p = PrizeInput {
        name: name.to_owned(),
        odds_bp: odds.to_owned(),
        kind: kind.trim().to_owned(),
        stock: stock.to_owned(),
        ..PrizeInput::default()
    };
    match p.kind.as_str() {
        "coupon" => p.template = value.trim().to_owned(),
        "points" => p.points = value.trim().to_owned(),
        "none" => {}
        _ => return Err(bad(shape)),
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn input() -> LotteryInput {
        LotteryInput {
            name: "Monthly draw".into(),
            budget: "500.00".into(),
            points_budget: "10000".into(),
            starts_at: "2026-11-01".into(),
            ends_at: "2027-01-01".into(),
            ..LotteryInput::default()
        }
        .with_text(
            "1000.00:1, 3000.00:3",
            "10 off | 1000 | coupon:cpt_0192f0c0a0b07c008000000000000001 | 20\n\
             100 points | 2000 | points:100 | 50\nThanks | 7000 | none",
        )
        .unwrap()
    }

    fn reason(i: &LotteryInput) -> &'static str {
        match i.parse() {
            Err(AppError::Rewards(RewardsError::InvalidConfig { reason })) => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_console_text_parses_into_tiers_and_prizes() {
        let l = input().parse().unwrap();
        assert_eq!(l.rule.tiers.len(), 2);
        assert_eq!(l.rule.draws_for(Money::cny(300_000)), 3);
        assert_eq!(l.terms.prizes.len(), 3);
        assert_eq!(l.terms.prizes[1].kind, PrizeKind::Points(Points::new(100)));
    }

    #[test]
    fn bad_terms_are_refused_with_the_reason() {
        let mut i = input();
        i.prizes[2].odds_bp = "6999".into();
        assert_eq!(reason(&i), "the odds must sum to 10,000 basis points");
        let mut i = input();
        i.tiers[0].0 = "-1000.00".into();
        assert_eq!(reason(&i), "a spend tier's minimum cannot be negative");
        let mut i = input();
        i.stages = vec!["vip".into()];
        assert!(reason(&i).starts_with("a lifecycle stage is"));
        let mut i = input();
        i.prizes[0].kind = "cash".into();
        assert_eq!(reason(&i), "a prize is coupon, points or none");
        let i = input().with_text("1000", "x");
        assert!(i.is_err());
    }
}
