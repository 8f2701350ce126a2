-- Online payment through Stripe (issue 19). The organisation's keys: the
-- secret API key Dun creates PaymentIntents with and the webhook signing
-- secret Stripe's events are verified with; never shown back or logged.
ALTER TABLE organisations ADD COLUMN stripe_secret_key TEXT;
ALTER TABLE organisations ADD COLUMN stripe_webhook_secret TEXT;
-- The PaymentIntents Dun created from the portal: one per idempotency key
-- (the same pay request twice reuses the first), with what it covers.
CREATE TABLE stripe_intents (
    org_id BIGINT NOT NULL,
    intent_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    customer_id BIGINT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    -- the invoice numbers it pays, comma-separated (as in its metadata)
    invoices TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, intent_id),
    UNIQUE (org_id, idempotency_key)
);
-- Every verified Stripe event, once: the unique key is what makes an event
-- post exactly once, whether it is delivered again or twice at the same
-- time. status: posted, refunded, reversed, failed, ignored, review.
CREATE TABLE stripe_events (
    org_id BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    -- the PaymentIntent the event is about (a charge's payment_intent)
    intent_id TEXT,
    status TEXT NOT NULL,
    payment_id BIGINT,
    amount_minor BIGINT,
    detail TEXT NOT NULL,
    -- Stripe's fee for a posted payment, in its balance's currency (which
    -- may differ from the payment's), once Stripe has said it
    fee_minor BIGINT,
    fee_currency TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, event_id)
);
CREATE INDEX stripe_events_intent ON stripe_events (org_id, intent_id);
