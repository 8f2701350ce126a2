-- The daily run reads each customer's unapplied credit (payments with money
-- not yet allocated). Scanning every payment of the organisation for the few
-- with money left made it read the whole payments table each day (issue 21);
-- this index holds only those payments, with every column the run reads.
CREATE INDEX payments_unallocated ON payments
    (org_id, customer_id, currency, received_date, status, unallocated_minor)
    WHERE unallocated_minor > 0;
