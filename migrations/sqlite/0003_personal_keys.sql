-- Data keys of personal data (ADR 0010). Events hold personal data only as ciphertext envelopes naming a key_id
-- here; deleting a row erases that person's data from every event without touching the events. Deliberately NOT
-- append-only. The store opens SQLite with `secure_delete`, so a deleted key's bytes are overwritten in the file.
--
-- `wrapped` is the data key sealed by a key-encryption key (KEK) that never enters the database.

CREATE TABLE personal_keys (
    key_id       TEXT    PRIMARY KEY NOT NULL,
    stream_id    TEXT    NOT NULL,
    -- The person within the stream (e.g. `signatory-0`): a position, never a name.
    person       TEXT    NOT NULL,
    kek_id       TEXT    NOT NULL,
    wrapped      BLOB    NOT NULL,
    -- Microseconds since the Unix epoch, UTC.
    created_at   INTEGER NOT NULL,
    rewrapped_at INTEGER,
    UNIQUE (stream_id, person)
);

CREATE INDEX personal_keys_kek_idx ON personal_keys (kek_id);
