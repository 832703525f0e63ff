#!/usr/bin/env bash
# Where a task's time goes: profiles one phase at a time and prints its cost per task.
#
# Usage: bash bench/profile.sh [--phase topic-drain,http-drain,enqueue,batch] [--tasks N] [--http-tasks N]
#                              [--repeat R] [--window S] [--build] [--no-jfr] [--no-wal] [--keep-db]
#
# For each repeat (the phases interleaved: 1 topic-drain, 1 http-drain, 2 topic-drain, ...) and phase, a fresh
# database and a fresh `java -Xmx1g -jar target/spindle.jar` (dispatch.max-concurrent 128 unless
# DISPATCH_MAX_dash_CONCURRENT says otherwise) recorded by Java Flight Recorder (settings=profile, plus JDK 25's
# CPU-time sampler and every socket read and write), driven by bench/loadgen as bench/run.sh drives it:
#   topic-drain  N tasks (default 50,000) pre-enqueued into a paused `topic` queue (an in-process no-op publish to
#                a topic nobody subscribes to), resumed, timed until the queue's stats show all succeeded; after an
#                unmeasured warm-up drain of N/5;
#   http-drain   the same through an `http` queue (maxConcurrent 256) to the load generator's no-op sink
#                (--http-tasks, default 20,000);
#   enqueue      single enqueues, 64 keep-alive clients, one task per POST, into a paused queue (--window S, 10 s);
#   batch        batch enqueues, 8 clients, 100 tasks per POST (--window S).
# For each it prints (bench/loadgen `cost`), per task of the measured window:
#   - Spindle CPU µs by thread (/proc: carriers of the virtual threads, JIT, GC, JFR) and the Java part split by
#     thread (dispatcher, workers, completion writer, notifier, HTTP server) and by step (claim, hand-off,
#     handler, completion, events, NOTIFY, metrics, ...) from the recording's CPU samples;
#   - round trips to PostgreSQL per task by statement (JFR socket writes) and the mean wait for each answer
#     (socket reads), which is the statement's time as the driver sees it;
#   - PostgreSQL CPU µs by process kind (this database's backends apart from other databases'), commits per
#     task, wait events and the busiest statements sampled from pg_stat_activity every 200 ms;
#   - WAL bytes per task, read back with pg_waldump over the window's LSNs: by relation (heap, each index) and
#     record type, and by transaction kind (claim, completion, enqueue) (--no-wal skips it; it needs read access
#     to the server's pg_wal, so a local server run as root or postgres);
# then, once Spindle stopped (so every backend flushed its statistics): the table's inserts, updates and HOT
# updates (pg_stat_user_tables) and each index's size per task, and EXPLAIN (ANALYZE, BUFFERS, WAL) of one claim
# and one completion of 128 tasks on the table the drain left (bench/profile/explain.sql, rolled back).
# Everything goes to bench/results/profile-<time>/ (gitignored): <phase>-r<n>.{kv,log,jfr,cost.md,tables.txt,
# explain.txt}, and summary.md, the per-task figures of every run side by side. A drain that does not finish in
# 90 s is reported with its rate so far. About 1.5 minutes per drain of 50,000 on the shared 2-core machine.
#
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PGPASSWORD; PGWAL (the server's pg_wal
#   directory, default: data_directory/pg_wal); HEAP (1g); SPINDLE_JAVA_OPTS (more JVM options). Spindle inherits
#   the environment, so its settings can be given the usual way (DISPATCH_MAX_dash_CLAIM=500, ...).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
PHASES=topic-drain,http-drain
TASKS=50000
HTTP_TASKS=20000
REPEAT=2
WINDOW=10
BUILD=0
JFR=1
WAL=1
KEEP_DB=0
while [ $# -gt 0 ]; do
    case "$1" in
        --phase|--phases) PHASES=${2:?--phase needs a list}; shift ;;
        --tasks) TASKS=${2:?--tasks needs a number}; shift ;;
        --http-tasks) HTTP_TASKS=${2:?--http-tasks needs a number}; shift ;;
        --repeat) REPEAT=${2:?--repeat needs a number}; shift ;;
        --window) WINDOW=${2:?--window needs seconds}; shift ;;
        --build) BUILD=1 ;;
        --no-jfr) JFR=0 ;;
        --no-wal) WAL=0 ;;
        --keep-db) KEEP_DB=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "profile.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
for n in "$TASKS" "$HTTP_TASKS" "$REPEAT" "$WINDOW"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "profile.sh: $n is not a positive whole number" >&2; exit 2; }
done
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
HEAP=${HEAP:-1g}
export PGHOST PGPORT PGUSER
export DISPATCH_MAX_dash_CONCURRENT=${DISPATCH_MAX_dash_CONCURRENT:-128}

die() { echo "profile.sh: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

source "$ROOT/bench/lib.sh"
use_newest_jdk
for tool in curl psql mvn getconf; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null || die "no PostgreSQL answers on $PGHOST:$PGPORT"
PSQL_BIN=psql
PG_BIN=""
if command -v pg_config >/dev/null; then PG_BIN=$(pg_config --bindir); fi
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/psql" ] && PSQL_BIN=$PG_BIN/psql
psql_q() { "$PSQL_BIN" -X -q -v ON_ERROR_STOP=1 "$@"; }
if [ "$WAL" = 1 ]; then
    WALDUMP=${PG_BIN:+$PG_BIN/}pg_waldump
    PGWAL=${PGWAL:-$(psql_q -At -d postgres -c "SHOW data_directory")/pg_wal}
    if ! command -v "$WALDUMP" >/dev/null || [ ! -r "$PGWAL" ]; then
        echo "profile.sh: WARNING: no pg_waldump or no read access to $PGWAL; WAL is counted from the LSNs only" >&2
        WAL=0
    fi
fi

# --- builds ----------------------------------------------------------------------------------------
build_jars "$BUILD" profile.sh
LOADGEN=bench/loadgen/target/loadgen.jar

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUN=$ROOT/bench/results/profile-$STAMP
mkdir -p "$RUN"
APP=$(mktemp -d)
cp target/spindle.jar "$APP/" && cp -r target/libs "$APP/" && cp "$LOADGEN" "$APP/loadgen.jar"
LOADGEN=$APP/loadgen.jar
DB=spindle_profile_$$
SLOT=spindle_profile_$$   # a replication slot holds the measured window's WAL until pg_waldump has read it
SPINDLE_PID=""
cleanup() {
    psql_q -d postgres -c "SELECT pg_drop_replication_slot('$SLOT') FROM pg_replication_slots WHERE slot_name = '$SLOT'" \
        >/dev/null 2>&1 || true
    if [ -n "$SPINDLE_PID" ] && kill -0 "$SPINDLE_PID" 2>/dev/null; then
        kill -TERM "$SPINDLE_PID" 2>/dev/null || true
        wait "$SPINDLE_PID" 2>/dev/null || true
    fi
    [ "$KEEP_DB" = 1 ] || psql_q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$APP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
loadgen() { timeout 600 java -Xmx512m -XX:+UseSerialGC -jar "$LOADGEN" "$@"; }

{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "jar=target/spindle.jar built $(date -u -r target/spindle.jar '+%Y-%m-%d %H:%M UTC'); git HEAD $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "machine=$(nproc) CPUs; $(java -version 2>&1 | head -n 1); PostgreSQL $(psql_q -At -d postgres -c 'SHOW server_version'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "settings=-Xmx$HEAP dispatch.max-concurrent=$DISPATCH_MAX_dash_CONCURRENT, phases $PHASES, tasks $TASKS, http tasks $HTTP_TASKS, repeat $REPEAT"
} > "$RUN/run.txt"
say "results go to $RUN"

JFR_OPTS="-XX:StartFlightRecording=settings=profile,dumponexit=true,jdk.CPUTimeSample#enabled=true"
JFR_OPTS+=",jdk.CPUTimeSample#throttle=1ms,jdk.SocketRead#threshold=0ms,jdk.SocketWrite#threshold=0ms"
JFR_OPTS+=",jdk.SocketRead#throttle=off,jdk.SocketWrite#throttle=off"   # JDK 25's profile settings keep 300/s

profile_one() { # phase round
    local phase=$1 round=$2 name key lg_phase opts=() jfr=()
    name=$phase-r$round
    case "$phase" in
        topic-drain) key=drain_topic; lg_phase=drain-topic
            opts=(--drain-tasks "$TASKS" --drain-warmup-tasks $((TASKS / 5)) --drain-warmup-timeout 60 --drain-timeout 90) ;;
        http-drain) key=drain; lg_phase=drain
            opts=(--drain-tasks "$HTTP_TASKS" --drain-warmup-tasks $((HTTP_TASKS / 2)) --drain-warmup-timeout 60 --drain-timeout 90) ;;
        enqueue) key=enqueue; lg_phase=enqueue; opts=(--clients 64 --warmup 3 --duration "$WINDOW") ;;
        batch) key=batch; lg_phase=batch; opts=(--batch-clients 8 --batch-size 100 --batch-warmup 2 --batch-duration "$WINDOW") ;;
        *) die "unknown phase $phase (topic-drain, http-drain, enqueue, batch)" ;;
    esac
    psql_q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
    psql_q -d postgres -c "CREATE DATABASE $DB" >/dev/null || die "cannot create database $DB"
    [ "$JFR" = 1 ] && jfr=("$JFR_OPTS,filename=$RUN/$name.jfr")
    say "round $round: $phase"
    # shellcheck disable=SC2086
    launch_spindle "$APP/spindle.jar" "$DB" "$RUN/$name.log" -- -Xmx"$HEAP" ${SPINDLE_JAVA_OPTS:-} "${jfr[@]}"
    local oid
    oid=$(psql_q -At -d postgres -c "SELECT oid FROM pg_database WHERE datname = '$DB'")
    [ "$WAL" = 1 ] && psql_q -d postgres -c "SELECT pg_create_physical_replication_slot('$SLOT', true)" >/dev/null
    loadgen run --target "$SPINDLE_URL" --pid "$SPINDLE_PID" --db "$DB" --phases "$lg_phase" --label "$name" \
        --out "$RUN/$name.kv" --queue-max-concurrent 256 --clk-tck "$(getconf CLK_TCK)" --psql "$PSQL_BIN" "${opts[@]}" \
        2> "$RUN/$name.loadgen.log" || echo "profile.sh: WARNING: the load generator failed (see $RUN/$name.loadgen.log)" >&2
    # the relations' file names, before anything could rewrite them
    psql_q -At -F ' ' -d "$DB" -c "SELECT pg_relation_filenode(oid), relname FROM pg_class WHERE pg_relation_filenode(oid) IS NOT NULL" \
        > "$RUN/$name.relmap"
    local cost=(--kv "$RUN/$name.kv" --phase "$key")
    if [ "$WAL" = 1 ]; then
        loadgen cost "${cost[@]}" --part wal --waldump "$WALDUMP" --pgwal "$PGWAL" --db-oid "$oid" --relmap "$RUN/$name.relmap" \
            > "$RUN/$name.wal.md" 2> "$RUN/$name.wal.err" || echo "profile.sh: WARNING: the WAL count failed (see $RUN/$name.wal.err)" >&2
        psql_q -d postgres -c "SELECT pg_drop_replication_slot('$SLOT')" >/dev/null
    fi
    stop_spindle
    {
        echo "# pg_stat_user_tables and index sizes after Spindle stopped (the whole run: pre-enqueue, warm-up, measured)"
        psql_q -d "$DB" -c "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, n_live_tup, n_dead_tup,
                                   pg_size_pretty(pg_relation_size(relid)) AS heap FROM pg_stat_user_tables ORDER BY relname"
        psql_q -d "$DB" -c "SELECT i.indexrelname AS index, pg_relation_size(i.indexrelid) AS bytes,
                                   round(pg_relation_size(i.indexrelid)::numeric / greatest(t.n_tup_ins, 1), 1) AS bytes_per_task,
                                   i.idx_scan, pg_get_indexdef(i.indexrelid) AS definition
                            FROM pg_stat_user_indexes i JOIN pg_stat_user_tables t USING (relid)
                            WHERE i.relname = 'tasks' ORDER BY i.indexrelname"
    } > "$RUN/$name.tables.txt" 2>&1
    case "$phase" in
        *-drain) psql_q -d "$DB" -v pending=10000 -v batch=128 -f bench/profile/explain.sql > "$RUN/$name.explain.txt" 2>&1 \
                     || echo "profile.sh: WARNING: EXPLAIN failed (see $RUN/$name.explain.txt)" >&2 ;;
    esac
    [ "$JFR" = 1 ] && [ -f "$RUN/$name.jfr" ] && cost+=(--jfr "$RUN/$name.jfr")
    loadgen cost "${cost[@]}" --part main > "$RUN/$name.cost.md" 2> "$RUN/$name.cost.err" \
        || echo "profile.sh: WARNING: the cost report failed (see $RUN/$name.cost.err)" >&2
    [ -f "$RUN/$name.wal.md" ] && cat "$RUN/$name.wal.md" >> "$RUN/$name.cost.md"
    cat "$RUN/$name.cost.md"
    cat "$RUN/$name.tables.txt"
}

IFS=, read -r -a PHASE_LIST <<< "$PHASES"
for round in $(seq 1 "$REPEAT"); do
    for phase in "${PHASE_LIST[@]}"; do
        profile_one "$phase" "$round"
    done
done

# the per-task figures of every run side by side
{
    echo "# Cost per task, $(sed -n 's/^date=//p' "$RUN/run.txt")"
    echo
    cat "$RUN/run.txt" | sed 's/^/    /'
    echo
    for phase in "${PHASE_LIST[@]}"; do
        echo "## $phase"
        echo
        files=("$RUN/$phase"-r*.kv)
        printf '| figure |'; for f in "${files[@]}"; do printf ' %s |' "$(basename "${f%.kv}")"; done; echo
        printf '|---|'; for f in "${files[@]}"; do printf -- '---|'; done; echo
        grep -h '^percost\.' "${files[@]}" | cut -d= -f1 | cut -d. -f3- | awk '!seen[$0]++' | while read -r k; do
            printf '| %s |' "$k"
            for f in "${files[@]}"; do printf ' %s |' "$(grep -m1 "^percost\.[a-z_]*\.$k=" "$f" | cut -d= -f2-)"; done
            echo
        done
        echo
    done
} > "$RUN/summary.md"
cat "$RUN/summary.md"
echo "(everything in ${RUN#"$ROOT"/})"
