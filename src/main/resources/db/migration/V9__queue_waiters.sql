-- The instances that a queue's shared bound (maxConcurrent) held back lately, and when each last claimed: while
-- others wait, a claim takes no more than its fair share of the queue's slots (docs/architecture.md, flow control).
ALTER TABLE queue_flow ADD COLUMN waiters text[] NOT NULL DEFAULT '{}';
ALTER TABLE queue_flow ADD COLUMN waited_at timestamptz[] NOT NULL DEFAULT '{}';
