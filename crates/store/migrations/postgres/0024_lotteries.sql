-- Lotteries (docs/rewards.md, "Lotteries"): monthly spend tiers grant draw chances; a draw picks
-- a prize by its stated odds and awards it within the prize's stock and the lottery's budgets.
-- Instants are Unix nanoseconds, money integer fen, months `YYYY-MM-01` (Asia/Shanghai).

-- A lottery and its spend-tier rule (the domain `SpendTierRule` as JSON: tiers and segment).
-- `awarded_fen` (coupon face value) and `points_awarded` never pass their budgets.
CREATE TABLE lotteries (
    id              TEXT    PRIMARY KEY,
    name            TEXT    NOT NULL,
    rule_json       TEXT    NOT NULL,
    budget_fen      BIGINT  NOT NULL CHECK (budget_fen >= 0),
    awarded_fen     BIGINT  NOT NULL DEFAULT 0 CHECK (awarded_fen >= 0 AND awarded_fen <= budget_fen),
    points_budget   BIGINT  NOT NULL CHECK (points_budget >= 0),
    points_awarded  BIGINT  NOT NULL DEFAULT 0 CHECK (points_awarded >= 0 AND points_awarded <= points_budget),
    starts_at_ns    BIGINT  NOT NULL,
    ends_at_ns      BIGINT  NOT NULL CHECK (ends_at_ns > starts_at_ns),
    created_by      TEXT    NOT NULL,
    created_at_ns   BIGINT  NOT NULL
);
CREATE INDEX lotteries_by_window ON lotteries (starts_at_ns, ends_at_ns);

-- A lottery's prizes in display order with their stated odds (basis points, summing to
-- 10,000 per lottery) and stock; `awarded` never passes `stock`.
CREATE TABLE lottery_prizes (
    lottery_id      TEXT    NOT NULL REFERENCES lotteries (id),
    idx             BIGINT  NOT NULL CHECK (idx >= 0),
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('coupon', 'points', 'none')),
    template_id     TEXT    REFERENCES coupon_templates (id),
    face_fen        BIGINT  NOT NULL CHECK (face_fen >= 0),
    points          BIGINT  NOT NULL CHECK (points >= 0),
    odds_bp         BIGINT  NOT NULL CHECK (odds_bp >= 0 AND odds_bp <= 10000),
    stock           BIGINT  NOT NULL CHECK (stock >= 0),
    awarded         BIGINT  NOT NULL DEFAULT 0 CHECK (awarded >= 0 AND awarded <= stock),
    PRIMARY KEY (lottery_id, idx)
);

-- Captured payments counted toward a customer's month, once per event (`pay:<order>`); the
-- month's spend is their amount less what the order has refunded since.
CREATE TABLE lottery_spend (
    lottery_id      TEXT    NOT NULL REFERENCES lotteries (id),
    event_id        TEXT    NOT NULL,
    customer_id     TEXT    NOT NULL REFERENCES customers (id),
    month           TEXT    NOT NULL,
    order_id        TEXT    NOT NULL,
    amount_fen      BIGINT  NOT NULL CHECK (amount_fen > 0),
    at_ns           BIGINT  NOT NULL,
    PRIMARY KEY (lottery_id, event_id)
);
CREATE INDEX lottery_spend_by_customer ON lottery_spend (lottery_id, customer_id, month);

-- Draw chances: `n` of the chances tier `tier` grants in `month`, granted once. `state`
-- available or used; an available chance is usable while the month's spend reaches
-- `min_spend_fen`.
CREATE TABLE draw_chances (
    id              TEXT    PRIMARY KEY,
    lottery_id      TEXT    NOT NULL REFERENCES lotteries (id),
    customer_id     TEXT    NOT NULL REFERENCES customers (id),
    month           TEXT    NOT NULL,
    tier            BIGINT  NOT NULL CHECK (tier >= 0),
    n               BIGINT  NOT NULL CHECK (n >= 0),
    min_spend_fen   BIGINT  NOT NULL CHECK (min_spend_fen > 0),
    state           TEXT    NOT NULL CHECK (state IN ('available', 'used')),
    event_id        TEXT    NOT NULL,
    granted_at_ns   BIGINT  NOT NULL,
    used_at_ns      BIGINT,
    UNIQUE (lottery_id, customer_id, month, tier, n)
);
CREATE INDEX draw_chances_by_customer ON draw_chances (customer_id, lottery_id, state);

-- Every draw, for audit: the chance used, the random value (a u64 in decimal), the prize the
-- odds picked, and the outcome (`prize`, or `no_prize` with `reason` blank, stock_out or
-- budget_out); what was awarded (coupon or points).
CREATE TABLE lottery_draws (
    id              TEXT    PRIMARY KEY,
    lottery_id      TEXT    NOT NULL REFERENCES lotteries (id),
    customer_id     TEXT    NOT NULL REFERENCES customers (id),
    chance_id       TEXT    NOT NULL UNIQUE REFERENCES draw_chances (id),
    idempotency_key TEXT    NOT NULL,
    random_value    TEXT    NOT NULL,
    picked          BIGINT  NOT NULL CHECK (picked >= 0),
    outcome         TEXT    NOT NULL CHECK (outcome IN ('prize', 'no_prize')),
    reason          TEXT,
    coupon_id       TEXT    REFERENCES coupons (id),
    face_fen        BIGINT  NOT NULL CHECK (face_fen >= 0),
    points          BIGINT  NOT NULL CHECK (points >= 0),
    drawn_at_ns     BIGINT  NOT NULL,
    UNIQUE (lottery_id, customer_id, idempotency_key)
);
CREATE INDEX lottery_draws_by_lottery ON lottery_draws (lottery_id, drawn_at_ns);
