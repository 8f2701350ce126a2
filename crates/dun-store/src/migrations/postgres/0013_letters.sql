-- Letters: the PDF a step with the `letter` channel produces for its
-- outbox message, kept to be printed and posted (hex of the bytes, so both
-- engines store it as the same TEXT). One message may have one letter per
-- currency; a message's letters are written together, once.
CREATE TABLE letters (
    org_id BIGINT NOT NULL,
    outbox_id BIGINT NOT NULL,
    filename TEXT NOT NULL,
    customer_id BIGINT NOT NULL,
    pdf_hex TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, outbox_id, filename)
);
