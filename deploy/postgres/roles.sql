-- Creates the two roles and the database (run once, as a superuser):
--   psql -v owner=petition_owner -v service=petition_service -v database=petition \
--        -v owner_password="$OWNER_PASSWORD" -v service_password="$SERVICE_PASSWORD" \
--        -f deploy/postgres/roles.sql
-- then run migrations as the owner and serve as the service role:
--   PETITION_MIGRATION_DATABASE_URL=postgres://petition_owner:…@host/petition \
--   PETITION_DATABASE_URL=postgres://petition_service:…@host/petition petition serve
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE :"service" LOGIN PASSWORD :'service_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE DATABASE :"database" OWNER :"owner";
\connect :"database"
\ir grants.sql
