//! Every loan and line event mirrored to the main ledger (docs/loans.md, "Ledger").
//!
//! Ids are derived, never random, so a retry or a replay creates nothing twice (the ledger
//! answers `exists`):
//! - each loan or line has its own receivables (principal 1301, interest 1302, penalty 1303):
//!   id = first 16 bytes of SHA-256("cardlife-loan-account-v1" ‖ loan id ‖ chart position);
//! - the clearing and income accounts are shared by the whole book (2301, 1311, 4301, 4302):
//!   id = SHA-256("cardlife-loan-book-v1" ‖ chart position);
//! - posting `k` of event `seq` of a loan: id = SHA-256("cardlife-loan-posting-v1" ‖ loan id ‖
//!   seq ‖ k).
//!
//! The event is committed to the store first and mirrored after, so the ledger never holds a
//! movement the loan's history does not; a mirror that failed half-way is completed by
//! [`crate::App::loans_close_day`], which re-posts every event of the loans it visits.

use cardlife_credit::loan::{LEDGER_CNY, LoanAccount, Posting};
use sha2::{Digest, Sha256};

use crate::ledger::{Account, CreateAccountResult, CreateTransferResult, Transfer, TransferFlags};
use crate::{App, AppError};

fn id_of(parts: &[&[u8]]) -> u128 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    let digest = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(first)
}

/// Whether the account is one per loan (a receivable) or shared by the book.
const fn per_loan(a: LoanAccount) -> bool {
    matches!(
        a,
        LoanAccount::Principal | LoanAccount::Interest | LoanAccount::Penalty
    )
}

/// The ledger id of chart account `a` for `loan`.
pub(crate) fn account_id(loan: uuid::Uuid, a: LoanAccount) -> u128 {
    let position = (a.id() as u8).to_be_bytes();
    if per_loan(a) {
        id_of(&[b"cardlife-loan-account-v1", loan.as_bytes(), &position])
    } else {
        id_of(&[b"cardlife-loan-book-v1", &position])
    }
}

fn transfer_id(loan: uuid::Uuid, seq: i64, k: usize) -> u128 {
    id_of(&[
        b"cardlife-loan-posting-v1",
        loan.as_bytes(),
        &seq.to_be_bytes(),
        &(k as u64).to_be_bytes(),
    ])
}

impl App {
    /// Creates the loan's receivables and the book's shared accounts (existing ones answer
    /// `exists`).
    pub(crate) async fn mirror_accounts(&self, loan: uuid::Uuid) -> Result<(), AppError> {
        let accounts: Vec<Account> = LoanAccount::ALL
            .iter()
            .map(|a| {
                let chart = a.account();
                Account::new(account_id(loan, *a), LEDGER_CNY, chart.code, chart.flags)
            })
            .collect();
        let results = self.ledger_service().create_accounts(accounts).await?;
        if let Some(bad) = results
            .iter()
            .find(|r| !matches!(r, CreateAccountResult::Ok | CreateAccountResult::Exists))
        {
            return Err(AppError::LedgerRefused(bad.as_str()));
        }
        Ok(())
    }

    /// Posts the postings of event `seq` of `loan`.
    pub(crate) async fn mirror_postings(
        &self,
        loan: uuid::Uuid,
        seq: i64,
        postings: &[Posting],
    ) -> Result<(), AppError> {
        if postings.is_empty() {
            return Ok(());
        }
        let mut transfers = Vec::with_capacity(postings.len());
        for (k, p) in postings.iter().enumerate() {
            let amount = u64::try_from(p.amount.fen())
                .map_err(|_| AppError::LedgerRefused("negative posting"))?;
            transfers.push(Transfer {
                id: transfer_id(loan, seq, k),
                debit_account_id: account_id(loan, p.debit),
                credit_account_id: account_id(loan, p.credit),
                amount,
                ledger: LEDGER_CNY,
                code: p.why as u16,
                flags: TransferFlags::NONE,
                ..Transfer::default()
            });
        }
        let results = self.ledger_service().create_transfers(transfers).await?;
        if let Some(bad) = results
            .iter()
            .find(|r| !matches!(r, CreateTransferResult::Ok | CreateTransferResult::Exists))
        {
            return Err(AppError::LedgerRefused(bad.as_str()));
        }
        Ok(())
    }

    /// The debit-normal balance of the loan's receivable `a` on the ledger (posted debits −
    /// posted credits), for checks.
    pub async fn loan_receivable(
        &self,
        loan: uuid::Uuid,
        a: LoanAccount,
    ) -> Result<i128, AppError> {
        let acc = self.account(account_id(loan, a)).await?;
        Ok(i128::from(acc.debits_posted) - i128::from(acc.credits_posted))
    }
}
