-- One migration table for every component (crates/db, ADR 0013): the owner runs the event store's migrations,
-- the service role the read models' and the notifier's, whose tables it owns (deploy/postgres/grants.sql).
-- sqlx records a migration with an INSERT and then an UPDATE of its execution time, so the service role needs
-- UPDATE on this bookkeeping table (it already has SELECT and INSERT). It gets nothing on the events: UPDATE of
-- `_sqlx_migrations` can at worst make the next start refuse a changed checksum, never alter history.
GRANT UPDATE ON _sqlx_migrations TO PUBLIC;
