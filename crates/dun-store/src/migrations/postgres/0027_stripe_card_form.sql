-- The card form on the portal (issue 19): the organisation's Stripe
-- publishable key (pk_…, public by design: Stripe.js in the customer's
-- browser is given it) and each PaymentIntent's client secret, which the
-- payment page hands Stripe.js to confirm that one intent. The client
-- secret is not exported with the book.
ALTER TABLE organisations ADD COLUMN stripe_publishable_key TEXT;
ALTER TABLE stripe_intents ADD COLUMN client_secret TEXT;
