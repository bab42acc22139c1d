-- The embedded store gains a cycle journal kept by triggers on its posted lines, read by its
-- statement run (migrations/sqlite/0028). PostgreSQL keeps reading the lines themselves
-- (string_agg per account): a row trigger appending to one growing journal row would write a
-- new version of that row for every line posted (MVCC), ~31 dead versions an account a cycle,
-- and the PostgreSQL run is not the one measured against its target.
--
-- What both stores share: posted lines are immutable. UPDATE, DELETE and TRUNCATE are refused
-- by a statement-level trigger, which costs an insert nothing.
CREATE FUNCTION credit_posted_lines_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'credit_posted_lines: posted lines are immutable';
END;
$$;

CREATE TRIGGER credit_posted_lines_immutable
    BEFORE UPDATE OR DELETE OR TRUNCATE ON credit_posted_lines
    FOR EACH STATEMENT EXECUTE FUNCTION credit_posted_lines_immutable();
