# syntax=docker/dockerfile:1
# Spindle: build with Maven, run on a JRE as a non-root user.
#   docker build -t spindle .
#   docker run --rm -p 8080:8080 -e DB_URL=jdbc:postgresql://db-host:5432/spindle -e DB_USERNAME=... -e DB_PASSWORD=... spindle
# The image carries no embedded PostgreSQL: without DB_URL it exits at once with code 2 and one line saying so.

# --- stage 1: build target/spindle.jar and target/libs/ ---
FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /build
# The pom alone first, so the dependency layer is reused while only sources change.
COPY pom.xml .
RUN --mount=type=cache,target=/root/.m2 mvn -B -q dependency:go-offline || true
COPY src ./src
# -Pcontainer: no embedded PostgreSQL binaries in libs/ (88 of 103 MB); the image runs on DB_URL only
RUN --mount=type=cache,target=/root/.m2 mvn -B -DskipTests -Pcontainer package

# --- stage 2: the runtime image ---
FROM eclipse-temurin:21-jre
RUN groupadd --system --gid 10001 spindle \
    && useradd --system --uid 10001 --gid spindle --home-dir /app --no-create-home --shell /usr/sbin/nologin spindle
WORKDIR /app
COPY --from=build /build/target/libs/ ./libs/
COPY --from=build /build/target/spindle.jar ./spindle.jar
COPY config/ ./config/
USER spindle
ENV SERVER_HOST=0.0.0.0
# Protected mode: listening on 0.0.0.0 with no API key configured, Spindle refuses to start unless this is true.
# Configure keys (security.api-keys in config/, or SECURITY_API_dash_KEYS_0_NAME, ..._ROLES, ..._KEY_dash_ENV
# and the variable it names), or run with -e SECURITY_ANONYMOUS=true to serve anyone who can reach the port.
ENV SECURITY_ANONYMOUS=false
EXPOSE 8080
# The JRE image does not promise curl or wget; bash's /dev/tcp does a plain HTTP GET and wants a 200.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${SERVER_PORT:-8080} && printf 'GET /observe/health/ready HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# Exec form: java is PID 1 and gets SIGTERM directly, so the shutdown hook runs on `docker stop`.
ENTRYPOINT ["java", "-jar", "spindle.jar"]
