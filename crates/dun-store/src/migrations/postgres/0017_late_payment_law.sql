-- Late-payment law (issue 20). A customer marked as a business or a
-- consumer (NULL: the policy's default_debtor); a late-payment law charges
-- businesses only.
ALTER TABLE customers ADD COLUMN debtor TEXT;
-- The organisation's own reference rates (`dun rates reference import`),
-- beside the table shipped in dun-core (collections/reference_rates.csv); a
-- row here replaces a shipped row of the same series and day. rate_micros
-- is millionths of a percent (signed), in_force_from a day number.
CREATE TABLE reference_rates (
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    series TEXT NOT NULL,
    in_force_from BIGINT NOT NULL,
    rate_micros BIGINT NOT NULL,
    source TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, series, in_force_from)
);
