-- Schedules (sqlite): recurring invoices and statement schedules, performed
-- by the daily run (`Store::run_schedules`). Dates are day numbers; money
-- is BIGINT minor units; JSON lists are TEXT; times are
-- YYYY-MM-DDTHH:MM:SSZ text.

-- A template billed on a schedule (dun-core schedule.rs, canonical text
-- such as 'monthly:1'). `next_date` is the first occurrence not performed
-- yet (NULL once ended); status is active, paused or ended.
CREATE TABLE recurring_invoices (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    currency TEXT NOT NULL,
    lines TEXT NOT NULL,
    terms TEXT NOT NULL,
    description TEXT NOT NULL,
    schedule TEXT NOT NULL,
    starts_on BIGINT NOT NULL,
    ends_on BIGINT,
    next_date BIGINT,
    last_issued_date BIGINT,
    status TEXT NOT NULL,
    send_email BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX recurring_invoices_due ON recurring_invoices (org_id, status, next_date);

-- What each performed occurrence of a template gave: 'issued' (invoice_id
-- is the invoice) or 'refused' (the credit check refused it; invoice_id is
-- the draft left for a person). Unique: an occurrence is performed once.
CREATE TABLE recurring_occurrences (
    org_id BIGINT NOT NULL,
    recurring_id BIGINT NOT NULL REFERENCES recurring_invoices (id),
    occurrence BIGINT NOT NULL,
    invoice_id BIGINT REFERENCES invoices (id),
    outcome TEXT NOT NULL,
    missed BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, recurring_id, occurrence)
);

-- One statement schedule per customer; status is active, paused or ended.
CREATE TABLE statement_schedules (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    schedule TEXT NOT NULL,
    next_date BIGINT,
    last_sent_date BIGINT,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, customer_id)
);
CREATE INDEX statement_schedules_due ON statement_schedules (org_id, status, next_date);
