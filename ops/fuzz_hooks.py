"""Schemathesis hooks for ops/fuzz (loaded with SCHEMATHESIS_HOOKS=fuzz_hooks, PYTHONPATH=ops).

1. A fresh Idempotency-Key on every request that carries a valid one. Schemathesis draws few
   distinct header values, so without this most writes would reuse a key with another body and
   get 422 `idempotency_key_reused` (or a replayed answer), and the writes behind them would
   never run. A key drawn invalid on purpose (negative mode: empty, over 200 bytes, missing) is
   left as drawn, so that its refusal is still checked.
2. Bounded time: a ZIP of QR images costs about 6.6 ms an image on a debug build (66 s for the
   10,000 the contract allows), and a CSV export of a batch of 50,000,000 codes streams for hours
   (no request timeout ends a stream that keeps sending). So a drawn ZIP `count` above 20, and a
   drawn batch `quantity` or export `count` above 2,000, is lowered to that (still allowed by the
   contract). Values the contract refuses are sent as drawn.
3. Loopback only: a webhook subscription's URL is pointed at 127.0.0.1 (port 9, where nothing
   listens), so that the server never sends an event anywhere else. ops/fuzz also runs the whole
   fuzz in a private network namespace when it can.
4. Known false positives, each with the reason it is not a defect of the server (filter_failure).
   Everything else fails the run: every 5xx, every schema, status, header or content-type
   violation and every wrong acceptance or refusal.
"""
import datetime
import json
import re
import uuid
from urllib.parse import urlsplit, urlunsplit

import schemathesis
from schemathesis.core.parameters import ParameterLocation


ZIP_IMAGES = 20  # QR images in a ZIP
CODES = 2000  # codes in a batch, and in a CSV export


def _cap(container, name, most, cap):
    """Lowers a drawn whole number from cap+1..most (a value the contract allows) to cap."""
    if not isinstance(container, dict) or name not in container:
        return
    value = container[name]
    if isinstance(value, bool):
        return
    try:
        number = int(value) if isinstance(value, (int, str)) else None
    except ValueError:
        return
    if number is not None and cap < number <= most and str(number) == str(value).strip():
        container[name] = cap if isinstance(value, int) else str(cap)


def _positive(case, location):
    meta = getattr(case, "meta", None)
    return meta is None or not meta.is_negative_at(location)


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers
    if headers and _positive(case, ParameterLocation.HEADER):
        for name in list(headers):
            if name.lower() == "idempotency-key" and isinstance(headers[name], str) and headers[name]:
                headers[name] = str(uuid.uuid4())
    operation = case.operation.definition.raw.get("operationId")
    if operation == "getImagesZip":
        _cap(case.query, "count", 10_000, ZIP_IMAGES)
    elif operation == "exportCodes":
        _cap(case.query, "count", 50_000_000, CODES)
    elif operation == "createBatch":
        _cap(case.body, "quantity", 50_000_000, CODES)
    if case.operation.path.startswith("/api/v1/webhooks") and isinstance(case.body, dict):
        url = case.body.get("url")
        if isinstance(url, str):
            try:
                parts = urlsplit(url)
                host = parts.hostname
            except ValueError:
                return
            if parts.scheme.lower() in ("http", "https") and host and host not in ("127.0.0.1", "localhost"):
                case.body["url"] = urlunsplit((parts.scheme, "127.0.0.1:9", parts.path, parts.query, parts.fragment))


def _error_code(response):
    try:
        body = json.loads(response.content)
    except (ValueError, TypeError):
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?"
                     r"(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$")
FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _is_date(text, pattern):
    """Whether text is an RFC 3339 date-time (or full-date) with a real calendar date."""
    m = pattern.match(text)
    if not m:
        return False
    try:
        datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return False
    return True


def _bad_dates(case, fields, pattern):
    """A drawn value for a `format: date-time` / `format: date` field that is no such thing."""
    body = case.body if isinstance(case.body, dict) else {}
    return any(isinstance(body.get(f), str) and not _is_date(body[f], pattern) for f in fields)


def _not_a_uri(case):
    """A drawn `format: uri` image_url that is no absolute URI at all (no scheme), e.g. ""."""
    body = case.body if isinstance(case.body, dict) else {}
    url = body.get("image_url")
    return isinstance(url, str) and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url)


# Known false positives of Schemathesis's positive_data_acceptance check (RejectedPositiveData:
# "schema-valid request rejected"): the request fits the contract's JSON Schema, and the server
# refuses it by a rule the contract documents but JSON Schema cannot express, because it depends on
# what is stored, on a checksum or signature, or on two values together (path and body, two
# fields). Each: (operationId, status, error codes, extra condition or None, why).
# Refusals a schema CAN express (a minimum, a minLength, a pattern, "no control characters",
# null for a non-nullable field, ...) are not listed: there the contract must say it.
FALSE_POSITIVES = [
    ("claimCode", 422, {"malformed_code", "mistyped_code", "forged_code"}, None,
     "a code is genuine only with the right check character and HMAC tag (docs/code-format.md); "
     "a drawn string cannot have them, and the code field takes codes as people type them and QR URLs, "
     "which no pattern describes"),
    ("previewCampaigns", 422, {"malformed_code", "mistyped_code", "forged_code"}, None,
     "a code is genuine only with the right check character and HMAC tag, as for claimCode"),
    ("previewCampaigns", 422, {"campaign_ended"}, None, "the campaign's stored status"),
    ("campaignReport", 422, {"invalid_report_range"}, None,
     "from must not be after to, and the range is at most 366 days (to defaults to today): two values together"),
    ("createProduct", 422, {"invalid_gtin"}, None, "a GTIN's last digit is a mod-10 check digit"),
    ("updateProduct", 422, {"invalid_gtin"}, None, "a GTIN's last digit is a mod-10 check digit"),
    ("updateProduct", 422, {"sku_immutable"}, None, "the body's sku must equal the path's: two values together"),
    ("updateReward", 422, {"sku_immutable"}, None, "the body's sku must equal the path's: two values together"),
    ("createBatch", 422, {"product_has_no_gtin"}, None, "url_form gs1 needs a product that has a GTIN: stored data"),
    ("createBatch", 422, {"invalid_dates"}, None, "expiry_date must follow production_date: two values together"),
    ("createBatch", 422, {"invalid_points"},
     lambda case: isinstance(case.body, dict) and case.body.get("points_per_code") is None,
     "without points_per_code a batch earns its product's stored default_points, which may be 0 (a batch earns at "
     "least 1): stored data. An explicit points_per_code the contract allows and the server refuses still fails"),
    ("activateBatch", 422, {"invalid_range"}, None, "from and count must lie inside the batch: its stored size"),
    ("voidBatch", 422, {"invalid_range"}, None, "from and count must lie inside the batch: its stored size"),
    ("exportCodes", 422, {"invalid_range"}, None, "from and count must lie inside the batch: its stored size"),
    ("getImagesZip", 422, {"invalid_range"}, None, "from and count must lie inside the batch: its stored size"),
    ("findMember", 422, {"invalid_external_id"},
     lambda case: isinstance(case.query, dict) and (case.query.get("phone") is not None or case.query.get("channel") == "phone"),
     "a phone number is valid by its country's numbering plan (its length after the country code, a mobile "
     "prefix): more than the phone pattern can say; so is a channel identity of the channel phone (an E.164 number). "
     "Refusals of other channel identities still fail"),
    ("findMember", 400, {"missing_identity"}, None,
     "phone, or channel with external_id, is needed: OpenAPI parameters cannot say 'one of these groups'"),
    ("liabilityReport", 422, {"invalid_month"}, None,
     "from must not be after to and the report covers at most 240 months: two values together (to defaults to now)"),
    ("createReward", 422, {"invalid_active_window"}, None, "active_until must be after active_from: two values together"),
    ("updateReward", 422, {"invalid_active_window"}, None,
     "active_until must be after active_from, each sent or stored: two values together"),
    ("updateReward", 422, {"stock_unlimited", "stock_below_zero"}, None,
     "add_stock against the stored stock (unlimited, or not enough unredeemed units): stored data"),
    ("updateReward", 422, {"invalid_stock"},
     lambda case: isinstance(case.body, dict) and case.body.get("add_stock") is not None and case.body.get("stock") is None,
     "add_stock adds to the stored stock, whose sum may not pass 1,000,000,000: stored data"),
    ("adjustPoints", 422, {"insufficient_points"}, None, "a debit may not exceed the stored balance"),
    ("redeemReward", 422, {"insufficient_points", "out_of_stock", "limit_reached", "inactive", "wrong_channel", "unknown_reward"},
     None, "the stored balance, stock, per-member limit, active window, channels, or whether the reward exists"),
    ("mergeMembers", 422, {"same_member"}, None, "absorb must differ from the path's id: two values together"),
    ("replaceProgramme", 422, {"invalid_tiers"},
     lambda case: isinstance(case.body, dict) and _tiers_repeat(case.body.get("tiers")),
     "tier names and min_earned values must each be distinct: JSON Schema's uniqueItems compares whole items, "
     "so it cannot say that two tiers may not share one field. Other invalid_tiers refusals still fail"),
    # JSON Schema 2020-12 (OpenAPI 3.1) makes `format` an annotation, so Schemathesis may draw any
    # string, "" included, for a date-time or a date; the server rightly refuses what is no date.
    # Only values that are not RFC 3339 are excused: a valid one refused is still a failure.
    ("createReward", 400, {"invalid_json"}, lambda case: _bad_dates(case, ("active_from", "active_until"), RFC3339),
     "a date-time field drawn as a string that is no RFC 3339 date-time (format is an annotation in JSON Schema 2020-12)"),
    ("updateReward", 400, {"invalid_json"}, lambda case: _bad_dates(case, ("active_from", "active_until"), RFC3339),
     "a date-time field drawn as a string that is no RFC 3339 date-time (format is an annotation in JSON Schema 2020-12)"),
    ("createProduct", 422, {"invalid_image_url"}, _not_a_uri,
     "an image_url drawn as a string that is no URI (format is an annotation in JSON Schema 2020-12)"),
    ("updateProduct", 422, {"invalid_image_url"}, _not_a_uri,
     "an image_url drawn as a string that is no URI (format is an annotation in JSON Schema 2020-12)"),
    ("createReward", 422, {"invalid_image_url"}, _not_a_uri,
     "an image_url drawn as a string that is no URI (format is an annotation in JSON Schema 2020-12)"),
    ("updateReward", 422, {"invalid_image_url"}, _not_a_uri,
     "an image_url drawn as a string that is no URI (format is an annotation in JSON Schema 2020-12)"),
    ("createBatch", 422, {"invalid_production_date", "invalid_expiry_date", "invalid_date"},
     lambda case: _bad_dates(case, ("production_date", "expiry_date"), FULL_DATE),
     "a date field drawn as a string that is no YYYY-MM-DD date (format is an annotation in JSON Schema 2020-12)"),
] + [entry for operation in ("createCampaign", "updateCampaign") for entry in [
    (operation, 422, {"invalid_window"}, None, "ends_at must be after starts_at, each sent or stored: two values together"),
    (operation, 422, {"invalid_time_zone"}, None, "a time zone must be one PostgreSQL's time zone database has: stored data"),
    (operation, 422, {"unknown_product", "unknown_batch", "unknown_tier", "unknown_reward"}, None,
     "the SKUs, batches, tiers and rewards a campaign names must exist: stored data"),
    (operation, 422, {"duplicate_prize_key"}, None,
     "prize keys must be distinct: uniqueItems compares whole items, not one field of them"),
    (operation, 422, {"probabilities_over_one"}, None, "the prizes' probabilities add up to at most 1: a sum over items"),
    (operation, 422, {"invalid_probability"},
     lambda case: _too_precise(case, ("effect", "prizes", "probability"), 6)
     or _rounds_to(case, ("effect", "prizes", "probability"), 6, lambda stored: stored <= 0),
     "a probability has at most 6 decimals: multipleOf on binary floating-point numbers is not exact, so the contract says it "
     "in words; one that is above 0 only below a millionth (5e-324) is 0 as stored. Other invalid_probability refusals still fail"),
    (operation, 422, {"invalid_multiplier"},
     lambda case: _too_precise(case, ("effect", "factor"), 2)
     or _rounds_to(case, ("effect", "factor"), 2, lambda stored: stored <= 100),
     "a multiplier has at most 2 decimals: multipleOf on binary floating-point numbers is not exact; one above 1 only in its "
     "15th decimal (1.0000000000000002) is 1.00 as stored, not above 1. Other refusals still fail"),
    (operation, 422, {"invalid_hours"}, lambda case: _same_hours(case),
     "hours.from and hours.to must differ: two values together. Other invalid_hours refusals still fail"),
    (operation, 400, {"invalid_json"}, lambda case: _bad_dates(case, ("starts_at", "ends_at"), RFC3339),
     "a date-time field drawn as a string that is no RFC 3339 date-time (format is an annotation in JSON Schema 2020-12)"),
]] + [
    ("updateCampaign", 422, {"campaign_ended"}, None, "an ended campaign cannot change: its stored status"),
    ("updateCampaign", 422, {"budget_below_used"}, None, "a budget may not go below what the awards used: stored data"),
    ("scheduleCampaign", 422, {"invalid_transition", "window_passed"}, None, "the campaign's stored status and window"),
    ("pauseCampaign", 422, {"invalid_transition"}, None, "the campaign's stored status"),
    ("resumeCampaign", 422, {"invalid_transition"}, None, "the campaign's stored status"),
    ("endCampaign", 422, {"invalid_transition"}, None, "the campaign's stored status"),
]


def _numbers(case, path):
    """The numbers at path in the case's body (a list level is every item)."""
    def numbers(value, keys):
        if not keys:
            return [value]
        if isinstance(value, list):
            return [n for item in value for n in numbers(item, keys)]
        if isinstance(value, dict) and keys[0] in value:
            return numbers(value[keys[0]], keys[1:])
        return []
    return [n for n in numbers(case.body, list(path)) if isinstance(n, (int, float)) and not isinstance(n, bool)]


def _too_precise(case, path, places):
    """Whether a number at path has more than `places` decimals."""
    scale = 10 ** places
    return any(abs(n * scale - round(n * scale)) > 1e-6 for n in _numbers(case, path))


def _rounds_to(case, path, places, refused):
    """Whether a number at path, as stored in units of 10^-places, is one the server refuses (`refused(units)`)."""
    return any(refused(round(n * 10 ** places)) for n in _numbers(case, path))


def _same_hours(case):
    """Whether the drawn conditions.hours has from equal to to."""
    body = case.body if isinstance(case.body, dict) else {}
    conditions = body.get("conditions")
    hours = conditions.get("hours") if isinstance(conditions, dict) else None
    return isinstance(hours, dict) and "from" in hours and hours.get("from") == hours.get("to")


def _tiers_repeat(tiers):
    """Whether two tiers share a name or a min_earned."""
    if not isinstance(tiers, list) or not all(isinstance(t, dict) for t in tiers):
        return False
    names = [t.get("name") for t in tiers]
    # Schemathesis draws whole numbers as floats too (5.0): the same floor to the server.
    floors = [float(f) if isinstance(f, (int, float)) and not isinstance(f, bool) else repr(f)
              for f in (t.get("min_earned") for t in tiers)]
    return len(set(map(repr, names))) < len(names) or len(set(floors)) < len(floors)


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """False drops a known false positive (FALSE_POSITIVES); every other failure counts."""
    if response is None or type(failure).__name__ != "RejectedPositiveData":
        return True
    operation = case.operation.definition.raw.get("operationId")
    code = _error_code(response)
    for op, status, codes, condition, _why in FALSE_POSITIVES:
        if op == operation and status == response.status_code and code in codes and (condition is None or condition(case)):
            return False
    return True
