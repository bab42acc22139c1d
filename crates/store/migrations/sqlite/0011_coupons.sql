-- Coupons and campaigns (docs/rewards.md). Instants are Unix nanoseconds, money integer fen,
-- business dates `YYYY-MM-DD` (Asia/Shanghai). A template's budget is money on the ledger (its
-- budget account); `issued` and `issued_fen` are raised by every claim under the template's row
-- lock and checked here too, so no claim can take the face value issued past the budget.

CREATE TABLE coupon_templates (
    id              TEXT    PRIMARY KEY,
    name            TEXT    NOT NULL,
    -- `fixed_off`, `percent_off` or `threshold`
    kind            TEXT    NOT NULL CHECK (kind IN ('fixed_off', 'percent_off', 'threshold')),
    off_fen         INTEGER NOT NULL CHECK (off_fen >= 0),
    percent_bp      INTEGER NOT NULL CHECK (percent_bp >= 0 AND percent_bp <= 10000),
    cap_fen         INTEGER NOT NULL CHECK (cap_fen >= 0),
    min_spend_fen   INTEGER NOT NULL CHECK (min_spend_fen >= 0),
    face_fen        INTEGER NOT NULL CHECK (face_fen > 0),
    -- `window` (valid_from..valid_until) or `days` (valid_days from the claim date)
    validity        TEXT    NOT NULL CHECK (validity IN ('window', 'days')),
    valid_from      TEXT,
    valid_until     TEXT,
    valid_days      INTEGER,
    -- the scope as JSON lists: merchants (ids), mccs, scenes, card_bins; empty = any
    scope_json      TEXT    NOT NULL,
    -- `bank`, `merchant` or `partner`, and whose (merchant or partner id)
    funding         TEXT    NOT NULL CHECK (funding IN ('bank', 'merchant', 'partner')),
    funder_id       TEXT,
    budget_fen      INTEGER NOT NULL CHECK (budget_fen > 0),
    stock           INTEGER NOT NULL CHECK (stock > 0),
    per_user        INTEGER NOT NULL CHECK (per_user >= 1),
    per_user_per_day INTEGER,
    per_day         INTEGER,
    -- whether customers may claim it themselves (otherwise only campaigns grant it)
    claimable       INTEGER NOT NULL CHECK (claimable IN (0, 1)),
    issued          INTEGER NOT NULL DEFAULT 0 CHECK (issued >= 0 AND issued <= stock),
    issued_fen      INTEGER NOT NULL DEFAULT 0 CHECK (issued_fen >= 0 AND issued_fen <= budget_fen),
    budget_account  TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at_ns   INTEGER NOT NULL
);

-- One row per coupon issued. `state`: available, reserved (by `order_id`, for `discount_fen`),
-- redeemed, expired. `idempotency_key` is the customer's claim key (scoped to the template).
CREATE TABLE coupons (
    id              TEXT    PRIMARY KEY,
    template_id     TEXT    NOT NULL REFERENCES coupon_templates (id),
    customer_id     TEXT    NOT NULL REFERENCES customers (id),
    claimed_on      TEXT    NOT NULL,
    valid_from      TEXT    NOT NULL,
    valid_until     TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('available', 'reserved', 'redeemed', 'expired')),
    order_id        TEXT,
    discount_fen    INTEGER NOT NULL DEFAULT 0 CHECK (discount_fen >= 0),
    -- `claim` (the customer claimed it) or `cmp_…` (a campaign granted it)
    source          TEXT    NOT NULL,
    idempotency_key TEXT,
    claimed_at_ns   INTEGER NOT NULL,
    updated_at_ns   INTEGER NOT NULL,
    UNIQUE (template_id, customer_id, idempotency_key)
);
CREATE INDEX coupons_by_customer ON coupons (customer_id, state);
CREATE INDEX coupons_by_template_day ON coupons (template_id, claimed_on);
CREATE INDEX coupons_by_order ON coupons (order_id);

-- Campaigns: an event-triggered rule (the domain `CampaignRule`, as JSON) granting a coupon of
-- one template per award. `granted_fen` (face value granted) never passes `budget_fen`.
CREATE TABLE campaigns (
    id              TEXT    PRIMARY KEY,
    name            TEXT    NOT NULL,
    -- `first_card_binding` or `payment`
    trigger_kind    TEXT    NOT NULL,
    rule_json       TEXT    NOT NULL,
    template_id     TEXT    NOT NULL REFERENCES coupon_templates (id),
    budget_fen      INTEGER NOT NULL CHECK (budget_fen > 0),
    granted_fen     INTEGER NOT NULL DEFAULT 0 CHECK (granted_fen >= 0 AND granted_fen <= budget_fen),
    starts_at_ns    INTEGER NOT NULL,
    ends_at_ns      INTEGER NOT NULL CHECK (ends_at_ns > starts_at_ns),
    created_by      TEXT    NOT NULL,
    created_at_ns   INTEGER NOT NULL
);
CREATE INDEX campaigns_by_trigger ON campaigns (trigger_kind, starts_at_ns);

-- One row per award: the event (its idempotency key), the A/B variant, the coupon granted.
CREATE TABLE campaign_grants (
    campaign_id     TEXT    NOT NULL REFERENCES campaigns (id),
    event_id        TEXT    NOT NULL,
    customer_id     TEXT    NOT NULL REFERENCES customers (id),
    variant         INTEGER NOT NULL CHECK (variant >= 0),
    coupon_id       TEXT    NOT NULL REFERENCES coupons (id),
    face_fen        INTEGER NOT NULL CHECK (face_fen > 0),
    granted_at_ns   INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, event_id)
);
CREATE INDEX campaign_grants_by_customer ON campaign_grants (campaign_id, customer_id);
