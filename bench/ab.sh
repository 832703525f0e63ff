#!/usr/bin/env bash
# Two builds of Spindle (or one build under two settings) in interleaved rounds on the same PostgreSQL: round 1 A,
# round 1 B, round 2 A, ... each a fresh database and a fresh JVM, measured by bench/loadgen exactly as
# bench/peers/duel.sh measures Spindle. Prints the median of each figure for A and B and the ratio B/A, so a
# design change is judged by its effect in one sitting on this noisy machine, not against an older run.
#
# Usage: bash bench/ab.sh [--rounds N] [--drain N] [--http N] [--wakeups N] [--phases LIST] A B
#   A, B       a directory holding spindle.jar and libs/ (copy target/spindle.jar and target/libs there), or
#              DIR@NAME=value[,NAME=value...] for that build with more environment (e.g. /tmp/a@DISPATCH_MAX_dash_CONCURRENT=512);
#              HEAP=256m there sets that side's -Xmx instead
#   --phases   any of topic,http,wakeup (default: all three): (a) topic drain, (b) http drain through one loopback
#              sink, (c) idle wake-up (enqueue to receipt at the load generator's own sink)
#   --rounds N interleaved rounds (default 3); --drain N tasks of the topic drain (default 50,000, warm-up a fifth);
#   --http N   tasks of the http drain (default 10,000, warm-up half); --wakeups N (default 30)
#   --queue-max-concurrent N  the drained queues' maxConcurrent (default 256, as duel.sh)
# Environment: PGHOST, PGPORT, PGUSER, PGPASSWORD; HEAP (1g); DISPATCH_MAX_dash_CONCURRENT (128, as duel.sh).
# Bounded: each drain stops at 90 s. Loopback only. Figures and logs under bench/results/ab-<time>/ (gitignored).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
ROUNDS=3; DRAIN=50000; HTTP=10000; WAKEUPS=30; PHASES=topic,http,wakeup; QUEUE_MAX=256
SIDES=()
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=${2:?}; shift ;;
        --drain) DRAIN=${2:?}; shift ;;
        --http) HTTP=${2:?}; shift ;;
        --wakeups) WAKEUPS=${2:?}; shift ;;
        --phases) PHASES=${2:?}; shift ;;
        --queue-max-concurrent) QUEUE_MAX=${2:?}; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "ab.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) SIDES+=("$1") ;;
    esac
    shift
done
[ "${#SIDES[@]}" = 2 ] || { echo "ab.sh: give two builds, A and B (see --help)" >&2; exit 2; }
for n in "$ROUNDS" "$DRAIN" "$HTTP" "$WAKEUPS" "$QUEUE_MAX"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "ab.sh: $n is not a positive whole number" >&2; exit 2; }
done

die() { echo "ab.sh: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }
source "$ROOT/bench/lib.sh"
bench_defaults

DIRS=(); ENVS=()
for side in "${SIDES[@]}"; do
    dir=${side%%@*}
    [ -f "$dir/spindle.jar" ] && [ -d "$dir/libs" ] || die "$dir holds no spindle.jar and libs/"
    DIRS+=("$(cd "$dir" && pwd)")
    if [[ "$side" == *@* ]]; then ENVS+=("${side#*@}"); else ENVS+=(""); fi
done
build_loadgen
LOADGEN=bench/loadgen/target/loadgen.jar

RUN=$ROOT/bench/results/ab-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN"
DB=spindle_ab_$$
SPINDLE_PID=""; SINK_PID=""
cleanup() {
    if [ -n "$SPINDLE_PID" ] && kill -0 "$SPINDLE_PID" 2>/dev/null; then stop_spindle; fi
    if [ -n "$SINK_PID" ]; then kill "$SINK_PID" 2>/dev/null || true; fi
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

java -Xmx512m -XX:+UseSerialGC -jar "$LOADGEN" sink --url-file "$RUN/sink.url" > "$RUN/sink.log" 2>&1 &
SINK_PID=$!
for _ in $(seq 100); do [ -s "$RUN/sink.url" ] && break; sleep 0.1; done
[ -s "$RUN/sink.url" ] || die "the sink did not start (see $RUN/sink.log)"
SINK=$(tr -d '\n' < "$RUN/sink.url")

COMMON=(--clk-tck "$(getconf CLK_TCK)" --psql psql --queue-max-concurrent "$QUEUE_MAX" --drain-timeout 90
        --drain-warmup-timeout 60 --wakeups "$WAKEUPS" --wakeup-gap-ms 100 --wakeup-settle 1)
for round in $(seq "$ROUNDS"); do
    for i in 0 1; do
        label=$([ "$i" = 0 ] && echo A || echo B)
        say "round $round/$ROUNDS: $label (${SIDES[$i]})"
        psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
        envs=() heap=$HEAP
        [ -n "${ENVS[$i]}" ] && IFS=, read -r -a envs <<< "${ENVS[$i]}"
        for e in "${envs[@]}"; do [[ "$e" == HEAP=* ]] && heap=${e#HEAP=}; done # the side's own heap, e.g. DIR@HEAP=256m
        launch_spindle "${DIRS[$i]}/spindle.jar" "$DB" "$RUN/$label-r$round.log" "${envs[@]}" -- -Xmx"$heap"
        out=$RUN/$label-r$round.kv
        : > "$out"
        for phase in ${PHASES//,/ }; do
            case "$phase" in
                topic) args=(--phases drain-topic --drain-tasks "$DRAIN" --drain-warmup-tasks $((DRAIN / 5))) ;;
                http) args=(--phases drain --drain-tasks "$HTTP" --drain-warmup-tasks $((HTTP / 2)) --sink-url "$SINK") ;;
                wakeup) args=(--phases wakeup) ;;
                *) die "unknown phase $phase" ;;
            esac
            timeout 300 java -Xmx512m -XX:+UseSerialGC -jar "$LOADGEN" run --target "$SPINDLE_URL" --pid "$SPINDLE_PID" \
                --db "$DB" --label "$label r$round $phase" --out "$out.part" "${COMMON[@]}" "${args[@]}" \
                2>>"$RUN/$label-r$round.loadgen.log" || echo "ab.sh: WARNING: loadgen failed ($label r$round $phase)" >&2
            cat "$out.part" >> "$out" 2>/dev/null || true
            rm -f "$out.part"
        done
        stop_spindle
        grep -E '\.(tasks_per_s|median_ms|max_ms)=' "$out" | sed 's/^/   /' >&2 || true
    done
done

# The medians: every numeric key of the figures files, A against B.
python3 - "$RUN" "$ROUNDS" "${SIDES[0]}" "${SIDES[1]}" <<'EOF' | tee "$RUN/table.md"
import sys, statistics, os
run, rounds, a_name, b_name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def figures(label):
    per_key = {}
    for r in range(1, rounds + 1):
        path = os.path.join(run, f"{label}-r{r}.kv")
        if not os.path.exists(path):
            continue
        for line in open(path):
            key, _, value = line.strip().partition("=")
            if key.endswith(("tasks_per_s", "median_ms", "max_ms", "p99_ms")):
                try:
                    per_key.setdefault(key, []).append(float(value))
                except ValueError:
                    pass
    return {k: statistics.median(v) for k, v in per_key.items()}
a, b = figures("A"), figures("B")
print(f"A = {a_name}\nB = {b_name}\n")
print("| figure (median of rounds) | A | B | B/A |\n|---|---|---|---|")
for key in sorted(set(a) | set(b)):
    va, vb = a.get(key), b.get(key)
    ratio = f"{vb / va:.2f}x" if va and vb else "-"
    print(f"| {key} | {va if va is not None else '-':,} | {vb if vb is not None else '-':,} | {ratio} |")
EOF
echo "(figures and logs in ${RUN#"$ROOT"/})"
