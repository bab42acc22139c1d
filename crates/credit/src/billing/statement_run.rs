//! The batch statement run's rules: one account's cycle, from its opening (the previous
//! statement's row) and the lines posted in the cycle, to its statement row — rules 2, 3, 4 and
//! 6 of docs/domain.md §3 through the same functions the engine's cut uses
//! ([`CycleTotals::post`], [`CycleTotals::balance`], [`paid_in_full`], [`minimum_of`],
//! [`CycleDates::of`]).
//!
//! The posting step that produces the lines has already allocated every credit (rule 9): a
//! payment or refund is one line per bucket part it repaid, with no bucket for the part that
//! became overpayment, and an overpayment absorbing a later charge is a line of its own. So the
//! fold is a sum: it commutes, and its result does not depend on the order of the lines. What
//! the batch model assumes is set out in docs/domain.md ("The batch statement run").

use cardlife_kernel::Money;
use jiff::civil::Date;

use super::account::Bucket;
use super::cycle::CycleDates;
use super::error::BillingError;
use super::product::Product;
use super::statement::{
    CycleTotals, LineKind, MinimumBasis, minimum_of, over_limit, paid_in_full, previous_unpaid,
};

/// What the cardholder owes, per bucket of the receivable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owed {
    /// Fees.
    pub fee: Money,
    /// Billed interest.
    pub interest: Money,
    /// Installment amounts billed.
    pub installment: Money,
    /// Cash-advance principal.
    pub cash: Money,
    /// Purchase principal.
    pub purchase: Money,
}

impl Default for Owed {
    fn default() -> Self {
        let zero = Money::cny(0);
        Self {
            fee: zero,
            interest: zero,
            installment: zero,
            cash: zero,
            purchase: zero,
        }
    }
}

impl Owed {
    fn bucket_mut(&mut self, bucket: Bucket) -> &mut Money {
        match bucket {
            Bucket::Fee => &mut self.fee,
            Bucket::Interest => &mut self.interest,
            Bucket::Installment => &mut self.installment,
            Bucket::Cash => &mut self.cash,
            Bucket::Purchase => &mut self.purchase,
        }
    }

    /// Every bucket, in rule 9's default order.
    pub fn buckets(&self) -> [(Bucket, Money); 5] {
        [
            (Bucket::Fee, self.fee),
            (Bucket::Interest, self.interest),
            (Bucket::Installment, self.installment),
            (Bucket::Cash, self.cash),
            (Bucket::Purchase, self.purchase),
        ]
    }

    /// The sum of the buckets.
    pub fn total(&self) -> Result<Money, BillingError> {
        self.buckets()
            .iter()
            .try_fold(Money::cny(0), |acc, (_, m)| acc.checked_add(*m))
            .map_err(BillingError::from)
    }
}

/// An account at the start of a cycle: what its previous statement left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    /// The previous statement balance (negative for a credit balance).
    pub balance: Money,
    /// The previous minimum payment.
    pub minimum_payment: Money,
    /// The permanent credit limit.
    pub credit_limit: Money,
    /// What was owed per bucket at the previous statement date.
    pub owed: Owed,
    /// The overpayment (溢缴款) at the previous statement date.
    pub overpayment: Money,
}

/// One line posted in the cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// Which term of rule 3 it moves; `None` for an overpayment absorbing a charge (it moves
    /// the overpayment into `bucket` and changes no term of rule 3).
    pub kind: Option<LineKind>,
    /// The bucket it moves: a charge's own bucket; for a credit, the bucket its part repaid,
    /// `None` for the part that became overpayment.
    pub bucket: Option<Bucket>,
    /// The amount, positive.
    pub amount: Money,
    /// Posted on or before the previous statement's last on-time day (due date + grace), so it
    /// counts for that statement's paid-in-full test (rule 4).
    pub by_previous_grace: bool,
}

/// The run's terms, the same for every account of one run.
#[derive(Debug, Clone, Copy)]
pub struct RunTerms<'a> {
    /// The product every account of the run is on.
    pub product: &'a Product,
    /// The statement date being cut.
    pub statement_date: Date,
}

/// One statement row, every header field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementRow {
    /// The previous statement balance.
    pub previous_balance: Money,
    /// What moved in the cycle.
    pub totals: CycleTotals,
    /// The statement balance (rule 3).
    pub balance: Money,
    /// The minimum payment (rule 6).
    pub minimum_payment: Money,
    /// The due date (rule 2).
    pub due_date: Date,
    /// The permanent credit limit the minimum was computed against.
    pub credit_limit: Money,
    /// What is owed per bucket at the statement date.
    pub owed: Owed,
    /// The overpayment at the statement date.
    pub overpayment: Money,
}

impl StatementRow {
    /// The opening of the next cycle.
    pub fn opening(&self) -> Opening {
        Opening {
            balance: self.balance,
            minimum_payment: self.minimum_payment,
            credit_limit: self.credit_limit,
            owed: self.owed,
            overpayment: self.overpayment,
        }
    }
}

/// One account's cycle being folded, line by line.
#[derive(Debug, Clone, Copy)]
pub struct CycleFold {
    opening: Opening,
    totals: CycleTotals,
    owed: Owed,
    overpayment: Money,
    credits_by_previous_grace: Money,
}

impl CycleFold {
    /// A cycle opening as `opening` says.
    pub fn open(opening: Opening) -> Self {
        Self {
            opening,
            totals: CycleTotals::default(),
            owed: opening.owed,
            overpayment: opening.overpayment,
            credits_by_previous_grace: Money::cny(0),
        }
    }

    /// Folds one line in.
    pub fn post(&mut self, line: &Line) -> Result<(), BillingError> {
        if !line.amount.is_positive() {
            return Err(invalid_line(line, "its amount is not positive"));
        }
        match (line.kind, line.bucket) {
            (Some(kind), bucket) if kind.is_credit() => {
                self.totals.post(kind, line.amount)?;
                let from = match bucket {
                    Some(b) => self.owed.bucket_mut(b),
                    None => &mut self.overpayment,
                };
                *from = if bucket.is_some() {
                    from.checked_sub(line.amount)?
                } else {
                    from.checked_add(line.amount)?
                };
                if line.by_previous_grace {
                    self.credits_by_previous_grace =
                        self.credits_by_previous_grace.checked_add(line.amount)?;
                }
            }
            (Some(kind), Some(bucket)) if kind.charged_bucket() == Some(bucket) => {
                self.totals.post(kind, line.amount)?;
                let to = self.owed.bucket_mut(bucket);
                *to = to.checked_add(line.amount)?;
            }
            (None, Some(bucket)) => {
                self.overpayment = self.overpayment.checked_sub(line.amount)?;
                let to = self.owed.bucket_mut(bucket);
                *to = to.checked_sub(line.amount)?;
            }
            _ => return Err(invalid_line(line, "its kind and bucket do not match")),
        }
        Ok(())
    }

    /// Cuts the statement: rule 3's balance, checked against the buckets; rule 6's minimum;
    /// rule 2's due date.
    pub fn cut(&self, terms: &RunTerms<'_>) -> Result<StatementRow, BillingError> {
        let (owed, overpayment, totals) = (self.owed, self.overpayment, self.totals);
        if let Some((b, m)) = owed.buckets().into_iter().find(|(_, m)| m.is_negative()) {
            return Err(BillingError::Invariant(format!(
                "statement {}: the {b:?} bucket ends at {m}: its lines repay more than it owed",
                terms.statement_date
            )));
        }
        if overpayment.is_negative() {
            return Err(BillingError::Invariant(format!(
                "statement {}: the overpayment ends at {overpayment}",
                terms.statement_date
            )));
        }
        let balance = totals.balance(self.opening.balance)?;
        let from_buckets = owed.total()?.checked_sub(overpayment)?;
        if balance != from_buckets {
            return Err(BillingError::Invariant(format!(
                "statement {}: rule 3 gives {balance}, the buckets owe {from_buckets}",
                terms.statement_date
            )));
        }
        let product = terms.product;
        let previous_paid = paid_in_full(
            self.opening.balance,
            self.credits_by_previous_grace,
            product.tolerance,
        )?;
        // Within a bucket, rule 9 repays older items first, so what is still unpaid of the
        // amounts billed on this statement is the newest part of the bucket.
        let basis = MinimumBasis {
            purchase_principal: owed.purchase,
            cash_principal: owed.cash,
            fees_billed: totals.fees.min(owed.fee)?,
            interest_billed: totals.interest.min(owed.interest)?,
            installments_billed: totals.installments.min(owed.installment)?,
            over_limit: over_limit(balance, self.opening.credit_limit)?,
            previous_unpaid: previous_unpaid(
                self.opening.minimum_payment,
                previous_paid,
                totals.payments_credits,
            )?,
        };
        Ok(StatementRow {
            previous_balance: self.opening.balance,
            totals,
            balance,
            minimum_payment: minimum_of(product, &basis, balance)?,
            due_date: CycleDates::of(terms.statement_date, product)?.due,
            credit_limit: self.opening.credit_limit,
            owed,
            overpayment,
        })
    }
}

fn invalid_line(line: &Line, why: &str) -> BillingError {
    BillingError::InvalidAccount(format!("posted line {line:?}: {why}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn opening(balance: i64, minimum: i64, purchase: i64) -> Opening {
        Opening {
            balance: Money::cny(balance),
            minimum_payment: Money::cny(minimum),
            credit_limit: Money::cny(5_000_000),
            owed: Owed {
                purchase: Money::cny(purchase),
                ..Owed::default()
            },
            overpayment: Money::cny(0),
        }
    }

    fn line(kind: LineKind, bucket: Option<Bucket>, fen: i64, early: bool) -> Line {
        Line {
            kind: Some(kind),
            bucket,
            amount: Money::cny(fen),
            by_previous_grace: early,
        }
    }

    fn charge(kind: LineKind, fen: i64) -> Line {
        line(kind, kind.charged_bucket(), fen, false)
    }

    fn cut(opening: Opening, lines: &[Line]) -> Result<StatementRow, BillingError> {
        let mut fold = CycleFold::open(opening);
        for l in lines {
            fold.post(l)?;
        }
        let product = Product::default();
        fold.cut(&RunTerms {
            product: &product,
            statement_date: date(2026, 4, 7),
        })
    }

    #[test]
    fn the_worked_example_bills_2000_with_a_200_minimum_due_on_the_25th() {
        let row = cut(opening(0, 0, 0), &[charge(LineKind::Purchase, 200_000)]).unwrap();
        assert_eq!(row.balance, Money::cny(200_000));
        assert_eq!(row.minimum_payment, Money::cny(20_000));
        assert_eq!(row.due_date, date(2026, 4, 25));
    }

    #[test]
    fn cash_fees_and_interest_billed_now_count_whole_and_the_sum_is_rounded_once() {
        let lines = [
            charge(LineKind::Purchase, 12_345),
            charge(LineKind::CashAdvance, 200_000),
            charge(LineKind::Fee, 2_000),
            charge(LineKind::Interest, 700),
        ];
        let row = cut(opening(0, 0, 0), &lines).unwrap();
        // 1,234.5 fen of purchases rounds half-up to 1,235.
        assert_eq!(
            row.minimum_payment,
            Money::cny(1_235 + 200_000 + 2_000 + 700)
        );
    }

    #[test]
    fn an_unpaid_previous_minimum_is_due_again_unless_the_previous_statement_was_paid_in_full() {
        // Previous 2,000.00 with a 200.00 minimum; 50.00 paid on time: 150.00 still due.
        let paid = line(LineKind::Payment, Some(Bucket::Purchase), 5_000, true);
        let row = cut(opening(200_000, 20_000, 200_000), &[paid]).unwrap();
        assert_eq!(row.minimum_payment, Money::cny(19_500 + 15_000));
        // 1,990.00 paid on time is within the 10.00 tolerance: paid in full.
        let paid = line(LineKind::Payment, Some(Bucket::Purchase), 199_000, true);
        let row = cut(opening(200_000, 20_000, 200_000), &[paid]).unwrap();
        assert_eq!(row.minimum_payment, Money::cny(100));
    }

    #[test]
    fn a_credit_balance_has_a_zero_minimum_and_absorbs_a_later_charge() {
        let pay = line(LineKind::Payment, None, 30_000, false);
        let row = cut(opening(0, 0, 0), &[pay]).unwrap();
        assert_eq!(row.balance, Money::cny(-30_000));
        assert_eq!(row.minimum_payment, Money::cny(0));
        let absorbed = Line {
            kind: None,
            ..charge(LineKind::Purchase, 10_000)
        };
        let row = cut(
            row.opening(),
            &[charge(LineKind::Purchase, 10_000), absorbed],
        )
        .unwrap();
        assert_eq!(row.balance, Money::cny(-20_000));
        assert_eq!(row.owed, Owed::default());
        assert_eq!(row.overpayment, Money::cny(20_000));
    }

    #[test]
    fn a_line_repaying_more_than_its_bucket_owes_or_of_the_wrong_bucket_is_refused() {
        let pay = line(LineKind::Payment, Some(Bucket::Fee), 100, false);
        assert!(matches!(
            cut(opening(0, 0, 0), &[pay]),
            Err(BillingError::Invariant(_))
        ));
        let wrong = line(LineKind::Purchase, Some(Bucket::Cash), 100, false);
        assert!(cut(opening(0, 0, 0), &[wrong]).is_err());
        let negative = charge(LineKind::Fee, -5);
        assert!(cut(opening(0, 0, 0), &[negative]).is_err());
    }

    /// A random line that never over-repays: credits repay purchases opened large enough.
    fn any_line() -> impl Strategy<Value = Line> {
        (0usize..9, 1i64..100_000, any::<bool>()).prop_map(|(k, fen, early)| match k {
            0..=4 => charge(LineKind::ALL[k], fen),
            5 => line(LineKind::Payment, Some(Bucket::Purchase), fen, early),
            6 => line(LineKind::Refund, Some(Bucket::Purchase), fen, early),
            7 => line(LineKind::Payment, None, fen, early),
            _ => charge(LineKind::Purchase, fen),
        })
    }

    proptest! {
        #[test]
        fn the_fold_gives_the_same_row_in_any_order_and_rule_3_balance(
            lines in prop::collection::vec(any_line(), 0..40),
            seed in any::<u64>(),
        ) {
            let open = opening(50_000_000, 100_000, 50_000_000);
            let row = cut(open, &lines).unwrap();
            let mut shuffled = lines.clone();
            // A seeded Fisher–Yates shuffle.
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(cut(open, &shuffled).unwrap(), row);
            let (mut charges, mut credits) = (0i64, 0i64);
            for l in &lines {
                if l.kind.is_some_and(LineKind::is_credit) { credits += l.amount.fen() } else { charges += l.amount.fen() }
            }
            prop_assert_eq!(row.balance.fen(), 50_000_000 + charges - credits);
            prop_assert!(row.minimum_payment.fen() >= 0);
            prop_assert!(row.minimum_payment <= row.balance.max(Money::cny(0)).unwrap());
        }
    }
}
