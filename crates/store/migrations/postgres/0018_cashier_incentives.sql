-- Cashier incentives (docs/merchants.md, "Cashier incentives"): which staff member took an order,
-- the operator's incentive programmes with their budget on the ledger, and each reward granted.
-- Amounts are integer fen; instants are Unix nanoseconds; business dates are YYYY-MM-DD.

-- The cashier of an order: the staff member whose portal session created it, or the one named
-- by the merchant's signed API request (always one of that merchant's staff).
CREATE TABLE order_cashiers (
    order_id      TEXT    PRIMARY KEY REFERENCES payment_orders (id),
    merchant_id   TEXT    NOT NULL REFERENCES merchants (id),
    staff_id      TEXT    NOT NULL REFERENCES merchant_staff (id),
    created_at_ns BIGINT NOT NULL
);

-- An incentive programme. granted_fen is what its rewards hold of the budget (clawbacks
-- deducted); the check keeps it within the budget whatever runs concurrently. The newest
-- programme not ended is the running one.
CREATE TABLE cashier_incentive_plans (
    id              TEXT    PRIMARY KEY,
    name            TEXT    NOT NULL,
    reward_fen      BIGINT NOT NULL CHECK (reward_fen > 0),
    min_payment_fen BIGINT NOT NULL CHECK (min_payment_fen >= 0),
    daily_cap_fen   BIGINT NOT NULL CHECK (daily_cap_fen >= reward_fen),
    budget_fen      BIGINT NOT NULL CHECK (budget_fen >= 0),
    granted_fen     BIGINT NOT NULL DEFAULT 0 CHECK (granted_fen >= 0 AND granted_fen <= budget_fen),
    budget_account  TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at_ns   BIGINT NOT NULL,
    ended_at_ns     BIGINT
);

-- What a cashier earned under a programme on one business date (clawbacks deducted); updated
-- only by a statement conditional on the daily cap.
CREATE TABLE cashier_reward_days (
    plan_id       TEXT    NOT NULL REFERENCES cashier_incentive_plans (id),
    staff_id      TEXT    NOT NULL REFERENCES merchant_staff (id),
    business_date TEXT    NOT NULL,
    earned_fen    BIGINT NOT NULL CHECK (earned_fen >= 0),
    PRIMARY KEY (plan_id, staff_id, business_date)
);

-- One reward per order, ever; reversed_at_ns is set by a same-day full refund's clawback.
CREATE TABLE cashier_rewards (
    order_id       TEXT    PRIMARY KEY REFERENCES payment_orders (id),
    plan_id        TEXT    NOT NULL REFERENCES cashier_incentive_plans (id),
    merchant_id    TEXT    NOT NULL REFERENCES merchants (id),
    staff_id       TEXT    NOT NULL REFERENCES merchant_staff (id),
    payment_fen    BIGINT NOT NULL,
    amount_fen     BIGINT NOT NULL CHECK (amount_fen > 0),
    business_date  TEXT    NOT NULL,
    rewarded_at_ns BIGINT NOT NULL,
    reversed_at_ns BIGINT
);
CREATE INDEX cashier_rewards_by_staff ON cashier_rewards (staff_id, business_date);
CREATE INDEX cashier_rewards_by_merchant ON cashier_rewards (merchant_id);
