"""Secrets out of the database (issue 10): the key file, GoMail keys a database copy cannot
rebuild, one-time codes per key and redacted once delivered, owner-only file modes."""

import base64
import hashlib
import hmac
import json
import os
import re
import sqlite3
import stat

import pytest

from harness import http_request, wait_for

SENDER = "noreply@example.test"


def post(ob, path, body, key=None):
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = key
    return http_request(ob.host, ob.port, "POST", path, json.dumps(body).encode(), headers)


def signup(ob, user):
    r = post(ob, "/auth/signup", {"id": user})
    assert r.status == 200, r
    return r.body["apiKey"]


def otp_task(user, length=6):
    return {"task": "t", "type": "generateOtp", "retries": 0,
            "payload": {"userId": user, "length": length}}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(claims, secret):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def read_db(ob, query, args=()):
    """What a copy of the database shows (read-only; the server may be running)."""
    db = sqlite3.connect(f"file:{os.path.join(ob.data_dir, 'outbox.db')}?mode=ro", uri=True)
    try:
        return db.execute(query, args).fetchall()
    finally:
        db.close()


def mailed_code(srv):
    text = srv.received()[0].message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"code is (\d+)", text).group(1)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def gomail(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--default-from", SENDER, "--open-signup", "true")
    return ob, srv


def test_a_gomail_key_rebuilt_from_a_database_copy_is_refused(gomail):
    ob, _ = gomail
    key = signup(ob, "ada@example.test")
    assert post(ob, "/task/verify", {"userEmail": "a@example.test", "otp": "1234"},
                key=key).status == 200
    settings = dict(read_db(ob, "SELECT key, value FROM settings"))
    assert not {"jwt_secret", "otp_secret", "callback_secret"} & settings.keys()
    (key_id, name, created_at), = read_db(
        ob, "SELECT id, name, created_at FROM api_keys WHERE role = 'client'")
    claims = {"iat": created_at // 1000, "jti": key_id, "sub": name}
    for secret in [settings.get("jwt_secret", ""), ""]:
        r = post(ob, "/task/verify", {"userEmail": "a@example.test", "otp": "1234"},
                 key=hs256(claims, secret))
        assert r.status == 401, r
        assert r.body["status"] is False


def test_an_older_databases_gomail_key_and_secrets_survive_the_upgrade(gomail):
    ob, _ = gomail
    ob.stop()
    # As an older version left it: the signing secret in settings, the key stored by its hash.
    old_key = hs256({"iat": 1700000000, "jti": "key_old", "sub": "old@example.test"}, "legacy")
    db = sqlite3.connect(os.path.join(ob.data_dir, "outbox.db"))
    db.execute("INSERT INTO settings (key, value) VALUES ('jwt_secret', 'legacy')")
    db.execute("INSERT INTO api_keys (id, name, key_hash, role, created_at) "
               "VALUES ('key_old', 'old@example.test', ?, 'client', 1700000000000)",
               (hashlib.sha256(old_key.encode()).hexdigest(),))
    db.commit()
    db.close()
    os.remove(os.path.join(ob.data_dir, "secret.key"))
    ob.start()
    r = post(ob, "/task/verify", {"userEmail": "a@example.test", "otp": "1234"}, key=old_key)
    assert (r.status, r.body) == (200, {"type": "otp verification", "verified": False})
    assert read_db(ob, "SELECT key FROM settings WHERE key LIKE '%secret'") == []
    with open(os.path.join(ob.data_dir, "secret.key")) as f:
        assert json.load(f)["legacy"]["jwt_secret"] == "legacy"
    # Deregistering the old key revokes it.
    r = post(ob, "/auth/deregister", {"id": "old@example.test"}, key=old_key)
    assert r.status == 200, r
    r = post(ob, "/task/verify", {"userEmail": "a@example.test", "otp": "1234"}, key=old_key)
    assert r.status == 401, r


def test_another_keys_verify_cannot_lock_or_consume_a_code(gomail):
    ob, srv = gomail
    owner = signup(ob, "ada@example.test")
    other = signup(ob, "eve@example.test")
    assert post(ob, "/task/", otp_task("r@example.test"), key=owner).status == 200
    wait_for(lambda: srv.count() == 1, message="the OTP mail")
    code = mailed_code(srv)
    wrong = "000000" if code != "000000" else "111111"
    for attempt in [wrong] * 6 + [code]:
        r = post(ob, "/task/verify", {"userEmail": "r@example.test", "otp": attempt}, key=other)
        assert r.body == {"type": "otp verification", "verified": False}, r
    # Another key's code for the same recipient is not held back by the owner's resend interval.
    assert post(ob, "/task/", otp_task("r@example.test"), key=other).status == 200
    r = post(ob, "/task/verify", {"userEmail": "r@example.test", "otp": code}, key=owner)
    assert r.body == {"type": "otp verification", "verified": True}, r


def test_an_ses_sender_key_on_task_verify_is_403(gomail):
    ob, _ = gomail
    body = {"api_name": "shop", "return_api": "https://example.test/hook", "temporary": False}
    r = post(ob, "/server/api/create", body, key=f"Bearer {ob.admin_key}")
    assert r.status == 200, r
    r = post(ob, "/task/verify", {"userEmail": "a@example.test", "otp": "1234"},
             key=f"Bearer {r.body['api_key']}")
    assert r.status == 403, r
    assert r.body["status"] is False and r.body["msg"], r


def test_the_delivered_otp_mails_stored_raw_message_no_longer_holds_the_code(gomail):
    ob, srv = gomail
    key = signup(ob, "ada@example.test")
    assert post(ob, "/task/", otp_task("r@example.test", length=8), key=key).status == 200
    wait_for(lambda: srv.count() == 1, message="the OTP mail")
    code = mailed_code(srv)
    emails = ob.api("GET", "/v1/emails").body["data"]
    assert len(emails) == 1, emails
    eid = emails[0]["id"]
    wait_for(lambda: ob.api("GET", f"/v1/emails/{eid}").body["status"] == "sent",
             message="the OTP mail recorded as sent")
    r = ob.api("GET", f"/v1/emails/{eid}/raw")
    assert r.status == 200, r
    assert code.encode() not in r.raw
    assert b"redacted" in r.raw
    (data,), = read_db(ob, "SELECT data FROM email_messages")
    assert code.encode() not in bytes(data)


def test_data_files_are_owner_only_whatever_the_umask(outbox, smtp_server):
    srv = smtp_server()
    old = os.umask(0)
    try:
        ob = outbox(*srv.smtp_args(), "--default-from", SENDER)
    finally:
        os.umask(old)
    r = ob.api("POST", "/v1/emails", json={"from": SENDER, "to": ["a@example.test"],
                                            "subject": "s", "text": "t"})
    assert r.status == 202, r
    wait_for(lambda: srv.count() == 1, message="the mail")
    data = ob.data_dir
    assert mode(data) == 0o700
    for name in ["outbox.db", "outbox.db-wal", "outbox.db-shm", "outbox.db.lock", "app.log",
                 "secret.key"]:
        assert mode(os.path.join(data, name)) == 0o600, name
