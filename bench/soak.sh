#!/usr/bin/env bash
# Soak: does Spindle level off under steady churn? A fresh `java -jar target/spindle.jar` on a fresh database
# takes a steady RATE (1,000) single enqueues a second into an http queue with `retention: PT1M` that delivers to
# a no-op sink, while 2 SSE subscribers follow the queue's task events and 3 follow a topic that gets 100
# events a second. Every 10 s: Spindle's RSS, open FDs and threads, its heap after a full GC (jcmd GC.run +
# GC.heap_info), and the tasks table's total, heap and index sizes with its live and dead rows. At the end:
# the growth of each over the second half (targets: RSS, FDs, threads < 5 %; tasks table < 10 %), and whether
# every enqueued task was delivered exactly once. The driver is bench/soak/Soak.java (JDK source launcher).
# Client, Spindle and PostgreSQL share the machine. Runs on the PostgreSQL as it is configured (this one has
# autovacuum off: Spindle's maintenance duty vacuums its tables; see bench/README.md).
#
# Usage: bash bench/soak.sh [--minutes N] [--quick] [--build]
#   --minutes N   how long the load runs (default 10)
#   --quick       3 minutes
#   --build       rebuild target/spindle.jar first (mvn -B -q package -DskipTests)
# Environment: RATE (1000), HEAP (1g), PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PGPASSWORD,
#   SPINDLE_JAVA_OPTS. Spindle inherits the environment, so its settings can be given the usual way
#   (e.g. MAINTENANCE_VACUUM_dash_ENABLED=false to see the table grow without the maintenance duty).
# Results (samples.csv, table.md, spindle.log) go to bench/results/soak-<time>/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
MINUTES=10
BUILD=0
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) MINUTES=${2:?--minutes needs a number}; shift ;;
        --quick) MINUTES=3 ;;
        --build) BUILD=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "soak.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
RATE=${RATE:-1000}
HEAP=${HEAP:-1g}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

die() { echo "soak.sh: $*" >&2; exit 1; }
source "$ROOT/bench/lib.sh"
use_newest_jdk
for tool in curl psql jcmd; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null || die "no PostgreSQL answers on $PGHOST:$PGPORT"
if [ "$BUILD" = 1 ] || [ ! -f target/spindle.jar ]; then
    mvn -B -q package -DskipTests </dev/null >&2 || die "the Spindle build failed"
fi
PSQL_BIN=psql
if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/psql" ]; then PSQL_BIN=$(pg_config --bindir)/psql; fi

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results/soak-$STAMP
mkdir -p "$OUT"
APP=$(mktemp -d)   # a private copy of the jar: a rebuild during the soak cannot change it
cp target/spindle.jar "$APP/" && cp -r target/libs "$APP/"
DB=spindle_bench_soak_$$
SPINDLE_PID=""
cleanup() {
    [ -n "$SPINDLE_PID" ] && stop_spindle
    psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$APP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB" >/dev/null || die "cannot create database $DB"

# one client address opens all the streams and sends every request: lift the per-client limits
# shellcheck disable=SC2086
launch_spindle "$APP/spindle.jar" "$DB" "$OUT/spindle.log" RATELIMIT_CLIENTS_MAX_dash_STREAMS=1000 \
    RATELIMIT_CLIENTS_PERMITS=100000000 -- -Xmx"$HEAP" ${SPINDLE_JAVA_OPTS:-}
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); git HEAD $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "machine: $(nproc) CPUs; $(java -version 2>&1 | head -n 1); PostgreSQL $(psql -X -At -d postgres -c 'SHOW server_version'), autovacuum $(psql -X -At -d postgres -c 'SHOW autovacuum')"
    echo "load: $RATE tasks/s for $MINUTES min, Spindle -Xmx$HEAP; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/run.txt"

java -Xmx1g "$ROOT/bench/soak/Soak.java" "$SPINDLE_URL" "$SPINDLE_PID" "$DB" "$PSQL_BIN" "$OUT" \
    minutes="$MINUTES" rate="$RATE" | tee -a "$OUT/run.txt"
curl -s "$SPINDLE_URL/observe/metrics" | grep -E '^spindle_(maintenance|table_dead|db_autovacuum)' \
    | tee -a "$OUT/run.txt" || true
echo "warnings in Spindle's log: $(grep -cE ' (WARNING|SEVERE) ' "$OUT/spindle.log" || true)" | tee -a "$OUT/run.txt"
echo "(samples and log in ${OUT#"$ROOT"/})"
