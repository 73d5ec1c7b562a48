-- The position in the global order of the event that called for each delivery: a page of events is planned
-- in one transaction, at one created_ms, and the log lists its deliveries in the order of their events.
-- Rows planned before this migration keep NULL (they were planned one event per transaction).
ALTER TABLE notifier_deliveries ADD COLUMN source_tx BIGINT;
ALTER TABLE notifier_deliveries ADD COLUMN source_pos BIGINT;
