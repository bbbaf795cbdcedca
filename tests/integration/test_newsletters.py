"""Newsletters, black-box: GoMail subscribers and native /v1/lists subscribers get the list when it
is run now (POST /v1/subscriptions/{list}/run), each mail with its own List-Unsubscribe link and
RFC 8058 one-click header, and the link's GET page and one-click POST work against the real
server. Scheduled fires are covered by the scheduler's unit tests (fake clock): a black-box wait
for the next cron minute would be too slow."""

import re
import urllib.parse

import pytest

from harness import http_request, wait_for
from test_gomail import ENQUEUED, SENDER, post, signup, task
from test_gomail_subscriptions import SEED_SUBSCRIBE

LINK = re.compile(r"^<(http://127\.0\.0\.1:\d+/unsubscribe/([0-9a-f]{32}))>$")


@pytest.fixture
def newsletter(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--default-from", SENDER, "--open-signup", "true")
    return ob, srv, signup(ob, "app@example.test")


def subscribe_gomail(ob, key, user):
    body = task("subscribe", user, frequency="@weekly", content_type="Weekly_Newsletter",
                subject="This week", content="<h1>News</h1><p>Fish &amp; chips</p>")
    r = post(ob, "/task/", body, key=key)
    assert (r.status, r.body) == (200, ENQUEUED)


def subscribers(ob, name):
    r = ob.api("GET", f"/v1/lists/{name}/subscribers")
    assert r.status == 200, r
    return sorted(s["email"] for s in r.body["data"])


def run(ob, name):
    r = ob.api("POST", f"/v1/subscriptions/{name}/run")
    assert r.status == 200, r
    return r.body


def one_click(url, body="List-Unsubscribe=One-Click"):
    parts = urllib.parse.urlsplit(url)
    return http_request(parts.hostname, parts.port, "POST", parts.path, body.encode(),
                        {"Content-Type": "application/x-www-form-urlencoded"})


def test_run_now_sends_every_subscriber_a_mail_with_a_working_one_click_link(newsletter):
    ob, srv, key = newsletter
    gomail_users = ["ada@example.test", "bob@example.test", "carol@example.test"]
    for user in gomail_users:
        subscribe_gomail(ob, key, user)
    # The seed's own example subscribes too (its content type exists by now).
    assert post(ob, "/task/", SEED_SUBSCRIBE, key=key).status in (200, 400)
    r = ob.api("POST", "/v1/lists/Weekly_Newsletter/subscribers",
               json={"email": "Dan@Example.test", "frequency": "0 9 * * MON",
                     "timezone": "Europe/Berlin"})
    assert r.status == 201, r
    everyone = subscribers(ob, "Weekly_Newsletter")
    assert set(gomail_users + ["dan@example.test"]) <= set(everyone)

    fired = run(ob, "Weekly_Newsletter")
    assert fired["enqueued"] == len(everyone)
    assert fired["fire"].startswith("Weekly_Newsletter/now@")
    wait_for(lambda: srv.count() == len(everyone), timeout=15,
             message="every subscriber gets the newsletter")

    links = {}
    for received in srv.received():
        message = received.message
        assert received.rcpt_tos == [message["To"]]
        assert message["Subject"] == "This week"
        assert message["From"] == SENDER
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        match = LINK.match(message["List-Unsubscribe"])
        assert match, message["List-Unsubscribe"]
        links[message["To"]] = match.group(1)
        html = message.get_body(preferencelist=("html",)).get_content()
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert "<h1>News</h1>" in html
        assert "Fish & chips" in text
        assert message["Message-ID"]
    assert sorted(links) == everyone
    assert len(set(links.values())) == len(everyone), "each subscriber has their own link"
    assert len({m.message["Message-ID"] for m in srv.received()}) == len(everyone)

    # GET only asks (a link scanner must not unsubscribe anyone).
    url = links["bob@example.test"]
    parts = urllib.parse.urlsplit(url)
    page = http_request(parts.hostname, parts.port, "GET", parts.path)
    assert page.status == 200
    assert "bob@example.test" in page.body and "Weekly_Newsletter" in page.body
    assert '<form method="post">' in page.body
    assert "bob@example.test" in subscribers(ob, "Weekly_Newsletter")

    # The one-click POST, as a mailbox provider sends it (RFC 8058).
    r = one_click(url)
    assert r.status == 200, r
    assert "will no longer receive" in r.body
    assert "bob@example.test" not in subscribers(ob, "Weekly_Newsletter")
    assert one_click(url).status == 404  # the link is spent

    # The next run skips bob.
    before = srv.count()
    fired = run(ob, "Weekly_Newsletter")
    assert fired["enqueued"] == len(everyone) - 1
    wait_for(lambda: srv.count() == before + len(everyone) - 1, timeout=15)
    assert "bob@example.test" not in [m.message["To"] for m in srv.received()[before:]]


def test_unsubscribe_links_use_the_public_url(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--default-from", SENDER,
                "--public-url", "https://news.example.test/outbox/")
    r = ob.api("POST", "/v1/lists", json={"name": "digest", "subject": "Digest", "html": "<p>x</p>"})
    assert r.status == 201, r
    r = ob.api("POST", "/v1/lists/digest/subscribers",
               json={"email": "ann@example.test", "frequency": "@daily"})
    assert r.status == 201, r
    assert run(ob, "digest")["enqueued"] == 1
    wait_for(lambda: srv.count() == 1, timeout=15)
    header = srv.received()[0].message["List-Unsubscribe"]
    assert re.fullmatch(r"<https://news\.example\.test/outbox/unsubscribe/[0-9a-f]{32}>", header)


def test_unknown_unsubscribe_links_are_404(newsletter):
    ob, _, _ = newsletter
    for method in ("GET", "POST"):
        r = http_request(ob.host, ob.port, method, "/unsubscribe/" + "0" * 32, b"")
        assert r.status == 404, r
        assert "not valid" in r.body
    assert http_request(ob.host, ob.port, "GET", "/unsubscribe/short").status == 404


def test_run_needs_the_admin_key_and_a_known_list(newsletter):
    ob, _, key = newsletter
    assert ob.api("POST", "/v1/subscriptions/nope/run").status == 404
    assert ob.api("POST", "/v1/subscriptions/nope/run", auth=False).status == 401
    r = ob.api("POST", "/v1/subscriptions/nope/run", auth=False,
               headers={"Authorization": f"Bearer {key}"})
    assert r.status == 403, r


def test_a_list_without_subscribers_runs_empty(newsletter):
    ob, srv, _ = newsletter
    assert ob.api("POST", "/v1/lists", json={"name": "quiet", "subject": "s",
                                             "html": "h"}).status == 201
    assert run(ob, "quiet")["enqueued"] == 0


def test_native_lists_and_subscribers(newsletter):
    ob, _, _ = newsletter
    r = ob.api("POST", "/v1/lists", json={"name": "weekly", "subject": "S", "html": "<p>H</p>"})
    assert r.status == 201, r
    assert r.body["name"] == "weekly" and r.body["html"] == "<p>H</p>"
    assert ob.api("POST", "/v1/lists", json={"name": "weekly", "subject": "S",
                                             "html": "H"}).status == 409
    r = ob.api("PUT", "/v1/lists/weekly", json={"subject": "S2", "html": "<p>H2</p>"})
    assert (r.status, r.body["subject"]) == (200, "S2")
    assert ob.api("PUT", "/v1/lists/missing", json={"subject": "S", "html": "H"}).status == 404
    assert [l["name"] for l in ob.api("GET", "/v1/lists").body["data"]] == ["weekly"]

    for i in range(5):
        r = ob.api("POST", "/v1/lists/weekly/subscribers",
                   json={"email": f"u{i}@example.test", "frequency": "*/15 9-17 * * MON-FRI"})
        assert r.status == 201, r
    # Subscribing again changes the schedule: 200, still one subscription.
    r = ob.api("POST", "/v1/lists/weekly/subscribers",
               json={"email": "U0@example.test", "frequency": "@monthly", "timezone": "Asia/Tokyo"})
    assert r.status == 200, r
    r = ob.api("GET", "/v1/lists/weekly")
    assert r.status == 200 and r.body["subscribers"] == 5
    groups = {(g["frequency"], g["timezone"]) for g in r.body["schedules"]}
    assert groups == {("*/15 9-17 * * MON-FRI", None), ("@monthly", "Asia/Tokyo")}

    page = ob.api("GET", "/v1/lists/weekly/subscribers?limit=2").body
    seen = [s["email"] for s in page["data"]]
    while page["next_cursor"]:
        page = ob.api("GET", "/v1/lists/weekly/subscribers?limit=2&cursor="
                      + urllib.parse.quote(page["next_cursor"])).body
        seen += [s["email"] for s in page["data"]]
    assert seen == [f"u{i}@example.test" for i in range(5)]

    assert ob.api("DELETE", "/v1/lists/weekly/subscribers/u3%40example.test").status == 204
    assert ob.api("DELETE", "/v1/lists/weekly/subscribers/u3@example.test").status == 404
    assert ob.api("GET", "/v1/lists/weekly").body["subscribers"] == 4
    assert ob.api("GET", "/v1/lists/missing").status == 404
    assert ob.api("GET", "/v1/lists/missing/subscribers").status == 404


BAD_LISTS = [
    ("name missing", {"subject": "s", "html": "h"}, "name"),
    ("name with a space", {"name": "a b", "subject": "s", "html": "h"}, "name"),
    ("name too long", {"name": "x" * 129, "subject": "s", "html": "h"}, "name"),
    ("subject missing", {"name": "n", "html": "h"}, "subject"),
    ("subject empty", {"name": "n", "subject": "", "html": "h"}, "subject"),
    ("html not a string", {"name": "n", "subject": "s", "html": 5}, "html"),
    ("unknown field", {"name": "n", "subject": "s", "html": "h", "content": "c"}, "content"),
]


@pytest.mark.parametrize("name,body,field", BAD_LISTS, ids=[n for n, _, _ in BAD_LISTS])
def test_bad_lists_are_400_naming_the_field(newsletter, name, body, field):
    ob, _, _ = newsletter
    r = ob.api("POST", "/v1/lists", json=body)
    assert r.status == 400, r
    assert r.body["field"] == field, r.body
    assert ob.api("GET", "/v1/lists").body["data"] == []


BAD_SUBSCRIBERS = [
    ("email missing", {"frequency": "@daily"}, "email"),
    ("email invalid", {"email": "not-an-address", "frequency": "@daily"}, "email"),
    ("email with a name", {"email": "Ann <ann@example.test>", "frequency": "@daily"}, "email"),
    ("frequency missing", {"email": "a@example.test"}, "frequency"),
    ("frequency unknown macro", {"email": "a@example.test", "frequency": "@fortnightly"},
     "frequency"),
    ("cron with 4 fields", {"email": "a@example.test", "frequency": "0 9 * *"}, "frequency"),
    ("cron out of range", {"email": "a@example.test", "frequency": "0 24 * * *"}, "frequency"),
    ("cron never fires", {"email": "a@example.test", "frequency": "0 0 30 2 *"}, "frequency"),
    ("timezone unknown", {"email": "a@example.test", "frequency": "@daily",
                          "timezone": "Mars/Olympus"}, "timezone"),
    ("timezone path", {"email": "a@example.test", "frequency": "@daily",
                       "timezone": "../etc/passwd"}, "timezone"),
    ("timezone not a string", {"email": "a@example.test", "frequency": "@daily",
                               "timezone": 1}, "timezone"),
]


@pytest.mark.parametrize("name,body,field", BAD_SUBSCRIBERS, ids=[n for n, _, _ in BAD_SUBSCRIBERS])
def test_bad_subscribers_are_400_naming_the_field(newsletter, name, body, field):
    ob, _, _ = newsletter
    assert ob.api("POST", "/v1/lists", json={"name": "l", "subject": "s", "html": "h"}).status == 201
    r = ob.api("POST", "/v1/lists/l/subscribers", json=body)
    assert r.status == 400, r
    assert r.body["field"] == field, r.body
    assert subscribers(ob, "l") == []
