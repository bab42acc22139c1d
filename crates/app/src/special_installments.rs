//! Special-purpose installments (专项分期: auto, travel, education, home improvement;
//! docs/api.md, "Card installments"; docs/domain.md §4): each account has a special limit per
//! purpose, separate from its credit limit, granted by a risk officer or an admin (audited in
//! the same transaction) or by the internal API. A plan is quoted and booked through the card
//! installment routes (`kind: special`); its principal is paid to the approved merchant named
//! — the card's merchant clearing to the merchant's payable account (transfer code
//! [`CODE_SPECIAL_TO_MERCHANT`]), settled T+1 with the merchant's captures — and occupies the
//! special limit, not the credit limit, until it is billed and repaid.

use cardlife_credit::quote::plan::Purpose;
use cardlife_kernel::{MerchantId, Money};
use cardlife_ledger::{CreateTransferResult, Transfer, TransferFlags};
use cardlife_store::audit;
use cardlife_store::credit::{SpecialState, mirror};
use cardlife_store::merchants::MerchantRecord;
use cardlife_store::special_installments::SpecialStore;
use cardlife_store::tx::Tx;
use uuid::Uuid;

use crate::installments::InstallmentError;
use crate::merchants::MerchantsError;
use crate::merchants::funding::{LEDGER_CNY, derived_id};
use crate::merchants::operators::{Operator, Role};
use crate::{App, AppError};
use cardlife_kernel::CustomerId;

/// Transfer code: a special-purpose plan's principal moved from the card's merchant clearing
/// to the merchant's payable account.
pub const CODE_SPECIAL_TO_MERCHANT: u16 = 305;
/// The local id of merchant clearing in every card's chart (credit/src/billing/postings.rs).
const MERCHANT_CLEARING: u128 = 10;
/// The largest special limit one grant sets (10,000,000.00).
pub const SPECIAL_LIMIT_MAX_FEN: i64 = 1_000_000_000;

/// One purpose's special limit on an account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SpecialLimitView {
    /// `auto`, `travel`, `education` or `home_improvement`.
    pub purpose: &'static str,
    /// Granted, fen (0: none granted).
    pub limit_fen: i64,
    /// Occupied by this purpose's plans: principal not yet repaid, fen.
    pub used_fen: i64,
    /// What a new plan may still take: limit − used, never below 0, fen.
    pub remaining_fen: i64,
    /// The product's smallest plan of this purpose, fen.
    pub min_amount_fen: i64,
    /// The product's largest plan of this purpose, fen.
    pub max_amount_fen: i64,
}

/// The purpose named `text`.
pub(crate) fn purpose(text: Option<&str>) -> Result<Purpose, InstallmentError> {
    let text = text.ok_or_else(|| {
        InstallmentError::UnknownPurpose(
            "a special-purpose plan names its \"purpose\": auto, travel, education or \
             home_improvement"
                .into(),
        )
    })?;
    Purpose::parse(text).ok_or_else(|| {
        InstallmentError::UnknownPurpose(format!(
            "{text:?} is not auto, travel, education or home_improvement"
        ))
    })
}

fn views(state: &SpecialState, limits: &[(Purpose, i64)]) -> Vec<SpecialLimitView> {
    state
        .used
        .iter()
        .map(|(p, used)| {
            let limit = limits.iter().find(|(q, _)| q == p).map_or(0, |(_, l)| *l);
            let range = state.amounts.of(*p);
            SpecialLimitView {
                purpose: p.as_str(),
                limit_fen: limit,
                used_fen: used.fen(),
                remaining_fen: limit.saturating_sub(used.fen()).max(0),
                min_amount_fen: range.min.fen(),
                max_amount_fen: range.max.fen(),
            }
        })
        .collect()
}

impl App {
    fn special_store(&self) -> SpecialStore {
        SpecialStore::new(self.db().clone())
    }

    fn credit_or_unavailable(&self) -> Result<&cardlife_store::credit::CreditService, AppError> {
        self.credit.as_ref().ok_or(AppError::Unavailable)
    }

    /// The limits granted on account `id`, by purpose.
    pub(crate) async fn special_limits_granted(
        &self,
        id: Uuid,
    ) -> Result<Vec<(Purpose, i64)>, AppError> {
        Ok(self
            .special_store()
            .limits(id)
            .await?
            .into_iter()
            .filter_map(|r| Purpose::parse(&r.purpose).map(|p| (p, r.limit_fen)))
            .collect())
    }

    async fn special_views(
        &self,
        id: Uuid,
        customer: Option<Uuid>,
    ) -> Result<Vec<SpecialLimitView>, AppError> {
        let state = self
            .credit_or_unavailable()?
            .special_state(id, customer)
            .await?;
        Ok(views(&state, &self.special_limits_granted(id).await?))
    }

    /// Every purpose's special limit on one of the holder's accounts.
    pub async fn special_limits(
        &self,
        customer: CustomerId,
        id: Uuid,
    ) -> Result<Vec<SpecialLimitView>, AppError> {
        self.credit_account(customer, id).await?;
        self.special_views(id, Some(customer.as_uuid())).await
    }

    /// Grants account `id` a special limit of `limit_fen` for `purpose`, replacing an earlier
    /// grant; `by` is the operator (a risk officer or an admin), or `None` for the internal API.
    /// Audited in the same transaction. A limit below what the purpose's plans occupy leaves
    /// them running and nothing remaining.
    pub async fn grant_special_limit(
        &self,
        by: Option<&Operator>,
        id: Uuid,
        purpose_name: &str,
        limit_fen: i64,
    ) -> Result<Vec<SpecialLimitView>, AppError> {
        if let Some(op) = by {
            op.require(Role::RiskOfficer)?;
        }
        let p = purpose(Some(purpose_name))?;
        if !(0..=SPECIAL_LIMIT_MAX_FEN).contains(&limit_fen) {
            return Err(AppError::InvalidAmount(format!(
                "limit_fen must be from 0 to {SPECIAL_LIMIT_MAX_FEN}, got {limit_fen}"
            )));
        }
        self.credit_account_any(id).await?;
        let now = self.clock().now();
        let (actor_kind, actor_id) = match by {
            Some(op) => ("operator", op.id.to_string()),
            None => ("system", "internal".to_owned()),
        };
        let granted_by = format!("{actor_kind}:{actor_id}");
        let mut tx = Tx::begin(self.db()).await?;
        SpecialStore::grant(&mut tx, id, p.as_str(), limit_fen, &granted_by, now).await?;
        let entry = audit::AuditEntry {
            at: now,
            actor_kind,
            actor_id,
            action: "credit_account.special_limit",
            subject_kind: "credit_account",
            subject_id: id.to_string(),
            detail: serde_json::json!({
                "purpose": p.as_str(), "limit": Money::cny(limit_fen).to_string(),
            })
            .to_string(),
        };
        audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        self.special_views(id, None).await
    }

    /// Account `id`'s special limit for `p` as granted (the engine judges what is left of it);
    /// refused when none, or 0, is granted.
    pub(crate) async fn special_limit_for(&self, id: Uuid, p: Purpose) -> Result<i64, AppError> {
        self.special_limits_granted(id)
            .await?
            .into_iter()
            .find(|(q, l)| *q == p && *l > 0)
            .map(|(_, l)| l)
            .ok_or_else(|| {
                InstallmentError::NoSpecialLimit(format!(
                    "this account has no {} limit",
                    p.as_str()
                ))
                .into()
            })
    }

    /// The approved merchant named `text` (`mer_…`).
    pub(crate) async fn special_merchant(
        &self,
        text: Option<&str>,
    ) -> Result<MerchantRecord, AppError> {
        let text = text.ok_or(InstallmentError::MerchantRequired)?;
        let unknown = || InstallmentError::MerchantUnknown(format!("{text:?} is not a merchant"));
        let id = MerchantId::parse(text).map_err(|_| unknown())?;
        let m = match self.merchant_record(id).await {
            Ok(m) => m,
            Err(AppError::Merchants(MerchantsError::NotFound(_))) => return Err(unknown().into()),
            Err(e) => return Err(e),
        };
        if m.status != "approved" {
            return Err(InstallmentError::MerchantNotApproved(format!(
                "merchant {text} is {}, not approved",
                m.status
            ))
            .into());
        }
        Ok(m)
    }

    /// Pays plan `plan`'s principal to the merchant: the card's merchant clearing → the
    /// merchant's payable account, once (its id derives from the account and the plan), and
    /// records it for the merchant's settlement.
    pub(crate) async fn pay_special_merchant(
        &self,
        id: Uuid,
        plan: usize,
        merchant: &MerchantRecord,
        amount: Money,
    ) -> Result<(), AppError> {
        let number = self
            .credit_or_unavailable()?
            .special_state(id, None)
            .await?
            .number;
        let fen = u64::try_from(amount.fen())
            .map_err(|_| AppError::Merchants(MerchantsError::InvalidAmount))?;
        let n =
            u64::try_from(plan).map_err(|_| AppError::Merchants(MerchantsError::InvalidAmount))?;
        let results = self
            .ledger_service()
            .create_transfers(vec![Transfer {
                id: derived_id("special-installment", id.as_bytes(), n),
                debit_account_id: mirror::global_id(number, MERCHANT_CLEARING),
                credit_account_id: merchant.payable_account,
                amount: fen,
                ledger: LEDGER_CNY,
                code: CODE_SPECIAL_TO_MERCHANT,
                flags: TransferFlags::NONE,
                ..Transfer::default()
            }])
            .await?;
        match results.first() {
            Some(CreateTransferResult::Ok | CreateTransferResult::Exists) => {}
            other => return Err(MerchantsError::Funding(format!("{other:?}")).into()),
        }
        self.special_store()
            .record_disbursement(
                id,
                i64::try_from(plan).unwrap_or(i64::MAX),
                merchant.id.as_uuid(),
                amount.fen(),
                self.clock().now(),
            )
            .await?;
        Ok(())
    }
}
