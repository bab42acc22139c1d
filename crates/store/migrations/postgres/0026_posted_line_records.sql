-- The embedded store's posted lines gain a stored 16-byte record per line for its statement
-- run (migrations/sqlite/0026). The run on PostgreSQL aggregates the columns with string_agg
-- and needs no such column; this migration keeps the two stores' migration lists alike.
COMMENT ON TABLE credit_posted_lines IS 'Lines posted in each account''s cycle, read by the batch statement run.';
