package io.spindle.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything Spindle is configured with, validated once by {@link SettingsLoader}.
 */
public record Settings(Server server, Db db, Shutdown shutdown, Health health) {

    /** The HTTP listener. */
    public record Server(String host, int port, long maxPayload) {
    }

    /** PostgreSQL: an external server when {@code url} is present, else the embedded one. */
    public record Db(Optional<String> url, String username, String password, Pool pool, Embedded embedded) {
    }

    /** HikariCP pool bounds and timeouts. */
    public record Pool(int maxSize,
                       int minIdle,
                       Duration acquireTimeout,
                       Duration idleTimeout,
                       Duration maxLifetime,
                       Duration socketTimeout) {
    }

    /** The embedded PostgreSQL used when no {@code db.url} is set. */
    public record Embedded(Path dataDir, int port) {
    }

    /** How long in-flight work may run on after shutdown begins. */
    public record Shutdown(Duration grace) {
    }

    /** How long readiness waits for the database before it reports DOWN. */
    public record Health(Duration dbTimeout) {
    }
}
