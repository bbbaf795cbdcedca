"""People on the native API, black-box: the first admin user, login with access and refresh
tokens, rotation and reuse detection, logout taking effect at once, the brute-force slowdown,
/v1/users and /v1/audit, the role x route table, tampered and expired tokens, what the database
keeps (no password, refresh token or link token in clear) and `outbox users` beside a running
server."""

import base64
import json
import os
import sqlite3
import statistics
import subprocess
import time

import pytest

from harness import wait_for


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def as_user(ob, method, path, token, body=None):
    return ob.api(method, path, json=body, headers=bearer(token), auth=False)


def admin_login(ob):
    email, password = ob.admin_user()
    return ob.login(email, password)


def create_user(ob, email, role, password="correct horse battery"):
    r = ob.api("POST", "/v1/users", json={"email": email, "password": password, "role": role,
                                          "name": role.title()})
    assert r.status == 201, r
    return r.body["user"]


def test_first_start_prints_an_admin_user_who_signs_in(outbox):
    ob = outbox()
    email, password = ob.admin_user()
    assert email == "admin@localhost" and len(password) == 24
    body = ob.login(email, password)
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["refresh_token"].startswith("ort_")
    assert body["user"]["role"] == "admin" and body["user"]["role_id"] == 1
    assert "password" not in json.dumps(body["user"])
    me = as_user(ob, "GET", "/v1/me", body["access_token"])
    assert me.status == 200 and me.body["email"] == "admin@localhost"
    # An admin person holds what an admin key holds.
    assert as_user(ob, "GET", "/v1/emails", body["access_token"]).status == 200
    # The password is printed on the first start only.
    ob.restart()
    assert ob.stdout().count("admin user") == 0


def test_admin_email_and_password_are_configurable(outbox):
    ob = outbox("--admin-email", "boss@example.test")
    assert ob.admin_user()[0] == "boss@example.test"
    ob = outbox("--admin-password", "chosen admin password")
    assert "admin user" not in ob.stdout()
    assert ob.login("admin@localhost", "chosen admin password")["user"]["role"] == "admin"
    # A password the rules refuse stops the first start, naming the field.
    ob = outbox("--admin-password", "short", start=False)
    with pytest.raises(AssertionError, match="password must be at least 8"):
        ob.start(timeout=10)


def test_unknown_email_and_wrong_password_answer_alike_and_take_as_long(outbox):
    ob = outbox()
    create_user(ob, "known@example.test", "customer")

    def attempt(email):
        t0 = time.monotonic()
        r = ob.api("POST", "/v1/auth/login", json={"email": email, "password": "wrong password"},
                   auth=False)
        return r, time.monotonic() - t0

    wrong, unknown, wrong_times, unknown_times = None, None, [], []
    for i in range(3):
        wrong, took = attempt("known@example.test")
        wrong_times.append(took)
        unknown, took = attempt(f"nobody{i}@example.test")
        unknown_times.append(took)
    assert wrong.status == unknown.status == 401
    assert wrong.body == unknown.body
    assert wrong.body["detail"] == "email or password is wrong"
    # Both verify an argon2id hash (about 20-60 ms here); skipping it would take < 1 ms.
    ratio = statistics.median(unknown_times) / statistics.median(wrong_times)
    assert 0.3 < ratio < 3, (wrong_times, unknown_times)


def test_failures_slow_an_account_down_before_any_password_is_checked(outbox):
    ob = outbox()
    create_user(ob, "slow@example.test", "customer")
    for _ in range(4):
        r = ob.api("POST", "/v1/auth/login",
                   json={"email": "slow@example.test", "password": "wrong password"}, auth=False)
        assert r.status == 401, r
    # Past three failures each one makes the account wait: even the right password is refused.
    r = ob.api("POST", "/v1/auth/login",
               json={"email": "slow@example.test", "password": "correct horse battery"},
               auth=False)
    assert r.status == 429, r
    assert int(r.headers["retry-after"]) >= 1
    # An unknown address is throttled the same way, so the answer says nothing about who exists.
    for _ in range(4):
        ob.api("POST", "/v1/auth/login",
               json={"email": "ghost@example.test", "password": "wrong password"}, auth=False)
    assert ob.api("POST", "/v1/auth/login",
                  json={"email": "ghost@example.test", "password": "x" * 8},
                  auth=False).status == 429
    # Once the wait is over the right password works (and clears the account's count).
    body = wait_for(lambda: ob.api("POST", "/v1/auth/login",
                                   json={"email": "slow@example.test",
                                         "password": "correct horse battery"},
                                   auth=False).body.get("access_token"),
                    timeout=5, interval=0.25)
    assert body


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(outbox):
    ob = outbox()
    first = admin_login(ob)
    r = ob.api("POST", "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]},
               auth=False)
    assert r.status == 200, r
    second = r.body
    assert second["refresh_token"] != first["refresh_token"]
    assert second["session_id"] == first["session_id"]
    assert as_user(ob, "GET", "/v1/me", second["access_token"]).status == 200
    # The old refresh token again: theft is assumed and the whole session ends.
    r = ob.api("POST", "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]},
               auth=False)
    assert r.status == 401 and r.body["field"] == "refresh_token", r
    assert as_user(ob, "GET", "/v1/me", second["access_token"]).status == 401
    assert ob.api("POST", "/v1/auth/refresh", json={"refresh_token": second["refresh_token"]},
                  auth=False).status == 401
    assert ob.api("POST", "/v1/auth/refresh", json={"refresh_token": "ort_nonsense"},
                  auth=False).status == 401


def test_logout_takes_effect_on_the_next_request(outbox):
    ob = outbox()
    signed_in = admin_login(ob)
    other = admin_login(ob)
    token = signed_in["access_token"]
    assert as_user(ob, "POST", "/v1/auth/logout", token).status == 200
    r = as_user(ob, "GET", "/v1/me", token)
    assert r.status == 401 and r.body["detail"] == "session ended", r
    assert ob.api("POST", "/v1/auth/refresh", json={"refresh_token": signed_in["refresh_token"]},
                  auth=False).status == 401
    # Another session of the same person goes on.
    assert as_user(ob, "GET", "/v1/me", other["access_token"]).status == 200


def test_sessions_are_listed_and_ended_one_by_one(outbox):
    ob = outbox()
    a, b = admin_login(ob), admin_login(ob)
    listed = as_user(ob, "GET", "/v1/auth/sessions", a["access_token"]).body["data"]
    assert {s["id"] for s in listed} == {a["session_id"], b["session_id"]}
    assert [s["current"] for s in listed if s["id"] == a["session_id"]] == [True]
    assert as_user(ob, "DELETE", f"/v1/auth/sessions/{b['session_id']}",
                   a["access_token"]).status == 204
    assert as_user(ob, "GET", "/v1/me", b["access_token"]).status == 401
    # Another person's session is not found, not ended.
    create_user(ob, "m@example.test", "manager")
    m = ob.login("m@example.test", "correct horse battery")
    assert as_user(ob, "DELETE", f"/v1/auth/sessions/{a['session_id']}",
                   m["access_token"]).status == 404
    assert as_user(ob, "GET", "/v1/me", a["access_token"]).status == 200


def test_users_are_managed_by_admins(outbox):
    ob = outbox()
    user = create_user(ob, "Mixed.Case@Example.test", "manager")
    assert user["role"] == "manager" and user["role_id"] == 2 and user["confirmed_at"]
    # Unique regardless of case.
    r = ob.api("POST", "/v1/users", json={"email": "mixed.case@example.test",
                                          "password": "another password"})
    assert r.status == 409 and r.body["field"] == "email", r
    # A generated password is returned once.
    r = ob.api("POST", "/v1/users", json={"email": "gen@example.test", "role": 4})
    assert r.status == 201 and len(r.body["password"]) == 24 and r.body["user"]["role"] == "viewer"
    listed = ob.api("GET", "/v1/users?role=manager").body["data"]
    assert [u["email"] for u in listed] == ["Mixed.Case@Example.test"]
    assert ob.api("GET", f"/v1/users/{user['id']}").body["email"] == "Mixed.Case@Example.test"

    session = ob.login("mixed.case@example.test", "correct horse battery")
    r = ob.api("PATCH", f"/v1/users/{user['id']}", json={"role": "customer"})
    assert r.status == 200 and r.body["role"] == "customer"
    # The new role applies to the live session at once.
    assert as_user(ob, "GET", "/v1/emails", session["access_token"]).status == 403
    r = ob.api("PATCH", f"/v1/users/{user['id']}", json={"disabled": True})
    assert r.status == 200 and r.body["disabled_at"]
    assert as_user(ob, "GET", "/v1/me", session["access_token"]).status == 401
    assert ob.api("POST", "/v1/auth/login",
                  json={"email": "mixed.case@example.test", "password": "correct horse battery"},
                  auth=False).status == 401
    assert ob.api("DELETE", f"/v1/users/{user['id']}").status == 204
    assert ob.api("GET", f"/v1/users/{user['id']}").status == 404


def test_the_last_enabled_admin_cannot_be_demoted_disabled_or_deleted(outbox):
    ob = outbox()
    admin = ob.api("GET", "/v1/users?role=admin").body["data"][0]
    for method, body in (("PATCH", {"role": "viewer"}), ("PATCH", {"disabled": True}),
                         ("DELETE", None)):
        r = ob.api(method, f"/v1/users/{admin['id']}", json=body)
        assert r.status == 409, (method, body, r)
    second = create_user(ob, "second-admin@example.test", "admin")
    assert ob.api("PATCH", f"/v1/users/{admin['id']}", json={"role": "viewer"}).status == 200
    assert ob.api("DELETE", f"/v1/users/{second['id']}").status == 409


@pytest.mark.parametrize("body,field", [
    ({"password": "correct horse battery"}, "email"),
    ({"email": "not an address", "password": "correct horse battery"}, "email"),
    ({"email": "Name <a@example.test>", "password": "correct horse battery"}, "email"),
    ({"email": "a@example.test", "password": "short"}, "password"),
    ({"email": "a@example.test", "password": "p" * 1025}, "password"),
    ({"email": "a@example.test", "password": 12345678}, "password"),
    ({"email": "a@example.test", "role": "superuser"}, "role"),
    ({"email": "a@example.test", "role": "sender"}, "role"),
    ({"email": "a@example.test", "role": 5}, "role"),
    ({"email": "a@example.test", "name": "x\r\ny"}, "name"),
    ({"email": "a@example.test", "name": "n" * 201}, "name"),
    ({"email": "a@example.test", "is_admin": True}, "is_admin"),
])
def test_bad_users_are_400_naming_the_field(outbox, body, field):
    ob = outbox()
    r = ob.api("POST", "/v1/users", json=body)
    assert r.status == 400 and r.body["field"] == field, r
    assert [u["email"] for u in ob.api("GET", "/v1/users").body["data"]] == ["admin@localhost"]


@pytest.mark.parametrize("body,field", [
    ({}, "email"),
    ({"email": "a@example.test"}, "password"),
    ({"email": ["a"], "password": "x"}, "email"),
    ({"email": "a@example.test", "password": "x", "remember": True}, "remember"),
])
def test_bad_logins_are_400_naming_the_field(outbox, body, field):
    ob = outbox()
    r = ob.api("POST", "/v1/auth/login", json=body, auth=False)
    assert r.status == 400 and r.body["field"] == field, r


def forge(token, claims=None, header=None):
    head, payload, signature = token.split(".")

    def enc(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    def dec(part):
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    new_head = enc(header) if header is not None else head
    new_payload = enc({**dec(payload), **claims}) if claims else payload
    return f"{new_head}.{new_payload}.{signature}"


def test_tampered_none_and_expired_access_tokens_are_401(outbox):
    ob = outbox("--access-token-ttl-ms", "1000")
    signed_in = admin_login(ob)
    token = signed_in["access_token"]
    customer = create_user(ob, "c@example.test", "customer")
    forged = [
        forge(token, claims={"sub": str(customer["id"])}),
        forge(token, claims={"exp": 4102444800}),
        forge(token, header={"alg": "none", "typ": "JWT"}).rsplit(".", 1)[0] + ".",
        forge(token, header={"alg": "HS512", "typ": "JWT"}),
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
    ]
    for bad in forged:
        r = as_user(ob, "GET", "/v1/me", bad)
        assert r.status == 401 and r.content_type.startswith("application/problem+json"), bad
    # Expiry: the token lives 1 s (exp has whole seconds); refresh then gives a working one.
    wait_for(lambda: as_user(ob, "GET", "/v1/me", token).status == 401, timeout=4)
    r = ob.api("POST", "/v1/auth/refresh", json={"refresh_token": signed_in["refresh_token"]},
               auth=False)
    assert r.status == 200 and as_user(ob, "GET", "/v1/me", r.body["access_token"]).status == 200


# Route families x roles: the status each role gets (None: anything but 401/403).
ROUTES = [
    ("GET", "/v1/emails", None),
    ("POST", "/v1/emails", {"to": ["x@example.test"], "subject": "s", "text": "t",
                            "from": "a@example.test"}),
    ("GET", "/v1/templates", None),
    ("POST", "/v1/keys", {"name": "k-{role}"}),
    ("GET", "/v1/users", None),
    ("POST", "/v1/users", {"email": "new-{role}@example.test"}),
    ("GET", "/v1/audit", None),
    ("GET", "/v1/me", None),
    ("GET", "/v1/auth/sessions", None),
    ("POST", "/server/email/fetch-api-records", {}),
    ("POST", "/task/", {"type": "message"}),
]
ALLOWED = {
    # role: the routes (by index) it may use
    "admin": {0, 1, 2, 3, 4, 5, 6, 7, 8},
    "manager": {0, 2, 7, 8},
    "viewer": {0, 2, 7, 8},
    "customer": {7, 8},
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_role_by_route_table(outbox, role):
    ob = outbox()
    create_user(ob, f"{role}@example.test", role)
    token = ob.login(f"{role}@example.test", "correct horse battery")["access_token"]
    for index, (method, path, body) in enumerate(ROUTES):
        if isinstance(body, dict):
            body = json.loads(json.dumps(body).replace("{role}", role))
        r = as_user(ob, method, path, token, body)
        if index in ALLOWED[role]:
            assert r.status not in (401, 403), (role, method, path, r)
        elif path.startswith("/server/") or path.startswith("/task/"):
            # Those doors read API keys only: a person's token is no credential there.
            assert r.status == 401, (role, method, path, r)
        else:
            assert r.status == 403, (role, method, path, r)
            assert r.body["field"] == "Authorization"


def test_viewer_keys_read_and_change_nothing(outbox):
    ob = outbox()
    r = ob.api("POST", "/v1/keys", json={"name": "monitor", "role": "viewer"})
    assert r.status == 201, r
    key = r.body["key"]
    assert ob.api("GET", "/v1/emails", headers=bearer(key), auth=False).status == 200
    assert ob.api("POST", "/v1/keys", json={"name": "x"}, headers=bearer(key),
                  auth=False).status == 403
    assert ob.api("POST", "/v1/keys", json={"name": "m", "role": "manager"}).status == 400


def test_signup_is_closed_unless_open_signup(outbox):
    ob = outbox()
    body = {"email": "new@example.test", "password": "correct horse battery", "name": "New"}
    assert ob.api("POST", "/v1/auth/signup", json=body, auth=False).status == 401
    ob2 = outbox("--open-signup", "true")
    r = ob2.api("POST", "/v1/auth/signup", json=body, auth=False)
    assert r.status == 201 and r.body["user"]["role"] == "customer", r
    assert r.body["user"]["confirmed_at"] is None
    r = ob2.api("POST", "/v1/auth/login", json={"email": body["email"],
                                                "password": body["password"]}, auth=False)
    assert r.status == 403 and r.body["field"] == "email" and "confirm" in r.body["detail"], r
    assert ob2.api("POST", "/v1/auth/signup", json=body, auth=False).status == 409


def test_audit_trail_names_who_what_and_from_where(outbox):
    ob = outbox()
    admin = admin_login(ob)
    user = create_user(ob, "audited@example.test", "viewer")
    ob.api("PATCH", f"/v1/users/{user['id']}", json={"role": "manager"})
    ob.api("POST", "/v1/auth/login", json={"email": "audited@example.test", "password": "nope nope"},
           auth=False)
    as_user(ob, "POST", "/v1/auth/logout", admin["access_token"])
    entries = ob.api("GET", "/v1/audit").body["data"]
    actions = [e["action"] for e in entries]
    for action in ("login", "user_created", "role_changed", "login_failed", "logout"):
        assert action in actions, actions
    changed = next(e for e in entries if e["action"] == "role_changed")
    assert changed["target"] == f"user:{user['id']}" and changed["actor"].startswith("key:")
    assert changed["detail"] == {"from": "viewer", "to": "manager"}
    assert changed["address"] == "127.0.0.1"
    # A "user:N" reads as the person's address; a key or the command line has no name.
    assert changed["target_name"] == "audited@example.test" and changed["actor_name"] is None
    logout = next(e for e in entries if e["action"] == "logout")
    assert logout["actor"].startswith("user:") and logout["actor_name"] == admin["user"]["email"]
    assert "nope" not in json.dumps(entries)
    only = ob.api("GET", "/v1/audit?action=logout").body["data"]
    assert [e["action"] for e in only] == ["logout"]
    assert ob.api("GET", "/v1/audit?limit=2").body["next_cursor"]


def test_the_database_keeps_no_password_or_token_in_clear(outbox):
    ob = outbox("--open-signup", "true")
    email, password = ob.admin_user()
    signed_in = ob.login(email, password)
    body = {"email": "reader@example.test", "password": "plain text secret", "name": "R"}
    assert ob.api("POST", "/v1/auth/signup", json=body, auth=False).status == 201
    # The confirmation mail is delivered (capture transport), then its stored body is redacted.
    wait_for(lambda: any(e["status"] == "sent" for e in
                         ob.api("GET", "/v1/emails?recipient=reader@example.test").body["data"]),
            timeout=10)
    ob.stop()
    db = os.path.join(ob.data_dir, "outbox.db")
    dump = "\n".join(sqlite3.connect(db).iterdump())
    for secret in (password, "plain text secret", signed_in["refresh_token"],
                   signed_in["refresh_token"][4:], signed_in["access_token"]):
        assert secret not in dump
    assert "confirm?token" not in dump  # the delivered mail's body was redacted
    assert "$argon2id$" in dump
    assert oct(os.stat(db).st_mode & 0o777) == "0o600"


def run_cli(ob, *args, stdin=None):
    return subprocess.run([ob.binary, "users", *args, "--data-dir", ob.data_dir],
                          input=stdin, capture_output=True, text=True, timeout=30,
                          cwd=ob.work_dir, env=ob.env)


def test_users_cli_works_beside_a_running_server(outbox):
    ob = outbox()
    r = run_cli(ob, "add", "cli@example.test", "--role", "manager", "--name", "Cli User")
    assert r.returncode == 0, r.stderr
    generated = r.stdout.split("password (shown once): ")[1].strip()
    session = ob.login("cli@example.test", generated)
    assert session["user"]["role"] == "manager"

    listed = run_cli(ob, "list")
    assert listed.returncode == 0 and "cli@example.test" in listed.stdout
    assert generated not in listed.stdout and "argon2" not in listed.stdout

    assert run_cli(ob, "set-role", "cli@example.test", "viewer").returncode == 0
    assert as_user(ob, "GET", "/v1/me", session["access_token"]).body["role"] == "viewer"

    r = run_cli(ob, "reset-password", "cli@example.test", "--password-stdin",
                stdin="chosen password here\n")
    assert r.returncode == 0 and "chosen password here" not in r.stdout, r
    assert as_user(ob, "GET", "/v1/me", session["access_token"]).status == 401
    session = ob.login("cli@example.test", "chosen password here")

    assert run_cli(ob, "disable", "cli@example.test").returncode == 0
    assert as_user(ob, "GET", "/v1/me", session["access_token"]).status == 401
    assert run_cli(ob, "enable", "cli@example.test").returncode == 0
    ob.login("cli@example.test", "chosen password here")

    assert run_cli(ob, "set-role", "nobody@example.test", "admin").returncode == 1
    assert run_cli(ob, "add", "x@example.test", "--role", "sender").returncode == 2
    assert run_cli(ob, "frobnicate").returncode == 2
    audit = ob.api("GET", "/v1/audit?action=role_changed").body["data"]
    assert audit[0]["actor"] == "cli" and audit[0]["address"] == ""
