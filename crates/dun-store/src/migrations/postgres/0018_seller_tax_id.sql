-- A seller's tax registration other than VAT (EN 16931 BT-32), e.g. a US
-- state sales-tax permit: what an e-invoice with taxed lines names when the
-- seller has no VAT identifier.
ALTER TABLE organisations ADD COLUMN tax_id TEXT;
