//! Coupon templates and claims (docs/rewards.md, "Coupons"): operators (campaign manager,
//! admin) create templates whose budget is funded on the ledger; customers list what they may
//! claim, claim, and list their own coupons. Every claim — by a customer or granted by a
//! campaign — goes through [`App::issue_coupon_in`], which decides under the template's row lock
//! with the domain's [`admit`], so stock, budget and caps hold across concurrent claims and
//! processes.

use cardlife_kernel::{CustomerId, MerchantId, Money, Rate};
use cardlife_rewards::RewardsError;
use cardlife_rewards::coupon::{Caps, CouponTemplate, Scope, Tally, admit};
use cardlife_store::audit::{self, AuditEntry};
use cardlife_store::rewards::coupons::{CouponRecord, CouponStore, TemplateRecord};
use cardlife_store::tx::Tx;
use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::coupon_ledger::budget_account;
use crate::merchants::operators::{Operator, Role};
use crate::{App, AppError};

pub use cardlife_rewards::RewardsError as CouponRefusal;
pub use cardlife_rewards::coupon::{Discount, FundingSource, Validity};
pub use cardlife_rewards::ids::{CouponId, CouponTemplateId, PartnerId};

/// Most templates or coupons one list shows.
pub const LIST_MAX: u32 = 200;
/// The longest template or campaign name, in characters.
pub const NAME_CHARS_MAX: usize = 40;

/// A template an operator asks for.
#[derive(Debug, Clone)]
pub struct NewCouponTemplate {
    /// Shown to customers (1–40 characters, no markup).
    pub name: String,
    /// Value.
    pub discount: Discount,
    /// Validity.
    pub validity: Validity,
    /// Scope.
    pub scope: Scope,
    /// Who pays.
    pub funding: FundingSource,
    /// Total face value that may be issued (moved to the budget account at once).
    pub budget: Money,
    /// Most coupons.
    pub stock: u32,
    /// Caps.
    pub caps: Caps,
    /// Whether customers may claim it themselves (else only campaigns grant it).
    pub claimable: bool,
}

/// A template, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateView {
    /// `cpt_…`.
    pub id: CouponTemplateId,
    /// Its name.
    pub name: String,
    /// The domain terms.
    pub terms: CouponTemplate,
    /// Customers may claim it.
    pub claimable: bool,
    /// Coupons issued.
    pub issued: u32,
    /// Face value issued.
    pub issued_value: Money,
    /// The budget's ledger account.
    pub budget_account: u128,
    /// When it was created.
    pub created_at: Timestamp,
}

impl TemplateView {
    /// Coupons still to issue (stock and budget both left).
    pub fn remaining(&self) -> u32 {
        let by_stock = self.terms.stock.saturating_sub(self.issued);
        let face = self.terms.discount.face_value().fen().max(1);
        let left = self
            .terms
            .budget
            .fen()
            .saturating_sub(self.issued_value.fen())
            / face;
        by_stock.min(u32::try_from(left).unwrap_or(u32::MAX))
    }
}

/// A claimed coupon, as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponView {
    /// `cpn_…`.
    pub id: CouponId,
    /// Its template.
    pub template: CouponTemplateId,
    /// The template's name.
    pub name: String,
    /// What it takes off.
    pub discount: Discount,
    /// `available`, `reserved`, `redeemed` or `expired` (an available coupon past its last
    /// valid date shows expired before the expiry sweep marks it).
    pub state: String,
    /// First valid date.
    pub valid_from: Date,
    /// Last valid date.
    pub valid_until: Date,
    /// The discount it gave (redeemed) or holds (reserved).
    pub discount_given: Money,
    /// `claim` or the campaign that granted it.
    pub source: String,
    /// When it was issued.
    pub claimed_at: Timestamp,
}

fn corrupt(what: &'static str) -> AppError {
    AppError::Storage(cardlife_store::StoreError::Corrupt(what))
}

fn date_of(text: &str) -> Result<Date, AppError> {
    text.parse().map_err(|_| corrupt("coupon date"))
}

fn count(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn invalid(reason: &'static str) -> AppError {
    AppError::Rewards(RewardsError::InvalidConfig { reason })
}

/// The domain template of a stored row.
pub(crate) fn terms_of(t: &TemplateRecord) -> Result<CouponTemplate, AppError> {
    let discount = match t.kind.as_str() {
        "fixed_off" => Discount::FixedOff {
            off: Money::cny(t.off_fen),
        },
        "percent_off" => Discount::PercentOff {
            rate: Rate::new(Decimal::new(t.percent_bp, 4)),
            cap: Money::cny(t.cap_fen),
        },
        "threshold" => Discount::Threshold {
            min_spend: Money::cny(t.min_spend_fen),
            off: Money::cny(t.off_fen),
        },
        _ => return Err(corrupt("coupon kind")),
    };
    let validity = match (
        t.validity.as_str(),
        &t.valid_from,
        &t.valid_until,
        t.valid_days,
    ) {
        ("window", Some(from), Some(until), _) => Validity::Window {
            from: date_of(from)?,
            until: date_of(until)?,
        },
        ("days", _, _, Some(days)) => Validity::DaysAfterClaim {
            days: i32::try_from(days).map_err(|_| corrupt("coupon days"))?,
        },
        _ => return Err(corrupt("coupon validity")),
    };
    let funding = match (t.funding.as_str(), &t.funder_id) {
        ("bank", _) => FundingSource::Bank,
        ("merchant", Some(id)) => {
            FundingSource::Merchant(MerchantId::parse(id).map_err(|_| corrupt("funder"))?)
        }
        ("partner", Some(id)) => {
            FundingSource::Partner(PartnerId::parse(id).map_err(|_| corrupt("funder"))?)
        }
        _ => return Err(corrupt("coupon funding")),
    };
    Ok(CouponTemplate {
        id: CouponTemplateId::from_uuid(t.id),
        discount,
        validity,
        scope: serde_json::from_str(&t.scope_json).map_err(|_| corrupt("coupon scope"))?,
        funding,
        budget: Money::cny(t.budget_fen),
        stock: count(t.stock),
        caps: Caps {
            per_user: count(t.per_user),
            per_user_per_day: t.per_user_per_day.map(count),
            per_day: t.per_day.map(count),
        },
    })
}

fn view_of(t: &TemplateRecord) -> Result<TemplateView, AppError> {
    Ok(TemplateView {
        id: CouponTemplateId::from_uuid(t.id),
        name: t.name.clone(),
        terms: terms_of(t)?,
        claimable: t.claimable,
        issued: count(t.issued),
        issued_value: Money::cny(t.issued_fen),
        budget_account: t
            .budget_account
            .parse::<uuid::Uuid>()
            .map_err(|_| corrupt("budget account"))?
            .as_u128(),
        created_at: t.created_at,
    })
}

/// A stored row for new terms (the discount's columns, validity, funding).
fn record_of(
    id: uuid::Uuid,
    new: &NewCouponTemplate,
    budget_account: u128,
    by: &Operator,
    now: Timestamp,
) -> Result<TemplateRecord, AppError> {
    let (kind, off, bp, cap, min) = match new.discount {
        Discount::FixedOff { off } => ("fixed_off", off.fen(), 0, 0, 0),
        Discount::PercentOff { rate, cap } => {
            let bp = (rate.as_decimal() * Decimal::from(10_000))
                .trunc()
                .try_into()
                .map_err(|_| invalid("a percent-off rate has at most two decimals of a percent"))?;
            ("percent_off", 0, bp, cap.fen(), 0)
        }
        Discount::Threshold { min_spend, off } => ("threshold", off.fen(), 0, 0, min_spend.fen()),
    };
    let (validity, from, until, days) = match new.validity {
        Validity::Window { from, until } => (
            "window",
            Some(from.to_string()),
            Some(until.to_string()),
            None,
        ),
        Validity::DaysAfterClaim { days } => ("days", None, None, Some(i64::from(days))),
    };
    let (funding, funder) = match new.funding {
        FundingSource::Bank => ("bank", None),
        FundingSource::Merchant(m) => ("merchant", Some(m.to_string())),
        FundingSource::Partner(p) => ("partner", Some(p.to_string())),
    };
    Ok(TemplateRecord {
        id,
        name: new.name.clone(),
        kind: kind.to_owned(),
        off_fen: off,
        percent_bp: bp,
        cap_fen: cap,
        min_spend_fen: min,
        face_fen: new.discount.face_value().fen(),
        validity: validity.to_owned(),
        valid_from: from,
        valid_until: until,
        valid_days: days,
        scope_json: serde_json::to_string(&new.scope).map_err(|_| invalid("scope"))?,
        funding: funding.to_owned(),
        funder_id: funder,
        budget_fen: new.budget.fen(),
        stock: i64::from(new.stock),
        per_user: i64::from(new.caps.per_user),
        per_user_per_day: new.caps.per_user_per_day.map(i64::from),
        per_day: new.caps.per_day.map(i64::from),
        claimable: new.claimable,
        issued: 0,
        issued_fen: 0,
        budget_account: uuid::Uuid::from_u128(budget_account).to_string(),
        created_by: by.id.to_string(),
        created_at: now,
    })
}

/// Checks a name: 1–40 characters, no markup or control characters.
pub fn check_name(name: &str) -> Result<(), AppError> {
    let n = name.trim().chars().count();
    if n == 0 || n > NAME_CHARS_MAX {
        return Err(invalid("a name is 1 to 40 characters"));
    }
    if name.chars().any(|c| c == '<' || c == '>' || c.is_control()) {
        return Err(invalid("a name has no markup or control characters"));
    }
    Ok(())
}

pub(crate) fn operator_audit(
    by: &Operator,
    now: Timestamp,
    action: &'static str,
    subject_kind: &'static str,
    subject_id: String,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        at: now,
        actor_kind: "operator",
        actor_id: by.id.to_string(),
        action,
        subject_kind,
        subject_id,
        detail: detail.to_string(),
    }
}

fn coupon_view(c: &CouponRecord, t: &TemplateView, today: Date) -> Result<CouponView, AppError> {
    let valid_until = date_of(&c.valid_until)?;
    let state = if c.state == "available" && valid_until < today {
        "expired".to_owned()
    } else {
        c.state.clone()
    };
    Ok(CouponView {
        id: CouponId::from_uuid(c.id),
        template: t.id,
        name: t.name.clone(),
        discount: t.terms.discount,
        state,
        valid_from: date_of(&c.valid_from)?,
        valid_until,
        discount_given: Money::cny(c.discount_fen),
        source: c.source.clone(),
        claimed_at: c.claimed_at,
    })
}

impl App {
    pub(crate) fn coupon_store(&self) -> CouponStore {
        CouponStore::new(self.db().clone())
    }

    /// Creates a coupon template (campaign manager or admin): checks the terms, funds its budget
    /// on the ledger, stores it with its audit entry. Bad terms change nothing.
    pub async fn create_coupon_template(
        &self,
        by: &Operator,
        new: NewCouponTemplate,
    ) -> Result<TemplateView, AppError> {
        by.require(Role::CampaignManager)?;
        check_name(&new.name)?;
        let id = uuid::Uuid::now_v7();
        let terms = CouponTemplate {
            id: CouponTemplateId::from_uuid(id),
            discount: new.discount,
            validity: new.validity,
            scope: new.scope.clone(),
            funding: new.funding,
            budget: new.budget,
            stock: new.stock,
            caps: new.caps,
        };
        terms.validate().map_err(AppError::Rewards)?;
        if !new.budget.is_positive() || new.stock == 0 {
            return Err(invalid("a template needs a positive budget and stock"));
        }
        if let FundingSource::Merchant(m) = new.funding {
            self.merchant_record(m).await?;
        }
        let now = self.clock().now();
        // Built before any money moves: a row that cannot be stored moves nothing.
        let record = record_of(id, &new, budget_account(id), by, now)?;
        self.fund_coupon_budget(id, new.funding, new.budget).await?;
        let mut tx = Tx::begin(self.db()).await?;
        CouponStore::insert_template(&mut tx, &record).await?;
        let detail = serde_json::json!({
            "name": record.name, "kind": record.kind, "face": Money::cny(record.face_fen).to_string(),
            "budget": new.budget.to_string(), "stock": new.stock, "funding": record.funding,
        });
        let entry = operator_audit(
            by,
            now,
            "coupon_template.create",
            "coupon_template",
            terms.id.to_string(),
            detail,
        );
        audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        view_of(&record)
    }

    /// Every template, newest first (any operator role).
    pub async fn coupon_templates(&self, by: &Operator) -> Result<Vec<TemplateView>, AppError> {
        by.require_any(&[Role::Viewer, Role::CampaignManager, Role::RiskOfficer])?;
        self.coupon_store()
            .templates(false, LIST_MAX)
            .await?
            .iter()
            .map(view_of)
            .collect()
    }

    /// A template by id (`NotFound` as a missing coupon when there is none).
    pub(crate) async fn coupon_template(&self, id: uuid::Uuid) -> Result<TemplateView, AppError> {
        let t = self
            .coupon_store()
            .template(id)
            .await?
            .ok_or(AppError::Rewards(RewardsError::CouponNotFound))?;
        view_of(&t)
    }

    /// The templates `customer` may claim now, with how many of each the customer holds:
    /// customer-claimable, stock and budget left, window not over.
    pub async fn claimable_coupons(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<(TemplateView, u32)>, AppError> {
        let today = self.business_date();
        let mine = self.coupon_store().of_customer(customer, LIST_MAX).await?;
        let mut out = Vec::new();
        for t in self.coupon_store().templates(true, LIST_MAX).await? {
            let v = view_of(&t)?;
            let open = match v.terms.validity {
                Validity::Window { until, .. } => today <= until,
                Validity::DaysAfterClaim { .. } => true,
            };
            if !open || v.remaining() == 0 {
                continue;
            }
            let held = mine.iter().filter(|c| c.template == t.id).count();
            out.push((v, u32::try_from(held).unwrap_or(u32::MAX)));
        }
        Ok(out)
    }

    /// `customer` claims a coupon of a customer-claimable template. Refusals (sold out, budget
    /// spent, caps, window over) change nothing.
    pub async fn claim_coupon(
        &self,
        customer: CustomerId,
        template: CouponTemplateId,
        key: Option<&str>,
    ) -> Result<CouponView, AppError> {
        let t = self
            .coupon_store()
            .template(template.as_uuid())
            .await?
            .filter(|t| t.claimable)
            .ok_or(AppError::Rewards(RewardsError::CouponNotFound))?;
        let now = self.clock().now();
        let mut tx = Tx::begin(self.db()).await?;
        let coupon = self
            .issue_coupon_in(&mut tx, &t, customer, "claim", key, now)
            .await?;
        tx.commit().await?;
        coupon_view(&coupon, &view_of(&t)?, self.business_date())
    }

    /// Issues one coupon of `t` to `customer` inside `tx`: locks the template, reads the tally,
    /// decides with the domain's [`admit`], writes. Shared by claims and campaign grants.
    pub(crate) async fn issue_coupon_in(
        &self,
        tx: &mut Tx,
        t: &TemplateRecord,
        customer: CustomerId,
        source: &str,
        key: Option<&str>,
        now: Timestamp,
    ) -> Result<CouponRecord, AppError> {
        let terms = terms_of(t)?;
        let today = self.business_date();
        let day = today.to_string();
        let counts = CouponStore::lock_template(tx, t.id, customer, &day)
            .await?
            .ok_or(AppError::Rewards(RewardsError::CouponNotFound))?;
        let tally = Tally {
            issued: count(counts.issued),
            issued_value: Money::cny(counts.issued_fen),
            by_owner: count(counts.by_customer),
            by_owner_today: count(counts.by_customer_on_day),
            all_today: count(counts.on_day),
        };
        admit(&terms, tally, today).map_err(AppError::Rewards)?;
        let (from, until) = terms.validity.period(today).map_err(AppError::Rewards)?;
        let coupon = CouponRecord {
            id: uuid::Uuid::now_v7(),
            template: t.id,
            customer,
            claimed_on: day,
            valid_from: from.to_string(),
            valid_until: until.to_string(),
            state: "available".to_owned(),
            order: None,
            discount_fen: 0,
            source: source.to_owned(),
            idempotency_key: key.map(str::to_owned),
            claimed_at: now,
        };
        CouponStore::issue(tx, &coupon, terms.discount.face_value().fen()).await?;
        Ok(coupon)
    }

    /// `customer`'s coupons, newest first.
    pub async fn my_coupons(&self, customer: CustomerId) -> Result<Vec<CouponView>, AppError> {
        let today = self.business_date();
        let mut templates: Vec<TemplateView> = Vec::new();
        let mut out = Vec::new();
        for c in self.coupon_store().of_customer(customer, LIST_MAX).await? {
            let t = match templates.iter().find(|t| t.id.as_uuid() == c.template) {
                Some(t) => t.clone(),
                None => {
                    let t = self.coupon_template(c.template).await?;
                    templates.push(t.clone());
                    t
                }
            };
            out.push(coupon_view(&c, &t, today)?);
        }
        Ok(out)
    }

    /// The expiry sweep: available coupons past their last valid date become expired (nothing
    /// was held for them on the ledger, so nothing moves). Returns how many.
    pub async fn expire_coupons(&self) -> Result<u64, AppError> {
        let today = self.business_date().to_string();
        Ok(self
            .coupon_store()
            .expire_before(&today, self.clock().now())
            .await?)
    }
}
