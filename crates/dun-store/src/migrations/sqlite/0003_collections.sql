-- Collections (SQLite): what the daily run did, what people recorded, and
-- the customer's credit standing. Dates are day numbers; money is BIGINT
-- minor units; JSON lists are TEXT.

-- Credit standing kept on the customer. `status` (0001) is active,
-- cod_required, on_hold or do_not_serve.
ALTER TABLE customers ADD COLUMN status_by_policy BIGINT NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN paused_until BIGINT;
ALTER TABLE customers ADD COLUMN tier TEXT NOT NULL DEFAULT 'new';
ALTER TABLE customers ADD COLUMN tier_reasons TEXT NOT NULL DEFAULT '[]';

-- One row per applied run of one organisation for one date.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    as_of BIGINT NOT NULL,
    policy_version BIGINT NOT NULL,
    actions BIGINT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL
);
CREATE INDEX runs_by_date ON runs (org_id, as_of);

-- "This was done for this subject": the run's memory. Unique, so no step,
-- fee or month of interest is ever done twice.
CREATE TABLE run_marks (
    org_id BIGINT NOT NULL,
    subject TEXT NOT NULL,
    key TEXT NOT NULL,
    done_on BIGINT NOT NULL,
    skipped BIGINT NOT NULL,
    run_id BIGINT NOT NULL,
    PRIMARY KEY (org_id, subject, key)
);

-- Every action a run applied, with the policy version and rule behind it.
CREATE TABLE run_actions (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    run_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    policy_version BIGINT NOT NULL,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX run_actions_by_run ON run_actions (org_id, run_id);

-- Customer-facing messages waiting to be delivered (the delivery worker
-- drains it). One per customer per run: every invoice concerned.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    action_id BIGINT,
    as_of BIGINT NOT NULL,
    channels TEXT NOT NULL,
    template TEXT NOT NULL,
    detail TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_pending ON outbox (org_id, status);

-- Work for people: calls, reviews, renewals.
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    due_date BIGINT NOT NULL,
    status TEXT NOT NULL,
    invoice_ids TEXT NOT NULL,
    proposals TEXT NOT NULL,
    created_by TEXT NOT NULL,
    outcome TEXT,
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX tasks_open ON tasks (org_id, status, customer_id);

-- The communication log: every message, call, reply, promise, dispute,
-- note and status change on a customer's timeline. Never updated or deleted.
CREATE TABLE timeline (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    occurred_at TEXT NOT NULL,
    on_date BIGINT NOT NULL,
    kind TEXT NOT NULL,
    author TEXT NOT NULL,
    summary TEXT NOT NULL,
    detail TEXT NOT NULL,
    invoice_ids TEXT NOT NULL
);
CREATE INDEX timeline_by_customer ON timeline (org_id, customer_id, id);

CREATE TABLE promises (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    made_on BIGINT NOT NULL,
    promised_date BIGINT NOT NULL,
    invoice_ids TEXT NOT NULL,
    status TEXT NOT NULL,
    settled_on BIGINT,
    created_at TEXT NOT NULL
);
CREATE INDEX promises_by_status ON promises (org_id, status);

CREATE TABLE disputes (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    line BIGINT,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    opened_on BIGINT NOT NULL,
    closed_on BIGINT,
    resolution TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX disputes_by_status ON disputes (org_id, status);

CREATE TABLE payment_plans (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    currency TEXT NOT NULL,
    invoice_ids TEXT NOT NULL,
    installments TEXT NOT NULL,
    created_on BIGINT NOT NULL,
    opening_minor BIGINT NOT NULL,
    status TEXT NOT NULL,
    defaulted_on BIGINT,
    created_at TEXT NOT NULL
);
CREATE INDEX payment_plans_by_status ON payment_plans (org_id, status);

-- Collateral on a customer's credit file.
CREATE TABLE collateral (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    kind TEXT NOT NULL,
    amount_minor BIGINT,
    currency TEXT,
    filed_on BIGINT,
    expires_on BIGINT,
    reference TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX collateral_by_customer ON collateral (org_id, customer_id);
