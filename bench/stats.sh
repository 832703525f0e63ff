#!/usr/bin/env bash
# Stats latency with history: GET /v1/queues/{name} p50/p99, one request at a time on one keep-alive
# connection, first with 10 pending tasks in the queue, then with HISTORY (1,000,000) finished tasks retained
# besides (filled with SQL), against a fresh `java -jar JAR` on a fresh database. Run it for two jars in one
# sitting to compare (e.g. main's and a branch's).
#
# Usage: bash bench/stats.sh [JAR]      (default target/spindle.jar; its libs/ beside it)
# Environment: HISTORY (1000000), REQUESTS (2000), WARMUP (1000, unmeasured requests first), HEAP (1g), PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres),
#   PGPASSWORD. The driver is bench/stats/StatsLatency.java (JDK source launcher).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
JAR=$(readlink -f "${1:-target/spindle.jar}")
HISTORY=${HISTORY:-1000000}
REQUESTS=${REQUESTS:-2000}
WARMUP=${WARMUP:-1000}
HEAP=${HEAP:-1g}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

die() { echo "stats.sh: $*" >&2; exit 1; }
source "$ROOT/bench/lib.sh"
use_newest_jdk
[ -f "$JAR" ] || die "$JAR is missing; run: mvn -B package -DskipTests"
DB=spindle_bench_stats_$$
SPINDLE_PID=""
cleanup() {
    [ -n "$SPINDLE_PID" ] && stop_spindle
    psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB" >/dev/null || die "cannot create database $DB"
launch_spindle "$JAR" "$DB" "$(mktemp)" -- -Xmx"$HEAP"
curl -sf -o /dev/null -X PUT -H 'Content-Type: application/json' "$SPINDLE_URL/v1/queues/history" \
    -d '{"handler": {"type": "log"}, "paused": true}' || die "cannot create the queue"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "INSERT INTO tasks (queue, payload, max_attempts) SELECT 'history', '{}', 5 FROM generate_series(1, 10)"
recount() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "DO \$\$ BEGIN IF to_regproc('spindle_recount_queues') IS NOT NULL THEN PERFORM spindle_recount_queues(); END IF; END \$\$" -c "VACUUM ANALYZE tasks"; }
recount
echo "10 pending tasks, no history (jar $JAR):"
java "$ROOT/bench/stats/StatsLatency.java" "$SPINDLE_URL" history "$REQUESTS" "$WARMUP"
echo "filling $HISTORY finished tasks into queue 'history'" >&2
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "
INSERT INTO tasks (queue, state, payload, run_at, attempts, max_attempts, finished_at, result)
SELECT 'history', CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'succeeded' END, '{\"n\": 1}', now() - interval '1 hour', 1, 5,
       now() - interval '1 millisecond' * g, '{\"ok\": true}'
FROM generate_series(1, $HISTORY) g"
recount
echo "10 pending tasks and $HISTORY finished ones:"
java "$ROOT/bench/stats/StatsLatency.java" "$SPINDLE_URL" history "$REQUESTS" "$WARMUP"
