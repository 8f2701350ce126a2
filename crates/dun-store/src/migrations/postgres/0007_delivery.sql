-- Delivery (postgres): what the outbox needs to send a message once, the
-- organisation's editable message templates, and the secret that signs its
-- customers' portal links. Dates are day numbers; times are
-- YYYY-MM-DDTHH:MM:SSZ text.

-- What a message is about: 'dunning' (the run's reminders and notices),
-- 'invoice', 'credit_note' (invoice_id names the document) or 'statement'
-- (period_start..period_end, inclusive day numbers).
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'dunning';
ALTER TABLE outbox ADD COLUMN invoice_id BIGINT;
ALTER TABLE outbox ADD COLUMN period_start BIGINT;
ALTER TABLE outbox ADD COLUMN period_end BIGINT;
-- The Message-ID header, assigned when the row is written and never changed.
ALTER TABLE outbox ADD COLUMN message_id TEXT;
-- The address it went (or goes) to, fixed when the worker claims it.
ALTER TABLE outbox ADD COLUMN recipient TEXT;
-- The worker that claimed the row for its SMTP transaction, and when.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_at TEXT;
-- After a temporary failure: not before this time.
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
CREATE INDEX outbox_by_status ON outbox (org_id, status, id);

-- The organisation's own wording of a message, by template name
-- ('reminder', 'first_notice', 'final_demand', 'invoice', 'statement', …).
-- A name without a row uses the built-in default.
CREATE TABLE message_templates (
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, name)
);

-- The key of the HMAC that signs portal links; 64 hex digits, written on
-- first use (random from the operating system).
ALTER TABLE organisations ADD COLUMN portal_secret TEXT;
