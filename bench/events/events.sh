#!/usr/bin/env bash
# Topic bus benchmark (issue #4), against a running-for-the-occasion `java -jar target/spindle.jar`:
#   (1) publish-to-receive latency p50/p99 with 1,000 SSE subscribers on one topic at 1,000 events/s
#       (publish = POST /v1/topics/{topic}/events; receive = the event parsed off each subscriber's stream);
#   (2) the highest rate one topic fans out to 100 subscribers with no drop (no `lagged`, every event to
#       every subscriber), stepping up through RATES, and the deliveries per second at that rate.
# The load generator is bench/events/EventsBench.java (JDK source launcher, no dependencies; NIO receivers).
# Client and server share the machine; compare only figures from one run.
#
# Usage: mvn -B package -DskipTests && bash bench/events/events.sh
# Environment: SCENARIOS ("latency fanout"), HEAP (512m), SUBSCRIBERS (1000), RATE (1000), MEASURE_SECONDS (20), FANOUT_SUBSCRIBERS (100),
#   RATES (1000,2000,5000,10000,20000,40000), FANOUT_SECONDS (10), JAR (target/spindle.jar),
#   PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PGPASSWORD, SPINDLE_JAVA_OPTS (extra JVM options for
#   Spindle). Spindle inherits the environment, so its settings can be given the usual way (e.g.
#   BUS_FLUSH_dash_INTERVAL=PT0.01S).
# Results are kept under bench/results/events-<time>/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
HEAP=${HEAP:-512m}
SUBSCRIBERS=${SUBSCRIBERS:-1000}
RATE=${RATE:-1000}
SECONDS_MEASURED=${MEASURE_SECONDS:-20}
FANOUT_SUBSCRIBERS=${FANOUT_SUBSCRIBERS:-100}
RATES=${RATES:-1000,2000,5000,10000,20000,40000}
FANOUT_SECONDS=${FANOUT_SECONDS:-10}
JAR=${JAR:-$ROOT/target/spindle.jar}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

die() { echo "events.sh: $*" >&2; exit 1; }

# the load generator runs with the source launcher: a JDK >= 21
source "$ROOT/bench/lib.sh"
use_newest_jdk
command -v curl >/dev/null || die "curl is required"
command -v psql >/dev/null || die "psql is required (to create the benchmark database)"
[ -f "$JAR" ] || die "$JAR is missing; run: mvn -B package -DskipTests"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results/events-$STAMP
mkdir -p "$OUT"
DB=spindle_bench_events_$$
PID=""
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB" >/dev/null || die "cannot create database $DB"

PORT=$(free_port)
WORKDIR=$(mktemp -d)
# one client address opens all the streams: lift the per-client stream limit (ratelimit.clients.max-streams)
(cd "$WORKDIR" && exec env RATELIMIT_CLIENTS_MAX_dash_STREAMS="${RATELIMIT_CLIENTS_MAX_dash_STREAMS:-100000}" DB_URL="jdbc:postgresql://$PGHOST:$PGPORT/$DB" DB_USERNAME="$PGUSER" \
    DB_PASSWORD="${PGPASSWORD:-}" SERVER_PORT="$PORT" java -Xmx"$HEAP" ${SPINDLE_JAVA_OPTS:-} -jar "$JAR" >"$OUT/spindle.log" 2>&1 </dev/null) &
PID=$!
for _ in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$PORT/observe/health/ready" || true)" = 200 ] && break
    kill -0 "$PID" 2>/dev/null || { cat "$OUT/spindle.log" >&2; die "Spindle exited before it was ready"; }
    sleep 0.1
done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/topics")
[ "$code" = 200 ] || die "GET /v1/topics answered $code: this jar has no topic bus routes"

BASE=http://127.0.0.1:$PORT
echo "java: $(java -version 2>&1 | head -n 1); $(nproc) CPUs; Spindle -Xmx$HEAP on $DB; results in $OUT"
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
TICKS=$(getconf CLK_TCK)

# CPU time (ms) all processes of the machine used so far: user + nice + system + irq + softirq + steal
machine_cpu() { awk '/^cpu / { print int(($2 + $3 + $4 + $7 + $8 + $9) * 1000 / '"$TICKS"') }' /proc/stat; }

# run NAME SCENARIO [key=value ...]: the load generator against the running Spindle, with Spindle's CPU time, the
# load generator's, and what the rest of the machine used meanwhile (others' work skews every figure)
run() {
    local name=$1 scenario=$2
    shift 2
    local before after start secs machine_before machine_after
    before=$(cpu)
    machine_before=$(machine_cpu)
    start=$(date +%s%N)
    ( java -Xmx1g "$ROOT/bench/events/EventsBench.java" "$scenario" "$BASE" "$@" 2>&1; \
      awk '{ printf "  load generator CPU: %d ms\n", ($14 + $15 + $16 + $17) * 1000 / '"$TICKS"' }' /proc/$BASHPID/stat ) \
        | tee "$OUT/$name.txt"
    after=$(cpu)
    machine_after=$(machine_cpu)
    secs=$(( ($(date +%s%N) - start) / 1000000 ))
    echo "  Spindle CPU: $(( (after - before) * 1000 / TICKS )) ms over $secs ms wall" | tee -a "$OUT/$name.txt"
    echo "  whole machine CPU: $(( machine_after - machine_before )) ms (of $(( secs * $(nproc) )) ms available)" \
        | tee -a "$OUT/$name.txt"
    echo
}

for scenario in ${SCENARIOS:-latency fanout}; do
    case "$scenario" in
        latency) run latency latency subscribers="$SUBSCRIBERS" rate="$RATE" seconds="$SECONDS_MEASURED" ;;
        fanout) run fanout fanout subscribers="$FANOUT_SUBSCRIBERS" rates="$RATES" seconds="$FANOUT_SECONDS" ;;
        *) die "unknown scenario $scenario" ;;
    esac
done
curl -s "$BASE/observe/metrics" | grep '^spindle_bus' > "$OUT/metrics.txt" || true

echo "summary:"
cat "$OUT"/*.txt | grep -h '^RESULT' | tee "$OUT/summary.txt"
