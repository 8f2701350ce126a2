-- The high-volume tables (invoices, payments, ledger_entries) carry org_id
-- without a foreign key: every insert takes it from an organisation just
-- read, organisations are never deleted, and the check cost a quarter of a
-- PostgreSQL import. Customer references keep theirs.
-- Dun's first schema (SQLite). Dates are day numbers (days since
-- 1970-01-01); money is BIGINT minor units; every row names its organisation.
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    currency TEXT NOT NULL,
    timezone TEXT NOT NULL,
    invoice_prefix TEXT NOT NULL,
    next_invoice_number BIGINT NOT NULL,
    credit_note_prefix TEXT NOT NULL,
    next_credit_note_number BIGINT NOT NULL,
    aging_edges TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    ref TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    credit_limit_minor BIGINT,
    terms TEXT NOT NULL,
    status TEXT NOT NULL,
    lock_version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, ref)
);

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    number TEXT,
    currency TEXT NOT NULL,
    issue_date BIGINT NOT NULL,
    due_date BIGINT NOT NULL,
    terms TEXT NOT NULL,
    description TEXT NOT NULL,
    lines TEXT NOT NULL,
    schedule TEXT,
    installment_count BIGINT NOT NULL,
    subtotal_minor BIGINT NOT NULL,
    tax_minor BIGINT NOT NULL,
    total_minor BIGINT NOT NULL,
    status TEXT NOT NULL,
    open_minor BIGINT NOT NULL,
    last_entry_date BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, number)
);
-- Open invoices only: serves a customer's open invoices and, covering every
-- column it reads, the aging report's GROUP BY without touching the table.
CREATE INDEX invoices_open ON invoices
    (org_id, customer_id, currency, due_date, open_minor, last_entry_date, installment_count)
    WHERE open_minor <> 0;
-- Open invoices split into installments: the few the aging rebuilds.
CREATE INDEX invoices_open_split ON invoices (org_id, last_entry_date)
    WHERE open_minor <> 0 AND installment_count > 1;
-- Invoices that moved after a date: what an aging of a past date rebuilds.
CREATE INDEX invoices_by_last_entry ON invoices (org_id, last_entry_date);

CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    currency TEXT NOT NULL,
    received_date BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    method TEXT NOT NULL,
    reference TEXT NOT NULL,
    unallocated_minor BIGINT NOT NULL,
    status TEXT NOT NULL,
    -- The row of the import file this payment came from; NULL when entered.
    import_row BIGINT,
    created_at TEXT NOT NULL
);
CREATE INDEX payments_by_customer ON payments (org_id, customer_id);

CREATE TABLE credit_notes (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    number TEXT NOT NULL,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    currency TEXT NOT NULL,
    issue_date BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, number)
);

CREATE TABLE write_offs (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    currency TEXT NOT NULL,
    written_off_date BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    currency TEXT NOT NULL,
    kind TEXT NOT NULL,
    invoice_id BIGINT,
    payment_id BIGINT,
    document_id BIGINT,
    effective_date BIGINT NOT NULL,
    ar_minor BIGINT NOT NULL,
    credit_minor BIGINT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX entries_by_invoice ON ledger_entries (org_id, invoice_id);
CREATE INDEX entries_by_payment ON ledger_entries (org_id, payment_id) WHERE payment_id IS NOT NULL;

CREATE TABLE idempotency_keys (
    org_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    command TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, key)
);
