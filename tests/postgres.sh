#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the history store's tests, listening only on a unix socket in its own folder.
#
#   tests/postgres.sh start DIR   initdb into DIR/data, start the server, print the Npgsql connection string
#   tests/postgres.sh stop DIR    stop it (the folder is left for the caller to remove)
#
# Export what start prints as BROKERCHAT_TEST_POSTGRES before `dotnet test`; .ci/run does. As root the cluster runs as
# the postgres user (the server refuses to run as root); otherwise as the caller.
set -euo pipefail
action=${1:?usage: tests/postgres.sh start|stop DIR}
dir=${2:?usage: tests/postgres.sh start|stop DIR}
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
port=${PG_PORT:-5432}
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "tests/postgres.sh: no PostgreSQL server binaries under /usr/lib/postgresql (install the postgresql package)" >&2
    exit 1
fi

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$action" in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$dir"
        chmod 755 "$dir"
    fi
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U brokerchat --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # No TCP listener: the socket lives in the folder, so parallel clusters never clash over a port.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -k $dir -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "Host=$dir;Port=$port;Username=brokerchat;Database=postgres"
    ;;
stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: tests/postgres.sh start|stop DIR" >&2
    exit 2
    ;;
esac
