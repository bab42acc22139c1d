-- The cycle journal: per (cycle, account_no), the account's posted-line records (the 16-byte
-- `record` of migration 0026) concatenated in line order, and the last line_no appended. The
-- embedded store's statement run reads one journal row per account instead of stepping one
-- index cell per line (docs/benchmarks.md, `statements`).
--
-- Triggers on `credit_posted_lines` keep it exact whoever writes lines (the posting step, tests,
-- the bench's setup):
-- - a line inserted is appended to its account's journal row in the same statement; a line
--   whose line_no is not above the last appended for its (cycle, account_no) is refused
--   (ABORT: the statement changes nothing), so the journal's order is always line order;
-- - posted lines are immutable: UPDATE and DELETE are refused.
-- Nothing else writes the journal.
CREATE TABLE credit_cycle_journal (
    cycle        INTEGER NOT NULL,
    account_no   INTEGER NOT NULL,
    last_line_no INTEGER NOT NULL,
    records      BLOB    NOT NULL,
    PRIMARY KEY (cycle, account_no)
) WITHOUT ROWID;

-- The lines already posted, in line order (the aggregate's ORDER BY, not the scan's order).
INSERT INTO credit_cycle_journal (cycle, account_no, last_line_no, records)
SELECT cycle, account_no, MAX(line_no), CAST(group_concat(record, '' ORDER BY line_no) AS BLOB)
FROM credit_posted_lines
GROUP BY cycle, account_no;

-- One statement a line: the upsert appends, and its CASE refuses a line_no not above the last
-- (RAISE aborts the inserting statement, the line included).
CREATE TRIGGER credit_posted_lines_journal AFTER INSERT ON credit_posted_lines
BEGIN
    INSERT INTO credit_cycle_journal (cycle, account_no, last_line_no, records)
    VALUES (NEW.cycle, NEW.account_no, NEW.line_no, NEW.record)
    ON CONFLICT (cycle, account_no) DO UPDATE SET
        last_line_no = CASE WHEN excluded.last_line_no > last_line_no
            THEN excluded.last_line_no
            ELSE RAISE(ABORT, 'credit_posted_lines: line_no not above the last posted for its account and cycle')
            END,
        records = CAST(records || excluded.records AS BLOB);
END;

CREATE TRIGGER credit_posted_lines_immutable_update BEFORE UPDATE ON credit_posted_lines
BEGIN
    SELECT RAISE(ABORT, 'credit_posted_lines: posted lines are immutable');
END;

CREATE TRIGGER credit_posted_lines_immutable_delete BEFORE DELETE ON credit_posted_lines
BEGIN
    SELECT RAISE(ABORT, 'credit_posted_lines: posted lines are immutable');
END;
