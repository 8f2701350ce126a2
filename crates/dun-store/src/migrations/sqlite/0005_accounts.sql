-- Accounts (SQLite): who may use an organisation's book, and how they prove
-- it. Secrets (passwords, tokens, sessions) are stored only as hashes.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    -- Lower-cased; one account per address across all organisations.
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- An argon2id PHC string.
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- A user's role in one organisation: owner, collector or viewer.
CREATE TABLE memberships (
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

-- API tokens: scoped to one organisation, with a role no higher than their
-- creator's; the secret is shown once and kept as its SHA-256.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    -- The first characters of the secret, to tell tokens apart in a list.
    prefix TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX api_tokens_by_org ON api_tokens (org_id, id);

-- Browser sessions: one organisation each, expiring.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    secret_sha256 TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- The daily run of each organisation: claimed once per date by one server
-- process; a claim whose heartbeat is stale may be taken over.
CREATE TABLE run_claims (
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    run_date BIGINT NOT NULL,
    claimed_by TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT,
    PRIMARY KEY (org_id, run_date)
);

-- The local time of day at which the server runs an organisation's
-- collections, as HH:MM in its time zone.
ALTER TABLE organisations ADD COLUMN run_at TEXT NOT NULL DEFAULT '06:00';
