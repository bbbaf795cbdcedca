"""SES-compatible sending, black-box: /server/email/add as multipart form-data with the seed's
fields and files, rendered from an uploaded template, delivered to a real SMTP server (the
attachments' bytes checked after Python's email parser decodes them); the status callbacks a
real HTTP receiver gets for one mail (PROCESSING, SENT, then OPEN after the pixel is fetched),
each JWT and HMAC verified; the records routes; and the native /v1/emails with a template and
base64 attachments."""

import base64
import json
import re
import time
import urllib.parse

import pytest

from callbacks import SALT, CallbackReceiver
from harness import http_request, wait_for
from test_ses_tasks import create_key, post
from test_templates import SEED_HTML, add_template, multipart

# The seed's record example's data, as the form's "data" field carries it (a JSON string).
SEED_DATA = ('{"NAME":"John Brown","ACCOUNT":238570023,"BALANCE":"$345,600,00",'
             '"DATE":"Monday, November 4th, 2024","SUPPORT_EMAIL":"support@company.com"}')
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489") + \
    bytes(range(256))
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


@pytest.fixture
def ses(outbox, smtp_server):
    made = []

    def make(*args, statuses=()):
        srv = smtp_server()
        hook = CallbackReceiver(statuses=statuses)
        made.append(hook)
        ob = outbox(*srv.smtp_args(), "--callback-secret", SALT, "--callback-retry-base-ms", "100",
                    *args)
        assert add_template(ob, "welcome-email.html", SEED_HTML).status == 200
        key = create_key(ob, "billing", hook.url)
        return ob, srv, hook, key

    yield make
    for hook in made:
        hook.stop()


def form(**overrides):
    fields = {"shortName": "Company Billing", "email": "name@email.com",
              "sendEmail": "email@company.com", "replyEmail": "support@company.com",
              "subject": "Draft Email", "data": SEED_DATA,
              "text": "Dear {{-NAME-}}, your balance is {{-BALANCE-}}.",
              "template": "welcome-email"}
    fields.update(overrides)
    return [(name, None, value.encode(), None) for name, value in fields.items()
            if value is not None]


def send(ob, key, fields, files=()):
    body, content_type = multipart(list(fields) + [("files", name, data, kind)
                                                   for name, data, kind in files])
    return http_request(ob.host, ob.port, "POST", "/server/email/add", body,
                        {"Authorization": f"Bearer {key}", "Content-Type": content_type})


def test_a_seed_send_with_attachments_and_its_callbacks(ses):
    ob, srv, hook, key = ses()
    r = send(ob, key, form(), [("logo.png", PNG, "image/png"),
                               ("résumé 2026.pdf", PDF, "application/pdf")])
    assert r.status == 200, r
    assert set(r.body) == {"queue_id", "valid"} and r.body["valid"] is True
    queue_id = r.body["queue_id"]

    wait_for(lambda: srv.count() == 1, timeout=15, message="the mail arrives")
    message = srv.received()[0].message
    assert message["Subject"] == "Draft Email"
    assert message["From"].addresses[0].display_name == "Company Billing"
    assert message["From"].addresses[0].addr_spec == "email@company.com"
    assert message["Reply-To"] == "support@company.com"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Dear John Brown," in html and "$345,600,00 a/c 238570023" in html
    pixel = re.search(r'<img src="(http://127\.0\.0\.1:\d+/t/[0-9a-f]{32}\.gif)"', html)
    assert pixel, html
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Dear John Brown, your balance is $345,600,00." in text
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert attachments == {"logo.png": PNG, "résumé 2026.pdf": PDF}

    wait_for(lambda: hook.events("SENT"), timeout=10, message="SENT callback")
    processing, sent = hook.events("PROCESSING")[0].json, hook.events("SENT")[0].json
    assert processing["email_id"] == sent["email_id"] == queue_id
    email_data = sent["data"]["email_data"]
    assert email_data == {"email": "name@email.com", "send_email": email_data["send_email"],
                          "subject": "Draft Email", "data": json.loads(SEED_DATA),
                          "open": False}
    assert "email@company.com" in email_data["send_email"]
    assert hook.received.index(hook.events("PROCESSING")[0]) < \
        hook.received.index(hook.events("SENT")[0])
    # The callback log, by email: the two attempts about this one, each answered 200. An
    # attempt is logged after its answer arrives, so the hook can see SENT a moment earlier.
    def logged():
        attempts = ob.api("GET", f"/v1/webhooks/deliveries?subject={queue_id}").body["data"]
        return [(a["event"], a["status_code"]) for a in attempts]
    wait_for(lambda: len(logged()) == 2, timeout=10, message="both callback attempts logged")
    assert logged() == [("SENT", 200), ("PROCESSING", 200)]
    assert ob.api("GET", "/v1/webhooks/deliveries?subject=em_other").body["data"] == []

    # Opening fetches the pixel: the record turns open and OPEN is sent, once.
    url = urllib.parse.urlsplit(pixel.group(1))
    for _ in range(2):
        r = http_request(url.hostname, url.port, "GET", url.path)
        assert (r.status, r.content_type, len(r.raw)) == (200, "image/gif", 43)
    wait_for(lambda: hook.events("OPEN"), timeout=10, message="OPEN callback")
    assert hook.events("OPEN")[0].json["data"]["email_data"]["open"] is True
    r = post(ob, "/server/email/fetch-specific-records", {"email_ids": [queue_id]}, key)
    assert r.status == 200 and r.body["valid"] is True, r
    record = r.body["result"][0]
    assert (record["email_id"], record["email"], record["subject"], record["open"],
            record["attachments"]) == (queue_id, "name@email.com", "Draft Email", True, 2)
    assert json.loads(record["data"]) == json.loads(SEED_DATA)
    assert record["api_key"].startswith("obx_") and record["api_key"][-6:] == key[-6:]
    time.sleep(0.5)
    assert len(hook.events("OPEN")) == 1
    assert hook.failures == []
    # An unknown token gets the same pixel and changes nothing.
    assert http_request(ob.host, ob.port, "GET", "/t/" + "0" * 32 + ".gif").status == 200


def test_records_are_per_key_newest_first(ses):
    ob, _, hook, key = ses()
    ids = [send(ob, key, form(subject=f"n{i}")).body["queue_id"] for i in range(3)]
    r = post(ob, "/server/email/fetch-api-records", '{\n  "page": 1,\n  "amount": 20\n}', key)
    assert [rec["email_id"] for rec in r.body["result"]] == ids[::-1]
    r = post(ob, "/server/email/fetch-api-records", {"page": 2, "amount": 2}, key)
    assert [rec["email_id"] for rec in r.body["result"]] == ids[:1]
    # The seed's own example: an id this server never issued.
    r = post(ob, "/server/email/fetch-specific-records",
             '{\n  "email_ids": ["StIiOwJiK0AaYybV97Hp-3R95ig-N62MgYcZCw8O"]\n}', key)
    assert (r.status, r.body) == (200, {"valid": True, "result": []})
    other = create_key(ob, "other", hook.url)
    assert post(ob, "/server/email/fetch-specific-records", {"email_ids": ids}, other).body == \
        {"valid": True, "result": []}
    assert post(ob, "/server/email/fetch-api-records", {"page": 1, "amount": 20},
                other).body["result"] == []
    for body, field in [({"page": 1, "amount": 0}, "amount"), ({"page": 1, "amount": 51}, "amount"),
                        ({"page": 0, "amount": 5}, "page")]:
        r = post(ob, "/server/email/fetch-api-records", body, key)
        assert (r.status, r.body["field"]) == (400, field), r
    r = post(ob, "/server/email/fetch-specific-records", {"email_ids": ["x"] * 21}, key)
    assert (r.status, r.body["field"]) == (400, "email_ids"), r
    r = send(ob, ob.admin_key, form())
    assert (r.status, r.body["valid"]) == (403, False), r


BAD_SENDS = [
    ("email missing", {"email": None}, [], "email"),
    ("email invalid", {"email": "nope"}, [], "email"),
    ("sendEmail missing", {"sendEmail": None}, [], "sendEmail"),
    ("shortName with a quote", {"shortName": 'Evil" <x@y.z>'}, [], "shortName"),
    ("subject missing", {"subject": None}, [], "subject"),
    ("data not JSON", {"data": "{"}, [], "data"),
    ("data missing a variable", {"data": '{"NAME": "x"}'}, [], "data.BALANCE"),
    ("template unknown", {"template": "nope"}, [], "template"),  # 404, as for any unknown name
    ("an .exe renamed .pdf", {}, [("invoice.pdf", b"MZ\x90\x00" + bytes(300), "application/pdf")],
     "files"),
    ("a type not on the list", {}, [("run.sh", b"#!/bin/sh\necho hi\n", "text/x-shellscript")],
     "files"),
    ("png content named .pdf", {}, [("photo.pdf", PNG, "application/pdf")], "files"),
]


@pytest.mark.parametrize("name,overrides,files,field", BAD_SENDS, ids=[b[0] for b in BAD_SENDS])
def test_bad_sends_are_400_naming_the_field(ses, name, overrides, files, field):
    ob, srv, hook, key = ses()
    r = send(ob, key, form(**overrides), files)
    assert (r.status, r.body["valid"]) == (404 if name == "template unknown" else 400, False), r
    assert r.body["field"] == field, r.body
    assert ob.api("GET", "/v1/emails").body["data"] == []


def test_attachments_over_max_upload_size_are_413(ses):
    ob, _, _, key = ses("--max-upload-mb", "1")
    big = b"%PDF-1.4\n" + b"0" * 1_100_000
    r = send(ob, key, form(), [("big.pdf", big, "application/pdf")])
    assert (r.status, r.body["valid"]) == (413, False), r
    assert ob.api("GET", "/v1/emails").body["data"] == []


def test_native_send_with_a_template_and_base64_attachments(ses):
    ob, srv, _, _ = ses()
    r = ob.api("POST", "/v1/emails", json={
        "from": "billing@company.test", "to": "ann@example.test", "subject": "Balance",
        "template": "welcome-email", "data": json.loads(SEED_DATA) | {"NAME": "Ann & <Co>"},
        "attachments": [{"filename": "logo.png", "content_type": "image/png",
                         "content": base64.b64encode(PNG).decode()}]})
    assert r.status == 202, r
    wait_for(lambda: srv.count() == 1, timeout=15)
    message = srv.received()[0].message
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Dear Ann &amp; &lt;Co&gt;," in html
    assert [(p.get_filename(), p.get_content()) for p in message.iter_attachments()] == \
        [("logo.png", PNG)]
    for body, field in [({"template": "welcome-email", "data": {}}, "data.NAME"),
                        ({"attachments": [{"filename": "a.png", "content": "***"}]},
                         "attachments[0].content"),
                        ({"template": "welcome-email", "html": "<p>x</p>"}, "template")]:
        payload = {"from": "b@company.test", "to": "ann@example.test", "subject": "s",
                   "text": "t"} | body
        if "template" in body:
            payload.pop("text")
        r = ob.api("POST", "/v1/emails", json=payload)
        assert (r.status, r.body["field"]) == (400, field), r
