"""Seed 002 (the Gin user service), black-box: the real binary and a recording SMTP server.

Registration mails a confirmation link; the link's GET only shows a page with a button (mail
scanners fetch links), its POST confirms, once. Login answers {"token"} and sets the jwt_token
cookie; /api/v1/profile takes the token as Bearer or as that cookie; /api/v1/users is an
admin's. Every error on these routes is {"error": ...}.

The seed's README shows one request, POST /api/v1/register, and the .env its server reads
(HTTP_HOST, HTTP_PORT); both are used verbatim below. (Its curl line lacks `-H` and `-d '{`;
the body it shows is what is sent, with and without a JSON Content-Type.)
"""

import json
import os
import re
import sqlite3
import subprocess
import urllib.parse

import pytest

from harness import clean_env, free_port, http_request, wait_for

SENDER = "noreply@example.test"

SEED_REGISTER = '''{
    "email": "test@example.com",
    "password": "password123",
    "name": "Test User"
}'''
SEED_REGISTERED = {"message": "User registered successfully!"}

SEED_DOTENV = '''# PostgreSQL
DB_USER=admin
DB_PASS=password
DB_NAME=users_db
DB_PORT=5434 # Host port for Postgres

# RabbitMQ
RABBITMQ_USER=guest
RABBITMQ_PASS=guest
RABBITMQ_PORT=5672 # Host port for RabbitMQ AMQP

# Auth Service
HTTP_HOST=0.0.0.0
HTTP_PORT=8080
'''

LINK_RE = re.compile(r"(https?://\S+?(/api/v1/confirm)\?token=([A-Za-z0-9]+))")
PASSWORD = "correct horse battery"


# --------------------------------------------------------------------------- helpers


def post(ob, path, body, headers=None):
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    if isinstance(data, str):
        data = data.encode("utf-8")
    return http_request(ob.host, ob.port, "POST", path, data, hdrs)


def get(ob, path, headers=None):
    return http_request(ob.host, ob.port, "GET", path, None, headers or {})


def press_button(ob, path, token):
    """What the page's form sends: the token as a form field."""
    return http_request(ob.host, ob.port, "POST", path,
                        urllib.parse.urlencode({"token": token}).encode(),
                        {"Content-Type": "application/x-www-form-urlencoded"})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def cookie(token):
    return {"Cookie": f"theme=dark; jwt_token={token}"}


def assert_gin_error(r, status, mentions=None):
    assert r.status == status, r
    assert r.content_type.startswith("application/json"), r
    assert isinstance(r.body, dict) and set(r.body) <= {"error", "field"}, r
    assert isinstance(r.body["error"], str) and r.body["error"], r
    if mentions:
        assert mentions in r.body["error"] or r.body.get("field") == mentions, r


def register(ob, email, password=PASSWORD, name="Pat Example"):
    r = post(ob, "/api/v1/register", {"email": email, "password": password, "name": name})
    assert r.status == 201, r
    assert r.body == SEED_REGISTERED, r
    return r


def mails_to(srv, email):
    return [m for m in srv.received() if email in m.rcpt_tos]


def link_of(srv, email, index=-1):
    """(full link, path, token) of the confirmation mail `email` received."""
    received = wait_for(lambda: mails_to(srv, email), timeout=15,
                        message=f"the confirmation mail to {email}")
    text = received[index].message.get_body(preferencelist=("plain",)).get_content()
    match = LINK_RE.search(text)
    assert match, text
    return match.group(1), match.group(2), match.group(3)


def login(ob, email, password=PASSWORD):
    return post(ob, "/api/v1/login", {"email": email, "password": password})


def signed_in(ob, email, password=PASSWORD):
    r = login(ob, email, password)
    assert r.status == 200, r
    return r.body["token"]


def confirmed_customer(ob, srv, email):
    register(ob, email)
    _, path, token = link_of(srv, email)
    assert press_button(ob, path, token).status == 200
    return signed_in(ob, email)


def assert_page(r, status, *phrases):
    assert r.status == status, r
    assert r.content_type.startswith("text/html"), r
    assert r.headers.get("cache-control") == "no-store", r.headers
    assert r.headers.get("referrer-policy") == "no-referrer", r.headers
    csp = r.headers.get("content-security-policy", "")
    assert "default-src 'none'" in csp and "form-action 'self'" in csp, csp
    assert "frame-ancestors 'none'" in csp, csp
    # Nothing is loaded from anywhere: no scripts, styles, images or frames.
    assert not re.search(r"<(script|link|img|iframe|style)\b|\b(src|href)=", r.body, re.I), r.body
    for phrase in phrases:
        assert phrase.lower() in r.body.lower(), r.body


@pytest.fixture
def seed002(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--default-from", SENDER, "--max-body-bytes", "65536")
    return ob, srv


# --------------------------------------------------------------------------- the seed's examples


def test_seed_register_example_verbatim(seed002):
    ob, srv = seed002
    r = post(ob, "/api/v1/register", SEED_REGISTER)
    assert r.status == 201, r
    assert r.body == SEED_REGISTERED, r
    assert r.raw == b'{"message":"User registered successfully!"}', r

    link, path, token = link_of(srv, "test@example.com")
    assert link == f"{ob.url}/api/v1/confirm?token={token}"
    mail = mails_to(srv, "test@example.com")[0]
    assert mail.header("Subject") == "Confirm your email address"
    assert mail.mail_from == SENDER


def test_seed_register_example_as_its_curl_line_sends_it(seed002):
    """curl -d without -H sends application/x-www-form-urlencoded; Gin binds JSON regardless."""
    ob, srv = seed002
    r = post(ob, "/api/v1/register", SEED_REGISTER,
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 201, r
    assert r.body == SEED_REGISTERED, r


def test_seed_dotenv_http_host_and_port(outbox_binary, tmp_path):
    (tmp_path / ".env").write_text(SEED_DOTENV)
    p = subprocess.run([outbox_binary, "config", "check"], capture_output=True, text=True,
                       timeout=10, env=clean_env(), cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p
    assert re.search(r"^host = 0\.0\.0\.0  \(\.env HTTP_HOST\)$", p.stdout, re.M), p.stdout
    assert re.search(r"^port = 8080  \(\.env HTTP_PORT\)$", p.stdout, re.M), p.stdout


def test_http_host_and_port_from_the_environment_bind_the_server(outbox):
    port = free_port()
    ob = outbox(env={"HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port)})
    assert ob.port == port
    assert get(ob, "/health/ping").status == 200


# --------------------------------------------------------------------------- confirmation link


def test_the_links_get_confirms_nothing_its_post_confirms_once(seed002):
    ob, srv = seed002
    register(ob, "pat@example.test")
    link, path, token = link_of(srv, "pat@example.test")
    assert path == "/api/v1/confirm"

    # A scanner fetches the link, twice: a page with a button, and nothing confirmed.
    for _ in range(2):
        r = get(ob, f"{path}?token={token}")
        assert_page(r, 200, "Confirm your email address")
        assert '<form method="post" action="/api/v1/confirm">' in r.body, r.body
        assert f'<input type="hidden" name="token" value="{token}">' in r.body, r.body
        assert "<button" in r.body
    r = http_request(ob.host, ob.port, "HEAD", f"{path}?token={token}")
    assert r.status == 200, r
    assert_gin_error(login(ob, "pat@example.test"), 403, "confirmed")

    r = press_button(ob, path, token)
    assert_page(r, 200, "confirmed")
    assert signed_in(ob, "pat@example.test")

    assert_page(press_button(ob, path, token), 410, "already used")
    assert_page(get(ob, f"{path}?token={token}"), 410, "already used")


def test_the_originals_confirm_email_route_confirms_the_same_way(seed002):
    ob, srv = seed002
    register(ob, "orig@example.test")
    _, _, token = link_of(srv, "orig@example.test")

    r = get(ob, f"/api/v1/confirm-email?token={token}")
    assert_page(r, 200, "Confirm your email address")
    assert '<form method="post" action="/api/v1/confirm-email">' in r.body, r.body
    assert_gin_error(login(ob, "orig@example.test"), 403, "confirmed")

    # The token in the query works as well as the form's field.
    r = http_request(ob.host, ob.port, "POST", f"/api/v1/confirm-email?token={token}", b"")
    assert_page(r, 200, "confirmed")
    assert signed_in(ob, "orig@example.test")
    # Single use across both spellings.
    assert_page(press_button(ob, "/api/v1/confirm", token), 410, "already used")
    assert_page(press_button(ob, "/api/v1/confirm-email", token), 410, "already used")


def test_unknown_and_missing_tokens_get_a_page_not_a_confirmation(seed002):
    ob, _ = seed002
    for path in ("/api/v1/confirm", "/api/v1/confirm-email"):
        assert_page(get(ob, f"{path}?token=" + "a" * 43), 404, "not valid")
        assert_page(get(ob, path), 404, "not valid")
        assert_page(press_button(ob, path, "b" * 43), 404, "not valid")
        r = get(ob, path + "?token=" + urllib.parse.quote('"><script>alert(1)</script>'))
        assert_page(r, 404, "not valid")
        assert "alert" not in r.body, r.body


def test_an_expired_link_says_so_and_confirms_nothing(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--default-from", SENDER, "--confirm-link-ttl-ms", "1000")
    register(ob, "late@example.test")
    _, path, token = link_of(srv, "late@example.test")

    def expired_page():
        r = get(ob, f"{path}?token={token}")
        return r if r.status == 410 else None

    assert_page(wait_for(expired_page, timeout=10, interval=0.1,
                         message="the link's page to say it expired"), 410, "expired")
    assert_page(press_button(ob, path, token), 410, "expired")
    assert_gin_error(login(ob, "late@example.test"), 403, "confirmed")


# --------------------------------------------------------------------------- login, cookie, profile


def test_login_before_confirmation_is_403_naming_the_reason(seed002):
    ob, _ = seed002
    register(ob, "early@example.test")
    r = login(ob, "early@example.test")
    assert_gin_error(r, 403)
    assert "not confirmed" in r.body["error"], r
    assert "set-cookie" not in r.headers, r.headers


def test_login_answers_a_token_and_sets_the_cookie(seed002):
    ob, srv = seed002
    register(ob, "cookie@example.test", name="Cookie Monster")
    _, path, token = link_of(srv, "cookie@example.test")
    press_button(ob, path, token)

    r = login(ob, "cookie@example.test")
    assert r.status == 200, r
    assert set(r.body) == {"token"}, r
    jwt = r.body["token"]
    assert jwt.count(".") == 2, jwt

    attributes = [part.strip() for part in r.headers["set-cookie"].split(";")]
    assert attributes[0] == f"jwt_token={jwt}", attributes
    flags = {a.split("=")[0].lower(): (a.split("=", 1)[1] if "=" in a else True)
             for a in attributes[1:]}
    assert flags == {"path": "/", "max-age": "900", "httponly": True, "samesite": "Lax"}, flags

    profile = {"email": "cookie@example.test", "name": "Cookie Monster", "role": "customer"}
    r = get(ob, "/api/v1/profile", bearer(jwt))
    assert r.status == 200, r
    assert set(r.body) == {"id", "email", "name", "role"}, r
    assert {k: r.body[k] for k in profile} == profile
    by_cookie = get(ob, "/api/v1/profile", cookie(jwt))
    assert by_cookie.status == 200, by_cookie
    assert by_cookie.body == r.body


def test_profile_refusals_are_401_in_the_error_shape(seed002):
    ob, _ = seed002
    assert_gin_error(get(ob, "/api/v1/profile"), 401, "jwt_token")
    assert_gin_error(get(ob, "/api/v1/profile", {"Cookie": "jwt_token=abc.def.ghi"}), 401)
    assert_gin_error(get(ob, "/api/v1/profile", bearer("abc.def.ghi")), 401)
    # An API key is not a person's token at this door.
    assert_gin_error(get(ob, "/api/v1/profile", bearer(ob.admin_key)), 401)


def test_a_tampered_token_is_refused(seed002):
    ob, srv = seed002
    jwt = confirmed_customer(ob, srv, "tamper@example.test")
    head, payload, signature = jwt.split(".")
    forged = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert_gin_error(get(ob, "/api/v1/profile", bearer(forged)), 401)
    assert_gin_error(get(ob, "/api/v1/profile", cookie(forged)), 401)


def test_the_cookie_is_secure_when_the_public_url_is_https(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--default-from", SENDER,
                "--public-url", "https://accounts.example.test/outbox/")
    register(ob, "tls@example.test")
    link, path, token = link_of(srv, "tls@example.test")
    assert link == f"https://accounts.example.test/outbox/api/v1/confirm?token={token}"
    assert press_button(ob, path, token).status == 200
    r = login(ob, "tls@example.test")
    assert r.status == 200, r
    assert "Secure" in [a.strip() for a in r.headers["set-cookie"].split(";")], r.headers


def test_wrong_credentials_are_401_and_repeated_failures_429(seed002):
    ob, srv = seed002
    confirmed_customer(ob, srv, "guess@example.test")
    assert_gin_error(login(ob, "guess@example.test", "wrong password"), 401)
    unknown = login(ob, "nobody@example.test", "wrong password")
    assert_gin_error(unknown, 401)
    assert unknown.body == login(ob, "guess@example.test", "wrong password").body

    def throttled():
        r = login(ob, "guess@example.test", "wrong password")
        assert r.status in (401, 429), r
        return r if r.status == 429 else None

    r = wait_for(throttled, timeout=30, interval=0, message="a 429 after repeated failures")
    assert_gin_error(r, 429)
    assert int(r.headers["retry-after"]) >= 1, r.headers
    # Throttled before the password is looked at: the right one waits too.
    assert login(ob, "guess@example.test").status == 429


# --------------------------------------------------------------------------- users (admin)


def test_users_lists_for_an_admin_only(seed002):
    ob, srv = seed002
    customer = confirmed_customer(ob, srv, "cust@example.test")
    admin_email, admin_password = ob.admin_user()  # printed by the first start
    admin = signed_in(ob, admin_email, admin_password)

    r = get(ob, "/api/v1/users", bearer(admin))
    assert r.status == 200, r
    assert isinstance(r.body, list), r
    for user in r.body:
        assert set(user) == {"id", "email", "name", "role"}, user
    roles = {user["email"]: user["role"] for user in r.body}
    assert roles == {admin_email: "admin", "cust@example.test": "customer"}, r.body
    assert get(ob, "/api/v1/users", cookie(admin)).body == r.body

    forbidden = get(ob, "/api/v1/users", bearer(customer))
    assert_gin_error(forbidden, 403, "admin")
    assert_gin_error(get(ob, "/api/v1/users", cookie(customer)), 403)
    assert_gin_error(get(ob, "/api/v1/users"), 401)


def test_the_admin_password_is_printed_once(seed002):
    ob, _ = seed002
    _, password = ob.admin_user()
    ob.restart()
    assert "admin user" not in ob.stdout() and password not in ob.stdout(), ob.stdout()


# --------------------------------------------------------------------------- registration errors


def test_a_taken_email_is_409(seed002):
    ob, srv = seed002
    register(ob, "taken@example.test")
    for email in ("taken@example.test", "TAKEN@example.test"):
        r = post(ob, "/api/v1/register", {"email": email, "password": PASSWORD, "name": "Two"})
        assert_gin_error(r, 409, "email")
    wait_for(lambda: mails_to(srv, "taken@example.test"))
    assert len(mails_to(srv, "taken@example.test")) == 1


@pytest.mark.parametrize("body, field", [
    ({"password": PASSWORD, "name": "N"}, "email"),
    ({"email": "x@example.test", "name": "N"}, "password"),
    ({"email": "x@example.test", "password": PASSWORD}, "name"),
    ({"email": "", "password": PASSWORD, "name": "N"}, "email"),
    ({"email": 7, "password": PASSWORD, "name": "N"}, "email"),
    ({"email": "not-an-address", "password": PASSWORD, "name": "N"}, "email"),
    ({"email": "Pat <x@example.test>", "password": PASSWORD, "name": "N"}, "email"),
    ({"email": "x@example.test", "password": "short", "name": "N"}, "password"),
    ({"email": "x@example.test", "password": PASSWORD, "name": "a\nb"}, "name"),
    ({"email": "x@example.test", "password": PASSWORD, "name": "n" * 201}, "name"),
])
def test_bad_registrations_name_the_field(seed002, body, field):
    ob, srv = seed002
    r = post(ob, "/api/v1/register", body)
    assert_gin_error(r, 400)
    assert r.body.get("field") == field, r
    assert field in r.body["error"], r


@pytest.mark.parametrize("path", ["/api/v1/register", "/api/v1/login",
                                  "/api/v1/resend-confirmation"])
def test_bad_json_and_huge_bodies_are_4xx_naming_the_field(seed002, path):
    ob, _ = seed002
    for raw in ("{", "[]", '"text"', '{"email": "x@example.test"} trailing', ""):
        r = post(ob, path, raw)
        assert_gin_error(r, 400)
        assert r.body.get("field") == "body", r
    r = post(ob, path, {})
    assert_gin_error(r, 400, "email")
    assert r.body.get("field") == "email", r
    huge = json.dumps({"email": "x@example.test", "password": "p" * 100_000, "name": "N"})
    r = post(ob, path, huge)
    assert_gin_error(r, 413)
    assert r.body.get("field") == "body", r


def test_login_needs_both_fields(seed002):
    ob, _ = seed002
    r = post(ob, "/api/v1/login", {"email": "x@example.test"})
    assert_gin_error(r, 400)
    assert r.body["field"] == "password", r
    r = post(ob, "/api/v1/login", {"password": PASSWORD})
    assert r.body["field"] == "email", r


def test_routes_the_door_does_not_have_answer_in_its_shape(seed002):
    ob, _ = seed002
    r = http_request(ob.host, ob.port, "DELETE", "/api/v1/users", None, {})
    assert r.status in (404, 405), r
    assert "error" in r.body, r


def test_nothing_is_mailed_for_refused_registrations(seed002):
    ob, srv = seed002
    post(ob, "/api/v1/register", {"email": "x@example.test", "password": "short", "name": "N"})
    register(ob, "after@example.test")
    link_of(srv, "after@example.test")
    assert [m.rcpt_tos for m in srv.received()] == [["after@example.test"]]


# --------------------------------------------------------------------------- resend


def test_resend_is_rate_limited_and_answers_alike_for_unknown_addresses(seed002):
    ob, srv = seed002
    register(ob, "again@example.test")
    link_of(srv, "again@example.test")

    r = post(ob, "/api/v1/resend-confirmation", {"email": "again@example.test"})
    assert_gin_error(r, 429)
    assert int(r.headers["retry-after"]) >= 1, r.headers

    unknown = post(ob, "/api/v1/resend-confirmation", {"email": "nobody@example.test"})
    assert unknown.status == 200, unknown
    assert set(unknown.body) == {"message"}, unknown
    confirmed_customer(ob, srv, "done@example.test")
    done = post(ob, "/api/v1/resend-confirmation", {"email": "done@example.test"})
    assert (done.status, done.body) == (unknown.status, unknown.body)
    assert len(mails_to(srv, "again@example.test")) == 1
    assert len(mails_to(srv, "done@example.test")) == 1
    assert not mails_to(srv, "nobody@example.test")


# --------------------------------------------------------------------------- at rest


def test_the_database_holds_no_plaintext_password_or_link_token(seed002):
    ob, srv = seed002
    password = "plaintext-canary-7d1e"
    register(ob, "rest@example.test", password=password)
    _, _, token = link_of(srv, "rest@example.test")
    db = os.path.join(ob.data_dir, "outbox.db")

    def cells():
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            tables = [row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    for value in row:
                        if isinstance(value, bytes):
                            value = value.decode("utf-8", "replace")
                        if isinstance(value, str):
                            yield table, value
        finally:
            conn.close()

    def holds(secret):
        return sorted({table for table, value in cells() if secret in value})

    # The mail is redacted once delivered; its delivery is recorded just after the SMTP reply.
    wait_for(lambda: not holds(token), timeout=10, message="the delivered mail to be redacted")
    assert holds(password) == []
    hashes = [value for table, value in cells() if value.startswith("$argon2id$")]
    assert hashes, "no argon2id password hash in the database"
    with open(os.path.join(ob.data_dir, "app.log"), encoding="utf-8") as log:
        text = log.read()
    assert password not in text and token not in text


# --------------------------------------------------------------------------- applications' links


def test_an_applications_link_confirms_on_the_same_page_then_leads_on(outbox, smtp_server):
    """/v1/verifications mails links to the same page; after the button, its redirect URL."""
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--default-from", SENDER,
                "--redirect-hosts", "app.example.test")
    r = ob.api("POST", "/v1/verifications",
               json={"email": "app-user@example.test",
                     "redirect_url": "https://app.example.test/welcome?step=2"})
    assert r.status == 201, r
    verification = r.body["id"]
    _, path, token = link_of(srv, "app-user@example.test")

    assert_page(get(ob, f"{path}?token={token}"), 200, "Confirm your email address")
    assert ob.api("GET", f"/v1/verifications/{verification}").body["status"] == "pending"

    r = press_button(ob, path, token)
    assert r.status == 200, r
    leads_to = f"https://app.example.test/welcome?step=2&amp;verification={verification}"
    assert f'<a href="{leads_to}">' in r.body, r.body
    assert r.headers["refresh"] == "0; url=" + leads_to.replace("&amp;", "&"), r.headers
    assert r.headers.get("cache-control") == "no-store", r.headers
    assert ob.api("GET", f"/v1/verifications/{verification}").body["status"] == "confirmed"
    assert_page(press_button(ob, path, token), 410, "already used")
