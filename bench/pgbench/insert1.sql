-- PostgreSQL's limit for single enqueues: one INSERT per transaction (autocommit), on a table with
-- Spindle's `tasks` DDL and indexes (the migrations are applied to the scratch database).
INSERT INTO tasks (queue, payload, max_attempts) VALUES ('bench', '{"n": 1}', 5);
