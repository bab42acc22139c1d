-- Session changes (docs/identity.md, "Sessions held in memory"). A process may answer a
-- session from memory only if nothing since its read could have ended it. Every write that can
-- (a session ended, rotated or deleted; a customer's generation bumped, "logout everywhere";
-- a customer deleted) appends the customer to this log through the triggers below, so no code
-- path can forget to. The counter row gives the log's numbers in commit order: the writer lock
-- orders commits here, the counter row's lock does on PostgreSQL. A session's activity
-- (`last_seen_at_ns`, written behind many at a time) is not a change: a stale instant can only
-- make a held session look idle, and then it is read again.

CREATE TABLE session_change_seq (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    n   INTEGER NOT NULL
);
INSERT INTO session_change_seq (one, n) VALUES (1, 0);

CREATE TABLE session_changes (
    seq         INTEGER PRIMARY KEY,
    customer_id TEXT    NOT NULL
);

CREATE TRIGGER customer_sessions_changed
    AFTER UPDATE OF customer_id, token_hash, generation, created_at_ns, ended_at_ns
    ON customer_sessions
BEGIN
    UPDATE session_change_seq SET n = n + 1;
    INSERT INTO session_changes (seq, customer_id) SELECT n, OLD.customer_id FROM session_change_seq;
END;

CREATE TRIGGER customer_sessions_deleted AFTER DELETE ON customer_sessions
BEGIN
    UPDATE session_change_seq SET n = n + 1;
    INSERT INTO session_changes (seq, customer_id) SELECT n, OLD.customer_id FROM session_change_seq;
END;

CREATE TRIGGER customer_generation_changed AFTER UPDATE OF id, session_generation ON customers
BEGIN
    UPDATE session_change_seq SET n = n + 1;
    INSERT INTO session_changes (seq, customer_id) SELECT n, OLD.id FROM session_change_seq;
END;

CREATE TRIGGER customer_deleted AFTER DELETE ON customers
BEGIN
    UPDATE session_change_seq SET n = n + 1;
    INSERT INTO session_changes (seq, customer_id) SELECT n, OLD.id FROM session_change_seq;
END;
