-- Escalation reviews a person decided (dun-core collections/escalation.rs):
-- handed to an agency (`agency`), to a lawyer (`legal`), written off
-- (`write_off`) or `rejected`. One decision per review task. What was open
-- when it was handed over is kept per currency (JSON: [{"currency": "EUR",
-- "amount_minor": 12345}]), so payments that arrive later can be reported
-- to the agency against it.
CREATE TABLE escalations (
    org_id BIGINT NOT NULL,
    task_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_on BIGINT NOT NULL,
    handed_over TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, task_id)
);
CREATE INDEX escalations_customer ON escalations (org_id, customer_id, decided_on);
-- A customer's timeline is read in the order things happened: the day,
-- then the order they were recorded (`Store::timeline`).
CREATE INDEX timeline_by_day ON timeline (org_id, customer_id, on_date, id);
-- The books are closed through this day (a day number; NULL: none is):
-- a posting dated on or before it is refused (`entries::insert`). Who
-- closed them and when; every close and reopen is kept in period_closes.
ALTER TABLE organisations ADD COLUMN closed_through BIGINT;
ALTER TABLE organisations ADD COLUMN closed_by TEXT;
ALTER TABLE organisations ADD COLUMN closed_at TEXT;
CREATE TABLE period_closes (
    org_id BIGINT NOT NULL,
    closed_through BIGINT,
    reason TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX period_closes_by_org ON period_closes (org_id, created_at);
