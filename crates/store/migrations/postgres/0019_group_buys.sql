-- Group buying (拼团, docs/rewards.md "Group buying"): offers set up by operators, groups started
-- by cardholders, and each member's payment. Money is integer fen; instants Unix nanoseconds.

-- An offer: the deal a group is formed for. The merchant receives the money of completed groups.
CREATE TABLE group_buy_offers (
    id                 TEXT    PRIMARY KEY,
    merchant_id        TEXT    NOT NULL REFERENCES merchants (id),
    title              TEXT    NOT NULL,
    size               BIGINT  NOT NULL CHECK (size >= 2 AND size <= 50),
    price_fen          BIGINT  NOT NULL CHECK (price_fen > 0),
    window_secs        BIGINT  NOT NULL CHECK (window_secs > 0),
    starts_at_ns       BIGINT  NOT NULL,
    ends_at_ns         BIGINT  NOT NULL CHECK (ends_at_ns > starts_at_ns),
    virtual_completion BIGINT  NOT NULL CHECK (virtual_completion IN (0, 1)),
    per_customer_limit BIGINT  NOT NULL CHECK (per_customer_limit >= 1),
    created_by         TEXT    NOT NULL,
    created_at_ns      BIGINT  NOT NULL
);

-- A group. Joins lock its row (members is rewritten under the lock) and the check keeps it
-- within the size whatever runs concurrently. settled_at_ns is set once every member's money
-- has gone to the merchant (completed) or back to the card (failed).
CREATE TABLE group_buy_groups (
    id            TEXT    PRIMARY KEY,
    offer_id      TEXT    NOT NULL REFERENCES group_buy_offers (id),
    state         TEXT    NOT NULL CHECK (state IN ('forming', 'completed', 'failed')),
    size          BIGINT  NOT NULL,
    members       BIGINT  NOT NULL CHECK (members >= 0 AND members <= size),
    virtual_fill  BIGINT  NOT NULL DEFAULT 0 CHECK (virtual_fill IN (0, 1)),
    started_by    TEXT    NOT NULL,
    started_at_ns BIGINT  NOT NULL,
    deadline_ns   BIGINT  NOT NULL,
    closed_at_ns  BIGINT,
    settled_at_ns BIGINT
);
CREATE INDEX group_buy_groups_offer ON group_buy_groups (offer_id, state);
CREATE INDEX group_buy_groups_due ON group_buy_groups (state, deadline_ns);

-- A member and the card payment of the group price. captured: the authorisation was taken;
-- refunded: a failed group gave it back (or voided it if it was never captured).
CREATE TABLE group_buy_members (
    group_id        TEXT    NOT NULL REFERENCES group_buy_groups (id),
    customer_id     TEXT    NOT NULL REFERENCES customers (id),
    n               BIGINT  NOT NULL CHECK (n >= 1),
    offer_id        TEXT    NOT NULL REFERENCES group_buy_offers (id),
    paid_fen        BIGINT  NOT NULL CHECK (paid_fen > 0),
    funding_key     TEXT    NOT NULL,
    funding_auth_id TEXT    NOT NULL,
    captured        BIGINT  NOT NULL DEFAULT 0 CHECK (captured IN (0, 1)),
    refunded        BIGINT  NOT NULL DEFAULT 0 CHECK (refunded IN (0, 1)),
    joined_at_ns    BIGINT  NOT NULL,
    PRIMARY KEY (group_id, customer_id),
    UNIQUE (group_id, n)
);
CREATE INDEX group_buy_members_customer ON group_buy_members (customer_id, offer_id);

-- Places a customer holds in an offer's groups (failed groups give theirs back); raised by a
-- statement conditional on the offer's per-customer limit, so concurrent joins cannot pass it.
CREATE TABLE group_buy_holdings (
    customer_id TEXT    NOT NULL REFERENCES customers (id),
    offer_id    TEXT    NOT NULL REFERENCES group_buy_offers (id),
    held        BIGINT  NOT NULL CHECK (held >= 0),
    PRIMARY KEY (customer_id, offer_id)
);
