#!/usr/bin/env bash
# Seed for the postgres image: /docker-entrypoint-initdb.d runs (or sources) this
# once, when the data volume is first initialised. Loads the fixture into
# database $POSTGRES_DB, schemas public ({main}) and inventory ({inventory}).
# Outside the container: FEDGATE_FIXTURES_DIR=tests/fixtures/schema plus the usual
# PGHOST/PGPORT/PGUSER/PGDATABASE (or POSTGRES_USER/POSTGRES_DB) variables.
(
  set -euo pipefail
  fixtures="${FEDGATE_FIXTURES_DIR:-/fixtures}"
  sed -e 's/{main}/public/g' -e 's/{inventory}/inventory/g' "$fixtures/postgresql.sql" |
    psql -v ON_ERROR_STOP=1 --quiet --single-transaction \
      --username "${POSTGRES_USER:-${PGUSER:-postgres}}" \
      --dbname "${POSTGRES_DB:-${PGDATABASE:-postgres}}"
  echo "fedgate: PostgreSQL fixture loaded"
)
