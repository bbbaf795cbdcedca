"""The GoMail-compatible routes, black-box: the real binary, a recording SMTP server, and the
requests and answers of the GoMail README (the seed) verbatim."""

import base64
import json
import re

import pytest

from harness import GOMAIL_SEED_TASK as SEED_TASK, http_request, wait_for

SENDER = "noreply@example.test"

# The seed's examples, byte for byte (including the trailing commas of its task example).
SEED_SIGNUP = '''{
    "id": "user@example.com"
}'''
SEED_DEREGISTER = SEED_SIGNUP
SEED_VERIFY = '''{
    "userEmail": "user@example.com",
    "otp": "123456"
}
'''
ENQUEUED = {"status": True, "msg": "Task enqueued successfully"}


def post(ob, path, body, key=None, bearer=False):
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}" if bearer else key
    data = body if isinstance(body, str) else json.dumps(body)
    return http_request(ob.host, ob.port, "POST", path, data.encode("utf-8"), headers)


def get(ob, path):
    return http_request(ob.host, ob.port, "GET", path)


def signup(ob, user, admin=False):
    r = post(ob, "/auth/signup", {"id": user}, key=ob.admin_key if admin else None, bearer=True)
    assert r.status == 200, r
    return r.body["apiKey"]


def task(kind, user, retries=0, **payload):
    return {"task": "test", "type": kind, "retries": retries, "payload": {"userId": user, **payload}}


def assert_gomail_error(r, status):
    assert r.status == status, r
    assert r.body["status"] is False, r
    assert isinstance(r.body["msg"], str) and r.body["msg"], r


def text_part(received):
    return received.message.get_body(preferencelist=("plain",)).get_content()


def html_part(received):
    return received.message.get_body(preferencelist=("html",)).get_content()


def otp_from(received):
    match = re.search(r"code is (\d+)", text_part(received))
    assert match, text_part(received)
    return match.group(1)


@pytest.fixture
def gomail(outbox, smtp_server):
    """An outbox with open signup and a default sender, and its SMTP server."""
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--default-from", SENDER, "--open-signup", "true")
    return ob, srv


def test_seed_examples_verbatim(gomail):
    ob, srv = gomail
    r = post(ob, "/auth/signup", SEED_SIGNUP)
    assert r.status == 200, r
    assert set(r.body) == {"apiKey"}
    key = r.body["apiKey"]
    assert key.startswith("eyJ") and key.count(".") == 2

    r = post(ob, "/task/", SEED_TASK, key=key)
    assert (r.status, r.body) == (200, ENQUEUED)
    wait_for(lambda: srv.count() == 1, message="the OTP mail")
    assert srv.received()[0].rcpt_tos == ["example@gmail.com"]

    r = post(ob, "/task/verify", SEED_VERIFY, key=key)
    assert (r.status, r.body) == (200, {"type": "otp verification", "verified": False})

    r = get(ob, "/health/ping")
    assert (r.status, r.body) == (200, {"message": "pong"})
    r = get(ob, "/health/metrics")
    assert r.status == 200
    assert set(r.body) == {"status", "Total Jobs Executed", "Jobs Successful", "Jobs Failed"}
    assert r.body["status"] is True

    r = post(ob, "/auth/deregister", SEED_DEREGISTER, key=key)
    assert (r.status, r.body) == (200, {"status": True, "msg": "Deregistered successfully!"})


def test_signup_closed_by_default_needs_the_admin_key(outbox):
    ob = outbox("--default-from", SENDER)
    assert_gomail_error(post(ob, "/auth/signup", {"id": "a@example.test"}), 401)
    assert_gomail_error(post(ob, "/auth/signup", {"id": "a@example.test"}, key="nope"), 401)
    key = signup(ob, "a@example.test", admin=True)
    # A user key cannot sign up others.
    assert_gomail_error(post(ob, "/auth/signup", {"id": "b@example.test"}, key=key), 403)


def test_second_signup_refused_until_deregistered(gomail):
    ob, _ = gomail
    first = signup(ob, "Ada@Example.test")
    r = post(ob, "/auth/signup", {"id": "ada@example.test"})
    assert_gomail_error(r, 409)
    assert "registered" in r.body["msg"]
    r = post(ob, "/auth/deregister", {"id": "ada@example.test"}, key=first)
    assert r.status == 200, r
    second = signup(ob, "ada@example.test")
    assert second != first


def test_deregistered_key_is_refused_at_once(gomail):
    ob, _ = gomail
    key = signup(ob, "ada@example.test")
    body = task("message", "ada@example.test", subject="s", content="<p>c</p>")
    assert post(ob, "/task/", body, key=key).status == 200
    assert post(ob, "/auth/deregister", {"id": "ada@example.test"}, key=key).status == 200
    assert_gomail_error(post(ob, "/task/", body, key=key), 401)
    assert_gomail_error(post(ob, "/task/", body, key=key, bearer=True), 401)


def test_deregister_rules(gomail):
    ob, _ = gomail
    ada = signup(ob, "ada@example.test")
    signup(ob, "bob@example.test")
    # Only one's own user, unless with the admin key.
    assert_gomail_error(post(ob, "/auth/deregister", {"id": "bob@example.test"}, key=ada), 403)
    r = post(ob, "/auth/deregister", {"id": "bob@example.test"}, key=ob.admin_key)
    assert r.status == 200, r
    assert_gomail_error(post(ob, "/auth/deregister", {"id": "bob@example.test"},
                             key=ob.admin_key), 404)
    assert_gomail_error(post(ob, "/auth/deregister", {"id": "bob@example.test"}), 401)


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_tampered_and_unsigned_keys_are_refused(gomail):
    ob, _ = gomail
    key = signup(ob, "ada@example.test")
    body = task("message", "ada@example.test", subject="s", content="c")
    assert post(ob, "/task/", body, key=key).status == 200

    header, claims, signature = key.split(".")
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    assert_gomail_error(post(ob, "/task/", body, key=f"{header}.{claims}.{flipped}"), 401)

    none_header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    assert_gomail_error(post(ob, "/task/", body, key=f"{none_header}.{claims}."), 401)
    assert_gomail_error(post(ob, "/task/", body, key=f"{none_header}.{claims}.{signature}"), 401)

    hs512 = _b64(json.dumps({"alg": "HS512", "typ": "JWT"}).encode())
    assert_gomail_error(post(ob, "/task/", body, key=f"{hs512}.{claims}.{signature}"), 401)
    assert_gomail_error(post(ob, "/task/", body), 401)
    assert_gomail_error(post(ob, "/task/", body, key="garbage"), 401)


def test_user_keys_cannot_use_the_native_api(gomail):
    ob, _ = gomail
    key = signup(ob, "ada@example.test")
    for bearer in (True, False):
        r = ob.api("GET", "/v1/emails", auth=False,
                   headers={"Authorization": f"Bearer {key}" if bearer else key})
        assert r.status == 403, r
        assert r.body["code"] == "permission_denied"


def test_admin_key_cannot_send_tasks(gomail):
    ob, _ = gomail
    body = task("message", "ada@example.test", subject="s", content="c")
    assert_gomail_error(post(ob, "/task/", body, key=ob.admin_key, bearer=True), 403)


def test_message_arrives_with_subject_html_and_text(gomail):
    ob, srv = gomail
    key = signup(ob, "ada@example.test")
    content = "<h1>Hello!</h1><p>Here is your <b>weekly</b> digest &amp; more.</p>"
    r = post(ob, "/task", task("message", "reader@example.test", retries=2,
                               subject="Weekly update", content=content), key=key)
    assert (r.status, r.body) == (200, ENQUEUED)
    wait_for(lambda: srv.count() == 1, message="the message")
    rec = srv.received()[0]
    assert rec.rcpt_tos == ["reader@example.test"]
    assert rec.mail_from == SENDER
    assert rec.header("Subject") == "Weekly update"
    assert "<b>weekly</b>" in html_part(rec)
    text = text_part(rec)
    assert "Hello!" in text and "Here is your weekly digest & more." in text
    assert "<" not in text

    emails = ob.list()["data"]
    assert emails[0]["max_attempts"] == 3  # retries + 1


def test_otp_arrives_and_verifies_once(gomail):
    ob, srv = gomail
    key = signup(ob, "ada@example.test")
    r = post(ob, "/task/", task("generateOtp", "Reader@Example.test", length=8), key=key)
    assert (r.status, r.body) == (200, ENQUEUED)
    wait_for(lambda: srv.count() == 1, message="the OTP mail")
    rec = srv.received()[0]
    assert rec.header("Subject") == "Your verification code"
    code = otp_from(rec)
    assert len(code) == 8
    assert code in html_part(rec)

    verify = {"userEmail": "reader@example.test", "otp": code}
    r = post(ob, "/task/verify", verify, key=key)
    assert (r.status, r.body) == (200, {"type": "otp verification", "verified": True})
    r = post(ob, "/task/verify", verify, key=key)
    assert (r.status, r.body) == (200, {"type": "otp verification", "verified": False})


def test_five_wrong_codes_lock_the_code(gomail):
    ob, srv = gomail
    key = signup(ob, "ada@example.test")
    assert post(ob, "/task/", task("generateOtp", "r@example.test", length=4), key=key).status \
        == 200
    wait_for(lambda: srv.count() == 1, message="the OTP mail")
    code = otp_from(srv.received()[0])
    wrong = "0000" if code != "0000" else "1111"
    for _ in range(5):
        r = post(ob, "/task/verify", {"userEmail": "r@example.test", "otp": wrong}, key=key)
        assert r.body == {"type": "otp verification", "verified": False}
    r = post(ob, "/task/verify", {"userEmail": "r@example.test", "otp": code}, key=key)
    assert r.body == {"type": "otp verification", "verified": False}


def test_resend_within_the_interval_is_429(gomail):
    ob, srv = gomail
    key = signup(ob, "ada@example.test")
    body = task("generateOtp", "r@example.test", length=6)
    assert post(ob, "/task/", body, key=key).status == 200
    assert_gomail_error(post(ob, "/task/", body, key=key), 429)
    # Other recipients are not affected.
    assert post(ob, "/task/", task("generateOtp", "s@example.test", length=6), key=key).status \
        == 200


def test_resend_allowed_after_the_interval_and_new_code_replaces_old(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--default-from", SENDER, "--open-signup", "true",
                "--otp-resend-interval-ms", "0")
    key = signup(ob, "ada@example.test")
    body = task("generateOtp", "r@example.test", length=6)
    assert post(ob, "/task/", body, key=key).status == 200
    wait_for(lambda: srv.count() == 1)
    old = otp_from(srv.received()[0])
    assert post(ob, "/task/", body, key=key).status == 200
    wait_for(lambda: srv.count() == 2)
    new = otp_from(srv.received()[1])
    if old != new:
        r = post(ob, "/task/verify", {"userEmail": "r@example.test", "otp": old}, key=key)
        assert r.body["verified"] is False
    r = post(ob, "/task/verify", {"userEmail": "r@example.test", "otp": new}, key=key)
    assert r.body["verified"] is True


INVALID_TASKS = [
    ("not json", "{"),
    ("array body", "[]"),
    ("task missing", {"type": "message", "retries": 0,
                      "payload": {"userId": "a@example.test", "subject": "s", "content": "c"}}),
    ("task not a string", {"task": 1, "type": "message", "retries": 0,
                           "payload": {"userId": "a@example.test", "subject": "s",
                                       "content": "c"}}),
    ("type missing", {"task": "t", "retries": 0, "payload": {"userId": "a@example.test"}}),
    ("type unknown", task("sms", "a@example.test")),
    ("retries missing", {"task": "t", "type": "generateOtp",
                         "payload": {"userId": "a@example.test", "length": 6}}),
    ("retries negative", task("generateOtp", "a@example.test", retries=-1, length=6)),
    ("retries too large", task("generateOtp", "a@example.test", retries=1000, length=6)),
    ("retries not an int", task("generateOtp", "a@example.test", retries="3", length=6)),
    ("payload missing", {"task": "t", "type": "message", "retries": 0}),
    ("payload not an object", {"task": "t", "type": "message", "retries": 0, "payload": "x"}),
    ("userId missing", {"task": "t", "type": "generateOtp", "retries": 0,
                        "payload": {"length": 6}}),
    ("userId not an email", task("generateOtp", "not-an-email", length=6)),
    ("userId with display name", task("generateOtp", "Ada <a@example.test>", length=6)),
    ("length missing", task("generateOtp", "a@example.test")),
    ("length too short", task("generateOtp", "a@example.test", length=3)),
    ("length too long", task("generateOtp", "a@example.test", length=9)),
    ("length not an int", task("generateOtp", "a@example.test", length="6")),
    ("length fractional", task("generateOtp", "a@example.test", length=6.5)),
    ("subject missing", task("message", "a@example.test", content="c")),
    ("content missing", task("message", "a@example.test", subject="s")),
    ("subject empty", task("message", "a@example.test", subject="", content="c")),
    ("subject with line break", task("message", "a@example.test", subject="a\r\nBcc: x@y.z",
                                     content="c")),
    ("frequency missing", task("subscribe", "a@example.test", content_type="weekly")),
    ("frequency unknown", task("subscribe", "a@example.test", content_type="weekly",
                               frequency="@yearly")),
    ("content_type missing (subscribe)", task("subscribe", "a@example.test",
                                              frequency="@weekly")),
    ("content_type missing (unsubscribe)", task("unsubscribe", "a@example.test")),
]


@pytest.mark.parametrize("name,body", INVALID_TASKS, ids=[n for n, _ in INVALID_TASKS])
def test_invalid_tasks_are_400(gomail, name, body):
    ob, srv = gomail
    key = signup(ob, "ada@example.test")
    assert_gomail_error(post(ob, "/task/", body, key=key), 400)
    assert srv.count() == 0


def test_verify_validation(gomail):
    ob, _ = gomail
    key = signup(ob, "ada@example.test")
    assert_gomail_error(post(ob, "/task/verify", {"otp": "1234"}, key=key), 400)
    assert_gomail_error(post(ob, "/task/verify", {"userEmail": "nope", "otp": "1234"}, key=key),
                        400)
    assert_gomail_error(post(ob, "/task/verify", {"userEmail": "a@example.test"}, key=key), 400)
    assert_gomail_error(post(ob, "/task/verify", {"userEmail": "a@example.test", "otp": 1234},
                             key=key), 400)
    assert_gomail_error(post(ob, "/task/verify", SEED_VERIFY), 401)


def test_signup_validation(gomail):
    ob, _ = gomail
    for body in ({}, {"id": ""}, {"id": "nope"}, {"id": 5}, "[]", "{"):
        assert_gomail_error(post(ob, "/auth/signup", body), 400)


def test_no_default_sender_is_503(outbox):
    ob = outbox("--open-signup", "true")
    key = signup(ob, "ada@example.test")
    r = post(ob, "/task/", task("message", "a@example.test", subject="s", content="c"), key=key)
    assert_gomail_error(r, 503)
    assert "sender" in r.body["msg"]
    r = post(ob, "/task/", task("generateOtp", "a@example.test", length=6), key=key)
    assert_gomail_error(r, 503)


def test_metrics_move_and_survive_a_restart(outbox, smtp_server):
    srv = smtp_server(policy=["550 5.1.1 no such user"])
    ob = outbox(*srv.smtp_args(), "--default-from", SENDER, "--open-signup", "true")
    assert get(ob, "/health/metrics").body == {
        "status": True, "Total Jobs Executed": 0, "Jobs Successful": 0, "Jobs Failed": 0}
    key = signup(ob, "ada@example.test")
    for i in range(3):
        r = post(ob, "/task/", task("message", f"r{i}@example.test", subject="s", content="c"),
                 key=key)
        assert r.status == 200, r

    def settled():
        body = get(ob, "/health/metrics").body
        return body if body["Total Jobs Executed"] == 3 else None

    body = wait_for(settled, message="three finished jobs")
    assert body == {"status": True, "Total Jobs Executed": 3, "Jobs Successful": 2,
                    "Jobs Failed": 1}
    ob.restart()
    assert get(ob, "/health/metrics").body == body
    # The key (and the JWT secret it was signed with) survive the restart too.
    r = post(ob, "/task/", task("message", "r9@example.test", subject="s", content="c"), key=key)
    assert r.status == 200, r
