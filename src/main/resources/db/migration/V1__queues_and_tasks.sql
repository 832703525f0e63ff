-- Queues: one row per queue's configuration.
CREATE TABLE queues (
    name            text        PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_-]{1,64}$'),
    handler         jsonb       NOT NULL,
    max_concurrent  integer     NOT NULL CHECK (max_concurrent > 0),
    rate_permits    integer     CHECK (rate_permits > 0),
    rate_period_ms  bigint      CHECK (rate_period_ms > 0),
    max_attempts    integer     NOT NULL CHECK (max_attempts > 0),
    min_backoff_ms  bigint      NOT NULL CHECK (min_backoff_ms >= 0),
    max_backoff_ms  bigint      NOT NULL CHECK (max_backoff_ms >= min_backoff_ms),
    retention_ms    bigint      NOT NULL CHECK (retention_ms >= 0),
    paused          boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((rate_permits IS NULL) = (rate_period_ms IS NULL))
);

-- Tasks: every task of every queue, from enqueue until retention deletes it.
CREATE TABLE tasks (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue           text        NOT NULL REFERENCES queues (name) ON DELETE CASCADE,
    state           text        NOT NULL DEFAULT 'pending'
                                CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    payload         jsonb       NOT NULL,
    priority        smallint    NOT NULL DEFAULT 0 CHECK (priority BETWEEN -100 AND 100),
    run_at          timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts    integer     NOT NULL CHECK (max_attempts > 0),
    idempotency_key text,
    last_error      text,
    result          jsonb,
    lease_owner     text,
    lease_until     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

-- Claiming: due pending tasks of a queue, highest priority first, then earliest run_at.
CREATE INDEX tasks_claim ON tasks (queue, priority DESC, run_at, id) WHERE state = 'pending';
-- The next due time of any queue, for the dispatcher's timed wait.
CREATE INDEX tasks_next_run ON tasks (run_at) WHERE state = 'pending';
-- Rescue of expired leases.
CREATE INDEX tasks_lease ON tasks (lease_until) WHERE state = 'running';
-- Retention: finished tasks of a queue by age.
CREATE INDEX tasks_finished ON tasks (queue, finished_at) WHERE finished_at IS NOT NULL;
-- Listing (newest first, optionally by state) and per-state counts.
CREATE INDEX tasks_queue_state_id ON tasks (queue, state, id);
CREATE INDEX tasks_queue_id ON tasks (queue, id);
-- Idempotency: one live task per key and queue (retention frees the key).
CREATE UNIQUE INDEX tasks_queue_key ON tasks (queue, idempotency_key) WHERE idempotency_key IS NOT NULL;

INSERT INTO queues (name, handler, max_concurrent, max_attempts, min_backoff_ms, max_backoff_ms, retention_ms)
VALUES ('default', '{"type": "log"}', 10, 5, 1000, 300000, 604800000);
