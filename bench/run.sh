#!/usr/bin/env bash
# Throughput benchmark: Spindle against PostgreSQL's own limits, measured side by side in one run.
#
# Usage: bash bench/run.sh [--quick] [--compare-heaps] [--workers "128 64 256"] [--build] [--keep-db]
#                          [--pause-default] [--jfr]
#
#   (e) PostgreSQL's limits with pgbench on a scratch database with Spindle's schema (its migrations applied):
#       1 INSERT/tx at 32 clients, one 100-row INSERT/tx at 8 clients, and claim 100 + complete in two
#       transactions at 8 clients on a pre-filled table (bench/pgbench/*.sql);
#   then, for each worker.max-concurrent (the first is the main one) and heap, a fresh database and a fresh
#   `java -Xmx<heap> -jar target/spindle.jar`, measured by bench/loadgen (which also runs the no-op HTTP sink
#   the http queues deliver to):
#   (a) enqueue, one task per POST, 64 keep-alive clients, into a paused queue: tasks/s, p50, p99;
#   (b) batch enqueue, 100 tasks per POST, 8 clients: tasks/s;
#   (c) drain: after an unmeasured warm-up drain, 20,000 tasks pre-enqueued into a paused http queue
#       (maxConcurrent 256), resume, time until the queue's stats show all succeeded: tasks/s; Spindle's RSS
#       right after; then a steady state: 2,000 enqueues/s into a running queue for 10 s: enqueue-to-delivery
#       p50/p99 (request start to the sink's receipt);
#   (c-topic) the same drain (unmeasured warm-up drain, then 20,000 tasks into a paused queue, resume, time until
#       all succeeded) through a `topic` handler publishing to `bench.nobody`, a topic nobody subscribes to (an
#       in-process no-op publish): tasks/s against pgbench's claim+complete, target >= 0.75x; main launch only;
#   (d) idle wake-up: 50 single enqueues 100 ms apart, request start to the sink's receipt: median, max.
#   The extra worker.max-concurrent values run only (c)'s drain. Each phase has a queue of its own, paused
#   once the phase is over.
# Prints the table (metric | Spindle | PostgreSQL limit | ratio | target | result), sanity checks (errors,
# counts), the CPU taken by other processes on the machine during each phase (a warning above 25 % of a core)
# and where the CPU went in each phase (machine, Spindle by thread, PostgreSQL by process kind, the load
# generator, pg_stat_activity wait events, commits/s and WAL syncs/s). Everything is kept under
# bench/results/throughput-<time>/ (gitignored). A full run takes about 3 minutes, 4.5-6 with --compare-heaps;
# --quick about 1.5 minutes. Every phase is bounded in time (a drain that does not finish in 45 s, 30 s with
# --quick, is reported with its rate so far and marked "timed out").
#
# Options:
#   --quick          shorter phases (5 s windows, pgbench 5 s, 20 wake-ups, one worker setting)
#   --compare-heaps  run Spindle with -Xmx${HEAP:-1g} and with -Xmx256m, alternately, and print both columns
#   --workers LIST   worker.max-concurrent values (default "128 64 256"; --quick: "128")
#   --build          rebuild target/spindle.jar first (mvn -B -q package -DskipTests)
#   --keep-db        keep the databases spindle_bench_<pid> (the last Spindle's) and spindle_bench_pg_<pid>
#   --pause-default  pause the queue `default` (diagnosis: the dispatcher then sees only the benchmark's queue)
#   --jfr            record each Spindle with Java Flight Recorder (settings=profile) into the results and
#                    save its hot methods per phase in <name>.hot-methods.txt (diagnosis; costs some CPU)
# Environment: HEAP (1g), PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PGPASSWORD,
#   SPINDLE_JAVA_OPTS (extra JVM options for Spindle), BENCH_HTTP_HEADER (one extra header, "Name: value",
#   sent with every request of the load generator, e.g. an API key). Spindle inherits the environment, so any of its
#   settings can be given the usual way (e.g. DB_POOL_MAX_dash_SIZE=40).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
MODE=full
COMPARE=0
WORKERS=""
BUILD=0
KEEP_DB=0
PAUSE_DEFAULT=0
JFR=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) MODE=quick ;;
        --compare-heaps) COMPARE=1 ;;
        --workers) WORKERS=${2:?--workers needs a list}; shift ;;
        --build) BUILD=1 ;;
        --keep-db) KEEP_DB=1 ;;
        --pause-default) PAUSE_DEFAULT=1 ;;
        --jfr) JFR=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
HEAP=${HEAP:-1g}
if [ "$COMPARE" = 1 ]; then
    [ "$HEAP" = 256m ] && HEAP=1g
    HEAPS="$HEAP 256m"
else
    HEAPS=$HEAP
fi
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

if [ "$MODE" = quick ]; then
    WORKERS=${WORKERS:-128}
    PG_SECONDS=5; PREFILL=600000
    LOAD_OPTS=(--warmup 2 --duration 5 --batch-warmup 1 --batch-duration 5 --steady-seconds 5 --wakeups 20
               --wakeup-settle 1 --drain-warmup-tasks 5000 --drain-warmup-timeout 10 --drain-timeout 30)
else
    WORKERS=${WORKERS:-128 64 256}
    PG_SECONDS=15; PREFILL=1500000
    LOAD_OPTS=(--warmup 3 --duration 15 --batch-warmup 2 --batch-duration 10 --steady-seconds 10 --wakeups 50
               --wakeup-settle 2 --drain-warmup-tasks 20000 --drain-warmup-timeout 15 --drain-timeout 45)
fi
LOAD_OPTS+=(--clients 64 --batch-clients 8 --batch-size 100 --drain-tasks 20000 --queue-max-concurrent 256
            --steady-rate 2000 --steady-senders 128 --clk-tck "$(getconf CLK_TCK)")
[ "$PAUSE_DEFAULT" = 1 ] && LOAD_OPTS+=(--pause-default)
[ -n "${BENCH_HTTP_HEADER:-}" ] && LOAD_OPTS+=(--header "$BENCH_HTTP_HEADER")
# the samplers call psql itself, not Debian's Perl wrapper (which costs ~0.1 s of CPU per start)
PSQL_BIN=psql
if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/psql" ]; then PSQL_BIN=$(pg_config --bindir)/psql; fi
LOAD_OPTS+=(--psql "$PSQL_BIN")
read -r -a WORKER_LIST <<< "$WORKERS"
read -r -a HEAP_LIST <<< "$HEAPS"

die() { echo "run.sh: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

source "$ROOT/bench/lib.sh"
use_newest_jdk
for tool in curl psql pgbench mvn getconf; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null || die "no PostgreSQL answers on $PGHOST:$PGPORT"

# --- builds ----------------------------------------------------------------------------------------
build_jars "$BUILD" run.sh
LOADGEN=bench/loadgen/target/loadgen.jar

# --- scratch and results ---------------------------------------------------------------------------
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUN=$ROOT/bench/results/throughput-$STAMP
mkdir -p "$RUN"
APP=$(mktemp -d)   # a private copy of the jar and its libs: a rebuild during the run cannot change them
cp target/spindle.jar "$APP/" && cp -r target/libs "$APP/"
cp "$LOADGEN" "$APP/loadgen.jar"
LOADGEN=$APP/loadgen.jar
DB=spindle_bench_$$           # Spindle's database, created afresh for each launch
PGB_DB=spindle_bench_pg_$$     # pgbench's scratch database
SPINDLE_PID=""
cleanup() {
    if [ -n "$SPINDLE_PID" ] && kill -0 "$SPINDLE_PID" 2>/dev/null; then
        kill -TERM "$SPINDLE_PID" 2>/dev/null || true
        wait "$SPINDLE_PID" 2>/dev/null || true
    fi
    if [ "$KEEP_DB" = 0 ]; then
        psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
        psql -q -d postgres -c "DROP DATABASE IF EXISTS $PGB_DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$APP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

loadgen() { java -Xmx512m -XX:+UseSerialGC -jar "$LOADGEN" "$@"; }
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
fresh_db() {
    psql_q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1
    psql_q -d postgres -c "CREATE DATABASE $1" >/dev/null || die "cannot create database $1 on $PGHOST:$PGPORT as $PGUSER"
}
kv() { echo "$1=$2" >> "$3"; }

PG_VERSION=$(psql -X -At -d postgres -c "SHOW server_version" | cut -d' ' -f1)
PG_SETTINGS=$(psql -X -At -d postgres -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections')")
{
    echo "mode=$MODE"
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "heaps=$HEAPS"
    echo "workers=$WORKERS"
    echo "jar=target/spindle.jar built $(date -u -r target/spindle.jar '+%Y-%m-%d %H:%M:%S UTC'); git HEAD $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(git status --porcelain -- src pom.xml 2>/dev/null | wc -l) uncommitted changes under src/ and pom.xml"
    echo "machine=$(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $(java -version 2>&1 | head -n 1); PostgreSQL $PG_VERSION on $PGHOST:$PGPORT ($PG_SETTINGS); load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RUN/run.kv"
say "results go to $RUN"

# --- (e) PostgreSQL's own limits -------------------------------------------------------------------
keep=()
[ "$KEEP_DB" = 1 ] && keep=(--keep-db)
bash bench/pgbench/limits.sh --db "$PGB_DB" --out "$RUN" --seconds "$PG_SECONDS" --prefill "$PREFILL" \
    --loadgen "$LOADGEN" --psql "$PSQL_BIN" "${keep[@]}" || die "the pgbench reference figures failed"

# --- Spindle ---------------------------------------------------------------------------------------
start_spindle() { # heap workers log
    local heap=$1 workers=$2 log=$3 jfr=()
    fresh_db "$DB"
    [ "$JFR" = 1 ] && jfr=("-XX:StartFlightRecording=filename=${log%.log}.jfr,settings=profile,dumponexit=true")
    # shellcheck disable=SC2086
    launch_spindle "$APP/spindle.jar" "$DB" "$log" WORKER_MAX_dash_CONCURRENT="$workers" \
        -- -Xmx"$heap" ${SPINDLE_JAVA_OPTS:-} "${jfr[@]}"
}

# Heaps alternate for each worker setting, so the two columns are measured minutes, not a whole pass, apart.
first=1
for workers in "${WORKER_LIST[@]}"; do
    if [ "$first" = 1 ]; then phases=enqueue,batch,drain,drain-topic,steady,wakeup; else phases=drain; fi
    first=0
    for heap in "${HEAP_LIST[@]}"; do
        name=spindle-h$heap-w$workers
        out=$RUN/$name.kv
        : > "$out"
        say "Spindle -Xmx$heap, worker.max-concurrent=$workers: $phases"
        start_spindle "$heap" "$workers" "$RUN/$name.log"
        kv heap "$heap" "$out"
        kv workers "$workers" "$out"
        kv pid "$SPINDLE_PID" "$out"
        loadgen run --target "$SPINDLE_URL" --pid "$SPINDLE_PID" --db "$DB" --phases "$phases" \
            --label "Xmx$heap w$workers" --out "$out" "${LOAD_OPTS[@]}" 2> >(tee "$RUN/$name.loadgen.log" >&2) \
            || echo "run.sh: WARNING: the load generator failed for $name (see $RUN/$name.loadgen.log)" >&2
        stop_spindle
        if [ "$JFR" = 1 ] && [ -f "$RUN/$name.jfr" ]; then
            loadgen jfr --file "$RUN/$name.jfr" --kv "$out" > "$RUN/$name.hot-methods.txt" 2>&1 || true
        fi
        kv log.warnings "$(grep -cE ' (WARNING|SEVERE) ' "$RUN/$name.log" || true)" "$out"
    done
done

# --- the table -------------------------------------------------------------------------------------
loadgen report --dir "$RUN" | tee "$RUN/table.md"
echo
echo "(raw results, logs and pgbench output in ${RUN#"$ROOT"/})"
[ "$KEEP_DB" = 0 ] || echo "(databases kept: $DB, $PGB_DB)"
