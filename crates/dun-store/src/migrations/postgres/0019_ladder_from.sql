-- The day an invoice imported from another system entered Dun's collections
-- ladder (`dun import invoices --ladder-from import`): steps reached before it
-- are not Dun's to take. NULL: the ladder runs from the due date.
ALTER TABLE invoices ADD COLUMN ladder_from BIGINT;
