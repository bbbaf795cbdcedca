"""SES-compatible API keys and expiring tasks, black-box: the seed's examples verbatim, the
ADD / REMOVE / EXPIRED callbacks as a real HTTP receiver gets them (each JWT checked with SALT
and each HMAC signature verified), retries of a failing receiver, endpoint disabling, and an
expiry that falls while the server is down."""

import datetime
import json
import time

import pytest

from callbacks import SALT, CallbackReceiver
from harness import http_request, wait_for

SEED_KEY_1 = '''{
  "api_name": "task_tracker_api_1",
  "return_api": "http://api.server.com/task-tracking-1",
  "temporary": false
}'''
SEED_KEY_2 = '''{
  "api_name": "task_tracker_api_2",
  "return_api": "http://api.server.com/task-tracking-2",
  "temporary": true,
  "duration": "4d" // m=minutes | h=hours | d=days | M=months | y=years
}'''
SEED_TASK_DATA = {"hello": "world", "foo": "bar", "value": 1234567890}


def seed_task(expiry):
    return json.dumps({"data": SEED_TASK_DATA, "expiryDate": expiry})


def iso(seconds_from_now):
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def post(ob, path, body, key):
    data = body if isinstance(body, str) else json.dumps(body)
    return http_request(ob.host, ob.port, "POST", path, data.encode(),
                        {"Content-Type": "application/json", "Authorization": f"Bearer {key}"})


def create_key(ob, name, return_api):
    r = post(ob, "/server/api/create",
             {"api_name": name, "return_api": return_api, "temporary": False}, ob.admin_key)
    assert r.status == 200, r
    return r.body["api_key"]


@pytest.fixture
def receiver():
    made = []

    def make(statuses=()):
        made.append(CallbackReceiver(statuses=statuses))
        return made[-1]

    yield make
    for r in made:
        r.stop()


@pytest.fixture
def ses(outbox):
    def make(*args):
        return outbox("--callback-secret", SALT, "--callback-retry-base-ms", "100", *args)
    return make


def test_seed_key_examples_verbatim(ses):
    ob = ses()
    r = post(ob, "/server/api/create", SEED_KEY_1, ob.admin_key)
    assert r.status == 200, r
    assert set(r.body) == {"api_name", "api_key", "return_api", "expire_date", "valid"}
    assert (r.body["api_name"], r.body["return_api"], r.body["expire_date"], r.body["valid"]) == \
        ("task_tracker_api_1", "http://api.server.com/task-tracking-1", None, True)
    first_key = r.body["api_key"]

    r = post(ob, "/server/api/create", SEED_KEY_2, ob.admin_key)
    assert r.status == 200, r
    expires = datetime.datetime.fromisoformat(r.body["expire_date"].replace("Z", "+00:00"))
    in_four_days = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=4)
    assert abs((expires - in_four_days).total_seconds()) < 60

    # The name is unique.
    r = post(ob, "/server/api/create", SEED_KEY_1, ob.admin_key)
    assert (r.status, r.body["valid"]) == (409, False), r

    assert post(ob, "/server/api/delete", '{\n  "api_name": "task_tracker_api_1"\n}',
                ob.admin_key).body == {"valid": True}
    # The deleted key is refused at once.
    r = post(ob, "/server/queue/add", seed_task(iso(60)), first_key)
    assert (r.status, r.body["valid"]) == (401, False), r
    second_key = post(ob, "/server/api/create", SEED_KEY_1, ob.admin_key).body["api_key"]
    assert post(ob, "/server/api/delete", {"api_key": second_key}, ob.admin_key).body == \
        {"valid": True}
    r = post(ob, "/server/api/delete", {"api_name": "task_tracker_api_1"}, ob.admin_key)
    assert (r.status, r.body["valid"]) == (404, False), r
    assert isinstance(r.body["msg"], str) and r.body["msg"]


def test_key_routes_need_the_admin_key_and_tasks_a_generated_key(ses):
    ob = ses()
    key = create_key(ob, "app", "http://127.0.0.1:9/hook")
    r = post(ob, "/server/api/create", SEED_KEY_1, key)
    assert (r.status, r.body["valid"]) == (403, False), r
    r = post(ob, "/server/queue/add", seed_task(iso(60)), ob.admin_key)
    assert (r.status, r.body["valid"]) == (403, False), r
    assert "ADMIN_API_KEY" in r.body["msg"]
    r = http_request(ob.host, ob.port, "POST", "/server/queue/add", seed_task(iso(60)).encode(),
                     {"Content-Type": "application/json"})
    assert (r.status, r.body["valid"]) == (401, False), r


BAD_KEYS = [
    ("api_name missing", {"return_api": "http://x.test/", "temporary": False}, "api_name"),
    ("return_api missing", {"api_name": "a", "temporary": False}, "return_api"),
    ("return_api not http", {"api_name": "a", "return_api": "ftp://x.test/"}, "return_api"),
    ("return_api at the metadata address",
     {"api_name": "a", "return_api": "http://169.254.169.254/latest", "temporary": False},
     "return_api"),
    ("temporary not a bool", {"api_name": "a", "return_api": "http://x.test/",
                              "temporary": "yes"}, "temporary"),
    ("duration missing", {"api_name": "a", "return_api": "http://x.test/", "temporary": True},
     "duration"),
    ("duration unit unknown", {"api_name": "a", "return_api": "http://x.test/",
                               "temporary": True, "duration": "4w"}, "duration"),
    ("duration over 10 years", {"api_name": "a", "return_api": "http://x.test/",
                                "temporary": True, "duration": "11y"}, "duration"),
]


@pytest.mark.parametrize("name,body,field", BAD_KEYS, ids=[n for n, _, _ in BAD_KEYS])
def test_bad_key_requests_are_400(ses, name, body, field):
    ob = ses()
    r = post(ob, "/server/api/create", body, ob.admin_key)
    assert (r.status, r.body["valid"], r.body["field"]) == (400, False, field), r
    assert [k for k in ob.api("GET", "/v1/keys").body["data"] if k["role"] == "sender"] == []


def test_task_add_expire_and_remove_callbacks(ses, receiver):
    hook = receiver()
    ob = ses()
    key = create_key(ob, "tasks", hook.url)

    r = post(ob, "/server/queue/add", seed_task(iso(2)), key)
    assert r.status == 200, r
    assert set(r.body) == {"taskId", "valid"} and r.body["valid"] is True
    task_id = r.body["taskId"]
    wait_for(lambda: hook.events("ADD"), timeout=10, message="ADD callback")
    add = hook.events("ADD")[0].json
    assert add["queue_id"] == task_id and add["data"] == SEED_TASK_DATA
    assert add["expire_data"].endswith("Z")

    wait_for(lambda: hook.events("EXPIRED"), timeout=10, message="EXPIRED callback")
    assert hook.events("EXPIRED")[0].json["queue_id"] == task_id
    assert ob.api("GET", f"/v1/tasks/{task_id}").body["state"] == "expired"

    r = post(ob, "/server/queue/add", seed_task(iso(60)), key)
    removable = r.body["taskId"]
    r = post(ob, "/server/queue/remove", {"queue_id": removable}, key)
    assert (r.status, r.body) == (200, {"removed": True, "valid": True})
    wait_for(lambda: hook.events("REMOVE"), timeout=10, message="REMOVE callback")
    assert hook.events("REMOVE")[0].json["queue_id"] == removable
    assert ob.api("GET", f"/v1/tasks/{removable}").body["state"] == "removed"

    r = post(ob, "/server/queue/remove",
             '{\n    "queue_id": "328V32KoEOuy8zLs4pdP-RY8oh9-ep68NY786RsD"\n}', key)
    assert r.status == 404, r
    assert r.body == {"removed": False, "msg": "'taskId' does not exist.", "valid": False,
                      "code": "QUE001_90012"}
    # Another key cannot see or remove the task.
    other = create_key(ob, "other", hook.url)
    r = post(ob, "/server/queue/remove", {"queue_id": removable}, other)
    assert (r.status, r.body["code"]) == (404, "QUE001_90012")
    time.sleep(0.5)
    assert len(hook.events("EXPIRED")) == 1
    assert hook.failures == []


def test_expired_fires_once_across_a_restart(ses, receiver):
    hook = receiver()
    ob = ses()
    key = create_key(ob, "tasks", hook.url)
    task_id = post(ob, "/server/queue/add", seed_task(iso(2)), key).body["taskId"]
    wait_for(lambda: hook.events("ADD"), timeout=10)
    assert ob.stop()[0] == 0
    time.sleep(2.5)  # the expiry passes while the server is down
    assert hook.events("EXPIRED") == []
    ob.start()
    wait_for(lambda: hook.events("EXPIRED"), timeout=10, message="EXPIRED after the restart")
    assert hook.events("EXPIRED")[0].json["queue_id"] == task_id
    ob.restart()
    time.sleep(1)
    assert len(hook.events("EXPIRED")) == 1


def test_a_failing_receiver_gets_the_callback_on_the_third_attempt(ses, receiver):
    hook = receiver(statuses=[500, 503])
    ob = ses()
    key = create_key(ob, "tasks", hook.url)
    post(ob, "/server/queue/add", seed_task(iso(600)), key)
    wait_for(lambda: len(hook.events("ADD")) == 3, timeout=15, message="third ADD attempt")
    # The receiver answers before outbox records the attempt: wait for the record too.
    wait_for(lambda: len(ob.api("GET", "/v1/webhooks/deliveries").body["data"]) == 3,
             timeout=10, message="third attempt recorded")
    deliveries = ob.api("GET", "/v1/webhooks/deliveries").body["data"]
    assert [(d["attempt"], d["status_code"]) for d in deliveries] == [(3, 200), (2, 503), (1, 500)]
    assert deliveries[1]["error"] == "HTTP 503"
    assert all(d["url"] == hook.url and d["event"] == "ADD" for d in deliveries)
    time.sleep(0.5)
    assert len(hook.events("ADD")) == 3


def test_an_endpoint_failing_in_a_row_is_disabled(ses, receiver):
    hook = receiver(statuses=[500] * 100)
    ob = ses("--callback-disable-after", "3")
    key = create_key(ob, "tasks", hook.url)
    post(ob, "/server/queue/add", seed_task(iso(600)), key)

    def disabled():
        endpoints = ob.api("GET", "/v1/webhooks/endpoints").body["data"]
        return endpoints and endpoints[0]["disabled"]
    wait_for(disabled, timeout=15, message="endpoint disabled")
    endpoint = ob.api("GET", "/v1/webhooks/endpoints").body["data"][0]
    assert endpoint["url"] == hook.url and endpoint["consecutive_failures"] == 3
    time.sleep(0.5)
    assert len(hook.events("ADD")) == 3  # no request while disabled
    # A new callback to the disabled endpoint is given up without a request.
    post(ob, "/server/queue/add", seed_task(iso(600)), key)
    wait_for(lambda: any(d["error"] and "disabled" in d["error"]
                         for d in ob.api("GET", "/v1/webhooks/deliveries").body["data"]),
             timeout=10)
    assert len(hook.events("ADD")) == 3
    r = ob.api("POST", "/v1/webhooks/endpoints/enable", json={"url": hook.url})
    assert (r.status, r.body["disabled"]) == (200, False)


BAD_TASKS = [
    ("expiry in the past", lambda: seed_task("2024-10-01T20:44:48.858Z"), "expiryDate"),
    ("expiry not a date", lambda: seed_task("tomorrow"), "expiryDate"),
    ("expiry missing", lambda: json.dumps({"data": SEED_TASK_DATA}), "expiryDate"),
    ("data not an object", lambda: json.dumps({"data": [1], "expiryDate": iso(60)}), "data"),
    ("data missing", lambda: json.dumps({"expiryDate": iso(60)}), "data"),
    ("body not JSON", lambda: "{", "body"),
]


@pytest.mark.parametrize("name,body,field", BAD_TASKS, ids=[n for n, _, _ in BAD_TASKS])
def test_bad_tasks_are_400(ses, receiver, name, body, field):
    hook = receiver()
    ob = ses()
    key = create_key(ob, "tasks", hook.url)
    r = post(ob, "/server/queue/add", body(), key)
    assert (r.status, r.body["valid"], r.body["field"]) == (400, False, field), r
    assert ob.api("GET", "/v1/tasks").body["data"] == []
    time.sleep(0.2)
    assert hook.events() == []
