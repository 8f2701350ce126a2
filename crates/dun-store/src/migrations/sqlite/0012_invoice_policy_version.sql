-- An invoice prints the late-payment terms of the policy version in force
-- when it was issued, so it records that version at issue. Invoices issued
-- before this column existed have none: `Store::invoice_policy` reads for
-- them the latest version made on or before their issue date, else the
-- current one.
ALTER TABLE invoices ADD COLUMN policy_version BIGINT;
