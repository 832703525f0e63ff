-- The topic bus between instances. Both tables hold only transient data, so they are UNLOGGED (no WAL; emptied
-- after a crash, which costs nothing but a few seconds of cross-instance interest).

-- Events too large for one NOTIFY payload: the notification carries the id, the receivers read the row.
-- Rows are deleted a few minutes after they were written.
CREATE UNLOGGED TABLE bus_events (
    id          uuid        PRIMARY KEY,
    topic       text        NOT NULL,
    type        text        NOT NULL,
    data        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bus_events_created ON bus_events (created_at);

-- Which topics each instance has subscribers for: other instances forward only those topics' events. Each
-- instance refreshes its row periodically; the row of an instance that stopped refreshing (crashed) expires.
CREATE UNLOGGED TABLE bus_interest (
    instance    text        PRIMARY KEY,
    topics      text[]      NOT NULL,
    expires_at  timestamptz NOT NULL
);
