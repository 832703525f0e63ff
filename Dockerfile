# syntax=docker/dockerfile:1
# Spindle: build with Maven, run on a Java runtime cut to the modules it uses, as a non-root user, started
# from an AOT cache made by a training run. Build with --format docker (podman) so HEALTHCHECK is kept.
#   docker build -t spindle .
#   docker run --rm -p 8080:8080 -e DB_URL=jdbc:postgresql://db-host:5432/spindle -e DB_USERNAME=... -e DB_PASSWORD=... spindle
# The image carries no embedded PostgreSQL: without DB_URL it exits at once with code 2 and one line saying so.
# docs/operations.md#running-in-a-container has every variable; container/smoke.sh builds and checks this file.

# --- stage 1: the Java runtime, the libraries, the jar ---
FROM maven:3.9-eclipse-temurin-25 AS build
# Only the modules that Spindle and its libraries use (jdeps; container/smoke.sh checks the list still covers
# them), plus jdk.jfr for flight recordings. A layer of its own that changes only with the JDK.
RUN jlink --add-modules java.base,java.compiler,java.desktop,java.naming,java.security.jgss,java.sql,jdk.management,jdk.unsupported,jdk.zipfs,jdk.jfr \
        --strip-java-debug-attributes --no-header-files --no-man-pages --compress=zip-6 --output /opt/spindle-java
WORKDIR /build
# The pom alone first: the libraries (without the embedded PostgreSQL binaries, -Pcontainer) are fetched and
# copied to target/libs/ before any source is there, so a code change leaves their layer as it is.
COPY pom.xml .
RUN --mount=type=cache,target=/root/.m2 mvn -B -q dependency:go-offline || true
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -Pcontainer dependency:copy-dependencies@copy-libs
COPY src ./src
RUN --mount=type=cache,target=/root/.m2 mvn -B -ntp -DskipTests -Pcontainer package

# --- stage 2: a training run against a throw-away PostgreSQL, which writes the AOT cache ---
# On the same base and runtime as the image, with the same files in the same places: a JVM uses an AOT cache
# only with the runtime and class path it was made with.
FROM debian:bookworm-slim AS train
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/spindle-java /opt/spindle-java
WORKDIR /app
COPY --from=build /build/target/libs/ ./libs/
COPY config/ ./config/
COPY --from=build /build/target/spindle.jar ./spindle.jar
COPY container/aot-training.sh /usr/local/bin/aot-training.sh
RUN bash /usr/local/bin/aot-training.sh /opt/spindle-java/bin/java /app/spindle.aot

# --- stage 3: the runtime image; layers from the least to the most often changed ---
FROM debian:bookworm-slim
COPY --from=build /opt/spindle-java /opt/spindle-java
ENV JAVA_HOME=/opt/spindle-java PATH=/opt/spindle-java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN groupadd --system --gid 10001 spindle \
    && useradd --system --uid 10001 --gid spindle --home-dir /app --no-create-home --shell /usr/sbin/nologin spindle
WORKDIR /app
COPY --from=build /build/target/libs/ ./libs/
COPY config/ ./config/
COPY --from=build /build/target/spindle.jar ./spindle.jar
COPY --from=train /app/spindle.aot ./spindle.aot
USER spindle
ENV SERVER_HOST=0.0.0.0
# Protected mode: listening on 0.0.0.0 with no API key configured, Spindle refuses to start unless this is true.
# Configure keys (security.api-keys in config/, or SECURITY_API_dash_KEYS_0_NAME, ..._ROLES, ..._KEY_dash_ENV
# and the variable it names), or run with -e SECURITY_ANONYMOUS=true to serve anyone who can reach the port.
ENV SECURITY_ANONYMOUS=false
EXPOSE 8080
# The image has no curl or wget; bash's /dev/tcp does a plain HTTP GET and wants a 200.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${SERVER_PORT:-8080} && printf 'GET /observe/health/ready HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# The JVM's tunable options, in the variable the java launcher reads, so `-e JDK_JAVA_OPTIONS=...` replaces
# them (options on the command line would win over anything the variable says):
# - MaxRAMPercentage=75: the heap follows the container's memory limit;
# - CompileThresholdScaling=10: a method is compiled after ten times the calls. A start runs thousands of
#   methods a few times each, and compiling them took one core of two from the start itself (ready in 940 ms,
#   757 ms with it, median of 8 here); the hot paths of a busy queue pass the higher thresholds in seconds.
ENV JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=75 -XX:CompileThresholdScaling=10"
# Exec form: java is PID 1 and gets SIGTERM directly, so the shutdown hook runs on `docker stop`.
ENTRYPOINT ["java", "-XX:AOTCache=/app/spindle.aot", "-jar", "spindle.jar"]
