#!/usr/bin/env bash
# PostgreSQL's own limits with pgbench on a scratch database with Spindle's schema (its migrations applied), the
# reference figures of bench/run.sh and bench/peers/duel.sh: 1 INSERT/tx at 32 clients, one 100-row INSERT/tx at
# 8 clients, and claim 100 + complete in two transactions at 8 clients on a pre-filled table (bench/pgbench/*.sql),
# each beside `loadgen profile` (where the CPU went). Run from the project root; called by those scripts.
#
# Usage: bash bench/pgbench/limits.sh --db NAME --out DIR --seconds S --prefill N --loadgen JAR --psql PSQL [--keep-db]
#   writes DIR/pgbench.kv (pg.<test>.clients, .tps, .latency_ms, .failed_transactions; pg.insert100.rows_per_s,
#   pg.claim.tasks_per_s and its counts), DIR/pgbench-<test>.txt and DIR/loadgen-profile.log. The database NAME is
#   created afresh and dropped at the end unless --keep-db. PGHOST, PGPORT, PGUSER, PGPASSWORD as for psql.
set -euo pipefail

DB=""; OUT=""; SECONDS_EACH=""; PREFILL=""; LOADGEN=""; PSQL_BIN=psql; KEEP_DB=0
while [ $# -gt 0 ]; do
    case "$1" in
        --db) DB=$2; shift ;;
        --out) OUT=$2; shift ;;
        --seconds) SECONDS_EACH=$2; shift ;;
        --prefill) PREFILL=$2; shift ;;
        --loadgen) LOADGEN=$2; shift ;;
        --psql) PSQL_BIN=$2; shift ;;
        --keep-db) KEEP_DB=1 ;;
        *) echo "limits.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
die() { echo "limits.sh: $*" >&2; exit 1; }
[ -n "$DB" ] && [ -n "$OUT" ] && [ -n "$SECONDS_EACH" ] && [ -n "$PREFILL" ] && [ -n "$LOADGEN" ] \
    || die "--db, --out, --seconds, --prefill and --loadgen are required"

loadgen() { java -Xmx512m -XX:+UseSerialGC -jar "$LOADGEN" "$@"; }
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
kv() { echo "$1=$2" >> "$3"; }
PROFILE_PID=""
cleanup() {
    if [ -n "$PROFILE_PID" ] && kill -0 "$PROFILE_PID" 2>/dev/null; then kill "$PROFILE_PID" 2>/dev/null || true; fi
    [ "$KEEP_DB" = 1 ] || psql_q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

PGB=$OUT/pgbench.kv
: > "$PGB"
run_pgbench() { # name clients script
    local name=$1 clients=$2 script=$3 out=$OUT/pgbench-$1.txt
    loadgen profile --db "$DB" --seconds "$SECONDS_EACH" --delay 1 --label "pgbench.$name" \
        --clk-tck "$(getconf CLK_TCK)" --psql "$PSQL_BIN" --out "$PGB" 2>>"$OUT/loadgen-profile.log" &
    PROFILE_PID=$!
    sleep 1
    pgbench -n -c "$clients" -j 2 -T "$SECONDS_EACH" -f "$script" "$DB" > "$out" 2>&1 \
        || { cat "$out" >&2; die "pgbench $name failed"; }
    wait "$PROFILE_PID" || true
    PROFILE_PID=""
    TPS=$(awk '/^tps = / {print $3; exit}' "$out")
    TXS=$(awk -F': ' '/number of transactions actually processed/ {print $2; exit}' "$out" | cut -d/ -f1)
    LAT=$(awk '/^latency average = / {print $4; exit}' "$out")
    FAILED=$(awk -F': ' '/number of failed transactions/ {print $2; exit}' "$out" | cut -d' ' -f1)
    [ -n "$TPS" ] || { cat "$out" >&2; die "no tps in the pgbench $name output"; }
    kv "pg.$name.clients" "$clients" "$PGB"
    kv "pg.$name.tps" "$TPS" "$PGB"
    kv "pg.$name.latency_ms" "$LAT" "$PGB"
    kv "pg.$name.failed_transactions" "${FAILED:-0}" "$PGB"
    echo "   pgbench $name: $clients clients, $TPS TPS, latency $LAT ms, ${FAILED:-0} failed" >&2
}
echo "== PostgreSQL limits with pgbench on $DB (Spindle's schema), ${SECONDS_EACH} s each" >&2
psql_q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
psql_q -d postgres -c "CREATE DATABASE $DB" >/dev/null || die "cannot create database $DB"
for migration in $(ls src/main/resources/db/migration/V*__*.sql | sort -V); do
    psql_q -d "$DB" -f "$migration" >/dev/null
done
psql_q -d "$DB" -c "INSERT INTO queues (name, handler, max_concurrent, max_attempts, min_backoff_ms, max_backoff_ms, retention_ms)
                   VALUES ('bench', '{\"type\": \"log\"}', 10, 5, 1000, 300000, 604800000)" >/dev/null
psql_q -d "$DB" -c "VACUUM ANALYZE" >/dev/null
psql_q -d "$DB" -c "CHECKPOINT" >/dev/null
run_pgbench insert1 32 bench/pgbench/insert1.sql
psql_q -d "$DB" -c "TRUNCATE tasks" -c "CHECKPOINT" >/dev/null
run_pgbench insert100 8 bench/pgbench/insert100.sql
kv pg.insert100.rows_per_s "$(awk -v t="$TPS" 'BEGIN { printf "%.0f", t * 100 }')" "$PGB"
psql_q -d "$DB" -c "TRUNCATE tasks" >/dev/null
echo "   pre-filling $PREFILL pending tasks for the claim test" >&2
psql_q -d "$DB" -c "INSERT INTO tasks (queue, payload, max_attempts) SELECT 'bench', '{\"n\": 1}', 5 FROM generate_series(1, $PREFILL)" \
    -c "VACUUM ANALYZE tasks" -c "CHECKPOINT" >/dev/null
run_pgbench claim 8 bench/pgbench/claim_complete.sql
read -r SUCCEEDED PENDING < <(psql -X -At -F' ' -d "$DB" -c "SELECT count(*) FILTER (WHERE state = 'succeeded'), count(*) FILTER (WHERE state = 'pending') FROM tasks")
kv pg.claim.prefilled "$PREFILL" "$PGB"
kv pg.claim.succeeded "$SUCCEEDED" "$PGB"
kv pg.claim.pending_left "$PENDING" "$PGB"
# tasks/s over pgbench's own measured time (transactions / tps)
kv pg.claim.tasks_per_s "$(awk -v s="$SUCCEEDED" -v n="$TXS" -v t="$TPS" 'BEGIN { printf "%.0f", s / (n / t) }')" "$PGB"
echo "   claim+complete: $SUCCEEDED tasks succeeded, $PENDING pending left" >&2
[ "$PENDING" -gt 0 ] || echo "limits.sh: WARNING: the claim test used up all $PREFILL pre-filled tasks; its figure is a lower bound" >&2
