"""The native forms of GoMail's key and one-time-code routes, black-box: /v1/keys issues, lists
and revokes keys (GoMail user keys included); /v1/otp mails a code through the real SMTP server
and /v1/otp/verify checks it once."""

import re

import pytest

from harness import wait_for
from test_gomail import SENDER, post, signup, task


@pytest.fixture
def server(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--default-from", SENDER, "--open-signup", "true")
    return ob, srv


def test_keys_are_issued_listed_and_revoked_at_once(server):
    ob, _ = server
    r = ob.api("POST", "/v1/keys", json={"name": "ops", "role": "admin"})
    assert r.status == 201, r
    secret, key_id = r.body["key"], r.body["id"]
    assert secret.startswith("obx_") and r.body["role"] == "admin"
    assert r.body["expires_at"] is None
    assert ob.api("GET", "/v1/emails", auth=False,
                  headers={"Authorization": f"Bearer {secret}"}).status == 200

    gomail_key = signup(ob, "app@example.test")
    listed = ob.api("GET", "/v1/keys").body["data"]
    assert {(k["name"], k["role"]) for k in listed} >= {("ops", "admin"),
                                                         ("app@example.test", "client")}
    assert all("key" not in k and "key_hash" not in k for k in listed)

    assert ob.api("DELETE", f"/v1/keys/{key_id}").status == 204
    assert ob.api("GET", "/v1/emails", auth=False,
                  headers={"Authorization": f"Bearer {secret}"}).status == 401
    assert ob.api("DELETE", f"/v1/keys/{key_id}").status == 404

    # A GoMail user's key is revoked the same way.
    client = next(k for k in listed if k["name"] == "app@example.test")
    assert ob.api("DELETE", f"/v1/keys/{client['id']}").status == 204
    body = task("message", "u@example.test", subject="s", content="c")
    assert post(ob, "/task/", body, key=gomail_key).status == 401


def test_the_last_admin_key_cannot_be_deleted(server):
    ob, _ = server
    admins = [k for k in ob.api("GET", "/v1/keys").body["data"] if k["role"] == "admin"]
    assert len(admins) == 1
    r = ob.api("DELETE", f"/v1/keys/{admins[0]['id']}")
    assert r.status == 409, r
    assert ob.api("GET", "/v1/keys").status == 200


def test_expiring_keys(server):
    ob, _ = server
    r = ob.api("POST", "/v1/keys", json={"name": "tmp", "expires_at": "2099-01-01T00:00:00Z"})
    assert (r.status, r.body["expires_at"], r.body["role"]) == (201, "2099-01-01T00:00:00.000Z",
                                                                "client")
    # Client keys use the GoMail routes, not the admin API.
    assert ob.api("GET", "/v1/emails", auth=False,
                  headers={"Authorization": f"Bearer {r.body['key']}"}).status == 403


BAD_KEYS = [
    ("name missing", {"role": "admin"}, "name"),
    ("name empty", {"name": ""}, "name"),
    ("name with a newline", {"name": "a\nb"}, "name"),
    ("role unknown", {"name": "n", "role": "root"}, "role"),
    ("expires_at in the past", {"name": "n", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ("expires_at not a time", {"name": "n", "expires_at": "tomorrow"}, "expires_at"),
    ("unknown field", {"name": "n", "scope": "all"}, "scope"),
]


@pytest.mark.parametrize("name,body,field", BAD_KEYS, ids=[n for n, _, _ in BAD_KEYS])
def test_bad_keys_are_400(server, name, body, field):
    ob, _ = server
    before = len(ob.api("GET", "/v1/keys").body["data"])
    r = ob.api("POST", "/v1/keys", json=body)
    assert (r.status, r.body["field"]) == (400, field), r
    assert len(ob.api("GET", "/v1/keys").body["data"]) == before


def test_otp_mail_arrives_and_its_code_verifies_once(server):
    ob, srv = server
    r = ob.api("POST", "/v1/otp", json={"to": "Reader@Example.test", "length": 8})
    assert r.status == 202, r
    assert r.body["to"] == "reader@example.test"
    wait_for(lambda: srv.count() == 1, timeout=15)
    text = srv.received()[0].message.get_body(preferencelist=("plain",)).get_content()
    code = re.search(r"code is (\d{8})", text).group(1)
    assert ob.api("GET", f"/v1/emails/{r.body['email_id']}").status == 200

    wrong = "0" * 8 if code != "0" * 8 else "1" * 8
    assert ob.api("POST", "/v1/otp/verify", json={"to": "reader@example.test",
                                                  "code": wrong}).body == {"verified": False}
    r = ob.api("POST", "/v1/otp/verify", json={"to": "READER@example.test", "code": code})
    assert (r.status, r.body) == (200, {"verified": True})
    r = ob.api("POST", "/v1/otp/verify", json={"to": "reader@example.test", "code": code})
    assert r.body == {"verified": False}
    # A second code within the resend interval is refused.
    assert ob.api("POST", "/v1/otp", json={"to": "reader@example.test"}).status == 429


BAD_OTP = [
    ("to missing", "/v1/otp", {}, "to"),
    ("to invalid", "/v1/otp", {"to": "nope"}, "to"),
    ("length too short", "/v1/otp", {"to": "a@example.test", "length": 3}, "length"),
    ("length not a number", "/v1/otp", {"to": "a@example.test", "length": "6"}, "length"),
    ("max_attempts zero", "/v1/otp", {"to": "a@example.test", "max_attempts": 0}, "max_attempts"),
    ("verify without code", "/v1/otp/verify", {"to": "a@example.test"}, "code"),
    ("verify code not a string", "/v1/otp/verify", {"to": "a@example.test", "code": 123456},
     "code"),
    ("verify unknown field", "/v1/otp/verify", {"to": "a@example.test", "code": "1", "x": 1},
     "x"),
]


@pytest.mark.parametrize("name,path,body,field", BAD_OTP, ids=[n for n, _, _, _ in BAD_OTP])
def test_bad_otp_requests_are_400(server, name, path, body, field):
    ob, srv = server
    r = ob.api("POST", path, json=body)
    assert (r.status, r.body["field"]) == (400, field), r
    assert ob.api("GET", "/v1/emails").body["data"] == []
