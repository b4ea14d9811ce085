#!/usr/bin/env bash
# Seed for SQL Server, run by the one-shot mssql-seed service (the server image has
# no init directory) once the server is healthy. Creates database fedgate and loads
# the fixture into schemas dbo ({main}) and inventory ({inventory}); does nothing if
# the database already exists, and drops it again if loading fails.
# sqlcmd needs CREATE SCHEMA/CREATE VIEW alone in their batch: every ";" that ends
# a line becomes a GO line (mssql.sql keeps to that; tests/fixtures_test checks it).
set -euo pipefail
fixtures="${FEDGATE_FIXTURES_DIR:-/fixtures}"
host="${MSSQL_HOST:-mssql}"
database="${FEDGATE_DATABASE:-fedgate}"
sqlcmd=/opt/mssql-tools18/bin/sqlcmd
if [ ! -x "$sqlcmd" ]; then sqlcmd=/opt/mssql-tools/bin/sqlcmd; fi

run() { "$sqlcmd" -C -S "$host" -U sa -P "$MSSQL_SA_PASSWORD" -b -I "$@"; }

found="$(run -h -1 -W -Q "SET NOCOUNT ON; SELECT COUNT(*) FROM sys.databases WHERE name = '$database'")"
if [ "$(printf '%s' "$found" | tr -d '[:space:]')" != "0" ]; then
  echo "fedgate: database $database exists already, not seeding"
  exit 0
fi
rendered="$(mktemp)"
sed -e 's/{main}/dbo/g' -e 's/{inventory}/inventory/g' -e 's/;[[:space:]]*$/\nGO/' \
  "$fixtures/mssql.sql" >"$rendered"
run -Q "CREATE DATABASE $database"
if ! run -d "$database" -f i:65001 -i "$rendered"; then
  echo "fedgate: loading the fixture failed; dropping $database" >&2
  run -Q "DROP DATABASE $database" || true
  exit 1
fi
echo "fedgate: SQL Server fixture loaded into $database"
