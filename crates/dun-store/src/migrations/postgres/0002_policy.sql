-- The credit policy, one row per version: the document as the owner wrote
-- it, what changed from the version before (a JSON list of sentences), who
-- and when. Versions are never updated or deleted.
CREATE TABLE policy_versions (
    org_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    document TEXT NOT NULL,
    changes TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, version)
);
