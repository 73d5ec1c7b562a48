-- The notifier's delivery log: one row per (event, recipient, channel). No personal data: a petitioner is
-- named by a key into the case's petitioners ("signatory:0"); the address is read from the store when sending.
CREATE TABLE IF NOT EXISTS notifier_deliveries (
    id              TEXT PRIMARY KEY,          -- UUID v5 of (event id, recipient, channel): also the Message-ID
    event_id        TEXT NOT NULL,
    case_id         TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    recipient       TEXT NOT NULL,             -- signatory:<i> | portal | agency:<e-mail of an agency>
    channel         TEXT NOT NULL,             -- email | sms | webhook
    template_id     TEXT NOT NULL,
    lang            TEXT NOT NULL,             -- vi | en
    status          TEXT NOT NULL,             -- pending | sending | sent | failed | dead | held
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    lease_until_ms  INTEGER,
    last_error      TEXT,
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL,
    sent_ms         INTEGER,
    UNIQUE (event_id, recipient, channel)
);
CREATE INDEX IF NOT EXISTS notifier_deliveries_due ON notifier_deliveries (status, next_attempt_ms);
CREATE INDEX IF NOT EXISTS notifier_deliveries_case ON notifier_deliveries (case_id);

-- Where each consumer stands in the global order, written in the same transaction as its planned rows.
CREATE TABLE IF NOT EXISTS notifier_checkpoints (
    consumer        TEXT PRIMARY KEY,
    transaction_id  INTEGER NOT NULL,
    global_position INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL
);
