#!/usr/bin/env bash
# Install (Debian package), start and prepare a local PostgreSQL server for the store tests.
#
#   export TUTOR_TEST_PG_URL="$(scripts/ci_postgres.sh)"
#
# Idempotent: installs `postgresql` only when no server binary is present, starts the first
# cluster if it is down (loopback only: Debian's default listen_addresses is 'localhost'),
# creates the role and database `tutor_test` if missing, and prints the SQLAlchemy URL on
# stdout (everything else goes to stderr). Needs root (apt-get, and `su postgres`).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

DB=${TUTOR_TEST_PG_DB:-tutor_test}
USER_NAME=${TUTOR_TEST_PG_USER:-tutor_test}
PASSWORD=${TUTOR_TEST_PG_PASSWORD:-tutor_test}
PORT=${TUTOR_TEST_PG_PORT:-5432}

log() { echo "ci_postgres: $*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "installing postgresql (Debian package)"
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v' | grep -q .; then
    log "creating cluster $version/main"
    pg_createcluster "$version" main --port "$PORT" >&2
fi
cluster_port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v {print $3; exit}')
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v {print $4; exit}' | grep -q online; then
    log "starting cluster $version/main on 127.0.0.1:$cluster_port"
    pg_ctlcluster "$version" main start >&2
fi

# Wait until it accepts connections (at most ~30 s).
for _ in $(seq 1 60); do
    if su postgres -c "pg_isready -q -h 127.0.0.1 -p $cluster_port"; then break; fi
    sleep 0.5
done
su postgres -c "pg_isready -h 127.0.0.1 -p $cluster_port" >&2

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -q -p $cluster_port -tAc \"$1\""; }
if [ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = '$USER_NAME'")" != "1" ]; then
    log "creating role $USER_NAME"
    psql_admin "CREATE ROLE $USER_NAME LOGIN PASSWORD '$PASSWORD'"
fi
if [ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
    log "creating database $DB"
    psql_admin "CREATE DATABASE $DB OWNER $USER_NAME"
fi

echo "postgresql://$USER_NAME:$PASSWORD@127.0.0.1:$cluster_port/$DB"
