//! Billing: products, cycles, statements, interest, fees and repayment allocation of a credit
//! card, day by day, as docs/domain.md §3 sets out, with every movement on a double-entry ledger.
//!
//! - [`product`]: the parameters and their defaults; `due_days + grace_days ≤ 27`.
//! - [`cycle`]: statement, due and last-on-time dates.
//! - [`account`]: the posted items (one per purchase, cash advance, fee, billed interest) with
//!   what each still owes, which statement billed it and its free-period status; overpayment,
//!   temporary limits, arrears and delinquency buckets.
//! - [`allocation`]: rule 9. [`interest`]: rule 5. [`statement`]: rules 3, 4, 6, 7.
//! - [`statement_run`]: the same rules over one cycle's posted lines, for the batch statement
//!   run of very many accounts at once.
//! - [`installment`]: installment plans on the card (docs/domain.md §4) and early-settlement costs;
//!   every schedule comes from [`crate::quote::InstallmentQuote`].
//! - [`engine`]: the day loop. [`postings`]: the ledger and its chart of accounts.
//! - [`dormancy`]: rule 12, dormant cards and the dormant share against its ceiling.
//!
//! # Status, expiry and decline codes
//!
//! An account is [`AccountStatus::Active`], `Frozen` or `Closed` (events `freeze`, `unfreeze`,
//! `close`); a card may carry an expiry month (valid through its last day). A purchase or cash
//! advance is declined with one [`DeclineCode`] (stable snake_case names), checked in this
//! order: `account_closed`, `account_frozen`, `card_expired`, `insufficient_credit` (rule 10),
//! `cash_limit_exceeded` (rule 8). A declined authorisation is an error, never skipped.
//! A frozen account still accepts payments and refunds (repayment must stay possible), bill or
//! purchase installments and settlements (they use no new credit), and temporary limits;
//! `freeze` needs an active account, `unfreeze` a frozen one. `close` needs a zero balance
//! (neither owed nor a credit balance) and nothing that could still change it: no pending
//! authorisation or refund waiting to post, no unbilled installment principal, no accrued
//! interest (known or deferred; wait for the statement's paid-in-full test), no late fee to
//! post, no uncovered arrears; otherwise it is refused ([`BillingError::CloseRefused`]). A
//! closed account refuses every later event: a payment with its own error
//! ([`BillingError::PaymentOnClosedAccount`]), an authorisation with `account_closed`, anything
//! else as an invalid event. Statements are still cut (at zero) after closing.
//!
//! # The day loop (rule 13)
//!
//! From the opening date through the last day, each day: (1) the day's events are received, in
//! file order; a payment posts and is allocated at once, a purchase or cash advance becomes a
//! pending ledger hold (it reduces available credit), a refund waits for its posting date;
//! (2) what posts today posts: charges (purchases; cash advances with their fee) before credits
//! (refunds), each in order of receipt; a charge is absorbed by any overpayment as it posts;
//! (3) a late fee due today posts; (4) every item accrues one day of interest on what it owes
//! now, and if today is a statement's last on-time day (due date + grace) its paid-in-full test
//! runs; (5) on a statement date the statement is cut: known interest is summed exactly,
//! rounded half-up once and posted, every unbilled item becomes billed on this statement, and
//! the balance (rule 3) is checked against the items and recorded against the ledger.
//!
//! # Product versions
//!
//! A product is a [`ProductVersions`] history: version 1 in force from (at latest) the opening
//! date, each later version from its `effective_from` date, dates strictly increasing, every
//! version valid, `statement_day` the same in all (a new statement day would need a
//! transitional cycle the rules do not define). At the start of each day the engine takes the
//! version in force that day, so: interest accrues each day at that day's `daily_rate` (a cash
//! advance's days before posting, a retroactive `unpaid_only` base and `interest_to_date`
//! settlement sum each day's own rate), and known interest is still summed exactly and rounded
//! once at the cut; a statement's minimum payment and installment billing use the version on its
//! statement date, which the statement records as `product_version`; a late fee is assessed
//! under the version in force on the last on-time day; posting lag and cash fees and limits at
//! the day of the event. An old statement is thus explained by its own version number.
//!
//! # Interest as implemented (rule 5)
//!
//! Interest is accumulated per item as an exact `Decimal` number of fen. Cash accrues *known*
//! interest from its transaction date (the days before posting are added when it posts).
//! Purchases, and interest billed on a statement, accrue *deferred* interest until the
//! paid-in-full test of the statement that billed them: if it passes they never bear interest
//! and the deferred amount is dropped; if it fails the deferred amount becomes known
//! (retroactive to the posting date, or to the day after the statement date for billed
//! interest) and they accrue known interest every day until repaid. With `unpaid_only`, a
//! purchase's retroactive interest is recomputed at the end of the last on-time day as what it
//! still owes then × rate × days since posting; from the next day on the base is what it owes.
//! Fees never accrue. All known interest is billed on the next statement cut.
//!
//! # Interpretations of docs/domain.md §3
//!
//! - Rule 4/5, free-period status: it is decided once per item, by the statement that first
//!   billed it. A tolerance shortfall carried to the next statement therefore stays
//!   interest-free even if that next statement is not paid in full; a purchase that lost its
//!   free period keeps accruing even after a later statement is paid in full (as rule 5 says).
//! - Rule 4, when: the test runs at the end of the last on-time day, after that day's interest;
//!   a statement with a balance ≤ 0 passes. Rule 7's late fee posts the next day (step 3).
//! - Rule 6: the purchase component is 10 % of *all* outstanding purchase principal, and the
//!   over-limit amount (statement balance − permanent limit) is added on top at 100 %, as the
//!   rule's sum reads; the unpaid previous minimum is previous minimum − payments and credits
//!   of this cycle (zero if the previous statement was paid in full).
//! - Rule 8 and 10: a cash advance is authorised only if amount + fee fits the available credit
//!   and the amount fits `cash_limit_pct` of the permanent limit; a declined authorisation is
//!   an error (the scenario runner exits 2), never silently skipped.
//! - Rule 9, overdue ≥ 91 days: billed principal first (oldest statement first, the product's
//!   order within one), then billed interest, then billed fees, then unbilled items.
//! - Rule 11: each missed minimum adds the part of its shortfall not already in arrears, dated
//!   by its last on-time day; credits cover arrears oldest first, and days past due count from
//!   the oldest uncovered one.
//! - Rule 13, "the balance as it now stands": a payment on day *d* repays before day *d*
//!   accrues, so the example's 25 Apr payment leaves 1,800.00 as the base from 25 Apr on.
//!
//! # Installments (docs/domain.md §4, default convention)
//!
//! A plan's schedule (principal floor(P / n) with the remainder last; fee half-up(P × rate) each
//! period, or half-up(P × rate × n) upfront) is [`crate::quote::InstallmentQuote`]'s, unchanged.
//! Plans are numbered 1, 2, … in the order of the installment events (`bill_installment`,
//! `purchase_installment`) in the file; `settle_installment.plan` is that number.
//!
//! - **Booking** moves the principal out of the purchase receivable into *installment principal
//!   not yet billed* (ledger 1107). It stays in the account's balance and keeps occupying the
//!   limit (rule 10: available = limit + temporary − posted − pending − unbilled installment
//!   principal); as each period is billed it moves into the posted balance, and the limit comes
//!   back as that billed principal is repaid. No authorisation is run at booking (the principal
//!   already occupied the limit); an upfront fee is charged without a limit check, like a fee.
//! - **Billing**: on every statement date from the first one after booking (a purchase
//!   installment booked on a statement date bills on that day's statement) each running plan
//!   posts its period's fee and then its principal as `installment` items, shown together in
//!   the statement's `installments` line, 100 % in that statement's minimum (rule 6). The
//!   principal is a purchase posted on the statement date (rule 5): interest-free if that
//!   statement is paid in full, otherwise interest from the statement date (that day included)
//!   until repaid. Installment fees never bear interest. Within the installment bucket (rule 9)
//!   the fee is repaid before the principal. Billed installments not repaid roll into the next
//!   minimum only through rule 6's "unpaid part of the previous minimum".
//! - **`upfront`**: the whole fee posts at booking (an installment fee item of the running
//!   cycle) and is billed on the next statement; every period's fee is 0.
//! - **Purchase installment** (`purchase` = N: the N-th `purchase` event of the file, counted
//!   among purchase events): the purchase must be posted and not yet billed. Its whole
//!   outstanding amount is converted; it leaves the purchase bucket and the cycle's
//!   `purchases` total, and any interest it had deferred is dropped. Rejected: not posted yet,
//!   already billed (use a bill installment), already converted, nothing left outstanding.
//! - **Bill installment**: `amount` of the latest statement, requested after its statement date
//!   and on or before its due date (grace days do not extend the window). It converts billed
//!   purchase principal only (oldest statement first, then oldest posted) — fees, interest,
//!   cash advances and installment amounts are not convertible. The converted part counts as
//!   paid for that statement: it is added to its credits up to due date + grace (paid in full,
//!   minimum met, late fee) and shows as a credit (账单分期转出) in the running cycle's
//!   `payments_credits`, so the next statement's rule 3 sum and "unpaid previous minimum"
//!   account for it. It does not cover arrears of older statements. Under `full`, if the
//!   statement still fails its paid-in-full test, the converted purchase principal bears
//!   interest up to the day before the conversion, as a repayment would. Rejected, in this
//!   order: no statement yet; outside the window; more than the statement's balance less what
//!   was paid and already converted (which also rejects a second installment beyond what
//!   remains); more than the part within the permanent limit, min(balance, limit) less what
//!   was already converted (rule 10; payments are taken to pay the over-limit part first); more
//!   than the billed purchase principal outstanding.
//! - **Term**: 1–60 periods, checked before the run starts; a negative rate is rejected; other
//!   quote errors (an upfront fee not below the amount) reject the booking event.
//! - **Early settlement** (`settle_installment`), product parameter `early_settlement`:
//!   `remaining_fees` (default: remaining principal + every unbilled period's fee),
//!   `current_fee` (+ the fee of the next period to bill), `penalty` (+ half-up(remaining
//!   principal × `early_settlement_penalty_pct`), default 3 — the rules give no figure),
//!   `interest_to_date` (+ half-up(remaining principal × `daily_rate` × days from the last
//!   statement date that billed a period, or from the booking date, to the settlement day)).
//!   In `upfront` mode the fee paid at booking is not refunded and no period fee remains. On
//!   the settlement day the plan ends: its remaining principal moves 1107 → 1103 and the cost
//!   is charged, both as installment items posted that day and billed on the next statement
//!   (100 % in its minimum); the plan no longer holds unbilled principal, so the limit comes
//!   back as soon as the settled amount is repaid (a payment the same day or later repays it
//!   after every billed item). The settled principal is a purchase posted on the settlement
//!   day for interest. Rejected: an unknown plan, a plan already settled or fully billed.
//! - **Ledger**: installment principal (1103 billed, 1107 unbilled) and installment fees (1106
//!   receivable, 4103 income) are separate accounts, with their own transfer codes 9–12 (see
//!   [`postings`]). Statements reconcile to every receivable except 1107; the account balance
//!   at the end reconciles to all of them, and the plans' unbilled principal to 1107.

pub mod account;
pub mod allocation;
pub mod cycle;
pub mod dormancy;
pub mod engine;
pub mod error;
pub mod event;
pub mod installment;
pub mod interest;
pub mod postings;
pub mod pricing;
pub mod product;
pub mod special;
pub mod statement;
pub mod statement_run;

pub use account::{AccountStatus, Bucket, CreditAccount, DelinquencyBucket};
pub use dormancy::{DormancyFacts, DormancyReport, dormancy_report, is_dormant};
pub use engine::{
    Authorisation, ConvertiblePurchase, CreditLine, Engine, Outcome, PaymentRecord, Summary,
};
pub use error::{BillingError, DeclineCode, InstallmentRefusal};
pub use event::{Event, EventKind, PurchaseRef, Terms};
pub use installment::{Plan, Source};
pub use pricing::{InstallmentPricing, OfferedTerm, PricedKind};
pub use product::{EarlySettlement, Product, ProductVersions, RevolvingInterest};
pub use statement::{CycleTotals, LineKind, MinimumBasis, Statement};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use cardlife_kernel::Money;
    use jiff::civil::{Date, date};

    fn run(events: &[(Date, EventKind)], until: Date) -> Outcome {
        let events: Vec<Event> = events
            .iter()
            .map(|(d, k)| Event { date: *d, kind: *k })
            .collect();
        Engine::open(Product::default(), date(2026, 3, 20), Money::cny(5_000_000))
            .unwrap()
            .run(&events, until)
            .unwrap()
    }

    fn purchase(fen: i64) -> EventKind {
        EventKind::Purchase {
            amount: Money::cny(fen),
        }
    }

    #[test]
    fn worked_example_minimum_paid_bills_34_70_and_reconciles_to_the_ledger() {
        let o = run(
            &[
                (date(2026, 4, 1), purchase(200_000)),
                (
                    date(2026, 4, 25),
                    EventKind::Payment {
                        amount: Money::cny(20_000),
                    },
                ),
            ],
            date(2026, 5, 8),
        );
        assert_eq!(o.statements[0].minimum_payment, Money::cny(20_000));
        assert_eq!(o.statements[1].totals.interest, Money::cny(3_470));
        assert_eq!(o.balance, Money::cny(183_470));
        assert!(
            o.reconciliation_problems().is_empty(),
            "{:?}",
            o.reconciliation_problems()
        );
    }

    #[test]
    fn a_pending_purchase_reduces_available_credit_but_not_the_balance() {
        let o = run(&[(date(2026, 4, 1), purchase(200_000))], date(2026, 4, 1));
        assert_eq!(o.balance, Money::cny(0));
        assert_eq!(o.pending, Money::cny(200_000));
        assert_eq!(o.available_credit, Money::cny(4_800_000));
        assert!(o.reconciliation_problems().is_empty());
    }

    #[test]
    fn an_overpayment_raises_available_credit_above_the_limit() {
        let o = run(
            &[(
                date(2026, 4, 1),
                EventKind::Payment {
                    amount: Money::cny(50_000),
                },
            )],
            date(2026, 4, 8),
        );
        assert_eq!(o.statements[0].balance, Money::cny(-50_000));
        assert_eq!(o.statements[0].minimum_payment, Money::cny(0));
        assert_eq!(o.available_credit, Money::cny(5_050_000));
        assert!(o.reconciliation_problems().is_empty());
    }

    #[test]
    fn reconciliation_catches_a_statement_that_disagrees_with_the_ledger() {
        // Planted bug: a statement balance one fen off must be reported.
        let mut o = run(&[(date(2026, 4, 1), purchase(200_000))], date(2026, 4, 8));
        o.statements[0].balance = Money::cny(200_001);
        let problems = o.reconciliation_problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("2026-04-07"));
    }

    #[test]
    fn a_purchase_beyond_the_available_credit_is_declined() {
        let events = [Event {
            date: date(2026, 4, 1),
            kind: purchase(5_000_001),
        }];
        let err = Engine::open(Product::default(), date(2026, 3, 20), Money::cny(5_000_000))
            .unwrap()
            .run(&events, date(2026, 4, 2))
            .unwrap_err();
        assert!(
            matches!(err, BillingError::CreditLimitExceeded { index: 1, .. }),
            "{err}"
        );
    }

    fn bill_installment(fen: i64, periods: u32, mode: crate::quote::FeeMode) -> EventKind {
        EventKind::BillInstallment {
            amount: Money::cny(fen),
            terms: Terms {
                periods,
                rate: cardlife_kernel::Rate::parse("0.006").unwrap(),
                fee_mode: mode,
            },
        }
    }

    /// Net debit of a ledger account.
    fn net(o: &Outcome, id: u128) -> i128 {
        let a = o.postings.ledger().account(id).unwrap();
        i128::from(a.debits_posted) - i128::from(a.credits_posted)
    }

    #[test]
    fn installment_principal_and_fees_sit_on_separate_ledger_accounts() {
        let o = run(
            &[
                (date(2026, 4, 1), purchase(1_200_000)),
                (
                    date(2026, 4, 10),
                    bill_installment(1_200_000, 12, crate::quote::FeeMode::PerPeriod),
                ),
            ],
            date(2026, 5, 8),
        );
        assert!(
            o.reconciliation_problems().is_empty(),
            "{:?}",
            o.reconciliation_problems()
        );
        assert_eq!(o.statements[1].totals.installments, Money::cny(107_200));
        // 1103 billed principal, 1106 fee receivable, 1107 unbilled principal, 4103 fee income.
        assert_eq!(net(&o, 3), 100_000);
        assert_eq!(net(&o, postings::INSTALLMENT_FEE_RECEIVABLE), 7_200);
        assert_eq!(net(&o, postings::INSTALLMENT_UNBILLED), 1_100_000);
        assert_eq!(
            net(&o, postings::Counter::InstallmentFeeIncome as u128),
            -7_200
        );
        assert_eq!(net(&o, postings::Counter::InterestIncome as u128), 0);
        assert_eq!(net(&o, 5), 0, "the converted purchase left its bucket");
        assert_eq!(o.installments_unbilled, Money::cny(1_100_000));
        assert_eq!(o.balance, Money::cny(1_207_200));
        assert_eq!(o.available_credit, Money::cny(5_000_000 - 1_207_200));
    }

    #[test]
    fn an_upfront_fee_is_charged_at_booking_and_billed_on_the_next_statement() {
        let events = [
            (date(2026, 4, 1), purchase(1_200_000)),
            (
                date(2026, 4, 10),
                bill_installment(1_200_000, 12, crate::quote::FeeMode::Upfront),
            ),
        ];
        let o = run(&events, date(2026, 4, 10));
        assert_eq!(net(&o, postings::INSTALLMENT_FEE_RECEIVABLE), 86_400);
        assert_eq!(o.balance, Money::cny(1_286_400));
        let o = run(&events, date(2026, 5, 7));
        assert_eq!(o.statements[1].totals.installments, Money::cny(186_400));
        assert!(o.reconciliation_problems().is_empty());
    }

    #[test]
    fn a_bill_installment_counts_as_paid_so_the_statement_keeps_its_free_period() {
        let o = run(
            &[
                (date(2026, 4, 1), purchase(1_200_000)),
                (
                    date(2026, 4, 25),
                    bill_installment(1_200_000, 3, crate::quote::FeeMode::PerPeriod),
                ),
            ],
            date(2026, 5, 8),
        );
        assert_eq!(o.statements[0].paid_in_full, Some(true));
        assert_eq!(o.statements[1].totals.interest, Money::cny(0));
        assert_eq!(o.statements[1].minimum_payment, Money::cny(407_200));
        assert_eq!(o.days_past_due, 0);
    }

    #[test]
    fn a_cash_advance_beyond_half_the_limit_is_declined() {
        let events = [Event {
            date: date(2026, 4, 1),
            kind: EventKind::CashAdvance {
                amount: Money::cny(2_500_001),
            },
        }];
        let err = Engine::open(Product::default(), date(2026, 3, 20), Money::cny(5_000_000))
            .unwrap()
            .run(&events, date(2026, 4, 2))
            .unwrap_err();
        assert!(
            matches!(err, BillingError::CreditLimitExceeded { .. }),
            "{err}"
        );
    }

    fn run_err(events: &[(Date, EventKind)], expiry: Option<(i16, i8)>) -> BillingError {
        let events: Vec<Event> = events
            .iter()
            .map(|(d, k)| Event { date: *d, kind: *k })
            .collect();
        let mut engine =
            Engine::open(Product::default(), date(2026, 3, 20), Money::cny(5_000_000)).unwrap();
        if let Some((y, m)) = expiry {
            engine = engine.with_card_expiry(y, m).unwrap();
        }
        engine.run(&events, date(2026, 6, 30)).unwrap_err()
    }

    fn pay(fen: i64) -> EventKind {
        EventKind::Payment {
            amount: Money::cny(fen),
        }
    }

    #[test]
    fn decline_codes_have_stable_snake_case_names() {
        let names: Vec<&str> = DeclineCode::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(
            names,
            [
                "account_closed",
                "account_frozen",
                "card_expired",
                "insufficient_credit",
                "cash_limit_exceeded"
            ]
        );
    }

    #[test]
    fn a_purchase_beyond_the_available_credit_is_declined_insufficient_credit() {
        let err = run_err(&[(date(2026, 4, 1), purchase(5_000_001))], None);
        assert_eq!(err.decline_code(), Some(DeclineCode::InsufficientCredit));
        assert!(err.to_string().contains("[insufficient_credit]"), "{err}");
    }

    #[test]
    fn a_cash_advance_within_credit_but_beyond_the_cash_limit_is_declined_cash_limit_exceeded() {
        let cash = EventKind::CashAdvance {
            amount: Money::cny(2_500_001),
        };
        let err = run_err(&[(date(2026, 4, 1), cash)], None);
        assert_eq!(err.decline_code(), Some(DeclineCode::CashLimitExceeded));
    }

    #[test]
    fn a_purchase_on_a_frozen_account_is_declined_account_frozen() {
        let err = run_err(
            &[
                (date(2026, 4, 1), EventKind::Freeze),
                (date(2026, 4, 2), purchase(100)),
            ],
            None,
        );
        assert_eq!(err.decline_code(), Some(DeclineCode::AccountFrozen));
        assert!(matches!(err, BillingError::Declined { index: 2, .. }));
    }

    #[test]
    fn a_cash_advance_on_a_closed_account_is_declined_account_closed() {
        let cash = EventKind::CashAdvance {
            amount: Money::cny(10_000),
        };
        let err = run_err(
            &[
                (date(2026, 4, 1), EventKind::Close),
                (date(2026, 4, 2), cash),
            ],
            None,
        );
        assert_eq!(err.decline_code(), Some(DeclineCode::AccountClosed));
    }

    #[test]
    fn a_purchase_after_the_expiry_month_is_declined_card_expired_but_not_on_its_last_day() {
        let err = run_err(
            &[
                (date(2026, 4, 30), purchase(100)),
                (date(2026, 5, 1), purchase(100)),
            ],
            Some((2026, 4)),
        );
        assert_eq!(err.decline_code(), Some(DeclineCode::CardExpired));
        assert!(matches!(err, BillingError::Declined { index: 2, .. }));
    }

    #[test]
    fn the_status_is_checked_before_the_credit_so_a_frozen_oversized_purchase_is_account_frozen() {
        let err = run_err(
            &[
                (date(2026, 4, 1), EventKind::Freeze),
                (date(2026, 4, 2), purchase(9_000_000)),
            ],
            Some((2026, 3)),
        );
        assert_eq!(err.decline_code(), Some(DeclineCode::AccountFrozen));
    }

    #[test]
    fn a_payment_on_a_frozen_account_is_accepted_and_unfreezing_allows_purchases_again() {
        let o = run(
            &[
                (date(2026, 4, 1), purchase(200_000)),
                (date(2026, 4, 3), EventKind::Freeze),
                (date(2026, 4, 5), pay(200_000)),
                (date(2026, 4, 6), EventKind::Unfreeze),
                (date(2026, 4, 6), purchase(100)),
            ],
            date(2026, 4, 10),
        );
        assert_eq!(o.status, AccountStatus::Active);
        assert_eq!(o.balance, Money::cny(100));
        assert!(o.reconciliation_problems().is_empty());
    }

    #[test]
    fn a_payment_on_a_closed_account_is_refused_with_its_own_error() {
        let err = run_err(
            &[
                (date(2026, 4, 1), EventKind::Close),
                (date(2026, 4, 2), pay(100)),
            ],
            None,
        );
        assert_eq!(
            err,
            BillingError::PaymentOnClosedAccount {
                index: 2,
                date: date(2026, 4, 2),
                closed_on: date(2026, 4, 1)
            }
        );
        assert_eq!(err.decline_code(), None);
    }

    #[test]
    fn closing_with_a_balance_or_a_pending_authorisation_is_refused() {
        let err = run_err(
            &[
                (date(2026, 4, 1), purchase(100)),
                (date(2026, 4, 5), EventKind::Close),
            ],
            None,
        );
        assert!(
            err.to_string().contains("the balance is 1.00, not zero"),
            "{err}"
        );
        let err = run_err(
            &[
                (date(2026, 4, 1), purchase(100)),
                (date(2026, 4, 1), EventKind::Close),
            ],
            None,
        );
        assert!(matches!(err, BillingError::CloseRefused { .. }), "{err}");
        assert!(err.to_string().contains("pending"), "{err}");
    }

    #[test]
    fn closing_with_a_credit_balance_is_refused_and_at_zero_it_closes() {
        let err = run_err(
            &[
                (date(2026, 4, 1), pay(100)),
                (date(2026, 4, 1), EventKind::Close),
            ],
            None,
        );
        assert!(err.to_string().contains("credit balance"), "{err}");
        let o = run(
            &[
                (date(2026, 4, 1), pay(100)),
                (date(2026, 4, 1), purchase(100)),
                (date(2026, 4, 10), EventKind::Close),
            ],
            date(2026, 4, 20),
        );
        assert_eq!(o.status, AccountStatus::Closed);
        let facts = o.dormancy_facts();
        assert_eq!(facts.last_customer_activity, Some(date(2026, 4, 1)));
        assert!(!is_dormant(&facts, date(2030, 1, 1), 18).unwrap());
    }
}

#[cfg(test)]
mod authorisation_tests;

#[cfg(test)]
mod plan_booking_tests;
