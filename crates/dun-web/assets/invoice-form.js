// Dun: live totals on the draft invoice form (/invoices/new).
//
// The form works without this script ("Show totals" asks the server). The
// arithmetic is dun-core's (crates/dun-core/src/invoice.rs), ported
// exactly, in integers (BigInt), never floats:
//   quantity  = the typed number x 10^4 (at most 4 decimals, more than 0)
//   price     = ten-thousandths of the currency's minor unit (at most its
//               decimals + data-price-extra-decimals, which is
//               dun_core::money::UNIT_PRICE_EXTRA_DECIMALS_MAX, 4; >= 0)
//   tax rate  = percent x 10^4 = parts per million (0 to 100, 4 decimals)
//   net       = round_half_even(quantity x price / 10^8), the currency's
//               decimals however many the price has (UnitPrice::times_quantity_e4)
//   tax       = round_half_even(net x rate / 10^6), per line
//   subtotal  = sum of nets; tax = sum of line taxes; total = both.
// A row left blank is skipped; a row that does not parse shows "—" and is
// left out (the server says what to fix when the form is sent).
(function () {
  "use strict";
  var form = document.getElementById("invoice-form");
  if (!form || typeof BigInt !== "function") return;
  var exponent = parseInt(form.getAttribute("data-exponent") || "2", 10);
  // Decimals a unit price may have beyond the currency's; the price is
  // held in 10^-PRICE_SCALE of a minor unit whatever that is set to.
  var PRICE_SCALE = 4;
  var priceExtra = parseInt(form.getAttribute("data-price-extra-decimals") || "4", 10);
  var code = form.getAttribute("data-currency") || "";
  // Currencies whose minor unit is not the cent: "JPY:0 BHD:3 …".
  var exponents = {};
  (form.getAttribute("data-exponents") || "").split(" ").forEach(function (pair) {
    var parts = pair.split(":");
    if (parts.length === 2) exponents[parts[0]] = parseInt(parts[1], 10);
  });

  // The currency typed in #currency, if it is a code; else the page's.
  function currency() {
    var input = document.getElementById("currency");
    var typed = input && input.value ? input.value.trim().toUpperCase() : "";
    if (!/^[A-Z]{3}$/.test(typed)) return;
    code = typed;
    exponent = Object.prototype.hasOwnProperty.call(exponents, typed) ? exponents[typed] : 2;
  }

  // dun_core::money::parse_scaled for non-negative numbers; null if not one.
  function parseScaled(text, scale) {
    var m = /^\+?(\d*)(?:\.(\d*))?$/.exec(text.trim());
    if (!m) return null;
    var whole = m[1], fraction = m[2] || "";
    if (whole === "" && fraction === "") return null;
    if (whole.length > 24) return null;
    fraction = fraction.replace(/0+$/, "");
    if (fraction.length > scale) return null;
    while (fraction.length < scale) fraction += "0";
    return BigInt((whole || "0") + fraction);
  }

  // dun_core::money::round_half_even (numerator >= 0 here, but exact anyway).
  function roundHalfEven(n, d) {
    var q = n / d, r = n % d;
    if (r < 0n) { r += d; q -= 1n; }
    var twice = 2n * r;
    if (twice < d) return q;
    if (twice > d) return q + 1n;
    return q % 2n === 0n ? q : q + 1n;
  }

  function group(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  // layout::money: "USD 1,234.50".
  function money(minor) {
    var sign = minor < 0n ? "-" : "";
    var abs = minor < 0n ? -minor : minor;
    var text = abs.toString();
    if (exponent > 0) {
      while (text.length <= exponent) text = "0" + text;
      text = group(text.slice(0, text.length - exponent)) + "." + text.slice(text.length - exponent);
    } else {
      text = group(text);
    }
    return code + " " + sign + text;
  }

  // One row: {net, tax} in minor units, "blank", or null (does not parse).
  function line(q, p, t) {
    if (q.trim() === "" && p.trim() === "" && t.trim() === "") return "blank";
    var quantity = parseScaled(q, 4);
    var price = parseScaled(p, exponent + priceExtra);
    if (price !== null) price *= 10n ** BigInt(PRICE_SCALE - priceExtra);
    var rate = t.trim() === "" ? 0n : parseScaled(t.trim().replace(/%$/, ""), 4);
    if (quantity === null || quantity <= 0n || price === null || rate === null || rate > 1000000n) return null;
    var net = roundHalfEven(quantity * price, 100000000n);
    var tax = roundHalfEven(net * rate, 1000000n);
    return { net: net, tax: tax };
  }

  function value(row, name) {
    var input = row.querySelector('input[name="' + name + '"]');
    return input ? input.value : "";
  }

  function set(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  function recompute() {
    currency();
    var subtotal = 0n, tax = 0n;
    var rows = form.querySelectorAll("tr[data-line]");
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var l = line(value(row, "quantity"), value(row, "unit_price"), value(row, "tax_rate"));
      var out = row.querySelector("output");
      if (l === "blank" || l === null) {
        if (out) out.textContent = "—";
        continue;
      }
      subtotal += l.net;
      tax += l.tax;
      if (out) out.textContent = money(l.net + l.tax);
    }
    set("subtotal", money(subtotal));
    set("tax", money(tax));
    var total = document.getElementById("total");
    if (total) {
      total.textContent = "";
      var strong = document.createElement("strong");
      strong.textContent = money(subtotal + tax);
      total.appendChild(strong);
    }
  }

  // For tests under node: the arithmetic alone.
  if (typeof module !== "undefined") module.exports = { line: line, money: money };

  form.addEventListener("input", recompute);
  recompute();
})();
