-- How an issued invoice declares its 0 % lines (EN 16931 VAT category and
-- exemption reason), fixed when it is issued: its e-invoice never changes
-- when the organisation's setting does later. NULL (invoices issued before
-- this): the organisation's setting.
ALTER TABLE invoices ADD COLUMN zero_rate_category TEXT;
ALTER TABLE invoices ADD COLUMN tax_exemption_reason TEXT;
