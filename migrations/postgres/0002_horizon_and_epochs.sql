-- The read horizon waits only for event-store writers, and transaction ids survive a logical restore (ADR 0002).
--
-- 1. Every append takes the appenders' shared advisory lock (classid 20545 = 0x5041, objid 0) as the first
--    statement of its transaction, before it has a transaction id, and records in the transaction-local setting
--    `petition.appender` that it did so. An INSERT into events without that lock is refused, so "holds an xid and
--    does not hold the appenders' lock" proves a transaction can never write an event: readers ignore it.
-- 2. The stored transaction id is the server's transaction id plus an offset. A logical restore (pg_dump →
--    pg_restore into a fresh cluster) restarts the server's counter below the stored ids; `petition migrate` then
--    raises the offset so that every new id is above every stored one, and readers' checkpoints stay valid.

CREATE TABLE transaction_id_offsets (
    -- Added to pg_current_xact_id() when an event is stamped; the row with the highest `epoch` is current.
    epoch       integer     PRIMARY KEY,
    xid_offset  bigint      NOT NULL,
    set_at      timestamptz NOT NULL DEFAULT now(),
    reason      text        NOT NULL
);
INSERT INTO transaction_id_offsets (epoch, xid_offset, reason) VALUES (0, 0, 'created');

CREATE TRIGGER transaction_id_offsets_refuse_update_delete BEFORE UPDATE OR DELETE ON transaction_id_offsets
    FOR EACH ROW EXECUTE FUNCTION petition_refuse_change();
CREATE TRIGGER transaction_id_offsets_refuse_truncate BEFORE TRUNCATE ON transaction_id_offsets
    FOR EACH STATEMENT EXECUTE FUNCTION petition_refuse_change();

CREATE FUNCTION petition_xid_offset() RETURNS bigint LANGUAGE sql STABLE
    SET search_path = pg_catalog, public AS $$
    SELECT xid_offset FROM transaction_id_offsets ORDER BY epoch DESC LIMIT 1
$$;

-- A new offset may never place a new transaction id at or below a stored one: readers rely on ids only growing.
-- Only the owner (who runs migrations) may add one.
CREATE FUNCTION petition_check_offset() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, public AS $$
DECLARE
    highest numeric;
BEGIN
    IF pg_has_role(session_user, (SELECT tableowner FROM pg_tables
                                  WHERE schemaname = TG_TABLE_SCHEMA AND tablename = TG_TABLE_NAME), 'MEMBER')
       IS NOT TRUE THEN
        RAISE EXCEPTION 'only the owner of % may change the transaction id offset', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT max(transaction_id)::text::numeric INTO highest FROM events;
    IF highest IS NOT NULL AND pg_current_xact_id()::text::numeric + NEW.xid_offset <= highest THEN
        RAISE EXCEPTION 'offset % would give transaction ids at or below the stored id %', NEW.xid_offset, highest
            USING ERRCODE = 'check_violation';
    END IF;
    IF pg_current_xact_id()::text::numeric + NEW.xid_offset < 0 THEN
        RAISE EXCEPTION 'offset % would give negative transaction ids', NEW.xid_offset
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER transaction_id_offsets_check BEFORE INSERT ON transaction_id_offsets
    FOR EACH ROW EXECUTE FUNCTION petition_check_offset();

-- Called by `petition migrate` (as the owner): after a logical restore the server's counter is below the stored
-- ids; a new epoch lifts every future id above them. Returns the new epoch, or NULL when nothing was needed.
CREATE FUNCTION petition_realign_transaction_ids() RETURNS integer LANGUAGE plpgsql
    SET search_path = pg_catalog, public AS $$
DECLARE
    highest numeric;
    current_offset bigint;
    next_epoch integer;
BEGIN
    -- Exclusive: no appender runs while the offset changes.
    PERFORM pg_advisory_xact_lock(20545, 0);
    SELECT max(transaction_id)::text::numeric INTO highest FROM events;
    current_offset := petition_xid_offset();
    IF highest IS NULL OR pg_current_xact_id()::text::numeric + current_offset > highest THEN
        RETURN NULL;
    END IF;
    SELECT max(epoch) + 1 INTO next_epoch FROM transaction_id_offsets;
    -- A margin of a million ids leaves room for transactions that start while this one commits.
    INSERT INTO transaction_id_offsets (epoch, xid_offset, reason)
        VALUES (next_epoch, (highest - pg_current_xact_id()::text::numeric + 1000000)::bigint,
                'transaction ids restarted below the stored ones (logical restore?)');
    RETURN next_epoch;
END;
$$;

CREATE OR REPLACE FUNCTION petition_stamp_transaction_id() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, public AS $$
BEGIN
    -- Set by the same statement that takes the appenders' lock, to 'none' when no xid existed yet.
    IF coalesce(current_setting('petition.appender', true), '') <> 'none' THEN
        RAISE EXCEPTION 'events may only be inserted by an appender that took the appenders'' lock first'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Begin the transaction with SELECT pg_advisory_xact_lock_shared(20545, 0), '
                      || 'set_config(''petition.appender'', coalesce(pg_current_xact_id_if_assigned()::text, ''none''), true)';
    END IF;
    NEW.transaction_id := (pg_current_xact_id()::text::numeric + petition_xid_offset())::text::xid8;
    RETURN NEW;
END;
$$;

ALTER FUNCTION petition_refuse_change() SET search_path = pg_catalog, public;
