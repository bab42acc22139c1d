-- Points a lottery draw awarded and the customer is still owed (docs/rewards.md, "Lotteries"):
-- the row commits with the draw; it is deleted once the points are credited (a `lottery`
-- movement referenced by the draw id, whose UNIQUE (kind, reference) and derived ledger transfer
-- id make a second credit impossible). The sweep credits any row a failed credit or a stopped
-- process left behind.
CREATE TABLE lottery_points_owed (
    draw_id     TEXT    PRIMARY KEY REFERENCES lottery_draws (id),
    customer_id TEXT    NOT NULL REFERENCES customers (id),
    points      INTEGER NOT NULL CHECK (points > 0),
    owed_at_ns  INTEGER NOT NULL
);
CREATE INDEX lottery_points_owed_by_age ON lottery_points_owed (owed_at_ns);
-- Draws made before this table whose points were never credited are owed too.
INSERT INTO lottery_points_owed (draw_id, customer_id, points, owed_at_ns)
SELECT d.id, d.customer_id, d.points, d.drawn_at_ns
FROM lottery_draws d
WHERE d.points > 0
  AND NOT EXISTS (
      SELECT 1 FROM points_movements m WHERE m.kind = 'lottery' AND m.reference = d.id
  );
