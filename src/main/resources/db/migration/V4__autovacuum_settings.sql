-- Autovacuum tuned for a queue's churn, where the server's autovacuum runs. The defaults (vacuum at 20 % dead
-- rows, 50 dead + 20 % of the table's rows) suit tables that grow; a queue's tables turn every row over within
-- minutes, so at the default a table of 100,000 rows waits for 20,000 dead ones while claims walk through them.
-- Here a table is vacuumed at 1,000 dead rows plus 2 % of its rows, without cost-based sleeps (a queue's tables
-- are small; a slow vacuum is the bloat). Spindle's own maintenance duty (maintenance.*) vacuums the same
-- tables when the server's autovacuum is off.
ALTER TABLE tasks SET (
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0.05,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.05,
    autovacuum_vacuum_cost_delay = 0
);

-- One row per queue and writing backend, rewritten by every batch: a few pages, vacuumed often.
ALTER TABLE queue_counts SET (
    autovacuum_vacuum_threshold = 500,
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_cost_delay = 0
);

-- Large events live minutes; interest rows are rewritten by every instance every few seconds.
ALTER TABLE bus_events SET (
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_scale_factor = 0.05,
    autovacuum_vacuum_cost_delay = 0
);
ALTER TABLE bus_interest SET (
    autovacuum_vacuum_threshold = 100,
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_cost_delay = 0
);
