-- Least privilege inside the petition database (run as a superuser or as the owner, in that database, before or
-- after `petition migrate`):
--   psql -v owner=petition_owner -v service=petition_service -d petition -f deploy/postgres/grants.sql
--
-- The owner runs the event store's migrations and owns its tables, functions and triggers. The service role
-- (what `petition serve` connects as) may read and append events but is not their owner, so it cannot ALTER,
-- TRUNCATE, drop or disable the append-only triggers, and it is no superuser, so it cannot set
-- session_replication_role. It creates and owns its own derived tables (read models, delivery log), hence
-- CREATE on the schema; it cannot alter objects it does not own. It records those tables' migrations in the shared
-- `_sqlx_migrations` (crates/db), on which the store's migration 0004 grants it UPDATE.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO :"service";

-- The event store's tables, created later by the owner's migrations ...
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT, INSERT ON TABLES TO :"service";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT USAGE ON SEQUENCES TO :"service";
-- ... and those that exist already.
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO :"service";
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO :"service";
