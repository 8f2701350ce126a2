-- Daily totals (SQLite): per organisation, currency and day, what the
-- ledger's entries add to the collection figures (dun_core::figures::DayTotals),
-- written with the entries in the same transaction, so a figure of any date
-- reads a few hundred rows instead of the ledger. The rows of the books
-- already here are filled from their entries right after this migration
-- (migrate.rs, BACKFILLS), and a book's import rebuilds its own.
CREATE TABLE daily_totals (
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    currency TEXT NOT NULL,
    day BIGINT NOT NULL,
    invoiced_minor BIGINT NOT NULL,
    voided_minor BIGINT NOT NULL,
    charged_minor BIGINT NOT NULL,
    collected_minor BIGINT NOT NULL,
    credited_minor BIGINT NOT NULL,
    written_off_minor BIGINT NOT NULL,
    current_from_minor BIGINT NOT NULL,
    current_until_minor BIGINT NOT NULL,
    PRIMARY KEY (org_id, currency, day)
);
-- Invoices in installments by their last entry: those that moved after a
-- date, which the figures age part by part, without walking the others.
CREATE INDEX invoices_split_by_last_entry ON invoices (org_id, last_entry_date)
    WHERE installment_count > 1;
