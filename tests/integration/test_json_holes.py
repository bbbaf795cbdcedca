"""Issue 10, helper D: one JSON discipline and the small holes. Each test is named after what
broke: nesting that crashed the server, JSON followed by NUL and garbage, a page number cut to
32 bits, a multipart file name with a line break, IDN addresses sent as raw UTF-8, cron text
with tabs, the non-zones Factory and posixrules, and SES/GoMail errors in problem+json."""

import json

import pytest

from harness import http_request, wait_for
from test_gomail import assert_gomail_error
from test_ses_email import form, send
from test_ses_tasks import create_key, post
from test_templates import SEED_HTML, add_template, assert_ses_error, multipart

HOOK = "http://127.0.0.1:9/hook"  # never answers; the callbacks are not under test
DEEP = 50_000
BASE = {"from": "sender@example.test", "to": ["rcpt@example.test"], "subject": "s", "text": "t"}


def deep(levels=DEEP):
    return "[" * levels + "]" * levels


def native_raw(ob, path, raw):
    return http_request(ob.host, ob.port, "POST", path, raw,
                        {"Authorization": f"Bearer {ob.admin_key}",
                         "Content-Type": "application/json"})


def assert_problem(r, status, field):
    assert r.status == status, r
    assert r.content_type.startswith("application/problem+json"), r
    assert r.body.get("field") == field, r


def assert_alive(ob):
    assert ob.api("GET", "/health/ping", auth=False).status == 200
    assert ob.running()


@pytest.fixture
def mailer(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--open-signup", "true", "--default-from", "news@example.test")
    assert add_template(ob, "welcome-email.html", SEED_HTML).status == 200
    return ob, srv


# ----------------------------------------------------------------------- 1. nesting depth

def test_json_depth_50000_in_metadata_is_400_and_the_server_lives(mailer):
    ob, _ = mailer
    body = json.dumps(BASE)[:-1] + ', "metadata": {"k": ' + deep() + "}}"
    assert_problem(native_raw(ob, "/v1/emails", body.encode()), 400, "metadata")
    assert_alive(ob)
    assert ob.list()["data"] == []


def test_json_depth_50000_in_template_data_is_400_and_the_server_lives(mailer):
    ob, _ = mailer
    body = ('{"from": "s@example.test", "to": ["r@example.test"], "subject": "s", '
            '"template": "welcome-email", "data": {"NAME": ' + deep() + "}}")
    assert_problem(native_raw(ob, "/v1/emails", body.encode()), 400, "data")
    assert_alive(ob)


def test_json_depth_50000_in_preview_data_is_400_and_the_server_lives(mailer):
    ob, _ = mailer
    body = '{"data": {"NAME": ' + deep() + "}}"
    r = native_raw(ob, "/v1/templates/welcome-email/preview", body.encode())
    assert_problem(r, 400, "data")
    assert_alive(ob)


def test_json_depth_50000_in_ses_form_data_is_400_in_the_ses_shape(mailer):
    ob, _ = mailer
    key = create_key(ob, "billing", HOOK)
    r = send(ob, key, form(data='{"NAME": ' + deep() + "}"))
    assert_ses_error(r, 400, "data")
    r = post(ob, "/server/email/fetch-api-records", '{"page": ' + deep() + "}", key)
    assert_ses_error(r, 400, "page")
    assert_alive(ob)


def test_json_depth_50000_in_gomail_body_is_400_in_the_gomail_shape(mailer):
    ob, _ = mailer
    r = http_request(ob.host, ob.port, "POST", "/auth/signup",
                     ('{"id": ' + deep() + "}").encode(), {"Content-Type": "application/json"})
    assert_gomail_error(r, 400)
    assert_alive(ob)


def test_json_depth_64_is_still_accepted(mailer):
    ob, _ = mailer
    nested = {"k": json.loads(deep(62))}  # metadata object + 62 arrays + the body = 64 levels
    r = ob.api("POST", "/v1/emails", json=dict(BASE, metadata=nested))
    assert r.status == 202, r


# ----------------------------------------------------------------------- 2. trailing bytes

@pytest.mark.parametrize("tail", [b"\x00garbage", b"\x00", b"\x00{}", b" x"])
def test_json_followed_by_nul_and_garbage_is_400_everywhere(mailer, tail):
    ob, _ = mailer
    r = native_raw(ob, "/v1/emails", json.dumps(BASE).encode() + tail)
    assert_problem(r, 400, "body")
    key = create_key(ob, "billing", HOOK)
    r = http_request(ob.host, ob.port, "POST", "/server/email/fetch-api-records",
                     b'{"page": 1} // comment\n' + tail,
                     {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert_ses_error(r, 400, "body")
    r = http_request(ob.host, ob.port, "POST", "/auth/signup", b'{"id": "a@example.test",}' + tail,
                     {"Content-Type": "application/json"})
    assert_gomail_error(r, 400)
    assert ob.list()["data"] == []


# ----------------------------------------------------------------------- 3. 64-bit numbers

@pytest.mark.parametrize("page", [4294967297, 2**63, 2**64 + 1, -4294967295])
def test_fetch_api_records_page_4294967297_is_400_naming_page(mailer, page):
    ob, _ = mailer
    key = create_key(ob, "billing", HOOK)
    r = post(ob, "/server/email/fetch-api-records", '{"page": %d, "amount": 5}' % page, key)
    assert_ses_error(r, 400, "page")


def test_list_templates_page_4294967297_is_400_naming_page(mailer):
    ob, _ = mailer
    r = ob.api("POST", "/server/email/list-templates", data='{"page": 4294967297}')
    assert_ses_error(r, 400, "page")
    r = ob.api("GET", "/v1/templates?page=4294967297")
    assert_problem(r, 400, "page")


# ----------------------------------------------------------------------- 4. multipart file names

@pytest.mark.parametrize("name", ["a\r\nb.pdf", "a\nb.pdf", "a\rb.pdf"])
def test_multipart_file_name_with_cr_or_lf_is_400_naming_files(mailer, name):
    ob, srv = mailer
    key = create_key(ob, "billing", HOOK)
    r = send(ob, key, form(), [(name, b"%PDF-1.4\n%%EOF\n", "application/pdf")])
    assert_ses_error(r, 400, "files")
    assert ob.list()["data"] == []


# ----------------------------------------------------------------------- 5. IDN

def test_idn_address_goes_out_as_its_a_label(mailer):
    ob, srv = mailer
    eid = ob.send(dict(BASE, to=["Bücher Team <team@bücher.example>"]))["id"]
    ob.wait_status(eid, "sent")
    received = wait_for(lambda: srv.received(), message="no mail")[0]
    assert received.rcpt_tos == ["team@xn--bcher-kva.example"]
    assert "team@xn--bcher-kva.example" in received.header("To")
    assert all(b < 0x80 for b in received.data.split(b"\r\n\r\n", 1)[0])


def test_idn_non_ascii_local_part_is_400_smtputf8_unsupported(mailer):
    ob, _ = mailer
    r = ob.api("POST", "/v1/emails", json=dict(BASE, to=["ok@example.test", "jörg@example.test"]))
    assert_problem(r, 400, "to[1]")
    assert "SMTPUTF8" in r.body["detail"], r


# ----------------------------------------------------------------------- 6. cron text

@pytest.mark.parametrize("frequency", ["0\t9 * * 1", "0 9 * * 1\n", "0\r\n9 * * 1"])
def test_cron_text_with_tabs_or_newlines_is_400_naming_frequency(mailer, frequency):
    ob, _ = mailer
    assert ob.api("POST", "/v1/lists", json={"name": "weekly", "subject": "S",
                                             "html": "<p>H</p>"}).status in (201, 409)
    r = ob.api("POST", "/v1/lists/weekly/subscribers",
               json={"email": "ann@example.test", "frequency": frequency})
    assert_problem(r, 400, "frequency")


def test_cron_spellings_with_extra_spaces_are_one_schedule(mailer):
    ob, _ = mailer
    assert ob.api("POST", "/v1/lists", json={"name": "weekly", "subject": "S",
                                             "html": "<p>H</p>"}).status == 201
    for email, frequency in [("ann@example.test", "0 9 * * 1"), ("bob@example.test", " 0  9 * * 1 ")]:
        r = ob.api("POST", "/v1/lists/weekly/subscribers",
                   json={"email": email, "frequency": frequency})
        assert r.status == 201, r
    r = ob.api("GET", "/v1/lists/weekly")
    assert [s["frequency"] for s in r.body["schedules"]] == ["0 9 * * 1"], r


# ----------------------------------------------------------------------- 7. time zones

@pytest.mark.parametrize("zone", ["Factory", "posixrules", "EST5EDT", "posix/Europe/Berlin"])
def test_timezone_factory_and_posixrules_are_400_naming_timezone(mailer, zone):
    ob, _ = mailer
    assert ob.api("POST", "/v1/lists", json={"name": "weekly", "subject": "S",
                                             "html": "<p>H</p>"}).status in (201, 409)
    r = ob.api("POST", "/v1/lists/weekly/subscribers",
               json={"email": "ann@example.test", "frequency": "@daily", "timezone": zone})
    assert_problem(r, 400, "timezone")


# ----------------------------------------------------------------------- 8. error shapes

def test_ses_413_from_the_http_layer_is_in_the_ses_shape(outbox):
    ob = outbox("--max-body-bytes", "1024", "--max-upload-mb", "1")
    key = create_key(ob, "billing", HOOK)
    big = b'{"page": 1, "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    for path in ["/server/email/fetch-api-records", "/server/email/add"]:
        r = http_request(ob.host, ob.port, "POST", path, big,
                         {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        assert_ses_error(r, 413, "body")
    # Over the route's own limit but under the server's: the same shape.
    r = http_request(ob.host, ob.port, "POST", "/server/email/fetch-api-records",
                     b'{"page": 1, "pad": "' + b"x" * 4096 + b'"}',
                     {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert_ses_error(r, 413, "body")


def test_gomail_413_is_in_the_gomail_shape(outbox):
    ob = outbox("--max-body-bytes", "1024", "--max-upload-mb", "1", "--open-signup", "true")
    for size in [4096, 2 * 1024 * 1024]:
        r = http_request(ob.host, ob.port, "POST", "/auth/signup",
                         b'{"id": "' + b"x" * size + b'"}', {"Content-Type": "application/json"})
        assert_gomail_error(r, 413)
    r = http_request(ob.host, ob.port, "POST", "/v1/emails", b'{"x": "' + b"x" * 4096 + b'"}',
                     {"Authorization": f"Bearer {ob.admin_key}",
                      "Content-Type": "application/json"})
    assert_problem(r, 413, "body")
