// Dun: the card form on the portal's payment page (/portal/…/pay/pi_…).
//
// Stripe.js (loaded just before this, from the server's stripe_js_url)
// puts the card fields in the page; the card number never reaches Dun.
// The PaymentIntent was made by Dun's server; this confirms it with its
// client secret, then reloads the payment's page, which says what the
// book knows: the payment is posted by Stripe's signed webhook alone,
// never by what this script is told.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof Stripe !== "function") return;
  var key = form.getAttribute("data-publishable-key");
  var secret = form.getAttribute("data-client-secret");
  var statusUrl = form.getAttribute("data-status-url");
  var errors = document.getElementById("card-errors");
  var button = document.getElementById("card-pay");
  var stripe = Stripe(key);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  form.hidden = false;

  function refuse(message) {
    errors.textContent = message;
    errors.hidden = false;
    button.disabled = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errors.hidden = true;
    button.disabled = true;
    stripe
      .confirmCardPayment(secret, { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          var said = result.error.message || result.error.code || "";
          refuse("Your card was not charged. " + said);
        } else {
          window.location.assign(statusUrl);
        }
      }, function () {
        refuse("The card payment service could not be reached. Your card was not charged.");
      });
  });
})();
