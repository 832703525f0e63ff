#!/usr/bin/env bash
# Start-up benchmark: Spindle (target/spindle.jar) against a bare Helidon SE hello-world (bench/hello).
# For each jar, RUNS launches (default 5, interleaved) of `java -Xmx256m -jar`, measuring
#   - the time from launch to the first 200 of its readiness URL
#     (Spindle: /observe/health/ready on a database created for the run; hello: /hello), and
#   - the resident set size (VmRSS in /proc/<pid>/status) 2 s after that 200;
# then prints the medians and the ratio spindle / hello, and keeps a copy under bench/results/.
#
# Usage: mvn -B package -DskipTests && bash bench/startup.sh
# Environment: RUNS (5), PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PGPASSWORD (none).
# It builds nothing of Spindle's; it builds bench/hello once, when bench/hello/target/hello.jar is missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
RUNS=${RUNS:-5}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
READY_TIMEOUT_S=120

die() { echo "startup.sh: $*" >&2; exit 1; }

source "$ROOT/bench/lib.sh"
use_newest_jdk

command -v curl >/dev/null || die "curl is required"
command -v psql >/dev/null || die "psql is required (to create the benchmark database)"
SPINDLE_JAR=$ROOT/target/spindle.jar
[ -f "$SPINDLE_JAR" ] || die "target/spindle.jar is missing; run: mvn -B package -DskipTests"
HELLO_JAR=$ROOT/bench/hello/target/hello.jar
if [ ! -f "$HELLO_JAR" ]; then
    echo "building the Helidon SE hello-world baseline (bench/hello) ..."
    (cd bench/hello && mvn -B -q package </dev/null) || die "could not build bench/hello"
fi

# --- scratch: logs, the database; removed on exit --------------------------------------------------
WORK=$(mktemp -d)
DB=spindle_bench_startup_$$
RUNNING_PID=""
cleanup() {
    if [ -n "$RUNNING_PID" ] && kill -0 "$RUNNING_PID" 2>/dev/null; then
        kill -TERM "$RUNNING_PID" 2>/dev/null || true
        wait "$RUNNING_PID" 2>/dev/null || true
    fi
    psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
psql -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB" >/dev/null \
    || die "cannot create database $DB on $PGHOST:$PGPORT as $PGUSER"
DB_URL="jdbc:postgresql://$PGHOST:$PGPORT/$DB"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# One run: launch, poll for the first 200, wait 2 s, read VmRSS, stop with SIGTERM.
# Sets MS (launch to ready, ms) and KB (VmRSS, kB).
measure() {
    local name=$1 jar=$2 path=$3 dir=$4 port start ready code rss log
    port=$(free_port)
    log=$WORK/$name-$port.log
    start=$(now_ms)
    if [ "$name" = spindle ]; then
        (cd "$dir" && exec env DB_URL="$DB_URL" DB_USERNAME="$PGUSER" DB_PASSWORD="${PGPASSWORD:-}" \
            SERVER_PORT="$port" java -Xmx256m -jar "$jar" >"$log" 2>&1 </dev/null) &
    else
        (cd "$dir" && exec env PORT="$port" java -Xmx256m -jar "$jar" >"$log" 2>&1 </dev/null) &
    fi
    RUNNING_PID=$!
    while true; do
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port$path" || true)
        [ "$code" = 200 ] && break
        if ! kill -0 "$RUNNING_PID" 2>/dev/null; then
            cat "$log" >&2
            die "$name exited before it was ready"
        fi
        if [ $(( $(now_ms) - start )) -gt $((READY_TIMEOUT_S * 1000)) ]; then
            cat "$log" >&2
            die "$name was not ready within ${READY_TIMEOUT_S} s"
        fi
        sleep 0.02
    done
    ready=$(( $(now_ms) - start ))
    sleep 2
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$RUNNING_PID/status")
    kill -TERM "$RUNNING_PID"
    wait "$RUNNING_PID" 2>/dev/null || true
    RUNNING_PID=""
    MS=$ready
    KB=$rss
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "java: $(java -version 2>&1 | head -n 1) ($JAVA_HOME); $(nproc) CPUs; $RUNS runs each, interleaved"
echo "spindle: $SPINDLE_JAR on $DB_URL (the first run migrates the schema)"
echo "hello:   $HELLO_JAR"
echo
printf '%-8s %4s %12s %10s\n' service run ready_ms rss_mb
declare -a hello_ms=() hello_kb=() spindle_ms=() spindle_kb=()
MS=0 KB=0
for run in $(seq 1 "$RUNS"); do
    measure hello "$HELLO_JAR" /hello "$ROOT/bench/hello"
    hello_ms+=("$MS"); hello_kb+=("$KB")
    awk -v r="$run" -v ms="$MS" -v kb="$KB" 'BEGIN { printf "%-8s %4d %12d %10.1f\n", "hello", r, ms, kb / 1024 }'
    measure spindle "$SPINDLE_JAR" /observe/health/ready "$ROOT"
    spindle_ms+=("$MS"); spindle_kb+=("$KB")
    awk -v r="$run" -v ms="$MS" -v kb="$KB" 'BEGIN { printf "%-8s %4d %12d %10.1f\n", "spindle", r, ms, kb / 1024 }'

done

h_ms=$(printf '%s\n' "${hello_ms[@]}" | median)
h_kb=$(printf '%s\n' "${hello_kb[@]}" | median)
s_ms=$(printf '%s\n' "${spindle_ms[@]}" | median)
s_kb=$(printf '%s\n' "${spindle_kb[@]}" | median)

mkdir -p bench/results
RESULT=bench/results/startup-$(date -u +%Y%m%dT%H%M%SZ).txt
{
    echo
    echo "| jar (java -Xmx256m -jar) | start to first 200, median | RSS 2 s after ready, median |"
    echo "|---|---|---|"
    awk -v ms="$h_ms" -v kb="$h_kb" 'BEGIN { printf "| Helidon SE hello (GET /hello) | %d ms | %.1f MB |\n", ms, kb / 1024 }'
    awk -v ms="$s_ms" -v kb="$s_kb" 'BEGIN { printf "| Spindle (GET /observe/health/ready) | %d ms | %.1f MB |\n", ms, kb / 1024 }'
    awk -v a="$s_ms" -v b="$h_ms" -v c="$s_kb" -v d="$h_kb" \
        'BEGIN { printf "| ratio spindle / hello | %.2f | %.2f |\n", a / b, c / d }'
} | tee "$RESULT"
echo
echo "(saved to $RESULT)"
