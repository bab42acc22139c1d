-- Session changes (docs/identity.md, "Sessions held in memory"). A process may answer a
-- session from memory only if nothing since its read could have ended it. Every write that can
-- (a session ended, rotated or deleted; a customer's generation bumped, "logout everywhere";
-- a customer deleted) appends the customer to this log through the triggers below, so no code
-- path can forget to. The counter row gives the log's numbers in commit order: a writer holds
-- its lock until it commits, so a later number never becomes visible before an earlier one.
-- A session's activity (`last_seen_at_ns`, written behind many at a time) is not a change: a
-- stale instant can only make a held session look idle, and then it is read again.

CREATE TABLE session_change_seq (
    one BOOLEAN PRIMARY KEY CHECK (one),
    n   BIGINT  NOT NULL
);
INSERT INTO session_change_seq (one, n) VALUES (TRUE, 0);

CREATE TABLE session_changes (
    seq         BIGINT PRIMARY KEY,
    customer_id TEXT   NOT NULL
);

CREATE FUNCTION note_session_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    customer TEXT;
BEGIN
    IF TG_TABLE_NAME = 'customers' THEN
        customer := OLD.id;
    ELSE
        customer := OLD.customer_id;
    END IF;
    UPDATE session_change_seq SET n = n + 1;
    INSERT INTO session_changes (seq, customer_id) SELECT n, customer FROM session_change_seq;
    RETURN NULL;
END;
$$;

CREATE TRIGGER customer_sessions_changed
    AFTER UPDATE OF customer_id, token_hash, generation, created_at_ns, ended_at_ns OR DELETE
    ON customer_sessions
    FOR EACH ROW EXECUTE FUNCTION note_session_change();

CREATE TRIGGER customer_generation_changed
    AFTER UPDATE OF id, session_generation OR DELETE ON customers
    FOR EACH ROW EXECUTE FUNCTION note_session_change();
