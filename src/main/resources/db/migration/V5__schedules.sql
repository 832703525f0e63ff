-- Schedules (SPEC §9): each creates one task of its queue at each of its fire times. next_fire is the one fire time
-- still to come; the scheduler of any instance creates its task and moves next_fire on in one statement guarded by
-- next_fire's value, so each fire time yields one task however many instances run (docs/architecture.md#schedules).
CREATE TABLE schedules (
    queue        text        NOT NULL REFERENCES queues (name) ON DELETE CASCADE,
    name         text        NOT NULL CHECK (name ~ '^[A-Za-z0-9_-]{1,64}$'),
    cron         text,
    every_ms     bigint      CHECK (every_ms >= 1000),
    timezone     text        NOT NULL,
    payload      json        NOT NULL,
    priority     smallint    NOT NULL CHECK (priority BETWEEN -100 AND 100),
    catch_up     text        NOT NULL CHECK (catch_up IN ('none', 'last')),
    paused       boolean     NOT NULL DEFAULT false,
    next_fire    timestamptz NOT NULL,
    last_fire    timestamptz,
    last_task_id bigint,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue, name),
    CHECK ((cron IS NULL) <> (every_ms IS NULL))
);
-- The scheduler's questions: which schedules are due, and when the next one is.
CREATE INDEX schedules_due ON schedules (next_fire) WHERE NOT paused;

-- The schedule that created a task, if one did (shown as the task's "schedule").
ALTER TABLE tasks ADD COLUMN schedule text;
