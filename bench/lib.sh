# Shared by the bench scripts (sourced, not run). The caller defines die() first.

# The major version of the java at $1 (8 for "1.8.0_x", 25 for "25.0.3").
java_major() {
    local version
    version=$("$1" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1) || true
    case "$version" in
        1.*) echo "${version#1.}" | cut -d. -f1 ;;
        ?*) echo "$version" | cut -d. -f1 | cut -d- -f1 | cut -d+ -f1 ;;
    esac
}

# The newest JDK >= 21 among $JAVA_HOME and /usr/lib/jvm/*; prints nothing and fails when there is none.
find_java_home() {
    local best="" best_major=0 candidate major
    local candidates=()
    [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
    if [ -d /usr/lib/jvm ]; then
        while IFS= read -r candidate; do candidates+=("$candidate"); done \
            < <(find /usr/lib/jvm -mindepth 1 -maxdepth 1 \( -type d -o -type l \) | sort -V -r)
    fi
    for candidate in "${candidates[@]}"; do
        [ -x "$candidate/bin/javac" ] || continue
        major=$(java_major "$candidate/bin/java")
        if [ -n "$major" ] && [ "$major" -gt "$best_major" ]; then best=$(readlink -f "$candidate"); best_major=$major; fi
    done
    [ "$best_major" -ge 21 ] && echo "$best"
}

# Puts the newest JDK >= 21 first on PATH, or dies.
use_newest_jdk() {
    JAVA_HOME=$(find_java_home) || die "no JDK 21 or newer found under JAVA_HOME or /usr/lib/jvm"
    export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
}

# A loopback TCP port nothing listens on.
free_port() {
    local port
    while true; do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
}

# Launches a Spindle jar in the background on database $2 of $PGHOST:$PGPORT as $PGUSER (PGPASSWORD), on a free
# loopback port, its output in $3, and waits until /observe/health/ready answers 200 (at most 120 s). Arguments
# NAME=value after the log are more environment for it; those after `--` are java options (before -jar).
# Sets SPINDLE_PID and SPINDLE_URL. Usage: launch_spindle JAR DB LOG [NAME=value ...] [-- JAVA_OPTION ...]
launch_spindle() {
    local jar=$1 db=$2 log=$3 port code started envs=()
    shift 3
    while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    port=$(free_port)
    env DB_URL="jdbc:postgresql://${PGHOST:-127.0.0.1}:${PGPORT:-5432}/$db" DB_USERNAME="${PGUSER:-postgres}" \
        DB_PASSWORD="${PGPASSWORD:-}" SERVER_PORT="$port" "${envs[@]}" \
        java "$@" -jar "$jar" >"$log" 2>&1 </dev/null &
    SPINDLE_PID=$!
    SPINDLE_URL="http://127.0.0.1:$port"
    started=$SECONDS
    while true; do
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$SPINDLE_URL/observe/health/ready" || true)
        [ "$code" = 200 ] && break
        kill -0 "$SPINDLE_PID" 2>/dev/null || { cat "$log" >&2; die "Spindle exited before it was ready"; }
        [ $((SECONDS - started)) -lt 120 ] || { cat "$log" >&2; die "Spindle was not ready within 120 s"; }
        sleep 0.1
    done
}

# Stops the Spindle of launch_spindle: SIGTERM, then SIGKILL after 60 s.
stop_spindle() {
    local waited=0
    kill -TERM "$SPINDLE_PID" 2>/dev/null || true
    while kill -0 "$SPINDLE_PID" 2>/dev/null && [ "$waited" -lt 600 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$SPINDLE_PID" 2>/dev/null; then
        echo "WARNING: Spindle did not stop within 60 s of SIGTERM; killing it" >&2
        kill -KILL "$SPINDLE_PID" 2>/dev/null || true
    fi
    wait "$SPINDLE_PID" 2>/dev/null || true
    SPINDLE_PID=""
}

# Builds target/spindle.jar when $1 is 1 or the jar is missing (else warns, as $2, when sources are newer), and
# bench/loadgen/target/loadgen.jar when missing or older than its sources. Run from the repository root.
build_jars() {
    local build=$1 me=$2
    if [ "$build" = 1 ] || [ ! -f target/spindle.jar ]; then
        echo "== building Spindle (mvn -B -q package -DskipTests)" >&2
        mvn -B -q package -DskipTests </dev/null >&2 || die "the Spindle build failed"
    elif [ -n "$(find src pom.xml -newer target/spindle.jar -type f 2>/dev/null | head -n 1)" ]; then
        echo "$me: WARNING: sources are newer than target/spindle.jar; add --build to measure them" >&2
    fi
    build_loadgen
}

# Builds bench/loadgen/target/loadgen.jar when missing or older than its sources. Run from the repository root.
build_loadgen() {
    local loadgen=bench/loadgen/target/loadgen.jar
    if [ ! -f "$loadgen" ] || [ -n "$(find bench/loadgen/src bench/loadgen/pom.xml -newer "$loadgen" -type f | head -n 1)" ]; then
        echo "== building the load generator (bench/loadgen)" >&2
        (cd bench/loadgen && mvn -B -q package </dev/null >&2) || die "the bench/loadgen build failed"
    fi
}

# The environment every bench script runs with: the newest JDK, PostgreSQL's address, the heap and the
# dispatcher's concurrency of bench/peers/duel.sh (HEAP 1g, dispatch.max-concurrent 128 unless set).
bench_defaults() {
    use_newest_jdk
    HEAP=${HEAP:-1g}
    export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
    export DISPATCH_MAX_dash_CONCURRENT=${DISPATCH_MAX_dash_CONCURRENT:-128}
}
