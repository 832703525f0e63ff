package io.spindle.schedule;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import io.spindle.db.Database;
import io.spindle.error.SpindleException;
import io.spindle.task.QueueCounts;
import io.spindle.task.QueueStore;
import io.spindle.task.Task;
import io.spindle.task.TaskRows;

/**
 * The SQL home of schedules: their definitions, and the statement that creates a fire time's task. That statement
 * locks the schedule's row only while its {@code next_fire} still holds the fire time, creates the task and moves
 * {@code next_fire} on, all in one statement: of several instances that try the same fire time, the first one's
 * commit makes the others find nothing to do (under READ COMMITTED, a waiting {@code FOR UPDATE} re-reads the row it
 * waited for). The task's key {@code schedule:{name}:{fire time}} guards a second time.
 */
public final class ScheduleStore {
    private static final String COLUMNS = """
            s.queue, s.name, s.cron, s.every_ms, s.timezone, s.payload::text AS payload, s.priority, s.catch_up,
            s.paused, s.next_fire, s.last_fire, s.last_task_id""";

    private static final String UPSERT = """
            INSERT INTO schedules AS s (queue, name, cron, every_ms, timezone, payload, priority, catch_up, paused,
                                        next_fire)
            VALUES (?, ?, ?, ?, ?, CAST(? AS json), ?, ?, ?, ?)
            ON CONFLICT (queue, name) DO UPDATE SET
                cron = excluded.cron, every_ms = excluded.every_ms, timezone = excluded.timezone,
                payload = excluded.payload, priority = excluded.priority, catch_up = excluded.catch_up,
                paused = excluded.paused, next_fire = excluded.next_fire, updated_at = now()
            RETURNING (xmax = 0) AS inserted
            """;

    private static final String RESUME = """
            UPDATE schedules s SET paused = false, next_fire = ?, updated_at = now()
            WHERE s.queue = ? AND s.name = ?
            RETURNING %s
            """.formatted(COLUMNS);

    private static final String PAUSE = """
            UPDATE schedules s SET paused = true, updated_at = now()
            WHERE s.queue = ? AND s.name = ?
            RETURNING %s
            """.formatted(COLUMNS);

    private static final String DUE = "SELECT " + COLUMNS
            + " FROM schedules s WHERE NOT s.paused AND s.next_fire <= ? ORDER BY s.next_fire LIMIT ?";

    /**
     * Creates the task of fire time {@code fire} (parameters: schedule queue, name, the expected {@code next_fire},
     * the task key, the next fire time, the fire time, the task key again). The task row is inserted before the
     * schedule's row is updated, so that the update can record the task's id.
     */
    private static final String FIRE = """
            WITH due AS (
                SELECT s.queue, s.name, s.payload, s.priority FROM schedules s
                WHERE s.queue = ? AND s.name = ? AND s.next_fire = ? AND NOT s.paused
                FOR UPDATE
            ), inserted AS (
                INSERT INTO tasks (queue, payload, priority, max_attempts, idempotency_key, schedule, concurrency_key)
                SELECT d.queue, d.payload, d.priority, q.max_attempts, ?, d.name,
                       CASE WHEN q.key_concurrency IS NOT NULL THEN '' END -- a keyed queue's claim walks keys; '' is none
                FROM due d JOIN queues q ON q.name = d.queue
                ON CONFLICT (queue, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                RETURNING %s
            ), advanced AS (
                UPDATE schedules s SET next_fire = ?, last_fire = ?, updated_at = now(),
                    last_task_id = coalesce((SELECT id FROM inserted),
                                            (SELECT t.id FROM tasks t WHERE t.queue = s.queue AND t.idempotency_key = ?),
                                            s.last_task_id)
                FROM due d WHERE s.queue = d.queue AND s.name = d.name
                RETURNING s.name
            ), %s
            SELECT * FROM inserted
            """.formatted(TaskRows.COLUMNS, QueueCounts.adjust("SELECT queue, NULL, state FROM inserted"));

    /** Moves {@code next_fire} on without a task: the fire times that passed are skipped ({@code catchUp: none}). */
    private static final String SKIP = """
            UPDATE schedules SET next_fire = ?, updated_at = now()
            WHERE queue = ? AND name = ? AND next_fire = ? AND NOT paused
            """;

    private final Database db;

    public ScheduleStore(Database db) {
        this.db = db;
    }

    /** A schedule as stored: its definition, the fire time still to come, and its last task. */
    public record Stored(Schedule schedule, Instant nextFire, Optional<ScheduleView.LastRun> lastRun) {
    }

    /** Whether {@link #save} created the schedule or replaced an existing one. */
    public enum Saved { CREATED, REPLACED }

    /**
     * Creates or replaces a schedule in one transaction; {@code nextFire} decides its next fire time from the
     * schedule as it was (locked meanwhile), if it existed. The queue's row is locked {@code FOR NO KEY UPDATE}, so
     * that two creations cannot both pass the bound (enqueues, which lock it {@code FOR KEY SHARE}, do not wait).
     *
     * @throws SpindleException.NotFound when the queue does not exist
     * @throws SpindleException.Conflict when the queue already has {@code maxPerQueue} schedules
     */
    public Saved save(Schedule schedule, int maxPerQueue, Function<Optional<Stored>, Instant> nextFire) {
        return db.transaction(c -> {
            if (Database.list(c, "SELECT 1 FROM queues WHERE name = ? FOR NO KEY UPDATE", row -> true, schedule.queue())
                    .isEmpty()) {
                throw QueueStore.notFound(schedule.queue());
            }
            Optional<Stored> existing = lockOne(c, schedule.queue(), schedule.name());
            if (existing.isEmpty() && Database.list(c, "SELECT count(*) AS n FROM schedules WHERE queue = ?",
                                                    row -> row.getLong("n"), schedule.queue()).getFirst() >= maxPerQueue) {
                throw new SpindleException.Conflict("Queue '" + schedule.queue() + "' already has " + maxPerQueue
                                                    + " schedules, the most a queue may have.");
            }
            Instant next = nextFire.apply(existing);
            Timing timing = schedule.timing();
            boolean inserted = Database.list(c, UPSERT, row -> row.getBoolean("inserted"),
                    schedule.queue(), schedule.name(),
                    timing instanceof CronTiming cron ? cron.expression() : null,
                    timing instanceof EveryTiming every ? every.interval().toMillis() : null,
                    timing.zone().getId(), schedule.payload(), schedule.priority(), schedule.catchUp().apiName(),
                    schedule.paused(), utc(next)).getFirst();
            return inserted ? Saved.CREATED : Saved.REPLACED;
        });
    }

    public Optional<Stored> find(String queue, String name) {
        return db.first("SELECT " + COLUMNS + " FROM schedules s WHERE s.queue = ? AND s.name = ?",
                        ScheduleStore::stored, queue, name);
    }

    /** A queue's schedules by name (at most {@code limit}). */
    public List<Stored> list(String queue, int limit) {
        return db.list("SELECT " + COLUMNS + " FROM schedules s WHERE s.queue = ? ORDER BY s.name LIMIT ?",
                       ScheduleStore::stored, queue, limit);
    }

    public boolean delete(String queue, String name) {
        return db.update("DELETE FROM schedules WHERE queue = ? AND name = ?", queue, name) > 0;
    }

    public Optional<Stored> pause(String queue, String name) {
        return db.first(PAUSE, ScheduleStore::stored, queue, name);
    }

    /** Unpauses a schedule in one transaction; {@code nextFire} decides its next fire time from the locked row. */
    public Optional<Stored> resume(String queue, String name, Function<Stored, Instant> nextFire) {
        return db.transaction(c -> {
            Optional<Stored> existing = lockOne(c, queue, name);
            if (existing.isEmpty()) {
                return Optional.<Stored>empty();
            }
            return Database.list(c, RESUME, ScheduleStore::stored, utc(nextFire.apply(existing.get())), queue, name)
                    .stream().findFirst();
        });
    }

    /** The unpaused schedules whose next fire time is at or before {@code now}, earliest first. */
    public List<Stored> due(Instant now, int limit) {
        return db.list(DUE, ScheduleStore::stored, utc(now), limit);
    }

    /** The earliest next fire time of any unpaused schedule. */
    public Optional<Instant> nextFire() {
        return db.first("SELECT min(next_fire) AS next FROM schedules WHERE NOT paused",
                        row -> Optional.ofNullable(row.getObject("next", OffsetDateTime.class)).map(OffsetDateTime::toInstant))
                .flatMap(Function.identity());
    }

    /**
     * Creates the task of {@code fire} and moves the schedule's next fire time from {@code expected} to
     * {@code next}, if {@code expected} is still its next fire time; empty when another instance did it first (or the
     * schedule was paused, changed or deleted meanwhile).
     */
    public Optional<Task> fire(String queue, String name, Instant expected, Instant fire, Instant next) {
        String key = key(name, fire);
        return db.first(FIRE, TaskRows::of, queue, name, utc(expected), key, utc(next), utc(fire), key);
    }

    /** Moves the next fire time from {@code expected} to {@code next} without a task; false if it had moved. */
    public boolean skip(String queue, String name, Instant expected, Instant next) {
        return db.update(SKIP, utc(next), queue, name, utc(expected)) > 0;
    }

    /** The key of a fire time's task (SPEC §9). */
    public static String key(String name, Instant fire) {
        return "schedule:" + name + ":" + fire;
    }

    private static Optional<Stored> lockOne(Connection c, String queue, String name) throws SQLException {
        return Database.list(c, "SELECT " + COLUMNS + " FROM schedules s WHERE s.queue = ? AND s.name = ? FOR UPDATE",
                             ScheduleStore::stored, queue, name).stream().findFirst();
    }

    private static OffsetDateTime utc(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Stored stored(ResultSet row) throws SQLException {
        ZoneId zone = ZoneId.of(row.getString("timezone"));
        String cron = row.getString("cron");
        Timing timing = cron != null
                ? CronTiming.parse(cron, zone)
                : new EveryTiming(Duration.ofMillis(row.getLong("every_ms")), zone);
        Schedule schedule = new Schedule(row.getString("queue"), row.getString("name"), timing, row.getString("payload"),
                                         row.getInt("priority"), CatchUp.parse(row.getString("catch_up")).orElseThrow(),
                                         row.getBoolean("paused"));
        OffsetDateTime lastFire = row.getObject("last_fire", OffsetDateTime.class);
        long lastTask = row.getLong("last_task_id");
        Optional<ScheduleView.LastRun> lastRun = lastFire == null || row.wasNull()
                ? Optional.empty()
                : Optional.of(new ScheduleView.LastRun(lastFire.toInstant(), lastTask));
        return new Stored(schedule, row.getObject("next_fire", OffsetDateTime.class).toInstant(), lastRun);
    }
}
