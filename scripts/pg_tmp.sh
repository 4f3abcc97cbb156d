#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests.
#
# Sourced (by scripts/test): call pg_tmp_start, and pg_tmp_stop from an EXIT trap.
#   pg_tmp_start  initdb into a fresh temp directory, start the server on a free port of
#                 127.0.0.1 (the superuser trusted, other logins by SCRAM password, socket in the temp directory, fsync off), create the
#                 database cati_test and export
#                 CATI_TEST_PG_URL=postgresql+psycopg://USER@127.0.0.1:PORT/cati_test
#   pg_tmp_stop   stop the server and delete the temp directory (safe to call more than once)
# Run directly, `scripts/pg_tmp.sh CMD [ARG...]` runs CMD with such a server and removes it after.
#
# As root, the server runs as the `postgres` system user (or `cati-test`, created when needed),
# since PostgreSQL refuses to run as root.

PG_TMP_DIR=""
PG_TMP_BIN=""
PG_TMP_USER=""
PG_TMP_RUNAS=""
PG_TMP_PORT=""
PG_TMP_PID=""

_pg_tmp_say() {
    printf '==> %s\n' "$*" >&2
}

# Runs "$@" as the server's user (from / so a private cwd does not matter).
_pg_tmp_as() {
    if [[ -z "$PG_TMP_RUNAS" ]]; then
        (cd / && exec "$@")
    elif command -v runuser >/dev/null 2>&1; then
        (cd / && exec runuser -u "$PG_TMP_RUNAS" -- "$@")
    else
        (cd / && exec su -s /bin/sh "$PG_TMP_RUNAS" -c "exec $(printf '%q ' "$@")")
    fi
}

_pg_tmp_find_bin() {
    local initdb
    initdb="$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1 || true)"
    if [[ -z "$initdb" ]]; then
        initdb="$(command -v initdb || true)"
    fi
    [[ -n "$initdb" ]] || {
        printf 'error: no PostgreSQL server binaries (initdb) found; install postgresql\n' >&2
        return 1
    }
    PG_TMP_BIN="$(dirname "$initdb")"
}

_pg_tmp_free_port() {
    "${PYTHON:-python3}" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

pg_tmp_start() {
    _pg_tmp_find_bin || return 1

    if [[ "$(id -u)" -eq 0 ]]; then
        if getent passwd postgres >/dev/null; then
            PG_TMP_RUNAS=postgres
        else
            PG_TMP_RUNAS=cati-test
            getent passwd cati-test >/dev/null \
                || useradd --system --user-group --no-create-home \
                    --home-dir /nonexistent --shell /usr/sbin/nologin cati-test
        fi
        PG_TMP_USER="$PG_TMP_RUNAS"
        # Under /tmp, not $TMPDIR: the server's user must be able to reach it.
        PG_TMP_DIR="$(mktemp -d /tmp/cati-pg.XXXXXX)"
        chown "$PG_TMP_RUNAS:" "$PG_TMP_DIR"
    else
        PG_TMP_RUNAS=""
        PG_TMP_USER="$(id -un)"
        PG_TMP_DIR="$(mktemp -d -t cati-pg.XXXXXX)"
    fi

    _pg_tmp_as "$PG_TMP_BIN/initdb" -D "$PG_TMP_DIR/data" -U "$PG_TMP_USER" -A trust \
        -E UTF8 --no-locale --no-sync --no-instructions >"$PG_TMP_DIR/initdb.log" 2>&1 || {
        cat "$PG_TMP_DIR/initdb.log" >&2
        return 1
    }
    cat >>"$PG_TMP_DIR/data/postgresql.conf" <<EOF

# Throw-away test server: loopback only, no durability.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_TMP_DIR'
max_connections = 200
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 1GB
checkpoint_timeout = 30min
autovacuum = off
jit = off
log_min_messages = warning
# Failed password logins wait (the people's logins of cati; README "PostgreSQL").
shared_preload_libraries = 'auth_delay'
auth_delay.milliseconds = 250
password_encryption = scram-sha-256
EOF
    # The test superuser is trusted on loopback; every other login (the people's accounts, the
    # owner and application roles of the role tests) gives its SCRAM password.
    cat >"$PG_TMP_DIR/data/pg_hba.conf" <<EOF
local all $PG_TMP_USER trust
host  all $PG_TMP_USER 127.0.0.1/32 trust
local all all scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
EOF

    # The postmaster runs as a child of this shell (not daemonized by pg_ctl), so that
    # pg_tmp_stop can wait for it and nothing is left behind.
    local attempt _
    for attempt in 1 2 3; do
        PG_TMP_PORT="$(_pg_tmp_free_port)"
        _pg_tmp_as "$PG_TMP_BIN/postgres" -D "$PG_TMP_DIR/data" -p "$PG_TMP_PORT" \
            >>"$PG_TMP_DIR/server.log" 2>&1 &
        PG_TMP_PID=$!
        for _ in $(seq 1 120); do
            if "$PG_TMP_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_TMP_PORT" \
                -U "$PG_TMP_USER" -d postgres -t 1; then
                break 2
            fi
            kill -0 "$PG_TMP_PID" 2>/dev/null || break  # it exited: most likely the port
            sleep 0.25
        done
        _pg_tmp_kill
        if ((attempt == 3)); then
            printf 'error: the PostgreSQL server did not start:\n' >&2
            tail -n 20 "$PG_TMP_DIR/server.log" >&2 || true
            return 1
        fi
    done

    "$PG_TMP_BIN/createdb" -h 127.0.0.1 -p "$PG_TMP_PORT" -U "$PG_TMP_USER" cati_test
    export CATI_TEST_PG_URL="postgresql+psycopg://$PG_TMP_USER@127.0.0.1:$PG_TMP_PORT/cati_test"
}

# Stops the postmaster started by pg_tmp_start (immediate shutdown) and reaps it.
_pg_tmp_kill() {
    [[ -n "$PG_TMP_PID" ]] || return 0
    local pidfile="$PG_TMP_DIR/data/postmaster.pid" pid=""
    if [[ -f "$pidfile" ]]; then
        pid="$(head -n 1 "$pidfile" 2>/dev/null || true)"
        _pg_tmp_as "$PG_TMP_BIN/pg_ctl" -D "$PG_TMP_DIR/data" -m immediate -w -t 30 -s stop \
            >/dev/null 2>&1 || true
        # Should pg_ctl have failed (the pid file is still there), end that postmaster by its pid.
        if [[ -n "$pid" && -f "$pidfile" ]] && kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    if kill -0 "$PG_TMP_PID" 2>/dev/null; then
        kill -TERM "$PG_TMP_PID" 2>/dev/null || true
    fi
    wait "$PG_TMP_PID" 2>/dev/null || true
    PG_TMP_PID=""
}

pg_tmp_stop() {
    [[ -n "$PG_TMP_DIR" ]] || return 0
    _pg_tmp_kill
    rm -rf "$PG_TMP_DIR"
    PG_TMP_DIR=""
    unset CATI_TEST_PG_URL
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    if (($# == 0)); then
        printf 'usage: %s CMD [ARG...]   (runs CMD with CATI_TEST_PG_URL set)\n' "$0" >&2
        exit 2
    fi
    trap pg_tmp_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    _pg_tmp_say "starting a throw-away PostgreSQL server"
    pg_tmp_start
    _pg_tmp_say "PostgreSQL up: $CATI_TEST_PG_URL"
    rc=0
    "$@" || rc=$?
    exit "$rc"
fi
