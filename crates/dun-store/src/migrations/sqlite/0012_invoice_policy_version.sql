-- An invoice prints the late-payment terms of the policy version in force
-- when it was issued, so it records that version at issue. Invoices issued
-- before this column existed get the latest version created on or before
-- their issue date, else the organisation's current version.
ALTER TABLE invoices ADD COLUMN policy_version BIGINT;
UPDATE invoices SET policy_version = COALESCE(
    (SELECT MAX(p.version) FROM policy_versions p
     WHERE p.org_id = invoices.org_id
       AND substr(p.created_at, 1, 10) <= date(invoices.issue_date * 86400, 'unixepoch')),
    (SELECT MAX(p.version) FROM policy_versions p WHERE p.org_id = invoices.org_id))
WHERE status <> 'draft';
