-- Parties: the seller's and buyers' addresses and identifiers, and how the
-- seller is paid, as invoices, statements and e-invoices name them. Every
-- column is nullable (or defaulted) so books kept before addresses existed
-- migrate as they are. `address` holds the street lines joined by a newline.

-- The seller's legal name when it differs from the organisation's name.
ALTER TABLE organisations ADD COLUMN legal_name TEXT;
ALTER TABLE organisations ADD COLUMN address TEXT;
ALTER TABLE organisations ADD COLUMN city TEXT;
ALTER TABLE organisations ADD COLUMN postcode TEXT;
ALTER TABLE organisations ADD COLUMN region TEXT;
ALTER TABLE organisations ADD COLUMN country_code TEXT;
ALTER TABLE organisations ADD COLUMN vat_id TEXT;
ALTER TABLE organisations ADD COLUMN company_id TEXT;
ALTER TABLE organisations ADD COLUMN email TEXT;
ALTER TABLE organisations ADD COLUMN phone TEXT;
ALTER TABLE organisations ADD COLUMN iban TEXT;
ALTER TABLE organisations ADD COLUMN bic TEXT;
ALTER TABLE organisations ADD COLUMN account_name TEXT;
ALTER TABLE organisations ADD COLUMN payment_note TEXT;
-- The EN 16931 VAT category of lines taxed at 0 %: Z (zero rated), E
-- (exempt), AE (reverse charge), K (intra-community), G (export), O (not
-- subject to VAT); and the exemption reason the non-Z ones need.
ALTER TABLE organisations ADD COLUMN zero_rate_category TEXT NOT NULL DEFAULT 'Z';
ALTER TABLE organisations ADD COLUMN tax_exemption_reason TEXT;

ALTER TABLE customers ADD COLUMN address TEXT;
ALTER TABLE customers ADD COLUMN city TEXT;
ALTER TABLE customers ADD COLUMN postcode TEXT;
ALTER TABLE customers ADD COLUMN region TEXT;
ALTER TABLE customers ADD COLUMN country_code TEXT;
ALTER TABLE customers ADD COLUMN vat_id TEXT;
ALTER TABLE customers ADD COLUMN company_id TEXT;
