-- Points and the points mall (docs/rewards.md, "Points" and "Points mall"). Dates are civil
-- `YYYY-MM-DD` text in the business zone (they sort as text), instants Unix nanoseconds,
-- points and money integers. The lots are the truth of what a customer holds; every movement is
-- also a transfer on the points ledger, posted from `points_movements` (the outbox: `posted` is
-- set once the ledger answered `ok` or `exists`).

-- One row per customer with points: lifetime totals and the lock every change takes first.
CREATE TABLE points_balances (
    customer_id TEXT    PRIMARY KEY REFERENCES customers (id),
    earned      INTEGER NOT NULL DEFAULT 0 CHECK (earned >= 0),
    redeemed    INTEGER NOT NULL DEFAULT 0 CHECK (redeemed >= 0),
    expired     INTEGER NOT NULL DEFAULT 0 CHECK (expired >= 0),
    clawed      INTEGER NOT NULL DEFAULT 0 CHECK (clawed >= 0),
    balance     INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    version     INTEGER NOT NULL DEFAULT 0
);

-- One credit of points and what is left of it; `lot_no` 1, 2, … per customer in crediting order.
CREATE TABLE points_lots (
    customer_id TEXT    NOT NULL REFERENCES points_balances (customer_id),
    lot_no      INTEGER NOT NULL CHECK (lot_no >= 1),
    earned_on   TEXT    NOT NULL,
    expires_on  TEXT,
    source      TEXT,
    original    INTEGER NOT NULL CHECK (original >= 1),
    remaining   INTEGER NOT NULL CHECK (remaining >= 0 AND remaining <= original),
    PRIMARY KEY (customer_id, lot_no)
);
CREATE INDEX points_lots_by_expiry ON points_lots (expires_on) WHERE remaining > 0;

-- Every change of a customer's points, signed (+ credited, − taken), once per (kind, reference):
-- accrual/order:<id>, clawback/refund:<id>:<n>, expiry/<date>:<customer>, redemption/mall:<id>,
-- recredit/mall-refund:<id>:<n>. `id` is the points-ledger transfer id (32 hex digits).
CREATE TABLE points_movements (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT    NOT NULL UNIQUE,
    customer_id   TEXT    NOT NULL REFERENCES points_balances (customer_id),
    kind          TEXT    NOT NULL,
    reference     TEXT    NOT NULL,
    points        INTEGER NOT NULL CHECK (points <> 0),
    amount_fen    INTEGER,
    business_date TEXT    NOT NULL,
    at_ns         INTEGER NOT NULL,
    posted        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, reference)
);
CREATE INDEX points_movements_by_customer ON points_movements (customer_id, seq);
CREATE INDEX points_movements_unposted ON points_movements (posted) WHERE posted = 0;

-- Advance notices of points about to lapse: one per lot, written by the daily job.
CREATE TABLE points_expiry_notices (
    customer_id TEXT    NOT NULL,
    lot_no      INTEGER NOT NULL,
    points      INTEGER NOT NULL CHECK (points >= 1),
    expires_on  TEXT    NOT NULL,
    noticed_on  TEXT    NOT NULL,
    PRIMARY KEY (customer_id, lot_no),
    FOREIGN KEY (customer_id, lot_no) REFERENCES points_lots (customer_id, lot_no)
);

-- The points mall: items priced in points or points + cash, with stock.
CREATE TABLE mall_items (
    id                 TEXT    PRIMARY KEY,
    name_zh            TEXT    NOT NULL,
    name_en            TEXT    NOT NULL,
    points             INTEGER NOT NULL CHECK (points >= 1),
    cash_fen           INTEGER NOT NULL CHECK (cash_fen >= 0),
    stock              INTEGER NOT NULL CHECK (stock >= 0),
    remaining          INTEGER NOT NULL CHECK (remaining >= 0 AND remaining <= stock),
    per_customer_limit INTEGER NOT NULL CHECK (per_customer_limit >= 1),
    starts_at_ns       INTEGER NOT NULL,
    ends_at_ns         INTEGER NOT NULL CHECK (ends_at_ns > starts_at_ns),
    created_at_ns      INTEGER NOT NULL
);

-- An order: units, what it cost, what was refunded, and the card authorisation of its cash part.
CREATE TABLE mall_orders (
    id              TEXT    PRIMARY KEY,
    customer_id     TEXT    NOT NULL REFERENCES customers (id),
    item_id         TEXT    NOT NULL REFERENCES mall_items (id),
    quantity        INTEGER NOT NULL CHECK (quantity >= 1),
    refunded        INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= quantity),
    unit_points     INTEGER NOT NULL,
    unit_cash_fen   INTEGER NOT NULL,
    funding_auth_id TEXT,
    created_at_ns   INTEGER NOT NULL
);
CREATE INDEX mall_orders_by_customer ON mall_orders (customer_id, created_at_ns);

-- Which lot gave how many points to an order (FIFO order `n`), and how many came back.
CREATE TABLE mall_order_takes (
    order_id TEXT    NOT NULL REFERENCES mall_orders (id),
    n        INTEGER NOT NULL,
    lot_no   INTEGER NOT NULL,
    points   INTEGER NOT NULL CHECK (points >= 1),
    returned INTEGER NOT NULL DEFAULT 0 CHECK (returned >= 0 AND returned <= points),
    PRIMARY KEY (order_id, n)
);

-- Membership levels: the programme (weights, tiers with benefits, downgrade policy) as one JSON
-- document, and each customer's membership (the effective-dated tier history as JSON, with the
-- latest scores and star value beside it for reading).
CREATE TABLE membership_programme (
    id            INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    data          TEXT    NOT NULL,
    updated_at_ns INTEGER NOT NULL
);

CREATE TABLE memberships (
    customer_id  TEXT    PRIMARY KEY REFERENCES customers (id),
    data         TEXT    NOT NULL,
    tier         TEXT    NOT NULL,
    star         INTEGER NOT NULL,
    financial    INTEGER NOT NULL,
    spending     INTEGER NOT NULL,
    activity     INTEGER NOT NULL,
    evaluated_on TEXT    NOT NULL,
    version      INTEGER NOT NULL
);

-- Referral: each inviter's code, each invitee's binding and how it settled, and the device
-- fingerprints seen for a customer (the abuse hook compares them across customers; the login
-- devices of docs/identity.md are kept apart, hashed per customer).
CREATE TABLE referral_codes (
    code        TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL UNIQUE REFERENCES customers (id)
);

CREATE TABLE referrals (
    invitee_id    TEXT PRIMARY KEY REFERENCES customers (id),
    inviter_id    TEXT NOT NULL REFERENCES customers (id),
    state         TEXT NOT NULL CHECK (state IN ('pending', 'rewarded', 'refused')),
    reason        TEXT,
    event         TEXT,
    bound_at_ns   INTEGER NOT NULL,
    settled_at_ns INTEGER,
    CHECK (invitee_id <> inviter_id)
);
CREATE INDEX referrals_by_inviter ON referrals (inviter_id);

CREATE TABLE referral_devices (
    customer_id TEXT NOT NULL REFERENCES customers (id),
    device      TEXT NOT NULL,
    PRIMARY KEY (customer_id, device)
);
