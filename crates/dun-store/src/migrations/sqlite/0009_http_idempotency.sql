-- Idempotency of HTTP requests (SQLite): the first answer to a POST sent
-- with an Idempotency-Key, replayed to any repeat. Scoped by the caller's
-- credential (a hash of it), so keys of different callers never meet.
-- Rows are kept for a day, then swept.
CREATE TABLE http_requests (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    -- NULL while the first request is still being answered.
    status BIGINT,
    content_type TEXT,
    body TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX http_requests_by_age ON http_requests (created_at);
