#!/bin/sh
# docker compose: run once by the postgres image when its volume is first initialised (/docker-entrypoint-initdb.d), as
# POSTGRES_USER (the image's superuser): the same roles and privileges infra/start.sh sets up for local runs.
set -eu
psql -v ON_ERROR_STOP=1 -X -q -U "$POSTGRES_USER" -d postgres -v owner="$POSTGRES_USER" -v password="$POSTGRES_PASSWORD" -f /jobs-postgres/roles.sql
for db in template1 "$POSTGRES_DB"; do
  psql -v ON_ERROR_STOP=1 -X -q -U "$POSTGRES_USER" -d "$db" -v owner="$POSTGRES_USER" -f /jobs-postgres/database.sql
done
