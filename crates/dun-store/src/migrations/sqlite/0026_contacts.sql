-- A customer's contacts beyond its own e-mail and phone (which stay the
-- customer's main, billing contact): any number of people or mailboxes,
-- each with a role from dun_core::customer::ContactRole (billing,
-- accounts_payable, other) and an e-mail, a phone or both. Collection
-- e-mails go to the main address and the billing contacts, with accounts
-- payable in copy (dun_core::customer::recipients).
CREATE TABLE customer_contacts (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    role TEXT NOT NULL,
    name TEXT,
    email TEXT,
    phone TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX customer_contacts_by_customer ON customer_contacts (org_id, customer_id);
-- Free text about the customer, for the people who chase it.
ALTER TABLE customers ADD COLUMN notes TEXT;
-- The payment methods the customer may pay by, comma-separated
-- (dun_core::customer::PaymentMethod); NULL: not restricted.
ALTER TABLE customers ADD COLUMN payment_methods TEXT;
-- Who a message went to in copy (comma-separated); NULL: nobody.
ALTER TABLE outbox ADD COLUMN cc TEXT;
