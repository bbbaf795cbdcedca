"""GoMail subscriptions, black-box: /task/subscriptionContent and the subscribe / unsubscribe
tasks, with the seed's payloads verbatim. The stored rows are read from the database, read-only,
next to the running server; sending the newsletters is test_newsletters.py's subject."""

import json
import os
import sqlite3

import pytest

from harness import GOMAIL_SEED_TASK, http_request
from test_gomail import ENQUEUED, SENDER, assert_gomail_error, post, signup, task

# The seed's examples, byte for byte (including their trailing commas).
SEED_CONTENT_POST = '''{
    "content_type": "Weekly_Newsletter",
    "subject": "Subject of a weekly newsletter",
    "content": "Content of a weekly newsletter",
}'''
SEED_CONTENT_PUT = '''{
    "content_type": "Weekly_Newsletter",
    "subject": "New Subject of a weekly newsletter",
    "content": "New Content of a weekly newsletter",
}'''
# The seed's general /task/ example, as a subscribe task.
SEED_SUBSCRIBE = GOMAIL_SEED_TASK.replace('"generateOtp"', '"subscribe"')
CREATED = {"status": True, "msg": "Content Type created successfully"}
UPDATED = {"status": True, "msg": "Content Type updated successfully"}
PATH = "/task/subscriptionContent"


def put(ob, path, body, key=None):
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = key
    data = body if isinstance(body, str) else json.dumps(body)
    return http_request(ob.host, ob.port, "PUT", path, data.encode("utf-8"), headers)


def query(ob, sql, *params):
    db = sqlite3.connect(f"file:{os.path.join(ob.data_dir, 'outbox.db')}?mode=ro", uri=True)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def content_type(ob, name):
    rows = query(ob, "SELECT subject, content FROM content_types WHERE name = ?", name)
    return rows[0] if rows else None


def subscriptions(ob, name):
    return query(ob, "SELECT user_id, frequency FROM subscriptions WHERE content_type = ? "
                     "ORDER BY user_id", name)


@pytest.fixture
def gomail(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--default-from", SENDER, "--open-signup", "true")
    return ob, srv, signup(ob, "app@example.test")


def test_seed_content_examples_verbatim(gomail):
    ob, _, key = gomail
    r = post(ob, PATH, SEED_CONTENT_POST, key=key)
    assert (r.status, r.body) == (200, CREATED)
    assert content_type(ob, "Weekly_Newsletter") == (
        "Subject of a weekly newsletter", "Content of a weekly newsletter")
    r = put(ob, PATH, SEED_CONTENT_PUT, key=key)
    assert (r.status, r.body) == (200, UPDATED)
    assert content_type(ob, "Weekly_Newsletter") == (
        "New Subject of a weekly newsletter", "New Content of a weekly newsletter")


def test_post_existing_is_409_and_keeps_content(gomail):
    ob, _, key = gomail
    assert post(ob, PATH, SEED_CONTENT_POST, key=key).status == 200
    r = post(ob, PATH, SEED_CONTENT_PUT, key=key)
    assert_gomail_error(r, 409)
    assert "already exists" in r.body["msg"]
    assert content_type(ob, "Weekly_Newsletter")[0] == "Subject of a weekly newsletter"
    # Names are case-sensitive: another type.
    r = post(ob, PATH, SEED_CONTENT_POST.replace("Weekly_Newsletter", "weekly_newsletter"),
             key=key)
    assert (r.status, r.body) == (200, CREATED)


def test_put_missing_is_404(gomail):
    ob, _, key = gomail
    r = put(ob, PATH, SEED_CONTENT_PUT, key=key)
    assert_gomail_error(r, 404)
    assert "does not exist" in r.body["msg"]
    assert content_type(ob, "Weekly_Newsletter") is None


INVALID_CONTENT = [
    ("content_type missing", {"subject": "s", "content": "c"}),
    ("content_type empty", {"content_type": "", "subject": "s", "content": "c"}),
    ("content_type not a string", {"content_type": 7, "subject": "s", "content": "c"}),
    ("content_type with a space", {"content_type": "a b", "subject": "s", "content": "c"}),
    ("content_type with a slash", {"content_type": "a/b", "subject": "s", "content": "c"}),
    ("content_type too long", {"content_type": "x" * 129, "subject": "s", "content": "c"}),
    ("subject missing", {"content_type": "t", "content": "c"}),
    ("subject empty", {"content_type": "t", "subject": "", "content": "c"}),
    ("subject not a string", {"content_type": "t", "subject": ["s"], "content": "c"}),
    ("content missing", {"content_type": "t", "subject": "s"}),
    ("content empty", {"content_type": "t", "subject": "s", "content": ""}),
    ("body not an object", "[]"),
    ("body not JSON", "{"),
]


@pytest.mark.parametrize("name,body", INVALID_CONTENT, ids=[n for n, _ in INVALID_CONTENT])
def test_invalid_content_is_400(gomail, name, body):
    ob, _, key = gomail
    assert_gomail_error(post(ob, PATH, body, key=key), 400)
    assert_gomail_error(put(ob, PATH, body, key=key), 400)
    assert query(ob, "SELECT COUNT(*) FROM content_types") == [(0,)]


def test_content_type_of_128_characters_is_fine(gomail):
    ob, _, key = gomail
    body = {"content_type": "a.B-9_" + "x" * 122, "subject": "s", "content": "c"}
    assert post(ob, PATH, body, key=key).body == CREATED


def test_content_routes_auth_like_tasks(gomail):
    ob, _, _ = gomail
    assert_gomail_error(post(ob, PATH, SEED_CONTENT_POST), 401)
    assert_gomail_error(put(ob, PATH, SEED_CONTENT_PUT), 401)
    assert_gomail_error(post(ob, PATH, SEED_CONTENT_POST, key="nope"), 401)
    # As for /task/, the admin key is refused: these need a user key.
    assert_gomail_error(post(ob, PATH, SEED_CONTENT_POST, key=ob.admin_key, bearer=True), 403)
    assert_gomail_error(put(ob, PATH, SEED_CONTENT_PUT, key=f"Bearer {ob.admin_key}"), 403)
    assert content_type(ob, "Weekly_Newsletter") is None


def test_seed_subscribe_creates_the_content_type(gomail):
    ob, srv, key = gomail
    r = post(ob, "/task/", SEED_SUBSCRIBE, key=key)
    assert (r.status, r.body) == (200, ENQUEUED)
    assert content_type(ob, "weekly_newsletter") == (
        "Your Weekly Engineering Update",
        "<h1>Hello!</h1><p>Here is your weekly digest of backend updates.</p>")
    assert subscriptions(ob, "weekly_newsletter") == [("example@gmail.com", "@weekly")]
    # Stored only: no newsletter goes out yet.
    assert srv.count() == 0


def test_subscribe_to_existing_type_keeps_its_stored_content(gomail):
    ob, _, key = gomail
    assert post(ob, PATH, SEED_CONTENT_POST, key=key).status == 200
    body = task("subscribe", "Ada@Example.test", content_type="Weekly_Newsletter",
                frequency="@daily", subject="Other subject", content="Other content")
    assert post(ob, "/task/", body, key=key).body == ENQUEUED
    assert content_type(ob, "Weekly_Newsletter") == (
        "Subject of a weekly newsletter", "Content of a weekly newsletter")
    # Without subject and content, an existing type is enough.
    body = task("subscribe", "bob@example.test", content_type="Weekly_Newsletter",
                frequency="@monthly")
    assert post(ob, "/task/", body, key=key).body == ENQUEUED
    assert subscriptions(ob, "Weekly_Newsletter") == [
        ("ada@example.test", "@daily"), ("bob@example.test", "@monthly")]


def test_resubscribing_changes_the_frequency(gomail):
    ob, _, key = gomail
    for frequency in ("@hourly", "@weekly"):
        body = task("subscribe", "ada@example.test", content_type="news", frequency=frequency,
                    subject="s", content="c")
        assert post(ob, "/task/", body, key=key).body == ENQUEUED
    assert subscriptions(ob, "news") == [("ada@example.test", "@weekly")]


@pytest.mark.parametrize("payload,missing", [
    ({}, "subject and content"),
    ({"subject": "s"}, "content"),
    ({"content": "c"}, "subject"),
    ({"subject": "", "content": ""}, "subject and content"),
])
def test_subscribe_to_missing_type_needs_subject_and_content(gomail, payload, missing):
    ob, _, key = gomail
    body = task("subscribe", "ada@example.test", content_type="news", frequency="@daily",
                **payload)
    r = post(ob, "/task/", body, key=key)
    assert_gomail_error(r, 400)
    assert f"(missing: {missing})" in r.body["msg"], r
    assert content_type(ob, "news") is None
    assert subscriptions(ob, "news") == []


INVALID_SUBSCRIPTION_TASKS = [
    ("content_type with a space", task("subscribe", "a@example.test", content_type="a b",
                                       frequency="@daily", subject="s", content="c")),
    ("content_type too long", task("unsubscribe", "a@example.test", content_type="x" * 129)),
    ("subject not a string", task("subscribe", "a@example.test", content_type="t",
                                  frequency="@daily", subject=1, content="c")),
    ("frequency not a macro", task("subscribe", "a@example.test", content_type="t",
                                   frequency="0 9 * * 1", subject="s", content="c")),
]


@pytest.mark.parametrize("name,body", INVALID_SUBSCRIPTION_TASKS,
                         ids=[n for n, _ in INVALID_SUBSCRIPTION_TASKS])
def test_invalid_subscription_tasks_are_400(gomail, name, body):
    ob, _, key = gomail
    assert_gomail_error(post(ob, "/task/", body, key=key), 400)
    assert query(ob, "SELECT COUNT(*) FROM subscriptions") == [(0,)]


def test_unsubscribe(gomail):
    ob, _, key = gomail
    for user in ("ada@example.test", "bob@example.test"):
        body = task("subscribe", user, content_type="news", frequency="@daily", subject="s",
                    content="c")
        assert post(ob, "/task/", body, key=key).body == ENQUEUED
    r = post(ob, "/task/", task("unsubscribe", "Ada@Example.test", content_type="news"), key=key)
    assert (r.status, r.body) == (200, ENQUEUED)
    assert subscriptions(ob, "news") == [("bob@example.test", "@daily")]
    # Not subscribed (again, or to a type that does not exist): still a success, as GoMail
    # answers before its worker looks.
    for content in ("news", "nothing_here"):
        body = task("unsubscribe", "ada@example.test", content_type=content)
        assert (post(ob, "/task/", body, key=key).body) == ENQUEUED
    # The content type stays.
    assert content_type(ob, "news") == ("s", "c")


def test_subscriptions_survive_a_restart(gomail):
    ob, _, key = gomail
    body = task("subscribe", "ada@example.test", content_type="news", frequency="@daily",
                subject="s", content="c")
    assert post(ob, "/task/", body, key=key).body == ENQUEUED
    ob.restart()
    assert subscriptions(ob, "news") == [("ada@example.test", "@daily")]
    r = post(ob, PATH, {"content_type": "news", "subject": "s", "content": "c"}, key=key)
    assert_gomail_error(r, 409)
