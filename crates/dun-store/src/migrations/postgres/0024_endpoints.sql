-- The electronic address e-invoices are delivered to (Peppol; EN 16931
-- BT-34 for the seller, BT-49 for the buyer), as SCHEME:ID — the scheme
-- from the EAS code list. NULL: none set.
ALTER TABLE organisations ADD COLUMN endpoint TEXT;
ALTER TABLE customers ADD COLUMN endpoint TEXT;
