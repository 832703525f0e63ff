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
