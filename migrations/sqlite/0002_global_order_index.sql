-- `read_all` orders by (transaction_id, global_position); without this index SQLite sorts the whole
-- table for every page, which makes tailing and rebuilding quadratic in the history's size.
CREATE INDEX IF NOT EXISTS events_global_order_idx ON events (transaction_id, global_position);
