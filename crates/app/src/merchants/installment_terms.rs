//! Merchant installments with a merchant-paid fee (商户分期, 贴息; docs/api.md, "Merchant
//! installments"): the merchant states the numbers of periods it pays the installment fee for,
//! and the fee rate per period it pays. A holder converting a card purchase made at that
//! merchant with one of those terms pays 0% (APR 0); the merchant's fee — the fee the plan
//! would have cost at the merchant's rate, per period on the original principal, as
//! `cardlife_credit::quote::plan` prices a merchant-paid plan — is charged at booking, whole,
//! as one ledger transfer from the merchant's settlement account to the issuer's installment
//! fee income (code [`CODE_MERCHANT_INSTALLMENT_FEE`]), its id derived from the purchase so it
//! is posted once. It is not returned if the plan is later cancelled or settled early.

use cardlife_credit::quote::{FeeMode, InstallmentQuote, Periods};
use cardlife_kernel::{MerchantId, Money, Rate};
use cardlife_ledger::{Account, AccountFlags, CreateTransferResult, Transfer, TransferFlags};
use cardlife_store::merchants::installment_terms::{InstallmentTermsStore, TermRecord};
use rust_decimal::Decimal;

use super::MerchantsError;
use super::funding::{LEDGER_CNY, derived_id, ensure_accounts};
use super::settlement::{CODE_MERCHANT_SETTLEMENT, merchant_settlement_account};
use crate::installments::{InstallmentError, rate_e8};
use crate::{App, AppError};

/// Account code of the issuer's income from merchant-paid installment fees.
pub const CODE_INSTALLMENT_FEE_INCOME: u16 = 43;
/// Transfer code of a merchant-paid installment fee.
pub const CODE_MERCHANT_INSTALLMENT_FEE: u16 = 315;

/// The issuer's income account of merchant-paid installment fees.
pub fn installment_fee_income_account() -> u128 {
    derived_id("installment-fee-income", b"", 0)
}

/// The ledger id of the fee a merchant pays for converting purchase `purchase`.
pub fn merchant_fee_transfer_id(purchase: uuid::Uuid) -> u128 {
    derived_id("merchant-installment-fee", purchase.as_bytes(), 0)
}

/// One term as set and shown: periods and the fee rate per period the merchant pays.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MerchantTerm {
    /// 1–60, each at most once.
    pub periods: u32,
    /// The fee rate per period the merchant pays, a decimal string (`"0.006"`).
    pub rate: String,
}

/// The fee the merchant pays for a plan of `amount` over `periods` at `rate_e8` per period.
pub fn merchant_fee(amount: Money, periods: u32, rate_e8: i64) -> Result<Money, AppError> {
    let priced = InstallmentQuote::new(
        amount,
        Periods::new(periods)?,
        Rate::new(Decimal::new(rate_e8, 8)),
        FeeMode::PerPeriod,
    )?;
    Ok(priced.total_fee())
}

fn shown(t: TermRecord) -> MerchantTerm {
    MerchantTerm {
        periods: t.periods,
        rate: Decimal::new(t.rate_e8, 8).normalize().to_string(),
    }
}

impl App {
    fn installment_terms_store(&self) -> InstallmentTermsStore {
        InstallmentTermsStore::new(self.db().clone())
    }

    /// Replaces the merchant's installment terms (an empty list withdraws them all). Each
    /// periods at most once, 1–60; each rate a decimal of at most eight decimals, not negative.
    pub async fn set_installment_terms(
        &self,
        merchant: MerchantId,
        terms: &[MerchantTerm],
    ) -> Result<Vec<MerchantTerm>, AppError> {
        self.merchant_record(merchant).await?;
        let mut records: Vec<TermRecord> = Vec::with_capacity(terms.len());
        for t in terms {
            if !(1..=60).contains(&t.periods) {
                return Err(InstallmentError::PeriodsOutOfRange(t.periods).into());
            }
            if records.iter().any(|r| r.periods == t.periods) {
                return Err(InstallmentError::DuplicateTerm(t.periods).into());
            }
            records.push(TermRecord {
                periods: t.periods,
                rate_e8: rate_e8(&t.rate)?,
            });
        }
        records.sort_by_key(|r| r.periods);
        self.installment_terms_store()
            .replace(merchant, &records, self.clock().now())
            .await?;
        Ok(records.into_iter().map(shown).collect())
    }

    /// The merchant's installment terms, by periods.
    pub async fn installment_terms(
        &self,
        merchant: MerchantId,
    ) -> Result<Vec<MerchantTerm>, AppError> {
        self.merchant_record(merchant).await?;
        Ok(self
            .installment_terms_store()
            .terms(merchant)
            .await?
            .into_iter()
            .map(shown)
            .collect())
    }

    /// The merchant purchase `purchase` was made at and the fee rate it pays for `periods`;
    /// refused with `MERCHANT_INSTALLMENT_NOT_OFFERED` otherwise.
    pub(crate) async fn merchant_term_for(
        &self,
        purchase: uuid::Uuid,
        periods: u32,
    ) -> Result<(MerchantId, i64), AppError> {
        let store = self.installment_terms_store();
        let merchant = store.merchant_of_purchase(purchase).await?.ok_or_else(|| {
            InstallmentError::MerchantTermsNotOffered(format!(
                "{purchase} was not paid at a merchant offering installments"
            ))
        })?;
        let rate = store
            .terms(merchant)
            .await?
            .into_iter()
            .find(|t| t.periods == periods)
            .ok_or_else(|| {
                InstallmentError::MerchantTermsNotOffered(format!(
                    "the merchant of {purchase} pays the fee of no {periods}-period plan"
                ))
            })?;
        Ok((merchant, rate.rate_e8))
    }

    /// Charges the merchant's fee for converting `purchase`: posted once (its id derives
    /// from the purchase), `Ok` if it is posted already.
    pub(crate) async fn charge_merchant_fee(
        &self,
        merchant: MerchantId,
        purchase: uuid::Uuid,
        fee: Money,
    ) -> Result<(), AppError> {
        let Ok(amount) = u64::try_from(fee.fen()) else {
            return Err(MerchantsError::Funding("negative merchant fee".into()).into());
        };
        if amount == 0 {
            return Ok(());
        }
        ensure_accounts(
            self.ledger_service(),
            vec![
                Account::new(
                    merchant_settlement_account(merchant),
                    LEDGER_CNY,
                    CODE_MERCHANT_SETTLEMENT,
                    AccountFlags::NONE,
                ),
                Account::new(
                    installment_fee_income_account(),
                    LEDGER_CNY,
                    CODE_INSTALLMENT_FEE_INCOME,
                    AccountFlags::NONE,
                ),
            ],
        )
        .await?;
        let results = self
            .ledger_service()
            .create_transfers(vec![Transfer {
                id: merchant_fee_transfer_id(purchase),
                debit_account_id: merchant_settlement_account(merchant),
                credit_account_id: installment_fee_income_account(),
                amount,
                ledger: LEDGER_CNY,
                code: CODE_MERCHANT_INSTALLMENT_FEE,
                flags: TransferFlags::NONE,
                ..Transfer::default()
            }])
            .await?;
        match results.first() {
            Some(CreateTransferResult::Ok | CreateTransferResult::Exists) => Ok(()),
            other => Err(MerchantsError::Funding(format!("{other:?}")).into()),
        }
    }
}
