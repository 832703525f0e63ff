#!/usr/bin/env bash
# Runs the curl examples of README.md and docs/*.md against the packaged jar, and fails on an unexpected status.
#
# Usage: mvn -B -q package -DskipTests && bash docs/check-examples.sh [FILE.md ...]
#
# For each Markdown file (default: README.md and docs/*.md) it starts a fresh target/spindle.jar in a temporary
# working directory, on a fresh database, and runs the file's ```sh / ```bash blocks that call curl, in order,
# so that one example may build on the one before (task ids included). A block is checked against the fenced
# block that follows it when that one starts with a status line (`HTTP/1.1 201 Created`): the first status line
# the command prints must have that code, and the Location header and a problem's "detail" it shows must be the
# ones printed (so the examples' task ids and messages stay true). A block without one must exit 0 and print no
# 5xx status line.
# `127.0.0.1:8080` in a block becomes the started jar's port, `127.0.0.1:9000` the port of a small backend the
# script runs (it answers every POST with 200 and {"sent": true, "attempt": <Spindle-Attempt>}). A `curl -N`
# (an event stream) runs in the background for STREAM_SECONDS (3) while the blocks after it run.
#
# Not run: blocks that build, start or containerise Spindle (`mvn`, `java -jar`, `docker`, `bash bench/`).
# Directives, as HTML comments on a line of their own before a block:
#   <!-- check-examples: skip -->        do not run the next block
#   <!-- check-examples: config -->      the next ```yaml block is the file's config/application.yaml
#   <!-- check-examples: env K=V ... --> variables for the server and for every block of the file
#
# Database: with SPINDLE_TEST_DB_URL (jdbc:postgresql://host:port/db?user=u, as the tests use it) and psql, a
# database created for each file and dropped afterwards; otherwise the embedded PostgreSQL in the temporary
# directory (slower to start). KEEP=1 keeps the temporary directory (server logs, streams.log). Needs a JDK 21+ (JAVA_HOME or PATH), curl and python3 (for the backend).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
JAR=${JAR:-$ROOT/target/spindle.jar}
STREAM_SECONDS=${STREAM_SECONDS:-3}
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
[ -f "$JAR" ] || { echo "check-examples: $JAR is missing; run mvn -B package -DskipTests first" >&2; exit 2; }
command -v python3 >/dev/null || { echo "check-examples: python3 is needed for the example backend" >&2; exit 2; }

if [ "$#" -gt 0 ]; then FILES=("$@"); else FILES=(README.md docs/*.md); fi

WORK=$(mktemp -d)
SERVER_PID=
BACKEND_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    [ -n "$BACKEND_PID" ] && kill "$BACKEND_PID" 2>/dev/null
    if [ -n "${KEEP:-}" ]; then echo "check-examples: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The backend of the http-queue examples.
BACKEND_PORT=$(free_port)
python3 - "$BACKEND_PORT" >"$WORK/backend.log" 2>&1 <<'EOF' &
import http.server, json, sys
class Backend(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        body = json.dumps({"sent": True, "attempt": int(self.headers.get('Spindle-Attempt') or 0)}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Backend).serve_forever()
EOF
BACKEND_PID=$!

# Splits a Markdown file into $2/NNN.sh (a block to run), NNN.expect (the status it must answer), NNN.shown (the
# response the document shows), NNN.line,
# and $2/env and $2/config from the directives.
extract() {
    awk -v out="$2" '
        function flush() { if (n) close(out "/" sprintf("%03d", n) ".sh") }
        /^<!-- check-examples: skip -->/ { skip = 1; next }
        /^<!-- check-examples: config -->/ { config = 1; next }
        /^<!-- check-examples: env / { sub(/^<!-- check-examples: env /, ""); sub(/ *-->.*$/, ""); print > (out "/env"); next }
        !infence && /^ *```/ {
            infence = 1; lang = $0; sub(/^ *```/, "", lang); match($0, /^ */); indent = RLENGTH
            body = ""; start = NR; next
        }
        infence && /^ *```/ {
            infence = 0
            if (awaiting && body ~ /^ *HTTP\/[0-9.]+ [0-9][0-9][0-9]/) {
                split(body, first, " "); printf "%s\n", first[2] > (out "/" sprintf("%03d", n) ".expect")
                printf "%s", body > (out "/" sprintf("%03d", n) ".shown")
            }
            awaiting = 0
            if (lang == "yaml" && config) { printf "%s", body > (out "/config"); config = 0; next }
            if ((lang == "sh" || lang == "bash") && body ~ /curl/ && body !~ /(mvn |java -jar|docker|bash bench\/)/) {
                if (skip) { skip = 0; next }
                n++; printf "%s", body > (out "/" sprintf("%03d", n) ".sh"); printf "%d\n", start > (out "/" sprintf("%03d", n) ".line")
                awaiting = 1
            } else if (lang == "sh" || lang == "bash") {
                skip = 0
            }
            next
        }
        infence { line = $0; if (substr(line, 1, indent) ~ /^ *$/) line = substr(line, indent + 1); body = body line "\n" }
    ' "$1"
}

start_server() { # $1: directory
    local dir=$1 port db_env=()
    port=$(free_port)
    mkdir -p "$dir/run/config"
    [ -f "$dir/config" ] && cp "$dir/config" "$dir/run/config/application.yaml"
    if [ -n "${SPINDLE_TEST_DB_URL:-}" ] && command -v psql >/dev/null; then
        DB_NAME="spindle_docs_$$_$(basename "$dir" | tr -c "a-z0-9\n" _)"
        psql_admin -q -c "CREATE DATABASE $DB_NAME" || return 1
        db_env=(DB_URL="$(db_url "$DB_NAME")")
    fi
    (cd "$dir/run" && set -a && { [ -f "$dir/env" ] && . "$dir/env"; true; } && set +a &&
        exec env SERVER_PORT="$port" "${db_env[@]}" "$JAVA" -jar "$JAR") >"$dir/server.log" 2>&1 &
    SERVER_PID=$!
    PORT=$port
    for _ in $(seq 1 120); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/observe/health/ready" && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 1
    done
    echo "check-examples: the jar did not become ready; its log:" >&2
    tail -n 30 "$dir/server.log" >&2
    return 1
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
    if [ -n "${DB_NAME:-}" ]; then psql_admin -q -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"; DB_NAME=; fi
}

# jdbc:postgresql://host:port/db?user=u&password=p -> psql on the maintenance database, and the URL of another.
psql_admin() {
    local rest=${SPINDLE_TEST_DB_URL#jdbc:postgresql://} hostport db query user password
    hostport=${rest%%/*}; db=${rest#*/}; db=${db%%\?*}; query=${rest#*\?}
    [ "$query" = "$rest" ] && query=
    user=$(printf '%s' "$query" | tr '&' '\n' | sed -n 's/^user=//p')
    password=$(printf '%s' "$query" | tr '&' '\n' | sed -n 's/^password=//p')
    PGPASSWORD=$password psql -h "${hostport%%:*}" -p "${hostport##*:}" -U "${user:-postgres}" -d "${db:-postgres}" "$@"
}
db_url() {
    local rest=${SPINDLE_TEST_DB_URL#jdbc:postgresql://}
    local query=${rest#*\?}
    [ "$query" = "$rest" ] && query= || query="?$query"
    echo "jdbc:postgresql://${rest%%/*}/$1$query"
}

FAILED=0
CHECKED=0
for file in "${FILES[@]}"; do
    dir="$WORK/$(basename "$file" .md)-$RANDOM"
    mkdir -p "$dir"
    extract "$file" "$dir"
    blocks=$(find "$dir" -maxdepth 1 -name '*.sh' | sort)
    [ -n "$blocks" ] || continue
    echo "== $file"
    start_server "$dir" || { FAILED=$((FAILED + 1)); stop_server; continue; }
    for block in $blocks; do
        n=${block%.sh}
        line=$(cat "$n.line")
        script=$(sed -e "s/127\.0\.0\.1:8080/127.0.0.1:$PORT/g" -e "s/127\.0\.0\.1:9000/127.0.0.1:$BACKEND_PORT/g" \
                     -e "s/curl -N /curl -N --max-time $STREAM_SECONDS /g" "$block" |
                 awk '/curl -N/ { sub(/[[:space:]]*&[[:space:]]*$/, ""); print $0 " >>streams.log 2>&1 &"; print "sleep 1"; next } { print }')
        output=$(cd "$dir/run" && set -a && { [ -f "$dir/env" ] && . "$dir/env"; true; } && set +a &&
                 bash -c "$script" 2>&1)
        rc=$?
        printf "%s\n" "$output" >"$n.out"
        got=$(printf '%s\n' "$output" | sed -n 's/^HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' | head -n 1)
        CHECKED=$((CHECKED + 1))
        if [ -f "$n.expect" ]; then
            want=$(cat "$n.expect")
            problem=
            if [ "$got" != "$want" ]; then
                problem="expected status $want, got ${got:-none} (exit $rc)"
            else
                # What does not depend on the clock must be as shown: the Location header and a problem's detail.
                for pattern in '^Location: .*' '"detail":"[^"]*"'; do
                    shown=$(grep -o -e "$pattern" "$n.shown" | head -n 1)
                    actual=$(printf '%s\n' "$output" | tr -d '\r' | grep -o -e "$pattern" | head -n 1)
                    if [ -n "$shown" ] && [ "$shown" != "$actual" ]; then
                        problem="shown $shown, got ${actual:-none}"
                        break
                    fi
                done
            fi
            if [ -z "$problem" ]; then echo "ok   $file:$line ($got)"; continue; fi
            echo "FAIL $file:$line: $problem"
        else
            if [ "$rc" -eq 0 ] && ! printf '%s\n' "$output" | grep -q '^HTTP/[0-9.]* 5'; then
                echo "ok   $file:$line${got:+ ($got)}"; continue
            fi
            echo "FAIL $file:$line: exit $rc${got:+, status $got}"
        fi
        printf '%s\n' "$output" | head -n 20 | sed 's/^/     | /'
        FAILED=$((FAILED + 1))
    done
    stop_server
done
echo "check-examples: $CHECKED examples run, $FAILED failed"
[ "$FAILED" -eq 0 ]
