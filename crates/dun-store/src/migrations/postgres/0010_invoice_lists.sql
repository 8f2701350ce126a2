-- Invoice lists, newest first: the organisation's invoices, or one
-- customer's, in id order. Without them a list of 50 sorted every invoice
-- of the book (1.8 s on a 1,000,000-invoice book).
CREATE INDEX invoices_by_org ON invoices (org_id, id);
CREATE INDEX invoices_by_customer ON invoices (org_id, customer_id, id);
-- Drafts or void invoices only: by status, newest first.
CREATE INDEX invoices_by_status ON invoices (org_id, status, id);
