-- Invitations and reset links (SQLite): one-time links an owner hands out.
-- Their secrets are kept only as SHA-256; each link expires, is used once,
-- and an invitation may be withdrawn before it is accepted.

-- An owner's invitation of an address to the organisation, with a role:
-- the membership is made only when the invitee accepts.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL UNIQUE,
    invited_by BIGINT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    accepted_at TEXT,
    withdrawn_at TEXT
);
CREATE INDEX invitations_by_org ON invitations (org_id, id);

-- A reset link an owner issued for a member: setting a new password
-- through it ends every session of the member's.
CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    secret_sha256 TEXT NOT NULL UNIQUE,
    issued_by BIGINT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX password_resets_by_org ON password_resets (org_id, id);
