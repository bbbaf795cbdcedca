"""The dashboard attacked as an outsider would: a page on another origin that rides the signed-in
person's cookie, mail and names crafted to run script in the dashboard, a copy of the database
in a thief's hands, a planted cookie, huge and deeply nested sign-in bodies, and paths that try
to leave the embedded files."""
import http.server
import os
import sqlite3
import threading

import pytest

from dashboard_browser import *  # noqa: F401,F403 (fixtures and helpers)
from dashboard_browser import ADMIN_PASSWORD, By, signed_in

ADMIN_EMAIL = "admin@localhost"  # the first start's admin; its password is ADMIN_PASSWORD
from harness import http_request, wait_for


class _Page(http.server.BaseHTTPRequestHandler):
    html = b""

    def do_GET(self):  # noqa: N802 (the standard library's name)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.html)))
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, *args):
        pass


@pytest.fixture
def attacker_site():
    """An HTTP server on another port of the same host (another origin, the same site: the
    SameSite=Strict cookie alone does not stop it) serving one page."""
    servers = []

    def serve(html):
        handler = type("Page", (_Page,), {"html": html.encode()})
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/"

    yield serve
    for httpd in servers:
        httpd.shutdown()


def test_another_origin_cannot_act_with_the_signed_in_cookie(server, browsers, attacker_site):
    email = ADMIN_EMAIL
    browser = signed_in(browsers, server, email, ADMIN_PASSWORD)
    evil = "evil@example.test"
    # A form that posts JSON as text/plain, and fetch() calls that ride the cookie. The server
    # parses a JSON body whatever its Content-Type, so only the X-CSRF-Token header stops
    # them: a page cannot send a custom header to another origin without CORS, which outbox
    # never grants, and it cannot read an answer either.
    name = f'{{"email":"{evil}","role":"admin","password":"evil password'
    page = f"""<!doctype html><title>prize</title>
<form id="f" method="post" enctype="text/plain" action="{server.url}/v1/users" target="sink">
<input type="hidden" name='{name}' value='1"}}'></form>
<iframe name="sink"></iframe>
<script>
const target = {server.url!r};
const send = (method, path, json) => fetch(target + path, {{method, credentials: 'include',
  mode: 'no-cors', headers: {{'Content-Type': 'text/plain'}}, body: JSON.stringify(json)}});
const read = fetch(target + '/v1/users', {{credentials: 'include'}}).then(
  (r) => r.text().then((t) => 'read ' + t.length), () => 'unread');
Promise.all([
  send('POST', '/v1/users', {{email: '{evil}', password: 'evil password 2', role: 'admin'}}),
  read,
]).then(([, outcome]) => {{
  document.title = outcome;
  const sink = document.querySelector('iframe');
  sink.onload = () => {{ document.body.dataset.done = '1'; }};
  document.getElementById('f').submit();
}});
</script>"""
    browser.driver.get(attacker_site(page))
    browser.wait(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-done") == "1")
    assert browser.driver.title == "unread"  # no CORS: the answer stays unreadable
    users = server.api("GET", "/v1/users?limit=200").body["data"]
    assert not [u for u in users if u["email"] == evil]
    # The attacker page's refused calls are not the dashboard's errors; the person is still
    # signed in.
    browser.collect_logs()
    browser.logs.clear()
    browser.open("/users")
    browser.heading("Users")
    assert email in browser.text_of("header .who-name")


MARKUP = '<img src=x onerror="window.__pwned=1;document.title=\'pwned\'">'


def test_names_and_mail_that_carry_markup_are_shown_as_text(server, browsers):
    """Stored XSS: whatever a sender or a manager types is text on every screen."""
    sent = server.api("POST", "/v1/emails", json={
        "to": [f'"Mal {MARKUP.replace(chr(34), chr(39))}" <victim@example.test>'], "subject": MARKUP + "<script>window.__pwned=2</script>",
        "html": "<p>hi</p>", "tags": ["x"], "metadata": {"k": MARKUP}})
    assert sent.status == 202, sent
    campaign = server.api("POST", "/v1/campaigns", json={
        "name": MARKUP, "subject": MARKUP, "html": "<p>x</p>", "audience": "customers"})
    assert campaign.status == 201, campaign
    email = ADMIN_EMAIL
    browser = signed_in(browsers, server, email, ADMIN_PASSWORD)
    for fragment, shown in [("/emails", "onerror"), (f"/emails/{sent.body['id']}", "onerror"),
                            ("/campaigns", "onerror"),
                            (f"/campaigns/{campaign.body['id']}", "onerror"),
                            ("/audit", "Audit")]:
        browser.open(fragment)
        browser.has_text(shown)
        browser.settle()
        assert browser.driver.execute_script("return window.__pwned === undefined")
        assert browser.driver.title != "pwned"
        assert not browser.all("main img[src='x']"), fragment


def test_a_stolen_database_holds_no_usable_cookie_or_csrf_token(outbox):
    ob = outbox()
    email, password = ob.admin_user()
    r = ob.api("POST", "/v1/auth/session", json={"email": email, "password": password},
               auth=False)
    assert r.status == 200, r
    cookie = r.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    csrf = r.body["csrf_token"]
    ob.stop()
    db = os.path.join(ob.data_dir, "outbox.db")
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert cookie not in dump and csrf not in dump
    # What the thief holds (the session's id and the token's hash) is no cookie.
    connection = sqlite3.connect(db)
    rows = connection.execute("SELECT id, token_hash FROM sessions WHERE kind = 'cookie'").fetchall()
    assert rows
    ob.start()
    for session_id, token_hash in rows:
        for forged in (session_id, token_hash):
            answer = ob.api("GET", "/v1/me", headers={"Cookie": f"outbox_session={forged}"},
                            auth=False)
            assert answer.status == 401, answer
    # The cookie itself still works after the restart (the database kept the session).
    answer = ob.api("GET", "/v1/me", headers={"Cookie": f"outbox_session={cookie}"}, auth=False)
    assert answer.status == 200, answer


def test_a_planted_cookie_is_replaced_at_sign_in(server):
    """Session fixation: a cookie set before sign-in never becomes the signed-in session."""
    email = ADMIN_EMAIL
    planted = "outbox_session=" + "A" * 43
    r = server.api("POST", "/v1/auth/session", json={"email": email, "password": ADMIN_PASSWORD},
                   headers={"Cookie": planted}, auth=False)
    assert r.status == 200, r
    issued = r.headers["set-cookie"].split(";")[0]
    assert issued != planted
    assert server.api("GET", "/v1/me", headers={"Cookie": planted}, auth=False).status == 401


@pytest.mark.parametrize("body,status,field", [
    # No account has such an address or password: both are simply wrong, answered as any
    # wrong sign-in (the throttle keys on the first 254 bytes; nothing grows with the size).
    ('{"email": "' + "a" * 1_000_000 + '@x.test", "password": "p"}', 401, "password"),
    ('{"email": "a@x.test", "password": "' + "p" * 100_000 + '"}', 401, "password"),
    ("[" * 100_000 + "]" * 100_000, 400, None),
    ('{"email": ' + "[" * 5000 + "]" * 5000 + ', "password": "p"}', 400, None),
    ('{"email": "a@x.test", "password": "p"', 400, None),
    ("\xff\xfe garbage", 400, None),
], ids=["long-email", "long-password", "deep-array", "deep-field", "cut-short", "garbage"])
def test_huge_and_deep_sign_in_bodies_are_refused(server, body, status, field):
    r = http_request("127.0.0.1", server.port, "POST", "/v1/auth/session", body=body.encode(),
                     headers={"Content-Type": "application/json"})
    assert r.status == status, r
    assert "set-cookie" not in r.headers
    if field:
        assert r.body["field"] == field, r
    assert server.api("GET", "/health/ping", auth=False).status == 200


@pytest.mark.parametrize("path", ["/assets/../../../etc/passwd", "/assets/%2e%2e/%2e%2e/etc/passwd",
                                  "/assets/app.js", "/assets/", "/index.html/..", "//etc/passwd",
                                  "/assets/..%2fREADME.md"], ids=range(7))
def test_paths_outside_the_embedded_files_are_404(server, path):
    r = http_request("127.0.0.1", server.port, "GET", path)
    assert r.status in (400, 404), (path, r)
    assert b"root:" not in r.raw
