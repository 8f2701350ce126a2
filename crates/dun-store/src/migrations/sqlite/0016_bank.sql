-- Cash application (issue 14): bank statements imported, each booked line
-- kept once (line_key: the bank's reference, or a digest of the line with
-- its occurrence in the file), what matching or a person decided for it,
-- and the payers a person confirmed for a customer.
CREATE TABLE bank_statements (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    format TEXT NOT NULL,
    statement_ref TEXT,
    account_iban TEXT,
    file_name TEXT NOT NULL,
    lines_read BIGINT NOT NULL,
    lines_new BIGINT NOT NULL,
    opening_minor BIGINT,
    closing_minor BIGINT,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE bank_transactions (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    statement_id BIGINT NOT NULL REFERENCES bank_statements (id),
    account TEXT NOT NULL,
    line_key TEXT NOT NULL,
    bank_ref TEXT,
    booked_date BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    counterparty_name TEXT,
    counterparty_iban TEXT,
    remittance TEXT NOT NULL,
    structured_ref TEXT,
    end_to_end_id TEXT,
    return_reason TEXT,
    -- unmatched, suggested, matched, returned, not_customer, debit
    status TEXT NOT NULL,
    rule TEXT,
    customer_id BIGINT,
    payment_id BIGINT,
    -- JSON: the matcher's reasons (matched) or candidates (suggested)
    detail TEXT NOT NULL,
    decided_by TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, account, line_key)
);
CREATE INDEX bank_transactions_status ON bank_transactions (org_id, status, booked_date);
CREATE INDEX bank_transactions_e2e ON bank_transactions (org_id, end_to_end_id);
CREATE TABLE payer_accounts (
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    payer_key TEXT NOT NULL,
    customer_id BIGINT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, payer_key)
);
