#!/usr/bin/env bash
# Seed for the mysql:8.4 and mariadb:11 images: /docker-entrypoint-initdb.d runs
# (or sources) this once, when the data volume is first initialised, while the
# init-time server listens on its socket only. Creates databases fedgate ({main})
# and fedgate_inventory ({inventory}) and loads the fixture.
# Outside the container: FEDGATE_FIXTURES_DIR=tests/fixtures/schema and
# FEDGATE_MYSQL_CLIENT_ARGS="-h 127.0.0.1 -P 3306 -u root" (default: socket, root).
(
  set -euo pipefail
  fixtures="${FEDGATE_FIXTURES_DIR:-/fixtures}"
  main="${FEDGATE_MAIN:-fedgate}"
  inventory="${FEDGATE_INVENTORY:-${main}_inventory}"
  if command -v mariadb >/dev/null 2>&1; then client=mariadb; else client=mysql; fi
  # The password goes through an option file, not the command line or MYSQL_PWD.
  cnf="$(mktemp)"
  trap 'rm -f "$cnf"' EXIT
  printf '[client]\n' >"$cnf"
  password="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"
  if [ -n "$password" ]; then printf 'password="%s"\n' "$password" >>"$cnf"; fi
  # shellcheck disable=SC2206  # word splitting of the client arguments is intended
  args=(--defaults-extra-file="$cnf" ${FEDGATE_MYSQL_CLIENT_ARGS:---protocol=socket -u root}
    --default-character-set=utf8mb4)
  "$client" "${args[@]}" -e "
    CREATE DATABASE IF NOT EXISTS $main CHARACTER SET utf8mb4;
    CREATE DATABASE IF NOT EXISTS $inventory CHARACTER SET utf8mb4;"
  sed -e "s/{main}/$main/g" -e "s/{inventory}/$inventory/g" "$fixtures/mysql.sql" |
    "$client" "${args[@]}" "$main"
  echo "fedgate: MySQL/MariaDB fixture loaded into $main and $inventory"
)
