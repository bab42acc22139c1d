-- The batch statement run (docs/domain.md "The batch statement run"): the lines posted in each
-- account's cycle, and one statement row per account and statement date.
--
-- The same tables as the embedded store's (migrations/sqlite/0004_statement_run.sql), with
-- BIGINT columns so both stores decode the same types. Dates are yyyymmdd (20260407); amounts
-- are integer fen.
--
-- A line's `cycle` is the statement date that closes its cycle. The key (cycle, account_no,
-- line_no) is read in key order through the primary-key index.
--
-- kind: 0 purchase, 1 cash advance, 2 fee, 3 interest, 4 installment, 5 payment, 6 refund,
--       7 an overpayment absorbing a charge (moves the overpayment into `bucket`).
-- bucket: 0 none (the part of a credit that became overpayment), 1 fee, 2 interest,
--       3 installment, 4 cash, 5 purchase. A charge's bucket is its own; a credit's is the
--       bucket its part repaid (credits are allocated when they post, one line per part).
CREATE TABLE credit_posted_lines (
    cycle       BIGINT NOT NULL,
    account_no  BIGINT NOT NULL,
    line_no     BIGINT NOT NULL,
    posted_on   BIGINT NOT NULL,
    kind        BIGINT NOT NULL CHECK (kind BETWEEN 0 AND 7),
    bucket      BIGINT NOT NULL CHECK (bucket BETWEEN 0 AND 5),
    amount_fen  BIGINT NOT NULL CHECK (amount_fen > 0),
    PRIMARY KEY (cycle, account_no, line_no)
);

-- Every header field of a statement, plus what the next cycle opens with (the limit, what is
-- owed per bucket, the overpayment). Keyed by statement date first: a run appends its rows at
-- the end of the table in key order, and reads the previous run's rows as one range.
CREATE TABLE credit_statement_rows (
    statement_date       BIGINT NOT NULL,
    account_no           BIGINT NOT NULL,
    previous_balance_fen BIGINT NOT NULL,
    payments_credits_fen BIGINT NOT NULL,
    purchases_fen        BIGINT NOT NULL,
    cash_advances_fen    BIGINT NOT NULL,
    fees_fen             BIGINT NOT NULL,
    interest_fen         BIGINT NOT NULL,
    installments_fen     BIGINT NOT NULL,
    balance_fen          BIGINT NOT NULL,
    minimum_payment_fen  BIGINT NOT NULL,
    due_date             BIGINT NOT NULL,
    credit_limit_fen     BIGINT NOT NULL,
    owed_fee_fen         BIGINT NOT NULL,
    owed_interest_fen    BIGINT NOT NULL,
    owed_installment_fen BIGINT NOT NULL,
    owed_cash_fen        BIGINT NOT NULL,
    owed_purchase_fen    BIGINT NOT NULL,
    overpayment_fen      BIGINT NOT NULL,
    PRIMARY KEY (statement_date, account_no)
);
