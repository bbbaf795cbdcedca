"""What the dashboard's admin screens need from the API, as any client sees it: the suppression
list searched by prefix, keys listed with a hint and never a secret, tasks by state (and read
by viewers), replaying a webhook delivery through the callback queue, GET /v1/settings with
secrets masked, and ending one's own cookie session clearing the cookie. Each route: success,
bad input naming the field, a viewer refused (403), a missing id (404)."""
import datetime
import json
import urllib.parse

import pytest

from callbacks import SALT, CallbackReceiver
from harness import http_request, wait_for

ADMIN_PASSWORD = "admin password 123"
SMTP_PASSWORD = "smtp-password-never-shown"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(module_outbox):
    # The SMTP settings are there to be masked; the capture transport sends nothing.
    return module_outbox("--transport", "capture", "--callback-secret", SALT,
                         "--callback-retry-base-ms", "100", "--admin-password", ADMIN_PASSWORD,
                         "--smtp-host", "relay.example", "--smtp-user", "mailer",
                         "--smtp-pass", SMTP_PASSWORD)


@pytest.fixture(scope="module")
def viewer(server):
    """A viewer's access token."""
    r = server.api("POST", "/v1/users",
                   json={"email": "vera@example.test", "password": PASSWORD, "role": "viewer"})
    assert r.status == 201, r
    return server.login("vera@example.test", PASSWORD)["access_token"]


def as_viewer(ob, token, method, path, json=None):
    return ob.api(method, path, json=json, headers={"Authorization": f"Bearer {token}"},
                  auth=False)


def iso(seconds_from_now):
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def assert_problem(r, status, field=None):
    """A problem+json answer with this status, naming `field` (None: naming none)."""
    assert r.status == status, r
    assert r.content_type.startswith("application/problem+json"), r
    assert r.body.get("field") == field, r.body


# --------------------------------------------------------------------------- suppressions


def test_suppressions_are_searched_by_prefix_a_page_at_a_time(server, viewer):
    for address in ("pre1@example.test", "pre2@example.test", "pre3@example.test",
                    "other@example.test"):
        r = server.api("POST", "/v1/suppressions", json={"address": address, "reason": "manual"})
        assert r.status == 201, r
    first = server.api("GET", "/v1/suppressions?prefix=PRE&limit=2")
    assert first.status == 200, first
    assert [s["address"] for s in first.body["data"]] == ["pre1@example.test", "pre2@example.test"]
    assert first.body["next_cursor"] == "pre2@example.test"
    cursor = urllib.parse.quote(first.body["next_cursor"])
    second = server.api("GET", f"/v1/suppressions?prefix=pre&limit=2&cursor={cursor}")
    assert [s["address"] for s in second.body["data"]] == ["pre3@example.test"]
    assert second.body["next_cursor"] is None
    assert server.api("GET", "/v1/suppressions?prefix=nobody").body["data"] == []
    # A viewer reads the list; adding and removing are an admin's.
    seen = as_viewer(server, viewer, "GET", "/v1/suppressions?prefix=other")
    assert [s["address"] for s in seen.body["data"]] == ["other@example.test"]
    assert_problem(as_viewer(server, viewer, "POST", "/v1/suppressions",
                             {"address": "v@example.test"}), 403, "Authorization")
    assert_problem(as_viewer(server, viewer, "DELETE", "/v1/suppressions/other@example.test"),
                   403, "Authorization")
    assert server.api("DELETE", "/v1/suppressions/other@example.test").status == 204
    assert server.api("GET", "/v1/suppressions?prefix=other").body["data"] == []


@pytest.mark.parametrize("query, field", [
    ("prefix=" + "a" * 255, "prefix"),
    ("limit=0", "limit"),
    ("q=x", "q"),
])
def test_suppression_list_refuses_bad_queries(server, query, field):
    assert_problem(server.api("GET", f"/v1/suppressions?{query}"), 400, field)


def test_suppression_add_names_the_field_and_remove_of_a_missing_one_is_404(server):
    assert_problem(server.api("POST", "/v1/suppressions", json={"address": "not an address"}),
                   400, "address")
    assert_problem(server.api("POST", "/v1/suppressions",
                              json={"address": "x@example.test", "reason": "spite"}), 400, "reason")
    assert server.api("GET", "/v1/suppressions?prefix=x@").body["data"] == []  # nothing written
    assert_problem(server.api("DELETE", "/v1/suppressions/never@example.test"), 404)


# --------------------------------------------------------------------------- keys


def test_keys_are_listed_with_a_hint_never_a_secret(server, viewer):
    r = server.api("POST", "/v1/keys", json={"name": "billing", "role": "client",
                                             "expires_at": iso(86400)})
    assert r.status == 201, r
    secret, key_id = r.body["key"], r.body["id"]
    listed = server.api("GET", "/v1/keys")
    assert listed.status == 200, listed
    assert secret.encode() not in listed.raw
    entry = next(k for k in listed.body["data"] if k["id"] == key_id)
    assert entry["hint"] == secret[-6:]
    assert set(entry) == {"id", "name", "role", "hint", "callback_url", "created_at",
                          "expires_at"}, entry
    # The secret works until it is revoked.
    assert server.api("GET", "/v1/emails", headers={"Authorization": f"Bearer {secret}"},
                      auth=False).status == 403  # a client key may not read the dashboard's API
    seen = as_viewer(server, viewer, "GET", "/v1/keys")
    assert seen.status == 200 and secret.encode() not in seen.raw
    assert_problem(as_viewer(server, viewer, "POST", "/v1/keys", {"name": "v"}), 403,
                   "Authorization")
    assert_problem(as_viewer(server, viewer, "DELETE", f"/v1/keys/{key_id}"), 403, "Authorization")
    assert server.api("DELETE", f"/v1/keys/{key_id}").status == 204
    assert server.api("GET", "/v1/emails", headers={"Authorization": f"Bearer {secret}"},
                      auth=False).status == 401
    assert_problem(server.api("DELETE", f"/v1/keys/{key_id}"), 404)


@pytest.mark.parametrize("body, field", [
    ({"name": ""}, "name"),
    ({"name": "k", "expires_at": "tomorrow"}, "expires_at"),
    ({"name": "k", "role": "manager"}, "role"),
    ({"name": "k", "callback_url": "ftp://x"}, "callback_url"),
])
def test_key_creation_names_the_bad_field(server, body, field):
    before = len(server.api("GET", "/v1/keys").body["data"])
    assert_problem(server.api("POST", "/v1/keys", json=body), 400, field)
    assert len(server.api("GET", "/v1/keys").body["data"]) == before


# --------------------------------------------------------------------------- tasks


def test_tasks_are_listed_by_state_and_viewers_read_them(server, viewer):
    kept = server.api("POST", "/v1/tasks", json={"data": {"n": 1}, "expires_at": iso(3600)})
    gone = server.api("POST", "/v1/tasks", json={"data": {"n": 2}, "expires_at": iso(3600)})
    assert kept.status == 201 and gone.status == 201, (kept, gone)
    assert server.api("DELETE", f"/v1/tasks/{gone.body['id']}").status == 204

    def ids(state):
        r = server.api("GET", f"/v1/tasks?state={state}")
        assert r.status == 200, r
        return {t["id"] for t in r.body["data"]}
    assert kept.body["id"] in ids("pending") and gone.body["id"] not in ids("pending")
    assert gone.body["id"] in ids("removed") and kept.body["id"] not in ids("removed")
    assert not ids("expired") & {kept.body["id"], gone.body["id"]}
    assert_problem(server.api("GET", "/v1/tasks?state=done"), 400, "state")

    # A viewer sees every task (read-only), not only tasks of their own.
    seen = as_viewer(server, viewer, "GET", "/v1/tasks")
    assert {kept.body["id"], gone.body["id"]} <= {t["id"] for t in seen.body["data"]}
    one = as_viewer(server, viewer, "GET", f"/v1/tasks/{kept.body['id']}")
    assert one.status == 200 and one.body["data"] == {"n": 1}, one
    assert_problem(as_viewer(server, viewer, "DELETE", f"/v1/tasks/{kept.body['id']}"), 403,
                   "Authorization")
    assert_problem(server.api("GET", "/v1/tasks/tsk_missing"), 404)
    assert_problem(server.api("DELETE", "/v1/tasks/tsk_missing"), 404)


# --------------------------------------------------------------------------- webhooks


def test_a_delivery_is_replayed_through_the_callback_queue(server, viewer):
    hook = CallbackReceiver(statuses=[500])
    try:
        r = server.api("POST", "/v1/keys", json={"name": "replayed", "role": "sender",
                                                 "callback_url": hook.url})
        assert r.status == 201, r
        key = r.body["key"]
        added = http_request(server.host, server.port, "POST", "/server/queue/add",
                             json.dumps({"data": {"x": 1}, "expiryDate": iso(600)}).encode(),
                             {"Content-Type": "application/json",
                              "Authorization": f"Bearer {key}"})
        assert added.status == 200, added

        def attempts():
            rows = server.api("GET", "/v1/webhooks/deliveries?url="
                              + urllib.parse.quote(hook.url, safe="")).body["data"]
            return rows if len(rows) >= 2 else None
        # The first try answers 500, the retry 200.
        rows = wait_for(attempts, 15, message="two attempts recorded")
        assert [(d["attempt"], d["status_code"]) for d in rows] == [(2, 200), (1, 500)]
        assert rows[1]["error"] == "HTTP 500" and rows[0]["error"] is None
        assert all(isinstance(d["latency_ms"], int) for d in rows)
        original = rows[0]["callback_id"]
        delivered = hook.events("ADD")
        assert len(delivered) == 2

        assert_problem(as_viewer(server, viewer, "POST",
                                 f"/v1/webhooks/deliveries/{original}/replay"), 403,
                       "Authorization")
        replay = server.api("POST", f"/v1/webhooks/deliveries/{original}/replay", data="")
        assert replay.status == 202, replay
        assert replay.body["replay_of"] == original
        assert replay.body["callback_id"] != original
        wait_for(lambda: len(hook.events("ADD")) == 3, 15, message="the replayed callback")
        # The same payload, signed afresh (the receiver checked the JWT and the HMAC).
        assert hook.events("ADD")[-1].body == delivered[-1].body
        assert not hook.failures
        wait_for(lambda: any(d["callback_id"] == replay.body["callback_id"]
                             for d in server.api("GET", "/v1/webhooks/deliveries").body["data"]),
                 10, message="the replay's attempt recorded")
        # An admin removing the task removes it as its owner would: the owner's URL is told.
        assert server.api("DELETE", f"/v1/tasks/{added.body['taskId']}").status == 204
        wait_for(lambda: hook.events("REMOVE"), 15, message="the REMOVE callback")
    finally:
        hook.stop()
    assert_problem(server.api("POST", "/v1/webhooks/deliveries/cb_0123456789abcdef/replay",
                              data=""), 404)
    assert server.api("POST", "/v1/webhooks/deliveries/nonsense/replay", data="").status == 404


# --------------------------------------------------------------------------- settings


def test_settings_show_every_setting_with_secrets_masked(server, viewer):
    r = server.api("GET", "/v1/settings")
    assert r.status == 200, r
    assert r.headers["cache-control"] == "no-store"
    for secret in (SMTP_PASSWORD, ADMIN_PASSWORD, SALT, server.admin_key):
        assert secret.encode() not in r.raw, secret
    assert r.body["version"]
    assert r.body["health"] == {"status": "ready"}
    settings = {s["name"]: s for s in r.body["settings"]}
    assert settings["smtp-host"]["value"] == "relay.example"
    assert settings["smtp-host"]["source"] == "flag"
    assert settings["durability"]["source"] == "default"
    for name in ("smtp-pass", "admin-password", "callback-secret", "admin-key"):
        assert settings[name]["secret"] is True and settings[name]["value"] is None, name
        assert settings[name]["set"] is True, name
    assert settings["open-signup"]["secret"] is False
    assert settings["listen"]["doc"]
    assert_problem(as_viewer(server, viewer, "GET", "/v1/settings"), 403, "Authorization")
    assert_problem(server.api("GET", "/v1/settings?verbose=1"), 400, "verbose")


def test_config_check_agrees_with_settings(server, outbox_binary):
    """`outbox config check` and GET /v1/settings come from the same masked list."""
    import subprocess
    out = subprocess.run([outbox_binary, "config", "check", "--smtp-user", "u", "--smtp-pass",
                          SMTP_PASSWORD], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    assert SMTP_PASSWORD not in out.stdout and "smtp-pass = ****  (flag)" in out.stdout


# --------------------------------------------------------------------------- sessions


def sign_in(ob, email, password):
    r = ob.api("POST", "/v1/auth/session", json={"email": email, "password": password},
               auth=False)
    assert r.status == 200, r
    return r.headers["set-cookie"].split(";")[0], r.body["csrf_token"]


def with_cookie(ob, method, path, cookie, csrf=None):
    headers = {"Cookie": cookie}
    if csrf:
        headers["X-CSRF-Token"] = csrf
    return ob.api(method, path, headers=headers, auth=False, data="" if method != "GET" else None)


def test_ending_ones_own_cookie_session_clears_the_cookie(server):
    here, here_csrf = sign_in(server, "vera@example.test", PASSWORD)
    there, _ = sign_in(server, "vera@example.test", PASSWORD)
    listed = with_cookie(server, "GET", "/v1/auth/sessions", here).body["data"]
    current = [s for s in listed if s["current"]]
    assert len(current) == 1 and current[0]["kind"] == "cookie", listed
    there_id = next(s["id"] for s in with_cookie(server, "GET", "/v1/auth/sessions",
                                                 there).body["data"] if s["current"])
    assert there_id != current[0]["id"] and there_id in {s["id"] for s in listed}

    # Ending another session leaves this browser's cookie alone.
    ended = with_cookie(server, "DELETE", f"/v1/auth/sessions/{there_id}", here, here_csrf)
    assert ended.status == 204 and "set-cookie" not in ended.headers, ended.headers
    assert with_cookie(server, "GET", "/v1/me", there).status == 401
    assert with_cookie(server, "GET", "/v1/me", here).status == 200

    missing = with_cookie(server, "DELETE",
                          "/v1/auth/sessions/00000000-0000-4000-8000-000000000000", here,
                          here_csrf)
    assert_problem(missing, 404)
    ended = with_cookie(server, "DELETE", f"/v1/auth/sessions/{current[0]['id']}", here, here_csrf)
    assert ended.status == 204, ended
    cleared = [a.strip() for a in ended.headers["set-cookie"].split(";")]
    assert cleared[0] == "outbox_session=" and "Max-Age=0" in cleared, cleared
    assert with_cookie(server, "GET", "/v1/me", here).status == 401
