#!/usr/bin/env bash
# The Dockerfile's training run: starts a throw-away PostgreSQL (Debian's package, as its user postgres),
# runs Spindle on it with -XX:AOTCacheOutput, drives a little of everything a start and the first requests
# touch, stops Spindle with SIGTERM (the JVM writes the AOT cache as it exits), and removes the database.
# Usage: aot-training.sh JAVA CACHE    (in /app, beside spindle.jar, libs/ and config/)
set -euo pipefail
JAVA=$1 CACHE=$2
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
WORK=$(mktemp -d)
chown postgres "$WORK"
as_postgres() { su postgres -s /bin/sh -c "$*"; }

# A port nothing else holds, in case the build shares the host's network. (bench/lib.sh has the same function;
# this script runs alone inside the image build, so it keeps its own.)
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
}

as_postgres "$PG_BIN/initdb -D $WORK/data -U spindle --auth=trust" >/dev/null
PG_PORT=$(free_port)
as_postgres "$PG_BIN/pg_ctl -D $WORK/data -l $WORK/postgres.log -w -o '-c listen_addresses=127.0.0.1 -p $PG_PORT -k $WORK' start" >/dev/null

spindle_pid=
finish() {
    [ -z "$spindle_pid" ] || kill "$spindle_pid" 2>/dev/null || true
    as_postgres "$PG_BIN/pg_ctl -D $WORK/data -m fast -w stop" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap finish EXIT

DB_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/postgres" DB_USERNAME=spindle SERVER_PORT=0 \
    "$JAVA" -XX:AOTCacheOutput="$CACHE" -XX:MaxRAMPercentage=75 -jar spindle.jar > "$WORK/spindle.log" 2>&1 &
spindle_pid=$!

port=
for _ in $(seq 1 600); do
    port=$(sed -n 's|.* listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$WORK/spindle.log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$spindle_pid" 2>/dev/null || { cat "$WORK/spindle.log"; echo "aot-training: Spindle did not start" >&2; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { cat "$WORK/spindle.log"; echo "aot-training: Spindle did not start within 60 s" >&2; exit 1; }

# One HTTP/1.1 request over bash's /dev/tcp (the image has no curl); prints the status line. The server writes
# the whole (small) response at once but keeps the connection open after it, so read no further.
request() {
    local method=$1 path=$2 body=${3:-}
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf '%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "$method" "$path" "${#body}" "$body" >&3
    head -n 1 <&3
    exec 3<&-
}

for round in 1 2 3; do
    request GET /observe/health/ready >/dev/null
    request GET /observe/health >/dev/null
    request GET /observe/metrics >/dev/null
    request PUT /v1/queues/training '{"handler": {"type": "topic", "topic": "training"}}' >/dev/null
    request POST /v1/queues/training/tasks '{"payload": {"round": '"$round"'}}' >/dev/null
    request POST /v1/queues/default/tasks/batch '{"tasks": [{"payload": {"round": '"$round"'}}, {"payload": 2}]}' >/dev/null
    request GET '/v1/queues/default/tasks?limit=10' >/dev/null
    request GET /v1/queues >/dev/null
    request POST /v1/topics/training/events '{"type": "hello", "data": {"round": '"$round"'}}' >/dev/null
    request GET /v1/queues/nope >/dev/null
    request POST /v1/queues/default/tasks '{"payload": ' >/dev/null
done
request GET '/v1/queues/training/tasks/1?wait=PT5S' | head -n 1

kill -TERM "$spindle_pid"
status=0
wait "$spindle_pid" || status=$?
spindle_pid=
grep -E 'shutdown complete|AOTCache creation is complete' "$WORK/spindle.log" || true
if [ ! -s "$CACHE" ]; then
    cat "$WORK/spindle.log"
    echo "aot-training: no AOT cache written (exit $status)" >&2
    exit 1
fi
chmod 644 "$CACHE"
echo "aot-training: $CACHE, $(du -m "$CACHE" | cut -f1) MB"
