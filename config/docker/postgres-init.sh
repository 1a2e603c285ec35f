#!/bin/sh
# PostgreSQL's first start (docker-entrypoint-initdb.d): the two roles of the role split.
#
#   owner (the user of DATABASE_MIGRATE_URL): owns the database and its schema; migrations,
#         grant_app_role and audit_retention run as it. Not a superuser.
#   app   (the user of DATABASE_URL): the web server, workers and beat. Owns nothing; gets its
#         grants from `manage.py grant_app_role` (the migrate service runs it after migrate).
#
#   replicator (REPLICATION_USER, only when REPLICATION_PASSWORD is set): the streaming
#         replica's role (docker-compose's `replica` profile). REPLICATION and nothing else:
#         it can stream the WAL and take a base backup, and cannot connect to Harbour's database.
#
# Names and passwords come from the two URLs, so they are written once. Passwords must be
# URL-safe as they stand (letters, digits, - _ . ~), e.g. `openssl rand -hex 24`.
# POSTGRES_USER stays the cluster's superuser, used by nobody but this script and you.
set -eu

url_user() { rest=${1#*://}; creds=${rest%%@*}; printf '%s' "${creds%%:*}"; }
url_password() { rest=${1#*://}; creds=${rest%%@*}; printf '%s' "${creds#*:}"; }

owner=$(url_user "$DATABASE_MIGRATE_URL")
owner_password=$(url_password "$DATABASE_MIGRATE_URL")
app=$(url_user "$DATABASE_URL")
app_password=$(url_password "$DATABASE_URL")
database=${POSTGRES_DB:?}

if [ -z "$owner" ] || [ -z "$app" ] || [ "$owner" = "$app" ]; then
    echo "postgres-init: DATABASE_MIGRATE_URL and DATABASE_URL must name two different roles" >&2
    exit 1
fi
if [ -z "$owner_password" ] || [ -z "$app_password" ]; then
    echo "postgres-init: both URLs need a password" >&2
    exit 1
fi

psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "$database" \
    -v owner="$owner" -v owner_password="$owner_password" \
    -v app="$app" -v app_password="$app_password" -v database="$database" <<'SQL'
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';
ALTER DATABASE :"database" OWNER TO :"owner";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"app";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL

# The streaming replica (issue 16 §6): a role that may only replicate, and a pg_hba.conf line
# letting it connect for replication (initdb's file allows replication from localhost only).
replication_user=${REPLICATION_USER:-replicator}
replication_password=${REPLICATION_PASSWORD:-}
if [ -n "$replication_password" ]; then
    if [ "$replication_user" = "$owner" ] || [ "$replication_user" = "$app" ]; then
        echo "postgres-init: REPLICATION_USER must be a third role" >&2
        exit 1
    fi
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "$database" \
        -v replicator="$replication_user" -v replication_password="$replication_password" <<'SQL'
CREATE ROLE :"replicator" LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
    PASSWORD :'replication_password';
SQL
    printf 'host replication %s all scram-sha-256\n' "$replication_user" >> "${PGDATA:?}/pg_hba.conf"
fi
