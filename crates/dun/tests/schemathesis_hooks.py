"""What a client of Dun's API does that no OpenAPI schema can say.

schemathesis generates requests from `/openapi.json`; the document
declares every limit and format the server enforces
(`dun_server::openapi_limits`). A few rules are not about one value's
form, so no schema states them, and a request the document calls valid
can still be refused for them. A well-behaved client keeps these rules;
this hook makes the requests schemathesis generates *as valid* keep them
too, so that its positive-data check tests everything else. Each rule has
its own test in Dun's suite, named beside it. Requests generated as
invalid are left exactly as generated.
"""

import datetime
import uuid

import schemathesis

# A request's `Idempotency-Key` names that one request: sent again with
# another body it is refused (the IETF idempotency-key draft's 422;
# `crates/dun-server/tests/idempotency.rs`). A client makes a new key per
# request, as this does.
#
# A list's `cursor` is only ever one the list gave out
# (`extract::decode_cursor`; `crates/dun-server/tests/ledger.rs`): a
# generated one is dropped and the list starts at its first page.
#
# A pause runs from today, so its `until` is not before today
# (`credit_file::check_pause_until`; `dun-store/tests/records.rs`).
#
# A person's status set "until" a day names a day from today on
# (`dun-store/tests/records.rs`).
#
# A statement's period (`from`, default the first of `to`'s month; `to`,
# default today) runs forward and is at most `PERIOD_DAYS_MAX` days
# (`dun_core::statement`; `dun-core/tests/scenarios.rs`).
PERIOD_DAYS_MAX = 3660
#
# A password is not a common one nor a repeated pattern
# (`dun-store/src/passwords.rs`' tests): a client's user picks a strong one.
PASSWORD = "correct horse battery staple {}"
#
# A logged call says how it went (`outcome`), and only a call has one; a
# plan gives its installments or asks to split, not both; a dispute
# resolved by a
# credit note names its amount, a rejected one none
# (`dun-server/tests/collections.rs`).
#
# Reopening a closed period gives its reason (`dun-store/tests/period.rs`).
#
# A rate is between two currencies (`dun-store/tests/rates.rs`).
#
# An amount in a currency without minor units (JPY…) has no decimals
# (`dun_core::money`): the document's one pattern allows two.
#
# Aging bucket edges increase (`dun_core::aging`).
#
# Collateral expires on or after the day it was filed; a contact person
# has an e-mail address or a phone number; a promise is for today or
# later; `override_reason` comes with `issue: true`; an edit changes
# something; an IBAN passes its checksum (`dun-store/tests/records.rs`,
# `dun-core/tests/…`, `dun-core/src/party.rs`' tests).
IBAN = "GB82WEST12345698765432"
NO_MINOR_UNITS = {
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
    "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
}


def _positive(case):
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


LINES_TOTAL_MAX = 1e9


def _total(lines):
    """What `lines` come to, roughly (any unreadable line: 0)."""
    total = 0.0
    for line in lines:
        try:
            total += float(line.get("quantity")) * float(line.get("unit_price"))
        except (AttributeError, TypeError, ValueError):
            pass
    return total


def _whole(amount):
    """An amount without its decimals, and not zero."""
    whole = amount.split(".")[0]
    return whole if whole.strip("0") else "1"


def _integers(value):
    """A client sends whole numbers as JSON integers (796, not 796.0)."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in list(items):
        if isinstance(item, float) and item.is_integer():
            value[key] = int(item)
        elif isinstance(item, (dict, list)):
            _integers(item)


@schemathesis.hook
def before_call(context, case, kwargs):
    if not _positive(case):
        return
    if case.headers is not None and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    if case.query:
        case.query.pop("cursor", None)
        start, end = _date(case.query.get("from")), _date(case.query.get("to"))
        if start and end and start > end:
            case.query["from"], case.query["to"] = case.query["to"], case.query["from"]
    # The organisation's today may be a day either side of this machine's.
    today = datetime.date.today() + datetime.timedelta(days=2)
    if case.path.endswith("/statement") or case.path.endswith("/statement.pdf"):
        query = case.query if case.query is not None else {}
        start = _date(query.get("from"))
        if start is not None and query.get("to") is None:
            query["to"] = start.isoformat()
        end = _date(query.get("to")) or today
        if start is not None and start > end:
            query["from"], start = end.isoformat(), end
        # Both days count: `to - from` is at most PERIOD_DAYS_MAX - 1.
        if start is not None and (end - start).days >= PERIOD_DAYS_MAX:
            query["from"] = (end - datetime.timedelta(days=PERIOD_DAYS_MAX - 1)).isoformat()
    if case.query and isinstance(case.query.get("edges"), str):
        try:
            edges = sorted({int(e) for e in case.query["edges"].split(",")})
            case.query["edges"] = ",".join(str(e) for e in edges if e > 0) or "30"
        except ValueError:
            pass
    body = case.body
    if not isinstance(body, dict):
        return
    filed, expires = _date(body.get("filed")), _date(body.get("expires"))
    if filed and expires and expires < filed:
        body["filed"], body["expires"] = body["expires"], body["filed"]
    if case.path.endswith("/people") and not (body.get("email") or body.get("phone")):
        body["email"] = "ap@example.com"
    if case.path.endswith("/promises"):
        promised = _date(body.get("date"))
        if promised is not None and promised < today:
            body["date"] = today.isoformat()
    if case.path == "/api/v1/invoices" and body.get("issue") is not True:
        body.pop("override_reason", None)
    lines = body.get("lines")
    if isinstance(lines, list) and _total(lines) > LINES_TOTAL_MAX:
        # Line totals, and the invoice's, stay within the amount limit.
        for line in lines:
            if isinstance(line, dict):
                line["quantity"], line["unit_price"] = "1", "1.00"
    if case.path.startswith("/api/v1/invoices") and body.get("installments"):
        # Installments add up to the invoice's total, a sum of its lines.
        body.pop("installments")
    if case.method.upper() == "PATCH" and "/customers/" in case.path:
        body["notes"] = "edited " + uuid.uuid4().hex
    if case.path == "/api/v1/rates" and body.get("from") == body.get("to"):
        body["to"] = "EUR" if body.get("from") != "EUR" else "USD"
    promise = body.get("promise")
    if isinstance(promise, dict) and _date(promise.get("date")):
        made = _date(body.get("on")) or today
        if _date(promise["date"]) < made:
            promise["date"] = made.isoformat()
    if case.path == "/api/v1/payments" and not (body.get("note") or "").strip():
        body["note"] = "recorded late"
    allocation = body.get("allocation")
    if isinstance(allocation, list):
        for line in allocation:
            if isinstance(line, dict) and isinstance(line.get("amount"), str):
                line["amount"] = _whole(line["amount"])
    _integers(body)
    payment = body.get("payment")
    if isinstance(payment, dict) and payment.get("iban"):
        payment["iban"] = IBAN
    if case.path.endswith("/pause") or case.path.endswith("/status"):
        until = _date(body.get("until"))
        if until is not None and until < today:
            body["until"] = today.isoformat()
    for field in ("password", "new_password"):
        if isinstance(body.get(field), str) and not case.path.endswith("/session"):
            body[field] = PASSWORD.format(uuid.uuid4().hex[:8])
    if case.path.endswith("/contacts"):
        if body.get("kind") == "call":
            if not (body.get("outcome") or "").strip():
                body["outcome"] = "answered"
        else:
            body.pop("outcome", None)
    if case.path == "/api/v1/plans":
        if body.get("installments"):
            body.pop("split", None)
        else:
            body.pop("installments", None)
            if not isinstance(body.get("split"), dict):
                body["split"] = {"count": 2, "first": today.isoformat()}
    if case.path.endswith("/resolve"):
        if body.get("resolution") == "rejected":
            body.pop("amount", None)
        elif body.get("amount") is None:
            body["amount"] = "1.00"
    if case.path == "/api/v1/period":
        if not (body.get("reason") or "").strip():
            body["reason"] = "a correction"
    # A refund is in its payment's currency, which the request does not name.
    refund = case.path.endswith("/refund")
    if (refund or body.get("currency") in NO_MINOR_UNITS) and isinstance(body.get("amount"), str):
        body["amount"] = _whole(body["amount"])
