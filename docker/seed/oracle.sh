#!/usr/bin/env bash
# Seed for gvenzl/oracle-free: /container-entrypoint-initdb.d runs (or sources)
# this once, after the database is created. Connects to FREEPDB1 as SYSTEM and
# loads the fixture into schemas FEDGATE ({main}) and FEDGATE_INVENTORY
# ({inventory}); oracle.sql creates both as schema-only users.
# (Not INVENTORY: a suite connecting as SYSTEM may use that name for its own load.)
(
  set -euo pipefail
  fixtures="${FEDGATE_FIXTURES_DIR:-/fixtures}"
  export NLS_LANG=AMERICAN_AMERICA.AL32UTF8
  {
    echo "WHENEVER SQLERROR EXIT SQL.SQLCODE ROLLBACK"
    echo "SET DEFINE OFF"
    echo "SET SQLBLANKLINES ON"
    echo "SET FEEDBACK OFF"
    sed -e 's/{main}/FEDGATE/g' -e 's/{inventory}/FEDGATE_INVENTORY/g' "$fixtures/oracle.sql"
    echo "COMMIT;"
    echo "EXIT"
  } | sqlplus -s -L "system/${ORACLE_PASSWORD}@//localhost:1521/FREEPDB1"
  echo "fedgate: Oracle fixture loaded into FEDGATE and FEDGATE_INVENTORY"
)
