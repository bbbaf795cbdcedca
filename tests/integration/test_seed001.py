"""Seed 001's routes (Django REST Framework shapes), black-box: every example request of the seed
verbatim, register / login / logout with DRF tokens, email-template (admin writes, anyone reads,
by integer id, pages of 10), sent-email (one email per recipient from the sender's address, what
the SMTP server receives, the caller's own records, filters by recipient and by date or
date-time, pages, 405 on changes), the router root, and DRF's error bodies (field errors, 401
with WWW-Authenticate, 403, 404, 405, 413, JSON parse errors) with and without trailing
slashes."""

import datetime
import json
import urllib.parse

import pytest

from harness import RecordingSMTPServer, wait_for

# The seed's request bodies, byte for byte.
SEED_REGISTER = """{
      "email": "example_user@example.com",
      "username": "example_user",
      "password": "password123"
    }"""
SEED_LOGIN = """{
      "username": "example_user@example.com",
      "password": "password123"
    }"""
SEED_LOGOUT = "{}"
SEED_TEMPLATE = """{
\t"name": "Sample Template 11",
\t"subject": "Sample Subject 11",
\t"body": "Sample Body 11"
}"""
SEED_SEND = """{
\t"recipients": ["kirantyefun@gmail.com", "sayamiasis@gmail.com"],
\t"template": 1
}"""
SEED_SENT_QUERY = "?recipient=1@gmail.com&recipient=3@gmail.com&start_time=2023-03-25"

ADMIN_EMAIL = "admin@example.test"
SENT = {"message": "Email sent. It might take a while to deliver."}
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
INVALID_TOKEN = {"detail": "Invalid token."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}
INVALID_PAGE = {"detail": "Invalid page."}
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@pytest.fixture(scope="module")
def smtp():
    server = RecordingSMTPServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ob(module_outbox, smtp):
    """One server for the module, signup open (the seed's registration is public)."""
    return module_outbox(*smtp.smtp_args(), "--open-signup", "true", "--admin-email", ADMIN_EMAIL,
                         "--default-from", "Outbox <outbox@example.test>")


def token_header(token):
    return {"Authorization": f"Token {token}"}


def call(ob, method, path, body=None, token=None, headers=None):
    """A request with a raw (str) or JSON (anything else) body and an optional DRF token."""
    hdrs = dict(headers or {})
    if token:
        hdrs.update(token_header(token))
    if body is None:
        return ob.api(method, path, headers=hdrs, auth=False)
    if isinstance(body, (str, bytes)):
        hdrs.setdefault("Content-Type", "application/json")
        return ob.api(method, path, data=body, headers=hdrs, auth=False)
    return ob.api(method, path, json=body, headers=hdrs, auth=False)


def login(ob, email, password):
    r = call(ob, "POST", "/api/v1/users/login/", {"username": email, "password": password})
    assert r.status == 200, r
    assert r.body["email"].lower() == email.lower()
    return r.body["token"]


_users = iter(range(1, 10_000))


def new_user(ob, prefix="user"):
    """Registers a fresh person; returns (email, token)."""
    n = next(_users)
    email = f"{prefix}{n}@example.org"
    r = call(ob, "POST", "/api/v1/users/register/",
             {"email": email, "username": f"{prefix}{n}", "password": "correct horse battery"})
    assert r.status == 201, r
    return email, login(ob, email, "correct horse battery")


def admin_token(ob):
    email, password = ob.admin_user()
    assert email == ADMIN_EMAIL
    return login(ob, email, password)


def create_template(ob, token, name, subject="Subject", body="Body"):
    r = call(ob, "POST", "/api/v1/emails/email-template/",
             {"name": name, "subject": subject, "body": body}, token=token)
    assert r.status == 201, r
    return r.body


def parse_time(text):
    return datetime.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)


def assert_drf_time(text):
    assert len(text) == len("2023-03-30T06:54:15.278178Z") and text.endswith("Z"), text
    parse_time(text)


def received_by(smtp, address):
    return [m for m in smtp.received() if address in m.rcpt_tos]


# --------------------------------------------------------------------------- the seed's examples


def test_the_seed_examples_verbatim(ob, smtp):
    # Register, login, template, send, list, logout: the seed's own requests.
    r = call(ob, "POST", "/api/v1/users/register/", SEED_REGISTER)
    assert (r.status, r.body) == (201, {"email": "example_user@example.com",
                                        "username": "example_user"}), r
    r = call(ob, "POST", "/api/v1/users/login/", SEED_LOGIN)
    assert r.status == 200, r
    assert set(r.body) == {"email", "token"} and r.body["email"] == "example_user@example.com"
    token = r.body["token"]
    assert len(token) == 40 and all(c in "0123456789abcdef" for c in token)

    admin = admin_token(ob)
    # The seed's example answers "id": 5; here it is whatever the store gave, an integer.
    r = call(ob, "POST", "/api/v1/emails/email-template/", SEED_TEMPLATE, token=admin)
    assert r.status == 201, r
    assert isinstance(r.body["id"], int)
    assert {k: r.body[k] for k in ("name", "subject", "body")} == {
        "name": "Sample Template 11", "subject": "Sample Subject 11", "body": "Sample Body 11"}
    assert set(r.body) == {"id", "name", "subject", "body", "created", "modified"}
    assert_drf_time(r.body["created"])
    assert_drf_time(r.body["modified"])
    template_id = r.body["id"]

    # The seed's send names template 1; in a fresh server the seed's template is the first one.
    assert template_id == 1
    r = call(ob, "POST", "/api/v1/emails/sent-email/", SEED_SEND, token=token)
    assert (r.status, r.body) == (200, SENT), r
    for address in ("kirantyefun@gmail.com", "sayamiasis@gmail.com"):
        wait_for(lambda: received_by(smtp, address), message=f"mail to {address}")

    r = call(ob, "GET", "/api/v1/emails/email-template/")
    assert r.status == 200 and r.body["count"] >= 1, r
    assert r.body["results"][0]["name"] == "Sample Template 11"

    r = call(ob, "GET", "/api/v1/emails/sent-email/" + SEED_SENT_QUERY, token=token)
    assert (r.status, r.body) == (200, {"count": 0, "next": None, "previous": None,
                                        "results": []}), r
    r = call(ob, "GET", "/api/v1/emails/sent-email/?recipient=kirantyefun@gmail.com"
             "&recipient=3@gmail.com&start_time=2023-03-25", token=token)
    assert r.status == 200 and r.body["count"] == 1, r

    r = call(ob, "POST", "/api/v1/users/logout/", SEED_LOGOUT, token=token)
    assert (r.status, r.body) == (200, {}), r
    r = call(ob, "GET", "/api/v1/emails/sent-email/", token=token)
    assert (r.status, r.body) == (401, INVALID_TOKEN), r
    assert r.headers.get("www-authenticate") == "Token"


# --------------------------------------------------------------------------- users


def test_register_login_logout_and_token_use(ob):
    email, token = new_user(ob)
    r = call(ob, "GET", "/api/v1/emails/", token=token)
    assert r.status == 200, r
    # A second login is a second token; logging one out leaves the other alive.
    other = login(ob, email, "correct horse battery")
    assert other != token
    assert call(ob, "POST", "/api/v1/users/logout", token=token).status == 200
    assert call(ob, "GET", "/api/v1/emails/", token=token).body == INVALID_TOKEN
    assert call(ob, "GET", "/api/v1/emails/", token=other).status == 200
    # The token scheme's name in any case, as DRF reads it.
    r = call(ob, "GET", "/api/v1/emails/", headers={"Authorization": f"token {other}"})
    assert r.status == 200, r


def test_login_failures_answer_drf_non_field_errors(ob):
    email, _ = new_user(ob)
    for body in ({"username": email, "password": "wrong password"},
                 {"username": "nobody@example.org", "password": "correct horse battery"}):
        r = call(ob, "POST", "/api/v1/users/login/", body)
        assert (r.status, r.body) == (400, {
            "non_field_errors": ["Unable to log in with provided credentials."]}), r
    r = call(ob, "POST", "/api/v1/users/login/", {})
    assert (r.status, r.body) == (400, {"username": ["This field is required."],
                                        "password": ["This field is required."]}), r
    r = call(ob, "POST", "/api/v1/users/login/", {"username": " ", "password": ""})
    assert r.body == {"username": ["This field may not be blank."],
                      "password": ["This field may not be blank."]}, r


def test_login_is_throttled_after_repeated_failures(ob):
    email, _ = new_user(ob, "throttled")
    statuses = []
    for _ in range(6):
        r = call(ob, "POST", "/api/v1/users/login/", {"username": email, "password": "nope nope"})
        statuses.append(r.status)
        if r.status == 429:
            break
    assert statuses[-1] == 429, statuses
    assert r.body["detail"].startswith("Request was throttled. Expected available in "), r
    assert r.body["detail"].endswith(" seconds."), r
    assert int(r.headers["retry-after"]) >= 1


def test_register_field_errors(ob):
    r = call(ob, "POST", "/api/v1/users/register/", {})
    assert (r.status, r.body) == (400, {"email": ["This field is required."],
                                        "username": ["This field is required."],
                                        "password": ["This field is required."]}), r
    r = call(ob, "POST", "/api/v1/users/register/",
             {"email": "not-an-address", "username": "x y", "password": "correct horse"})
    assert r.status == 400, r
    assert set(r.body) == {"username"}, r  # field errors of the serializer come first
    r = call(ob, "POST", "/api/v1/users/register/",
             {"email": "not-an-address", "username": "xy", "password": "correct horse"})
    assert (r.status, r.body) == (400, {"email": ["Enter a valid email address."]}), r
    r = call(ob, "POST", "/api/v1/users/register/",
             {"email": "short@example.org", "username": "short", "password": "short"})
    assert r.status == 400 and list(r.body) == ["password"], r
    email, _ = new_user(ob)
    local, domain = email.split("@")
    r = call(ob, "POST", "/api/v1/users/register/",
             {"email": f"{local.upper()}@{domain}", "username": "again",
              "password": "correct horse"})
    assert (r.status, r.body) == (400, {"email": ["user with this email already exists."]}), r


def test_registration_is_an_admins_when_signup_is_closed(outbox):
    ob = outbox("--admin-email", ADMIN_EMAIL)
    body = {"email": "closed@example.org", "username": "closed", "password": "correct horse"}
    r = call(ob, "POST", "/api/v1/users/register/", body)
    assert (r.status, r.body) == (401, NO_CREDENTIALS), r
    assert r.headers.get("www-authenticate") == "Token"
    admin = admin_token(ob)
    assert call(ob, "POST", "/api/v1/users/register/", body, token=admin).status == 201
    customer = login(ob, "closed@example.org", "correct horse")
    body["email"] = "other@example.org"
    r = call(ob, "POST", "/api/v1/users/register/", body, token=customer)
    assert (r.status, r.body) == (403, FORBIDDEN), r


# --------------------------------------------------------------------------- templates


def test_template_create_get_put_patch_delete(ob):
    admin = admin_token(ob)
    _, customer = new_user(ob)
    body = {"name": "Welcome Onboard", "subject": "Welcome Onboard",
            "body": "We are please to offer you this role."}
    r = call(ob, "POST", "/api/v1/emails/email-template/", body, token=customer)
    assert (r.status, r.body) == (403, FORBIDDEN), r
    r = call(ob, "POST", "/api/v1/emails/email-template/", body)
    assert (r.status, r.body) == (401, NO_CREDENTIALS), r
    assert r.headers.get("www-authenticate") == "Token"
    r = call(ob, "POST", "/api/v1/emails/email-template/", body, token="0" * 40)
    assert (r.status, r.body) == (401, INVALID_TOKEN), r

    created = create_template(ob, admin, **body)
    tid = created["id"]
    # Anyone reads, without a credential, with or without the trailing slash.
    for path in (f"/api/v1/emails/email-template/{tid}/", f"/api/v1/emails/email-template/{tid}"):
        r = call(ob, "GET", path)
        assert (r.status, r.body) == (200, created), r

    r = call(ob, "PUT", f"/api/v1/emails/email-template/{tid}/",
             {"name": "Welcome Aboard", "subject": "Hello", "body": "New body"}, token=admin)
    assert r.status == 200, r
    assert (r.body["id"], r.body["name"], r.body["subject"], r.body["body"]) == (
        tid, "Welcome Aboard", "Hello", "New body")
    assert r.body["created"] == created["created"]
    assert parse_time(r.body["modified"]) >= parse_time(created["modified"])
    r = call(ob, "PUT", f"/api/v1/emails/email-template/{tid}/", {"body": "only"}, token=admin)
    assert (r.status, r.body) == (400, {"name": ["This field is required."],
                                        "subject": ["This field is required."]}), r
    r = call(ob, "PATCH", f"/api/v1/emails/email-template/{tid}", {"subject": "Patched"},
             token=admin)
    assert (r.status, r.body["subject"], r.body["name"], r.body["body"]) == (
        200, "Patched", "Welcome Aboard", "New body"), r
    r = call(ob, "PATCH", f"/api/v1/emails/email-template/{tid}/", {"subject": "x"},
             token=customer)
    assert (r.status, r.body) == (403, FORBIDDEN), r

    # The same template on the native API, its name percent-encoded in the path.
    r = ob.api("GET", "/v1/templates/" + urllib.parse.quote("Welcome Aboard"))
    assert r.status == 200 and r.body["text"] == "New body" and r.body["html"] == "", r

    r = call(ob, "DELETE", f"/api/v1/emails/email-template/{tid}/", token=customer)
    assert (r.status, r.body) == (403, FORBIDDEN), r
    r = call(ob, "DELETE", f"/api/v1/emails/email-template/{tid}/", token=admin)
    assert r.status == 204 and r.raw == b"", r
    r = call(ob, "GET", f"/api/v1/emails/email-template/{tid}/")
    assert (r.status, r.body) == (404, NOT_FOUND), r
    for method in ("PUT", "PATCH", "DELETE"):
        r = call(ob, method, f"/api/v1/emails/email-template/{tid}/",
                 {"name": "n", "subject": "s", "body": "b"}, token=admin)
        assert (r.status, r.body) == (404, NOT_FOUND), (method, r)
    r = call(ob, "GET", "/api/v1/emails/email-template/abc/")
    assert (r.status, r.body) == (404, NOT_FOUND), r
    r = call(ob, "GET", "/api/v1/emails/email-template/99999999999999999999/")
    assert (r.status, r.body) == (404, NOT_FOUND), r


def test_template_field_errors(ob):
    admin = admin_token(ob)
    r = call(ob, "POST", "/api/v1/emails/email-template/", {}, token=admin)
    assert (r.status, r.body) == (400, {"name": ["This field is required."],
                                        "subject": ["This field is required."],
                                        "body": ["This field is required."]}), r
    r = call(ob, "POST", "/api/v1/emails/email-template/",
             {"name": "x" * 256, "subject": None, "body": ["a"]}, token=admin)
    assert r.body == {"name": ["Ensure this field has no more than 255 characters."],
                      "subject": ["This field may not be null."],
                      "body": ["Not a valid string."]}, r
    r = call(ob, "POST", "/api/v1/emails/email-template/",
             {"name": "a/b", "subject": "s", "body": "b"}, token=admin)
    assert r.status == 400 and list(r.body) == ["name"], r
    r = call(ob, "POST", "/api/v1/emails/email-template/",
             {"name": "broken", "subject": "s", "body": "{{#open}}"}, token=admin)
    assert r.status == 400 and list(r.body) == ["body"], r
    create_template(ob, admin, "Taken Name")
    r = call(ob, "POST", "/api/v1/emails/email-template/",
             {"name": "Taken Name", "subject": "s", "body": "b"}, token=admin)
    assert (r.status, r.body) == (400, {
        "name": ["email template with this name already exists."]}), r
    # Surrounding white space is trimmed, as DRF's CharField does.
    created = create_template(ob, admin, "  Trimmed  ", " Subject ", " Body ")
    assert (created["name"], created["subject"], created["body"]) == ("Trimmed", "Subject", "Body")


def test_template_pages_of_ten(outbox):
    ob = outbox("--admin-email", ADMIN_EMAIL)
    admin = admin_token(ob)
    r = call(ob, "GET", "/api/v1/emails/email-template/")
    assert (r.status, r.body) == (200, {"count": 0, "next": None, "previous": None,
                                        "results": []}), r
    ids = [create_template(ob, admin, f"Template {i:02d}")["id"] for i in range(21)]
    base = f"http://{ob.host}:{ob.port}/api/v1/emails/email-template/"
    r = call(ob, "GET", "/api/v1/emails/email-template/")
    assert r.body["count"] == 21 and r.body["previous"] is None
    assert r.body["next"] == base + "?page=2"
    assert [t["id"] for t in r.body["results"]] == ids[:10]
    r = call(ob, "GET", "/api/v1/emails/email-template/?page=2")
    assert (r.body["previous"], r.body["next"]) == (base, base + "?page=3"), r
    r = call(ob, "GET", "/api/v1/emails/email-template?page=3")
    assert [t["id"] for t in r.body["results"]] == ids[20:]
    assert r.body["next"] is None
    assert r.body["previous"] == f"http://{ob.host}:{ob.port}/api/v1/emails/email-template?page=2"
    r = call(ob, "GET", "/api/v1/emails/email-template/?page=last")
    assert [t["id"] for t in r.body["results"]] == ids[20:]
    for page in ("4", "0", "-1", "abc", "1.0"):
        r = call(ob, "GET", f"/api/v1/emails/email-template/?page={page}")
        assert (r.status, r.body) == (404, INVALID_PAGE), (page, r)


# --------------------------------------------------------------------------- sent emails


def test_sent_mail_arrives_one_per_recipient_from_the_sender(ob, smtp):
    admin = admin_token(ob)
    tmpl = create_template(ob, admin, "Greeting", "Hello {{recipient}}",
                           "Dear {{recipient}}, greetings from {{sender}}.")
    email, token = new_user(ob, "sender")
    recipients = ["first.one@example.net", "second.one@example.net"]
    r = call(ob, "POST", "/api/v1/emails/sent-email/",
             {"recipients": recipients, "template": tmpl["id"]}, token=token)
    assert (r.status, r.body) == (200, SENT), r
    for address in recipients:
        [message] = wait_for(lambda: received_by(smtp, address), message=f"mail to {address}")
        assert message.rcpt_tos == [address]
        assert message.mail_from == email
        assert message.header("From") == email
        assert message.header("To") == address
        assert message.header("Sender") == "Outbox <outbox@example.test>"
        assert message.header("Subject") == f"Hello {address}"
        body = message.message.get_body(("plain",)).get_content()
        assert body.strip() == f"Dear {address}, greetings from {email}."
        assert message.message.get_body(("html",)) is None


def test_sent_email_list_pages_detail_and_405(ob):
    admin = admin_token(ob)
    tmpl = create_template(ob, admin, "Paging")
    email, token = new_user(ob)
    for i in range(11):
        r = call(ob, "POST", "/api/v1/emails/sent-email",
                 {"recipients": [f"r{i}@example.net"], "template": tmpl["id"]}, token=token)
        assert (r.status, r.body) == (200, SENT), r
    base = f"http://{ob.host}:{ob.port}/api/v1/emails/sent-email/"
    r = call(ob, "GET", "/api/v1/emails/sent-email/", token=token)
    assert r.status == 200 and r.body["count"] == 11, r
    assert (r.body["next"], r.body["previous"]) == (base + "?page=2", None)
    assert len(r.body["results"]) == 10
    first = r.body["results"][0]
    assert set(first) == {"id", "sent_by_email_address", "template", "recipients", "sent_time"}
    assert (first["sent_by_email_address"], first["template"], first["recipients"]) == (
        email, tmpl["id"], ["r0@example.net"])
    assert_drf_time(first["sent_time"])
    r = call(ob, "GET", "/api/v1/emails/sent-email/?page=2", token=token)
    assert (r.body["next"], r.body["previous"]) == (None, base)
    assert [s["recipients"] for s in r.body["results"]] == [["r10@example.net"]]
    r = call(ob, "GET", "/api/v1/emails/sent-email/?page=3", token=token)
    assert (r.status, r.body) == (404, INVALID_PAGE), r

    detail = f"/api/v1/emails/sent-email/{first['id']}/"
    for path in (detail, detail.rstrip("/")):
        r = call(ob, "GET", path, token=token)
        assert (r.status, r.body) == (200, first), r
    for method in ("PUT", "PATCH", "DELETE"):
        r = call(ob, method, detail, {"recipients": ["x@example.net"]}, token=token)
        assert (r.status, r.body) == (405, {"detail": f'Method "{method}" not allowed.'}), r
        r = call(ob, method, detail, {})
        assert (r.status, r.body) == (401, NO_CREDENTIALS), r
    # Another person's record does not exist for them; their own list is empty.
    _, other = new_user(ob)
    r = call(ob, "GET", detail, token=other)
    assert (r.status, r.body) == (404, NOT_FOUND), r
    assert call(ob, "GET", "/api/v1/emails/sent-email/", token=other).body["count"] == 0
    r = call(ob, "GET", "/api/v1/emails/sent-email/123456789/", token=token)
    assert (r.status, r.body) == (404, NOT_FOUND), r
    # A method no route of a known path takes.
    r = call(ob, "DELETE", "/api/v1/emails/sent-email/", token=token)
    assert (r.status, r.body) == (405, {"detail": 'Method "DELETE" not allowed.'}), r


def test_sent_email_filters_by_recipient_and_time(ob):
    admin = admin_token(ob)
    tmpl = create_template(ob, admin, "Filtering")
    _, token = new_user(ob)
    for recipients in (["one@example.net", "two@example.net"], ["two@example.net"],
                       ["three@example.net"]):
        r = call(ob, "POST", "/api/v1/emails/sent-email/",
                 {"recipients": recipients, "template": tmpl["id"]}, token=token)
        assert r.status == 200, r

    def listed(query):
        r = call(ob, "GET", "/api/v1/emails/sent-email/?" + query, token=token)
        assert r.status == 200, (query, r)
        return [s["recipients"] for s in r.body["results"]]

    assert listed("recipient=one@example.net") == [["one@example.net", "two@example.net"]]
    assert listed("recipient=TWO@example.net") == [["one@example.net", "two@example.net"],
                                                   ["two@example.net"]]
    assert listed("recipient=one@example.net&recipient=three@example.net") == [
        ["one@example.net", "two@example.net"], ["three@example.net"]]
    assert listed("recipient=nobody@example.net") == []

    now = datetime.datetime.now(datetime.timezone.utc)
    today = now.strftime("%Y-%m-%d")
    tomorrow = (now + datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    yesterday = (now - datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    assert len(listed(f"start_time={today}")) == 3
    assert listed(f"start_time={tomorrow}") == []
    assert listed(f"end_time={yesterday}") == []
    assert len(listed(f"start_time={yesterday}&end_time={tomorrow}")) == 3
    hour_ago = (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    hour_ahead = (now + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert len(listed(f"start_time={hour_ago}Z&end_time={hour_ahead}")) == 3
    assert listed(f"start_time={hour_ahead}") == []
    # An offset: the same instant an hour ahead, written in UTC+01:00.
    plus_one = (now + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    assert listed("start_time=" + urllib.parse.quote(plus_one + "+01:00")) == []
    assert len(listed("recipient=two@example.net&start_time=" + today)) == 2
    # A filtered page keeps the filters in its links, sorted by name as DRF writes them.
    for recipient in ("a@example.net",) * 11:
        call(ob, "POST", "/api/v1/emails/sent-email/",
             {"recipients": [recipient], "template": tmpl["id"]}, token=token)
    r = call(ob, "GET", f"/api/v1/emails/sent-email/?start_time={today}&recipient=a@example.net",
             token=token)
    assert r.body["count"] == 11
    assert r.body["next"].endswith(
        f"/api/v1/emails/sent-email/?page=2&recipient=a%40example.net&start_time={today}"), r
    for bad in ("2023-13-01", "yesterday", "2023-03-25T25:00"):
        r = call(ob, "GET", "/api/v1/emails/sent-email/?start_time=" + bad, token=token)
        assert (r.status, r.body) == (400, {"start_time": ["Enter a valid date/time."]}), r
    r = call(ob, "GET", "/api/v1/emails/sent-email/?end_time=x", token=token)
    assert (r.status, r.body) == (400, {"end_time": ["Enter a valid date/time."]}), r


def test_sent_email_bad_input(ob):
    admin = admin_token(ob)
    tmpl = create_template(ob, admin, "Bad Input")
    _, token = new_user(ob)
    cases = [
        ({}, {"recipients": ["This field is required."], "template": ["This field is required."]}),
        ({"recipients": "a@example.net", "template": tmpl["id"]},
         {"recipients": ['Expected a list of items but got type "str".']}),
        ({"recipients": [], "template": tmpl["id"]},
         {"recipients": ["This list may not be empty."]}),
        ({"recipients": ["ok@example.net", 5, True], "template": tmpl["id"]},
         {"recipients": {"1": ["Enter a valid email address."], "2": ["Not a valid string."]}}),
        ({"recipients": ["ok@example.net", "not an address"], "template": tmpl["id"]},
         {"recipients": {"1": ["Enter a valid email address."]}}),
        ({"recipients": ["Ada <ada@example.net>"], "template": tmpl["id"]},
         {"recipients": {"0": ["Enter a valid email address."]}}),
        ({"recipients": ["a@example.net"], "template": "one"},
         {"template": ["Incorrect type. Expected pk value, received str."]}),
        ({"recipients": ["a@example.net"], "template": None},
         {"template": ["This field may not be null."]}),
        ({"recipients": ["a@example.net"], "template": 987654},
         {"template": ['Invalid pk "987654" - object does not exist.']}),
        ({"recipients": [f"r{i}@example.net" for i in range(101)], "template": tmpl["id"]},
         {"recipients": ["Ensure this field has no more than 100 elements."]}),
    ]
    for body, answer in cases:
        r = call(ob, "POST", "/api/v1/emails/sent-email/", body, token=token)
        assert (r.status, r.body) == (400, answer), (body, r)
    # A template id as a string of digits is taken, as DRF's primary key field does.
    r = call(ob, "POST", "/api/v1/emails/sent-email/",
             {"recipients": ["a@example.net", "A@example.net "], "template": str(tmpl["id"])},
             token=token)
    assert (r.status, r.body) == (200, SENT), r
    r = call(ob, "GET", "/api/v1/emails/sent-email/", token=token)
    assert [s["recipients"] for s in r.body["results"]] == [["a@example.net"]]
    r = call(ob, "POST", "/api/v1/emails/sent-email/",
             {"recipients": ["a@example.net"], "template": tmpl["id"]})
    assert (r.status, r.body) == (401, NO_CREDENTIALS), r


def test_malformed_and_huge_bodies(ob):
    _, token = new_user(ob)
    for path in ("/api/v1/users/login/", "/api/v1/emails/sent-email/"):
        r = call(ob, "POST", path, '{"username": ', token=token)
        assert r.status == 400 and r.body["detail"].startswith("JSON parse error - "), r
        assert set(r.body) == {"detail"}, r
        r = call(ob, "POST", path, "[1, 2]", token=token)
        assert (r.status, r.body) == (400, {"non_field_errors": [
            "Invalid data. Expected a dictionary, but got list."]}), r
    huge = json.dumps({"username": "x" * (11 << 20), "password": "p"})
    r = call(ob, "POST", "/api/v1/users/login/", huge)
    assert r.status == 413, r
    assert r.body == {"detail": "Request body is larger than the configured limit."}, r


def test_router_root_and_unknown_paths(ob):
    _, token = new_user(ob)
    for path in ("/api/v1/emails/", "/api/v1/emails"):
        r = call(ob, "GET", path, token=token)
        base = f"http://{ob.host}:{ob.port}/api/v1/emails/"
        assert (r.status, r.body) == (200, {"email-template": base + "email-template/",
                                            "sent-email": base + "sent-email/"}), r
    r = call(ob, "GET", "/api/v1/emails/")
    assert (r.status, r.body) == (401, NO_CREDENTIALS), r
    assert r.headers.get("www-authenticate") == "Token"
    # Another scheme's credential is not a DRF token.
    r = call(ob, "GET", "/api/v1/emails/", headers={"Authorization": f"Bearer {ob.admin_key}"})
    assert (r.status, r.body) == (401, NO_CREDENTIALS), r
    r = call(ob, "GET", "/api/v1/emails/nothing-here/", token=token)
    assert (r.status, r.body) == (404, NOT_FOUND), r


def test_every_route_with_and_without_trailing_slash(ob):
    admin = admin_token(ob)
    email, token = new_user(ob)
    tmpl = create_template(ob, admin, "Slashes")
    tid = tmpl["id"]
    for slash in ("/", ""):
        assert call(ob, "GET", "/api/v1/emails" + slash, token=token).status == 200
        assert call(ob, "GET", "/api/v1/emails/email-template" + slash).status == 200
        assert call(ob, "GET", f"/api/v1/emails/email-template/{tid}" + slash).status == 200
        assert call(ob, "PATCH", f"/api/v1/emails/email-template/{tid}" + slash,
                    {"subject": "s" + slash}, token=admin).status == 200
        assert call(ob, "PUT", f"/api/v1/emails/email-template/{tid}" + slash,
                    {"name": "Slashes", "subject": "s", "body": "b"}, token=admin).status == 200
        r = call(ob, "POST", "/api/v1/emails/sent-email" + slash,
                 {"recipients": ["s@example.net"], "template": tid}, token=token)
        assert r.status == 200, r
        r = call(ob, "GET", "/api/v1/emails/sent-email" + slash, token=token)
        assert r.status == 200, r
        sid = r.body["results"][0]["id"]
        assert call(ob, "GET", f"/api/v1/emails/sent-email/{sid}" + slash,
                    token=token).status == 200
        assert call(ob, "PUT", f"/api/v1/emails/sent-email/{sid}" + slash, {},
                    token=token).status == 405
        n = next(_users)
        assert call(ob, "POST", "/api/v1/users/register" + slash,
                    {"email": f"slash{n}@example.org", "username": f"slash{n}",
                     "password": "correct horse"}).status == 201
        t = login(ob, f"slash{n}@example.org", "correct horse")
        assert call(ob, "POST", "/api/v1/users/login" + slash,
                    {"username": email, "password": "correct horse battery"}).status == 200
        assert call(ob, "POST", "/api/v1/users/logout" + slash, {}, token=t).status == 200
    for slash in ("/", ""):
        created = create_template(ob, admin, f"Doomed {len(slash)}")
        r = call(ob, "DELETE", f"/api/v1/emails/email-template/{created['id']}" + slash,
                 token=admin)
        assert r.status == 204, r


def test_template_names_with_spaces_on_the_native_and_ses_routes(ob):
    # /v1/templates takes the seed's names percent-encoded; the SES-compatible list shows them.
    r = ob.api("POST", "/v1/templates", json={"name": "Quarterly Report", "html": "<p>Q</p>"})
    assert r.status == 201, r
    path = "/v1/templates/" + urllib.parse.quote("Quarterly Report")
    assert ob.api("GET", path).body["html"] == "<p>Q</p>"
    assert ob.api("GET", path + "/versions").status == 200
    r = call(ob, "GET", "/api/v1/emails/email-template/?page=last")
    names = {t["name"]: t for t in r.body["results"]}
    assert names["Quarterly Report"]["body"] == "<p>Q</p>"
    assert ob.api("DELETE", path).status == 204
