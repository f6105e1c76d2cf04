-- Idempotent: the Job may run again whenever Flux recreates it.
CREATE TABLE IF NOT EXISTS visits (
    id         bigserial   PRIMARY KEY,
    pod        text        NOT NULL,
    visited_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS visits_visited_at ON visits (visited_at);
