"""POST /v1/emails with bad input: a 4xx problem+json naming the field, and nothing queued."""

import json

import pytest

MAX_BODY = 65536

BASE = {"from": "sender@example.test", "to": ["rcpt@example.test"], "subject": "s", "text": "t"}


def with_(**kw):
    p = dict(BASE)
    for k, v in kw.items():
        p[k.rstrip("_")] = v  # from_ -> from
    return p


def without(*keys, **kw):
    p = with_(**kw)
    for k in keys:
        p.pop(k, None)
    return p


def raw(data):
    return ("raw", data)


CRLF_BCC = "a@b.com\r\nBcc: x@y.com"

# (id, body: dict/list -> JSON, ("raw", bytes) -> as is, expected status, expected field(s))
CASES = [
    # --- the body itself
    ("malformed-json", raw(b'{"to": ["a@b.com"], "subject": '), 400, "body"),
    ("trailing-garbage", raw(json.dumps(BASE).encode() + b" }"), 400, "body"),
    ("json-array", [BASE], 400, "body"),
    ("json-string", raw(b'"hello"'), 400, "body"),
    ("json-null", raw(b"null"), 400, "body"),
    ("empty-body", raw(b""), 400, "body"),
    ("invalid-utf8", raw(b'{"from":"sender@example.test","to":["r@example.test"],'
                         b'"subject":"\xff\xfe","text":"t"}'), 400, {"body", "subject"}),
    ("too-large", with_(text="x" * (MAX_BODY + 1024)), 413, None),
    ("unknown-field", with_(bogus=1), 400, "bogus"),
    ("unknown-field-typo", with_(subjet="typo"), 400, "subjet"),

    # --- wrong types, every field
    ("from-number", with_(from_=123), 400, "from"),
    ("from-list", with_(from_=["a@example.test"]), 400, "from"),
    ("to-number", with_(to=123), 400, "to"),
    ("to-object", with_(to={"a": "b@example.test"}), 400, "to"),
    ("to-item-number", with_(to=["ok@example.test", 5]), 400, "to[1]"),
    ("to-item-null", with_(to=[None]), 400, "to[0]"),
    ("cc-number", with_(cc=5), 400, "cc"),
    ("cc-item-number", with_(cc=[5]), 400, "cc[0]"),
    ("bcc-bool", with_(bcc=True), 400, "bcc"),
    ("bcc-item-list", with_(bcc=[["x@example.test"]]), 400, "bcc[0]"),
    ("reply_to-number", with_(reply_to=5), 400, "reply_to"),
    ("subject-number", with_(subject=5), 400, "subject"),
    ("subject-list", with_(subject=["s"]), 400, "subject"),
    ("text-number", with_(text=5), 400, "text"),
    ("html-list", with_(html=[]), 400, "html"),
    ("headers-string", with_(headers="X-A: b"), 400, "headers"),
    ("headers-list", with_(headers=[["X-A", "b"]]), 400, "headers"),
    ("header-value-number", with_(headers={"X-A": 5}), 400, "headers.X-A"),
    ("header-value-null", with_(headers={"X-A": None}), 400, "headers.X-A"),
    ("send_at-number", with_(send_at=1700000000), 400, "send_at"),
    ("tags-string", with_(tags="a,b"), 400, "tags"),
    ("tags-item-number", with_(tags=["ok", 1]), 400, "tags[1]"),
    ("metadata-string", with_(metadata="x"), 400, "metadata"),
    ("metadata-list", with_(metadata=[1]), 400, "metadata"),
    ("max_attempts-string", with_(max_attempts="3"), 400, "max_attempts"),
    ("max_attempts-float", with_(max_attempts=1.5), 400, "max_attempts"),
    ("max_attempts-bool", with_(max_attempts=True), 400, "max_attempts"),
    ("priority-unknown", with_(priority="urgent"), 400, "priority"),
    ("priority-number", with_(priority=1), 400, "priority"),

    # --- missing
    ("missing-to", without("to"), 400, "to"),
    ("empty-to", with_(to=[]), 400, "to"),
    ("empty-to-string", with_(to=""), 400, {"to", "to[0]"}),
    ("missing-subject", without("subject"), 400, "subject"),
    ("null-subject", with_(subject=None), 400, "subject"),
    ("missing-body", without("text"), 400, {"text", "html"}),
    ("empty-object", {}, 400, {"from", "to", "subject", "text", "html"}),
    ("missing-from", without("from"), 400, "from"),

    # --- bad addresses
    ("to-no-at", with_(to=["no-at-sign.example.test"]), 400, "to[0]"),
    ("to-space", with_(to=["ok@example.test", "has space@example.test"]), 400, "to[1]"),
    ("to-two-ats", with_(to=["a@b@example.test"]), 400, "to[0]"),
    ("to-no-domain", with_(to=["local@"]), 400, "to[0]"),
    ("to-no-local", with_(to=["@example.test"]), 400, "to[0]"),
    ("to-empty-item", with_(to=["ok@example.test", ""]), 400, "to[1]"),
    ("to-crlf-bcc", with_(to=[CRLF_BCC]), 400, "to[0]"),
    ("to-string-crlf-bcc", with_(to=CRLF_BCC), 400, {"to", "to[0]"}),
    ("to-lf", with_(to=["a@b.com\nBcc: x@y.com"]), 400, "to[0]"),
    ("to-nul", with_(to=["a\u0000b@example.test"]), 400, "to[0]"),
    ("cc-bad", with_(cc=["good@example.test", "bad\r\n@example.test"]), 400, "cc[1]"),
    ("bcc-bad", with_(bcc=["nope"]), 400, "bcc[0]"),
    ("from-bad", with_(from_="not-an-address"), 400, "from"),
    ("from-crlf", with_(from_=CRLF_BCC), 400, "from"),
    ("from-display-name-crlf", with_(from_="Evil\r\nBcc: x@y.com <a@b.com>"), 400, "from"),
    ("to-display-name-crlf", with_(to=["Evil\r\nBcc: x@y.com <a@b.com>"]), 400, "to[0]"),
    ("reply_to-bad", with_(reply_to="nope"), 400, "reply_to"),
    ("reply_to-crlf", with_(reply_to=CRLF_BCC), 400, "reply_to"),

    # --- header injection in subject and headers
    ("subject-crlf", with_(subject="Hi\r\nBcc: x@y.com"), 400, "subject"),
    ("subject-lf", with_(subject="Hi\nBcc: x@y.com"), 400, "subject"),
    ("subject-cr", with_(subject="Hi\rBcc: x@y.com"), 400, "subject"),
    ("header-value-crlf", with_(headers={"X-Foo": "a\r\nBcc: x@y.com"}), 400, "headers.X-Foo"),
    ("header-value-lf", with_(headers={"X-Foo": "a\nBcc: x@y.com"}), 400, "headers.X-Foo"),
    ("header-name-crlf", with_(headers={"X-Foo\r\nBcc": "x@y.com"}), 400,
     {"headers", "headers.X-Foo\r\nBcc"}),
    ("header-name-colon", with_(headers={"X-Foo:": "1"}), 400, {"headers", "headers.X-Foo:"}),
    ("header-name-space", with_(headers={"X Foo": "1"}), 400, {"headers", "headers.X Foo"}),
    ("header-name-empty", with_(headers={"": "1"}), 400, {"headers", "headers."}),
    ("header-name-non-ascii", with_(headers={"X-Grüße": "1"}), 400,
     {"headers", "headers.X-Grüße"}),
    ("header-forbidden-content-type", with_(headers={"Content-Type": "text/html"}), 400,
     "headers.Content-Type"),
    ("header-forbidden-bcc", with_(headers={"Bcc": "x@y.com"}), 400, "headers.Bcc"),
    ("header-forbidden-bcc-lowercase", with_(headers={"bcc": "x@y.com"}), 400, "headers.bcc"),
    ("header-forbidden-cte", with_(headers={"Content-Transfer-Encoding": "8bit"}), 400,
     "headers.Content-Transfer-Encoding"),

    # --- send_at
    ("send_at-word", with_(send_at="tomorrow"), 400, "send_at"),
    ("send_at-empty", with_(send_at=""), 400, "send_at"),
    ("send_at-no-offset", with_(send_at="2030-01-01T10:00:00"), 400, "send_at"),
    ("send_at-month-13", with_(send_at="2030-13-01T00:00:00Z"), 400, "send_at"),
    ("send_at-feb-30", with_(send_at="2030-02-30T00:00:00Z"), 400, "send_at"),
    ("send_at-date-only", with_(send_at="2030-01-01"), 400, "send_at"),

    # --- max_attempts range
    ("max_attempts-0", with_(max_attempts=0), 400, "max_attempts"),
    ("max_attempts-51", with_(max_attempts=51), 400, "max_attempts"),
    ("max_attempts-negative", with_(max_attempts=-1), 400, "max_attempts"),
    ("max_attempts-huge", with_(max_attempts=10 ** 30), 400, "max_attempts"),
]


@pytest.fixture(scope="module")
def ob(module_outbox):
    return module_outbox("--max-body-bytes", str(MAX_BODY))


def _enqueued(ob):
    return ob.metrics().get("outbox_emails_enqueued_total", 0)


def _all_ids(ob):
    return [e["id"] for e in ob.list(limit=100)["data"]]


@pytest.mark.parametrize("body,status,field", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(ob, body, status, field):
    before_count = _enqueued(ob)
    before_ids = _all_ids(ob)

    if isinstance(body, tuple) and body[0] == "raw":
        r = ob.api("POST", "/v1/emails", data=body[1],
                   headers={"Content-Type": "application/json"})
    else:
        r = ob.api("POST", "/v1/emails", data=json.dumps(body).encode(),
                   headers={"Content-Type": "application/json"})

    assert ob.running(), "outbox died on bad input"
    assert r.status == status, r
    assert r.content_type.startswith("application/problem+json"), r
    assert isinstance(r.body, dict), r
    assert r.body.get("status") == status, r
    assert r.body.get("code"), r
    assert "type" in r.body and "title" in r.body and "detail" in r.body, r
    if status == 400:
        assert r.body.get("code") == "invalid_argument", r
    if field is not None:
        accepted = {field} if isinstance(field, str) else field
        assert r.body.get("field") in accepted, f"field {r.body.get('field')!r}, want {accepted}: {r!r}"

    assert _enqueued(ob) == before_count, "a refused request must not enqueue"
    assert _all_ids(ob) == before_ids, "a refused request must not create an email"


def test_too_large_default_limit(outbox):
    """Default --max-body-bytes is 10 MiB."""
    ob = outbox()
    r = ob.api("POST", "/v1/emails", json=with_(text="x" * (10 * 1024 * 1024 + 100)))
    assert r.status == 413, r
    assert r.content_type.startswith("application/problem+json"), r
    assert ob.list()["data"] == []
    r = ob.api("POST", "/v1/emails", json=with_(text="x" * (1024 * 1024)))
    assert r.status == 202, r


def test_boundaries_that_are_fine(ob):
    """Valid edge cases next to the refused ones, so the matrix is not refusing everything."""
    for payload in (with_(max_attempts=1), with_(max_attempts=50), with_(to="one@example.test"),
                    with_(headers={"X-Ok": "value with spaces; and=stuff"}),
                    with_(priority="bulk"), with_(priority="transactional"),
                    with_(send_at="2030-01-01T10:00:00+02:00"), with_(html="<p>x</p>"),
                    without("to", cc=["c@example.test"]), without("to", bcc=["b@example.test"]),
                    with_(tags=[], metadata={})):
        r = ob.api("POST", "/v1/emails", json=payload)
        assert r.status == 202, (payload, r)
        ob.api("DELETE", f"/v1/emails/{r.body['id']}")
    assert ob.running()
    assert ob.api("GET", "/health/ping", auth=False).status == 200
