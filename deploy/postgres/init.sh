#!/bin/sh
# Run once by the postgres image on the primary's first start (deploy/compose.yaml): the owner and service
# roles and the database (roles.sql, grants.sql), and a replication role for the streaming replica with
# the pg_hba.conf line that lets it in.
set -e
psql -v ON_ERROR_STOP=1 -U postgres -v owner=petition_owner -v service=petition_service -v database=petition \
  -v owner_password="$OWNER_PASSWORD" -v service_password="$SERVICE_PASSWORD" -f /petition-sql/roles.sql
psql -v ON_ERROR_STOP=1 -U postgres -c "CREATE ROLE replicator REPLICATION LOGIN PASSWORD '${REPLICATION_PASSWORD}'"
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
