#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Loan scenarios applied to an in-memory ledger.

use cardlife_kernel::{AccountId, CustomerId, Id, Money, Rate};
use cardlife_ledger::{Checker, Ledger};
use jiff::civil::{Date, date};
use proptest::prelude::*;

use super::*;
use crate::quote::{LoanQuote, Periods, RepaymentMethod};

fn yuan(s: &str) -> Money {
    Money::parse_cny(s).unwrap()
}

fn product(rate: &str) -> LoanProduct {
    LoanProduct::new(
        Rate::parse(rate).unwrap(),
        yuan("100.00"),
        yuan("200000.00"),
        60,
    )
    .unwrap()
}

struct Book {
    ledger: Ledger,
    next: u128,
    holder: CustomerId,
}

impl Book {
    fn new() -> Self {
        let mut ledger = Ledger::new();
        let accounts: Vec<_> = LoanAccount::ALL.iter().map(|a| a.account()).collect();
        assert!(
            ledger
                .create_accounts(&accounts, 1)
                .iter()
                .all(|r| r.is_success())
        );
        Self {
            ledger,
            next: 1,
            holder: Id::generate(),
        }
    }

    fn apply(&mut self, postings: &[Posting]) {
        let transfers: Vec<_> = postings
            .iter()
            .map(|p| {
                self.next += 1;
                p.transfer(self.next).unwrap()
            })
            .collect();
        let now = self.ledger.last_timestamp() + 10;
        for r in self.ledger.create_transfers(&transfers, now) {
            assert!(r.is_success(), "{}", r.as_str());
        }
    }

    fn debit_balance(&self, a: LoanAccount) -> i64 {
        let acc = self.ledger.account(a.id()).unwrap();
        i64::try_from(i128::from(acc.debits_posted) - i128::from(acc.credits_posted)).unwrap()
    }

    fn reconcile(&self, loan: &Loan) {
        let mut checker = Checker::new();
        for a in self.ledger.accounts() {
            checker.account(*a);
        }
        let mut ts: Vec<_> = self.ledger.transfers().copied().collect();
        ts.sort_by_key(|t| t.timestamp);
        for t in ts {
            checker.transfer(t);
        }
        let report = checker.finish();
        assert!(report.ok(), "{:?}", report.violations);
        let b = loan.balance();
        assert_eq!(
            self.debit_balance(LoanAccount::Principal),
            b.principal.fen()
        );
        assert_eq!(self.debit_balance(LoanAccount::Interest), b.interest.fen());
        assert_eq!(self.debit_balance(LoanAccount::Penalty), b.penalty.fen());
    }

    fn disburse(&mut self, loan: &mut Loan, on: Date) {
        let to = DebitAccount {
            owner: self.holder,
            account: AccountId::generate(),
        };
        let p = loan.disburse(on, to).unwrap();
        self.apply(&p);
    }
}

fn booked(book: &Book, rate: &str, fen: i64, n: u32, method: RepaymentMethod) -> (Loan, LoanQuote) {
    let q = LoanQuote::new(
        Money::cny(fen),
        Periods::new(n).unwrap(),
        Rate::parse(rate).unwrap(),
        method,
    )
    .unwrap();
    let loan = Loan::book(product(rate), book.holder, &q, true, Money::cny(0)).unwrap();
    (loan, q)
}

#[test]
fn the_domain_example_repaid_on_schedule_reproduces_the_quote_to_the_fen_and_ends_at_zero() {
    for method in [
        RepaymentMethod::EqualInstallment,
        RepaymentMethod::EqualPrincipal,
    ] {
        let mut book = Book::new();
        let (mut loan, q) = booked(&book, "0.04", 10_000_000, 36, method);
        book.disburse(&mut loan, date(2025, 1, 31));
        assert_eq!(loan.installments()[0].due, date(2025, 2, 28));
        for (row, inst) in q.schedule().iter().zip(loan.installments().to_vec()) {
            let r = loan
                .repay(inst.due, row.payment, PrepaymentMode::KeepTerm)
                .unwrap();
            assert_eq!((r.interest, r.principal), (row.interest, row.principal));
            assert!(r.penalty.is_zero() && r.prepaid.is_zero());
            assert_eq!(loan.balance().principal, row.balance);
            book.apply(&r.postings);
            book.reconcile(&loan);
        }
        assert_eq!(loan.status(), LoanStatus::Closed);
        assert!(loan.outstanding().unwrap().is_zero());
        assert_eq!(
            book.debit_balance(LoanAccount::InterestIncome),
            -q.total_interest().fen()
        );
    }
}

#[test]
fn a_late_payment_accrues_penalty_interest_for_the_exact_days_past_due() {
    let mut book = Book::new();
    let (mut loan, _) = booked(
        &book,
        "0.04",
        10_000_000,
        36,
        RepaymentMethod::EqualInstallment,
    );
    book.disburse(&mut loan, date(2025, 1, 15));
    let o = loan.overdue(date(2025, 2, 25)).unwrap().unwrap();
    assert_eq!(
        (o.since, o.days, o.principal),
        (date(2025, 2, 15), 10, yuan("2619.07"))
    );
    // 2,619.07 × 0.04 × 1.5 × 10 / 360 = 4.365116… → 4.37
    let r = loan
        .repay(date(2025, 2, 25), yuan("2956.77"), PrepaymentMode::KeepTerm)
        .unwrap();
    assert_eq!(r.penalty, yuan("4.37"));
    assert_eq!((r.interest, r.principal), (yuan("333.33"), yuan("2619.07")));
    book.apply(&r.postings);
    book.reconcile(&loan);
    assert_eq!(loan.overdue(date(2025, 2, 26)).unwrap(), None);
    assert_eq!(book.debit_balance(LoanAccount::PenaltyIncome), -437);
}

#[test]
fn a_partial_late_payment_pays_penalty_then_interest_then_principal() {
    let mut book = Book::new();
    let (mut loan, _) = booked(
        &book,
        "0.04",
        10_000_000,
        36,
        RepaymentMethod::EqualInstallment,
    );
    book.disburse(&mut loan, date(2025, 1, 15));
    let r = loan
        .repay(date(2025, 2, 25), yuan("1000.00"), PrepaymentMode::KeepTerm)
        .unwrap();
    assert_eq!(
        (r.penalty, r.interest, r.principal),
        (yuan("4.37"), yuan("333.33"), yuan("662.30"))
    );
    book.apply(&r.postings);
    // 1,956.77 still overdue for 5 more days: 1,956.77 × 0.06 × 5 / 360 = 1.6306… → 1.63
    let r = loan
        .repay(date(2025, 3, 2), yuan("1958.40"), PrepaymentMode::KeepTerm)
        .unwrap();
    assert_eq!((r.penalty, r.principal), (yuan("1.63"), yuan("1956.77")));
    book.apply(&r.postings);
    book.reconcile(&loan);
}

#[test]
fn prepayment_keeping_the_term_or_the_payment_settles_accrued_interest_and_requotes() {
    // 12,000.00 at 6% over 12 months, disbursed 2025-01-01; three periods paid on time;
    // B3 = 9,066.99. Prepay on 2025-04-11 (10 days after the 04-01 due date):
    // accrued = 9,066.99 × 0.06 × 10 / 360 = 15.1116… → 15.11; 3,015.11 prepays 3,000.00.
    for (mode, payment, periods) in [
        (PrepaymentMode::KeepTerm, yuan("691.07"), 9),
        (PrepaymentMode::KeepPayment, yuan("1028.93"), 6),
    ] {
        let mut book = Book::new();
        let (mut loan, q) = booked(
            &book,
            "0.06",
            1_200_000,
            12,
            RepaymentMethod::EqualInstallment,
        );
        book.disburse(&mut loan, date(2025, 1, 1));
        assert_eq!(q.schedule()[0].payment, yuan("1032.80"));
        for row in &q.schedule()[..3] {
            let due = loan.installments()[row.period as usize - 1].due;
            let r = loan.repay(due, row.payment, mode).unwrap();
            book.apply(&r.postings);
        }
        assert_eq!(loan.balance().principal, yuan("9066.99"));
        let r = loan
            .repay(date(2025, 4, 11), yuan("3015.11"), mode)
            .unwrap();
        assert_eq!(
            (r.accrued_interest, r.prepaid),
            (yuan("15.11"), yuan("3000.00"))
        );
        book.apply(&r.postings);
        book.reconcile(&loan);
        assert_eq!(loan.balance().principal, yuan("6066.99"));
        let rest = loan.installments()[3..].to_vec();
        assert_eq!(rest.len(), periods);
        // First new period: interest by day count from 04-11 to 05-01 (20 days) on 6,066.99:
        // 6,066.99 × 0.06 × 20 / 360 = 20.2233 → 20.22.
        assert_eq!(rest[0].interest, yuan("20.22"));
        assert_eq!(
            rest[1].principal.checked_add(rest[1].interest).unwrap(),
            payment
        );
        // Repay the rest on schedule: ends at zero.
        for inst in rest {
            let due = inst.principal.checked_add(inst.interest).unwrap();
            let r = loan.repay(inst.due, due, mode).unwrap();
            book.apply(&r.postings);
        }
        book.reconcile(&loan);
        assert_eq!(loan.status(), LoanStatus::Closed);
    }
}

#[test]
fn a_prepayment_beyond_the_payoff_is_refused_without_change() {
    let book = Book::new();
    let (mut loan, _) = booked(
        &book,
        "0.06",
        1_200_000,
        12,
        RepaymentMethod::EqualInstallment,
    );
    let to = DebitAccount {
        owner: book.holder,
        account: AccountId::generate(),
    };
    loan.disburse(date(2025, 1, 1), to).unwrap();
    let before = loan.clone();
    // accrued 12,000.00 × 0.06 × 10 / 360 = 20.00: payoff 12,020.00.
    assert_eq!(
        loan.repay(
            date(2025, 1, 11),
            yuan("12020.01"),
            PrepaymentMode::KeepTerm
        ),
        Err(LoanError::Overpayment {
            amount: yuan("12020.01"),
            payoff: yuan("12020.00")
        })
    );
    assert_eq!(loan, before);
    let r = loan
        .repay(
            date(2025, 1, 11),
            yuan("12020.00"),
            PrepaymentMode::KeepTerm,
        )
        .unwrap();
    assert_eq!(r.prepaid, yuan("12000.00"));
    assert_eq!(loan.status(), LoanStatus::Closed);
}

#[test]
fn an_interest_only_loan_pays_interest_monthly_and_the_principal_at_the_end() {
    let mut book = Book::new();
    let mut loan = Loan::book_interest_only(
        product("0.06"),
        book.holder,
        yuan("10000.00"),
        Periods::new(3).unwrap(),
        true,
        yuan("0.00"),
    )
    .unwrap();
    book.disburse(&mut loan, date(2025, 1, 10));
    let pays: Vec<Money> = loan
        .installments()
        .iter()
        .map(|i| i.principal.checked_add(i.interest).unwrap())
        .collect();
    assert_eq!(pays, [yuan("50.00"), yuan("50.00"), yuan("10050.00")]);
    for inst in loan.installments().to_vec() {
        let p = inst.principal.checked_add(inst.interest).unwrap();
        let r = loan.repay(inst.due, p, PrepaymentMode::KeepTerm).unwrap();
        book.apply(&r.postings);
    }
    book.reconcile(&loan);
    assert_eq!(loan.status(), LoanStatus::Closed);
    assert!(matches!(
        Loan::book_interest_only(
            product("0.06"),
            book.holder,
            yuan("10000.00"),
            Periods::new(13).unwrap(),
            true,
            yuan("0.00")
        ),
        Err(LoanError::TermTooLong {
            months: 13,
            max: 12
        })
    ));
}

#[test]
fn booking_enforces_consent_the_200k_cap_and_the_holders_own_account() {
    let holder: CustomerId = Id::generate();
    let q = LoanQuote::new(
        yuan("150000.00"),
        Periods::new(12).unwrap(),
        Rate::parse("0.04").unwrap(),
        RepaymentMethod::EqualInstallment,
    )
    .unwrap();
    assert_eq!(
        Loan::book(product("0.04"), holder, &q, false, yuan("0.00")),
        Err(LoanError::NoConsent)
    );
    assert!(matches!(
        Loan::book(product("0.04"), holder, &q, true, yuan("50000.01")),
        Err(LoanError::CustomerCapExceeded { .. })
    ));
    assert!(matches!(
        Loan::book(product("0.05"), holder, &q, true, yuan("0.00")),
        Err(LoanError::RateMismatch { .. })
    ));
    let mut loan = Loan::book(product("0.04"), holder, &q, true, yuan("50000.00")).unwrap();
    let stranger = DebitAccount {
        owner: Id::generate(),
        account: AccountId::generate(),
    };
    assert_eq!(
        loan.disburse(date(2025, 1, 1), stranger),
        Err(LoanError::NotHoldersAccount)
    );
    assert_eq!(loan.status(), LoanStatus::Booked);
}

proptest! {
    #[test]
    fn an_on_time_schedule_repays_exactly_the_amount_and_never_goes_negative(
        fen in 10_000i64..=20_000_000,
        n in 1u32..=60,
        bp in 0i64..=2_400,
        equal_principal in any::<bool>(),
    ) {
        let method = if equal_principal { RepaymentMethod::EqualPrincipal } else { RepaymentMethod::EqualInstallment };
        let rate = Rate::new(rust_decimal::Decimal::new(bp, 4));
        let p = LoanProduct::new(rate, Money::cny(10_000), yuan("200000.00"), 60).unwrap();
        let q = LoanQuote::new(Money::cny(fen), Periods::new(n).unwrap(), rate, method).unwrap();
        let holder: CustomerId = Id::generate();
        let mut loan = Loan::book(p, holder, &q, true, Money::cny(0)).unwrap();
        loan.disburse(date(2024, 1, 31), DebitAccount { owner: holder, account: AccountId::generate() }).unwrap();
        let mut repaid = 0i64;
        for (row, inst) in q.schedule().iter().zip(loan.installments().to_vec()) {
            let r = loan.repay(inst.due, row.payment, PrepaymentMode::KeepTerm).unwrap();
            repaid += r.principal.fen() + r.prepaid.fen();
            let b = loan.balance();
            prop_assert!(!b.principal.is_negative() && !b.interest.is_negative() && !b.penalty.is_negative());
        }
        prop_assert_eq!(repaid, fen);
        prop_assert_eq!(loan.status(), LoanStatus::Closed);
    }
}
