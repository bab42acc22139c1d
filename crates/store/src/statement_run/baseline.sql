INSERT INTO {table} ({columns})
WITH t AS (
    SELECT account_no,
        SUM(CASE WHEN kind IN (5, 6) THEN amount_fen ELSE 0 END){cast} AS credits,
        SUM(CASE WHEN kind IN (5, 6) AND posted_on <= {last_on_time} THEN amount_fen ELSE 0 END){cast} AS credits_early,
        SUM(CASE WHEN kind = 0 THEN amount_fen ELSE 0 END){cast} AS purchases,
        SUM(CASE WHEN kind = 1 THEN amount_fen ELSE 0 END){cast} AS cash_advances,
        SUM(CASE WHEN kind = 2 THEN amount_fen ELSE 0 END){cast} AS fees,
        SUM(CASE WHEN kind = 3 THEN amount_fen ELSE 0 END){cast} AS interest,
        SUM(CASE WHEN kind = 4 THEN amount_fen ELSE 0 END){cast} AS installments,
        SUM(CASE WHEN bucket = 1 THEN CASE WHEN kind >= 5 THEN -amount_fen ELSE amount_fen END ELSE 0 END){cast} AS d_fee,
        SUM(CASE WHEN bucket = 2 THEN CASE WHEN kind >= 5 THEN -amount_fen ELSE amount_fen END ELSE 0 END){cast} AS d_interest,
        SUM(CASE WHEN bucket = 3 THEN CASE WHEN kind >= 5 THEN -amount_fen ELSE amount_fen END ELSE 0 END){cast} AS d_installment,
        SUM(CASE WHEN bucket = 4 THEN CASE WHEN kind >= 5 THEN -amount_fen ELSE amount_fen END ELSE 0 END){cast} AS d_cash,
        SUM(CASE WHEN bucket = 5 THEN CASE WHEN kind >= 5 THEN -amount_fen ELSE amount_fen END ELSE 0 END){cast} AS d_purchase,
        SUM(CASE WHEN kind = 7 THEN -amount_fen WHEN bucket = 0 THEN amount_fen ELSE 0 END){cast} AS d_overpayment
    FROM credit_posted_lines
    WHERE cycle = {date}
    GROUP BY account_no
), s AS (
    SELECT p.account_no,
        p.balance_fen AS previous_balance,
        p.minimum_payment_fen AS previous_minimum,
        p.credit_limit_fen AS credit_limit,
        COALESCE(t.credits, 0) AS credits,
        COALESCE(t.credits_early, 0) AS credits_early,
        COALESCE(t.purchases, 0) AS purchases,
        COALESCE(t.cash_advances, 0) AS cash_advances,
        COALESCE(t.fees, 0) AS fees,
        COALESCE(t.interest, 0) AS interest,
        COALESCE(t.installments, 0) AS installments,
        p.owed_fee_fen + COALESCE(t.d_fee, 0) AS owed_fee,
        p.owed_interest_fen + COALESCE(t.d_interest, 0) AS owed_interest,
        p.owed_installment_fen + COALESCE(t.d_installment, 0) AS owed_installment,
        p.owed_cash_fen + COALESCE(t.d_cash, 0) AS owed_cash,
        p.owed_purchase_fen + COALESCE(t.d_purchase, 0) AS owed_purchase,
        p.overpayment_fen + COALESCE(t.d_overpayment, 0) AS overpayment
    FROM credit_statement_rows p
    LEFT JOIN t ON t.account_no = p.account_no
    WHERE p.statement_date = {previous}
), b AS (
    SELECT s.*,
        previous_balance - credits + purchases + cash_advances + fees + interest + installments
            AS balance
    FROM s
)
SELECT {date}, account_no, previous_balance, credits, purchases, cash_advances, fees, interest,
    installments, balance,
    {max}(0, {min}(balance,
        (owed_purchase * {pct} + owed_cash * {cash_pct} + 50) / 100
        + {min}(fees, owed_fee) + {min}(interest, owed_interest)
        + {min}(installments, owed_installment)
        + {max}(0, balance - credit_limit)
        + CASE WHEN credits_early >= previous_balance - {tolerance} THEN 0
               ELSE {max}(0, previous_minimum - credits) END)),
    {due}, credit_limit, owed_fee, owed_interest, owed_installment, owed_cash, owed_purchase,
    overpayment
FROM b
