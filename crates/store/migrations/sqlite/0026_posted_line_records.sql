-- Each posted line also carries itself as one fixed 16-byte record (`record`), computed by SQLite
-- when the line is inserted, so the statement run concatenates stored bytes instead of
-- computing and printing four columns a line (docs/benchmarks.md, `statements`).
--
-- record, big-endian: account_no's low 32 bits (4 bytes) | amount_fen × 64 + kind × 8 + bucket
-- (8 bytes) | posted_on (4 bytes). The checks keep every field inside its width, so every
-- record is exactly 16 bytes.
--
-- SQLite adds a stored generated column only by rebuilding the table; the lines are copied.
CREATE TABLE credit_posted_lines_0026 (
    cycle       INTEGER NOT NULL,
    account_no  INTEGER NOT NULL,
    line_no     INTEGER NOT NULL,
    posted_on   INTEGER NOT NULL CHECK (posted_on BETWEEN 10000101 AND 99991231),
    kind        INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 7),
    bucket      INTEGER NOT NULL CHECK (bucket BETWEEN 0 AND 5),
    amount_fen  INTEGER NOT NULL CHECK (amount_fen BETWEEN 1 AND 72057594037927935),
    record      BLOB GENERATED ALWAYS AS (unhex(printf('%08x%016x%08x',
                    account_no & 4294967295, (amount_fen * 8 + kind) * 8 + bucket,
                    posted_on))) STORED,
    PRIMARY KEY (cycle, account_no, line_no)
) WITHOUT ROWID;

INSERT INTO credit_posted_lines_0026 (cycle, account_no, line_no, posted_on, kind, bucket,
    amount_fen)
SELECT cycle, account_no, line_no, posted_on, kind, bucket, amount_fen FROM credit_posted_lines;

DROP TABLE credit_posted_lines;

ALTER TABLE credit_posted_lines_0026 RENAME TO credit_posted_lines;
