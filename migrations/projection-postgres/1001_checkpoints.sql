-- One row per read model: the version of its code and the last event of the global order it applied.
-- Each read model writes its row in the same transaction as its own rows, so redelivery is harmless.
CREATE TABLE IF NOT EXISTS projection_checkpoints (
    name           TEXT   PRIMARY KEY,
    version        BIGINT NOT NULL,
    checkpoint_tx  BIGINT NOT NULL,
    checkpoint_pos BIGINT NOT NULL,
    updated_at     TEXT   NOT NULL
);
