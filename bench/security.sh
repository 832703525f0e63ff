#!/usr/bin/env bash
# Security benchmark (issue #5): what authentication and client rate limiting cost, and what a flood of
# distinct clients leaves on the heap.
#
# 1. Overhead. Two instances of target/spindle.jar on one database, started side by side:
#      with    - an API key (admin) required on every request, client rate limits on (the defaults:
#                100000 per PT1S, far above what this machine can send, so nothing is refused);
#      without - no key (anonymous), ratelimit.clients.enabled=false.
#    wrk (-t THREADS -c CONNECTIONS -d DURATION) asks GET /v1/queues/default of each in turn, ROUNDS times,
#    interleaved (with, without, with, ...) after a warm-up; prints every round, the medians and the ratio
#    with / without (target >= 0.90). Every response must be a 200: a round with any other fails the script.
# 2. Flood. FLOOD distinct client identities (one request each, from 127.2.0.1, 127.2.0.2, ... - Linux routes
#    all of 127.0.0.0/8 to lo) against the "with" instance, without a key: each is a 401 charged to a new
#    limiter for its address. Heap used after a full GC (jcmd GC.run, GC.heap_info) before and after, and the
#    spindle_ratelimit_clients gauge (bounded by ratelimit.clients.max-clients, default 10000).
#
# 3. The limiter cache alone (bench/security/LimiterContention.java): charges per second from 8 threads through
#    Spindle's cache (Caffeine; lock-free lookups, a lock only to insert) and through an access-ordered
#    LinkedHashMap under one lock, for one hot client, 1,000 clients, and new clients past the bound; then the CPU
#    time per charge of one thread (steadier than the rates when the machine is busy with other work).
#
# Usage: mvn -B package -DskipTests && bash bench/security.sh
# Environment: PARTS (overhead,flood,cache: which of the three to run), SPINDLE_JAR (target/spindle.jar, with its
#              libs/ beside it: point it at a copy of an older build to compare), ROUNDS (5), DURATION (10s),
#              THREADS (2), CONNECTIONS (64), FLOOD (100000), HEAP (512m),
#              PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PGPASSWORD (none).
# Results are printed and kept under bench/results/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
FLOOD=${FLOOD:-100000}
PARTS=${PARTS:-overhead,flood,cache}
HEAP=${HEAP:-512m}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
READY_TIMEOUT_S=120
PATH_UNDER_TEST=/v1/queues/default

die() { echo "security.sh: $*" >&2; exit 1; }

source "$ROOT/bench/lib.sh"
use_newest_jdk

part() { [[ ",$PARTS," == *",$1,"* ]]; }

! part overhead || command -v wrk >/dev/null || die "wrk is required for the overhead part (apt-get install wrk)"
command -v curl >/dev/null || die "curl is required"
command -v psql >/dev/null || die "psql is required (to create the benchmark database)"
SPINDLE_JAR=$(realpath "${SPINDLE_JAR:-$ROOT/target/spindle.jar}")
[ -f "$SPINDLE_JAR" ] || die "$SPINDLE_JAR is missing; run: mvn -B package -DskipTests"
# --- scratch: logs, the database; removed on exit --------------------------------------------------
WORK=$(mktemp -d)
DB=spindle_bench_security_$$
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
psql -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB" >/dev/null \
    || die "cannot create database $DB on $PGHOST:$PGPORT as $PGUSER"
DB_URL="jdbc:postgresql://$PGHOST:$PGPORT/$DB"

KEY="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# start NAME PORT ENV... : launches the jar in $WORK/NAME (no config/ there: the packed defaults apply)
start() {
    local name=$1 port=$2
    shift 2
    mkdir -p "$WORK/$name"
    (cd "$WORK/$name" && exec env DB_URL="$DB_URL" DB_USERNAME="$PGUSER" DB_PASSWORD="${PGPASSWORD:-}" \
        SERVER_PORT="$port" "$@" java -Xmx"$HEAP" -jar "$SPINDLE_JAR" >"$WORK/$name.log" 2>&1 </dev/null) &
    PIDS+=($!)
    eval "PID_${name}=$!"
}

await_ready() {
    local name=$1 port=$2 deadline=$((SECONDS + READY_TIMEOUT_S))
    until [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port/observe/health/ready" || true)" = 200 ]; do
        [ $SECONDS -lt $deadline ] || { cat "$WORK/$name.log" >&2; die "$name was not ready within ${READY_TIMEOUT_S} s"; }
        sleep 0.1
    done
}

if part overhead || part flood; then
PORT_WITH=$(free_port)
start with "$PORT_WITH" SECURITY_API_dash_KEYS_0_NAME=bench SECURITY_API_dash_KEYS_0_ROLES=admin \
    SECURITY_API_dash_KEYS_0_KEY_dash_ENV=BENCH_KEY BENCH_KEY="$KEY"
await_ready with "$PORT_WITH"   # the first start migrates the schema; the second then finds it done
fi
if part overhead; then
PORT_WITHOUT=$(free_port)
start without "$PORT_WITHOUT" RATELIMIT_CLIENTS_ENABLED=false
await_ready without "$PORT_WITHOUT"

# sanity: the "with" instance really wants the key, and the "without" one really has no limits
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_WITH$PATH_UNDER_TEST")" = 401 ] \
    || die "the instance with security answered without a key"
HEADERS_WITH=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT_WITH$PATH_UNDER_TEST")
grep -qi '^RateLimit:' <<<"$HEADERS_WITH" || die "the instance with security sent no RateLimit header"
HEADERS_WITHOUT=$(curl -s -D - -o /dev/null "http://127.0.0.1:$PORT_WITHOUT$PATH_UNDER_TEST")
if grep -qi '^RateLimit:' <<<"$HEADERS_WITHOUT"; then die "the instance without limits sent a RateLimit header"; fi

fi

# bench NAME PORT [HEADER] : one wrk run; prints requests/s; fails on any non-2xx response
bench() {
    local name=$1 port=$2 out
    shift 2
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$@" "http://127.0.0.1:$port$PATH_UNDER_TEST")
    if grep -q 'Non-2xx' <<<"$out"; then
        echo "$out" >&2
        die "$name: some responses were not 2xx"
    fi
    awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "java: $(java -version 2>&1 | head -n 1); $(nproc) CPUs; jar: $SPINDLE_JAR; parts: $PARTS"
if part overhead; then
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION GET $PATH_UNDER_TEST"
echo "with:    port $PORT_WITH, API key required, rate limits on (100000 per PT1S)"
echo "without: port $PORT_WITHOUT, anonymous, ratelimit.clients.enabled=false"
echo "warm-up ..."
DURATION=5s bench with "$PORT_WITH" -H "Authorization: Bearer $KEY" >/dev/null
DURATION=5s bench without "$PORT_WITHOUT" >/dev/null

declare -a with_rps=() without_rps=()
printf '%5s %14s %14s\n' round with_rps without_rps
for round in $(seq 1 "$ROUNDS"); do
    w=$(bench with "$PORT_WITH" -H "Authorization: Bearer $KEY")
    wo=$(bench without "$PORT_WITHOUT")
    with_rps+=("$w"); without_rps+=("$wo")
    printf '%5d %14.0f %14.0f\n' "$round" "$w" "$wo"
done
W=$(printf '%s\n' "${with_rps[@]}" | median)
WO=$(printf '%s\n' "${without_rps[@]}" | median)
fi

# --- the flood -------------------------------------------------------------------------------------
heap_kb() {   # heap used after a full GC, in KiB
    jcmd "$1" GC.run >/dev/null
    sleep 1
    jcmd "$1" GC.heap_info | sed -n 's/.* used \([0-9]*\)K.*/\1/p' | head -n 1
}
live_limiters() {
    curl -s "http://127.0.0.1:$PORT_WITH/observe/metrics" | awk '/^spindle_ratelimit_clients[ {]/ { print $NF }'
}
if part flood; then
echo
echo "flood: $FLOOD distinct client identities against the instance with security (no key: 401 each) ..."
HEAP_BEFORE=$(heap_kb "$PID_with")
LIVE_BEFORE=$(live_limiters)
FLOOD_OUT=$(java "$ROOT/bench/security/Flood.java" "$PORT_WITH" "$FLOOD" 8 "$PATH_UNDER_TEST")
echo "$FLOOD_OUT"
LIVE_AFTER=$(live_limiters)
HEAP_AFTER=$(heap_kb "$PID_with")
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT_WITH$PATH_UNDER_TEST")" = 200 ] \
    || die "the instance no longer serves after the flood"
fi

# --- the limiter cache alone, in process: lookups and charges per second against a locked LRU -------
if part cache; then
echo
CLASSPATH_UNDER_TEST="$SPINDLE_JAR:$(dirname "$SPINDLE_JAR")/libs/*"
CONTENTION=$(java -cp "$CLASSPATH_UNDER_TEST" "$ROOT/bench/security/LimiterContention.java" 8 3 2>/dev/null)
CONTENTION="$CONTENTION
$(java -cp "$CLASSPATH_UNDER_TEST" "$ROOT/bench/security/LimiterContention.java" 1 3 cpu 2>/dev/null)"
echo "$CONTENTION"
fi

mkdir -p bench/results
RESULT=bench/results/security-$(date -u +%Y%m%dT%H%M%SZ).txt
{
    echo "jar: $SPINDLE_JAR"
    if part overhead; then
    echo
    echo "| GET $PATH_UNDER_TEST (wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds interleaved) | requests/s, median |"
    echo "|---|---|"
    awk -v v="$W" 'BEGIN { printf "| with API key + client rate limit | %.0f |\n", v }'
    awk -v v="$WO" 'BEGIN { printf "| without (anonymous, limits off) | %.0f |\n", v }'
    awk -v a="$W" -v b="$WO" 'BEGIN { printf "| ratio with / without (target >= 0.90) | %.3f |\n", a / b }'
    fi
    if part flood; then
    echo
    echo "| flood of $FLOOD distinct clients (java -Xmx$HEAP) | before | after |"
    echo "|---|---|---|"
    echo "| live limiters (spindle_ratelimit_clients) | $LIVE_BEFORE | $LIVE_AFTER |"
    awk -v a="$HEAP_BEFORE" -v b="$HEAP_AFTER" 'BEGIN { printf "| heap used after a full GC | %.1f MiB | %.1f MiB |\n", a / 1024, b / 1024 }'
    fi
    if part cache; then
    echo
    echo "limiter cache (bench/security/LimiterContention.java):"
    echo "$CONTENTION"
    fi
} | tee "$RESULT"
echo
echo "(saved to $RESULT)"
