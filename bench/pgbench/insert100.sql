-- PostgreSQL's limit for batch enqueues: one 100-row INSERT per transaction (autocommit).
INSERT INTO tasks (queue, payload, max_attempts) SELECT 'bench', '{"n": 1}', 5 FROM generate_series(1, 100);
