-- The batch statement run (docs/domain.md "The batch statement run"): the lines posted in each
-- account's cycle, and one statement row per account and statement date.
--
-- Dates are INTEGER yyyymmdd (20260407): four bytes a line instead of ten, and they order as
-- dates. Amounts are integer fen.
--
-- A line's `cycle` is the statement date that closes its cycle. The key (cycle, account_no,
-- line_no) clusters a cycle's lines account by account in the table itself (WITHOUT ROWID): the
-- run reads them in one pass in key order, with no index and no sort.
--
-- kind: 0 purchase, 1 cash advance, 2 fee, 3 interest, 4 installment, 5 payment, 6 refund,
--       7 an overpayment absorbing a charge (moves the overpayment into `bucket`).
-- bucket: 0 none (the part of a credit that became overpayment), 1 fee, 2 interest,
--       3 installment, 4 cash, 5 purchase. A charge's bucket is its own; a credit's is the
--       bucket its part repaid (credits are allocated when they post, one line per part).
CREATE TABLE credit_posted_lines (
    cycle       INTEGER NOT NULL,
    account_no  INTEGER NOT NULL,
    line_no     INTEGER NOT NULL,
    posted_on   INTEGER NOT NULL,
    kind        INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 7),
    bucket      INTEGER NOT NULL CHECK (bucket BETWEEN 0 AND 5),
    amount_fen  INTEGER NOT NULL CHECK (amount_fen > 0),
    PRIMARY KEY (cycle, account_no, line_no)
) WITHOUT ROWID;

-- Every header field of a statement, plus what the next cycle opens with (the limit, what is
-- owed per bucket, the overpayment). Keyed by statement date first: a run appends its rows at
-- the end of the table in key order, and reads the previous run's rows as one range.
CREATE TABLE credit_statement_rows (
    statement_date       INTEGER NOT NULL,
    account_no           INTEGER NOT NULL,
    previous_balance_fen INTEGER NOT NULL,
    payments_credits_fen INTEGER NOT NULL,
    purchases_fen        INTEGER NOT NULL,
    cash_advances_fen    INTEGER NOT NULL,
    fees_fen             INTEGER NOT NULL,
    interest_fen         INTEGER NOT NULL,
    installments_fen     INTEGER NOT NULL,
    balance_fen          INTEGER NOT NULL,
    minimum_payment_fen  INTEGER NOT NULL,
    due_date             INTEGER NOT NULL,
    credit_limit_fen     INTEGER NOT NULL,
    owed_fee_fen         INTEGER NOT NULL,
    owed_interest_fen    INTEGER NOT NULL,
    owed_installment_fen INTEGER NOT NULL,
    owed_cash_fen        INTEGER NOT NULL,
    owed_purchase_fen    INTEGER NOT NULL,
    overpayment_fen      INTEGER NOT NULL,
    PRIMARY KEY (statement_date, account_no)
) WITHOUT ROWID;
