-- Data keys of personal data (ADR 0010). Events hold personal data only as ciphertext envelopes naming a key_id
-- here; destroying a row erases that person's data from every event without touching the events. This table is
-- deliberately NOT append-only, and lives apart from `events` so that restoring an old backup of the events
-- does not resurrect an erased person (back it up separately, docs/security.md).
--
-- `wrapped` is the data key sealed by a key-encryption key (KEK) that never enters the database: a dump of this
-- table alone, or with `events`, reveals nothing without the key file (or KMS).

CREATE TABLE personal_keys (
    key_id       uuid        PRIMARY KEY,
    stream_id    text        NOT NULL,
    -- The person within the stream (e.g. `signatory-0`): a position, never a name.
    person       text        NOT NULL,
    kek_id       text        NOT NULL,
    wrapped      bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    rewrapped_at timestamptz,
    CONSTRAINT personal_keys_scope_key UNIQUE (stream_id, person)
);

-- Rotation looks for keys still wrapped by an old KEK.
CREATE INDEX personal_keys_kek_idx ON personal_keys (kek_id);

-- The service role is granted SELECT and INSERT only (deploy/postgres/grants.sql); these two functions, owned by
-- the owner, are its only ways to destroy or re-wrap a key, so it can do nothing else to existing rows.
CREATE FUNCTION petition_destroy_personal_keys(p_stream text, p_person text) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    WITH gone AS (
        DELETE FROM personal_keys
        WHERE stream_id = p_stream AND (p_person IS NULL OR person = p_person)
        RETURNING 1)
    SELECT count(*) FROM gone
$$;

CREATE FUNCTION petition_rewrap_personal_key(p_key uuid, p_old_kek text, p_new_kek text, p_wrapped bytea)
    RETURNS boolean
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    WITH done AS (
        UPDATE personal_keys SET kek_id = p_new_kek, wrapped = p_wrapped, rewrapped_at = now()
        WHERE key_id = p_key AND kek_id = p_old_kek
        RETURNING 1)
    SELECT count(*) = 1 FROM done
$$;
