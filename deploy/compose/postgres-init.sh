#!/bin/sh
# Runs once, when the PostgreSQL container creates its data directory (compose.yaml,
# beside it, mounts it into /docker-entrypoint-initdb.d/): the owner role hsi, the hsi
# database, and one login role per service, each with the password in its own secret,
# /run/secrets/<role> (see secrets/README.md). The migrations create the service roles
# too (without passwords) and grant them their rights.
#
# The image's entrypoint runs this file when it is executable and sources it otherwise;
# the subshell keeps `set -eu` and any failure to this script in both cases (a failure
# still stops the initialisation).
(
  set -eu

  owner=hsi
  # hsi_grafana: the dashboards' read-only role (migration 19 grants its rights).
  service_roles="hsi_file_watcher hsi_detection_worker hsi_batch_aggregator hsi_analysis_worker hsi_gateway hsi_grafana"

  # Prints the secret of role $1, refusing a missing or empty one.
  secret_of() {
    file="/run/secrets/$1"
    if [ ! -s "$file" ]; then
      echo "postgres-init: $file is missing or empty; create it (deploy/compose/secrets/README.md)" >&2
      return 1
    fi
    cat "$file"
  }

  # No two roles may share a password.
  for role in $owner $service_roles; do
    secret_of "$role" >/dev/null
  done
  shared=$(for role in $owner $service_roles; do printf '%s\n' "$(secret_of "$role")"; done | sort | uniq -d)
  if [ -n "$shared" ]; then
    echo "postgres-init: two roles have the same secret; give every role its own" >&2
    exit 1
  fi

  # Runs SQL from standard input as the superuser, with the password of role $1 in the
  # psql variable :'password' (read from the environment, so it is on no command line).
  as_superuser() {
    HSI_ROLE_PASSWORD=$(secret_of "$1")
    export HSI_ROLE_PASSWORD
    psql -v ON_ERROR_STOP=1 -q --no-psqlrc --username "${POSTGRES_USER:-postgres}" \
      --dbname postgres -v role="$1"
    unset HSI_ROLE_PASSWORD
  }

  as_superuser "$owner" <<'SQL'
\getenv password HSI_ROLE_PASSWORD
CREATE ROLE :"role" LOGIN CREATEDB CREATEROLE PASSWORD :'password';
CREATE DATABASE hsi OWNER :"role";
SQL

  for role in $service_roles; do
    as_superuser "$role" <<'SQL'
\getenv password HSI_ROLE_PASSWORD
CREATE ROLE :"role" LOGIN PASSWORD :'password';
SQL
  done
  echo "postgres-init: created roles $owner $service_roles, each with its own secret"
)
