#!/usr/bin/env bash
# Is history free? The topic drain of bench/peers/duel.sh's scenario (a) in three variants, interleaved over the
# rounds, each on a fresh database and a fresh JVM: (1) on an empty table; (2) with N finished tasks retained in
# the drained queue itself (inserted by SQL into its paused queue, counts recounted, table vacuumed and
# analysed, as Spindle's maintenance keeps it); (3) as (2) while the load generator polls
# `GET /v1/queues/{q}` every 20 ms instead of every 100 ms. Prints the median rate of each and the ratios
# (2)/(1) (target >= 0.9) and (3)/(2) (target: polling costs < 5 %, so >= 0.95).
#
# Usage: bash bench/history.sh [--rounds N] [--drain N] [--history N]
#   --rounds N   interleaved rounds (default 3); --drain N tasks drained (default 50,000, warm-up a fifth);
#   --history N  finished tasks retained in the queue in (2) and (3) (default 1,000,000)
# Environment: PGHOST, PGPORT, PGUSER, PGPASSWORD; HEAP (1g); SPINDLE_JAR (target/spindle.jar);
#   DISPATCH_MAX_dash_CONCURRENT (128, as duel.sh). Bounded: each drain stops at 90 s. Loopback only.
#   Figures and logs under bench/results/history-<time>/ (gitignored). About 2 minutes a round.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
ROUNDS=3; DRAIN=50000; HISTORY=1000000
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=${2:?}; shift ;;
        --drain) DRAIN=${2:?}; shift ;;
        --history) HISTORY=${2:?}; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "history.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
for n in "$ROUNDS" "$DRAIN" "$HISTORY"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "history.sh: $n is not a positive whole number" >&2; exit 2; }
done

die() { echo "history.sh: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }
source "$ROOT/bench/lib.sh"
bench_defaults
JAR=${SPINDLE_JAR:-target/spindle.jar}
[ -f "$JAR" ] || die "no $JAR: build Spindle first (mvn -B package -DskipTests)"
build_loadgen
LOADGEN=bench/loadgen/target/loadgen.jar

RUN=$ROOT/bench/results/history-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN"
DB=spindle_history_$$
QUEUE=bench_drain_topic   # the queue loadgen's drain-topic phase drains (it replaces its settings, keeps its tasks)
SPINDLE_PID=""
cleanup() {
    if [ -n "$SPINDLE_PID" ] && kill -0 "$SPINDLE_PID" 2>/dev/null; then stop_spindle; fi
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

prefill() {
    curl -sf -o /dev/null -X PUT "$SPINDLE_URL/v1/queues/$QUEUE" -H 'Content-Type: application/json' \
        -d '{"handler": {"type": "topic", "topic": "bench.nobody"}, "maxConcurrent": 256}' \
        || die "cannot create the queue $QUEUE"
    curl -sf -o /dev/null -X POST "$SPINDLE_URL/v1/queues/$QUEUE/pause" || die "cannot pause the queue $QUEUE"
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<SQL || die "the history insert failed"
INSERT INTO tasks (queue, state, payload, attempts, max_attempts, finished_at, result)
SELECT '$QUEUE', 'succeeded', '{"n": 1}', 1, 5, now() - interval '1 minute', '{"status": 200}'
FROM generate_series(1, $HISTORY);
SELECT spindle_recount_queues();
VACUUM ANALYZE tasks;
SQL
}

for round in $(seq "$ROUNDS"); do
    for variant in empty history polled; do
        say "round $round/$ROUNDS: $variant"
        psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
        # the queue's retention must keep the history: 7 days, the default, is far beyond a run
        launch_spindle "$JAR" "$DB" "$RUN/$variant-r$round.log" -- -Xmx"$HEAP"
        poll=100
        if [ "$variant" != empty ]; then prefill; fi
        if [ "$variant" = polled ]; then poll=20; fi
        timeout 300 java -Xmx512m -XX:+UseSerialGC -jar "$LOADGEN" run --target "$SPINDLE_URL" --pid "$SPINDLE_PID" \
            --db "$DB" --label "$variant r$round" --out "$RUN/$variant-r$round.kv" --clk-tck "$(getconf CLK_TCK)" \
            --psql psql --queue-max-concurrent 256 --drain-timeout 90 --drain-warmup-timeout 60 \
            --phases drain-topic --drain-tasks "$DRAIN" --drain-warmup-tasks $((DRAIN / 5)) --drain-poll-ms "$poll" \
            2>>"$RUN/$variant-r$round.loadgen.log" || echo "history.sh: WARNING: loadgen failed ($variant r$round)" >&2
        stop_spindle
        grep -E '\.(tasks_per_s|stats_polls)=' "$RUN/$variant-r$round.kv" | sed 's/^/   /' >&2 || true
    done
done

python3 - "$RUN" "$ROUNDS" "$HISTORY" <<'EOF' | tee "$RUN/table.md"
import sys, statistics, os
run, rounds, history = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def rate(variant):
    rates = []
    for r in range(1, rounds + 1):
        path = os.path.join(run, f"{variant}-r{r}.kv")
        if os.path.exists(path):
            for line in open(path):
                if line.startswith("drain_topic.tasks_per_s="):
                    rates.append(float(line.split("=", 1)[1]))
    return statistics.median(rates) if rates else None, rates
e, h, p = rate("empty"), rate("history"), rate("polled")
print(f"| topic drain (median of {rounds}) | tasks/s | rounds | ratio | target |\n|---|---|---|---|---|")
print(f"| (1) empty table | {e[0]:,.0f} | {', '.join(f'{x:,.0f}' for x in e[1])} | | |")
print(f"| (2) {history:,} finished retained | {h[0]:,.0f} | {', '.join(f'{x:,.0f}' for x in h[1])} | {h[0] / e[0]:.2f}x of (1) | >= 0.9x |")
print(f"| (3) as (2), stats polled every 20 ms | {p[0]:,.0f} | {', '.join(f'{x:,.0f}' for x in p[1])} | {p[0] / h[0]:.2f}x of (2) | >= 0.95x |")
EOF
echo "(figures and logs in ${RUN#"$ROOT"/})"
