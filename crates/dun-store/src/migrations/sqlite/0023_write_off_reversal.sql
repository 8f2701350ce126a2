-- A write-off a person reverses (written off by mistake, or the debt was
-- recovered): the ledger gets an entry that puts the amount back, and the
-- write-off keeps when, why and by whom it was reversed. Nothing is
-- deleted. An unreversed write-off is one with reversed_on NULL.
ALTER TABLE write_offs ADD COLUMN reversed_on BIGINT;
ALTER TABLE write_offs ADD COLUMN reversed_reason TEXT;
ALTER TABLE write_offs ADD COLUMN reversed_by TEXT;
CREATE INDEX write_offs_by_invoice ON write_offs (org_id, invoice_id);
