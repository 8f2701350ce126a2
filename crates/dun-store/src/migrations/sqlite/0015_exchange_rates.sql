-- Exchange rates the owner sets (`dun rates set EUR USD 1.08 --from DATE`),
-- used only to count what a customer owes in another currency toward a
-- credit limit (dun-core collections/credit.rs `exposure_minor`). One unit
-- of from_currency counts as rate_micros / 1,000,000 units of to_currency
-- from effective_from (a day number) on, until a later rate of the pair.
CREATE TABLE exchange_rates (
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    from_currency TEXT NOT NULL,
    to_currency TEXT NOT NULL,
    effective_from BIGINT NOT NULL,
    rate_micros BIGINT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, from_currency, to_currency, effective_from)
);
