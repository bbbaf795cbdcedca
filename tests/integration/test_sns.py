"""SES delivery events through Amazon SNS, black-box: POST /email-status with SNS messages signed
by a key and self-signed certificate made here with the openssl CLI (SignatureVersion 2,
`openssl dgst -sha256 -sign`), the certificate served by a local HTTP server that outbox is told
to trust (--sns-cert-hosts 127.0.0.1). A SubscriptionConfirmation makes outbox visit the
SubscribeURL; a permanent bounce puts its recipients on the suppression list (and a later send
to them is not attempted); tampered messages and certificates on other hosts are refused. Also
the /v1/suppressions routes, and the DELIVERED / BOUNCE status callbacks of a tracked mail."""

import base64
import http.server
import json
import subprocess
import threading
import urllib.parse

import pytest

from callbacks import SALT
from harness import http_request, wait_for

TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-events"


class SnsHost:
    """Plays sns.<region>.amazonaws.com on 127.0.0.1: serves the signing certificate and answers
    SubscribeURL visits, recording every GET."""

    def __init__(self, certificate):
        self.gets = []
        self.lock = threading.Lock()
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with host.lock:
                    host.gets.append(self.path)
                if self.path == "/SimpleNotificationService-test.pem":
                    status, body = 200, certificate
                elif self.path.startswith("/?Action=ConfirmSubscription"):
                    status, body = 200, b"<ConfirmSubscriptionResponse/>"
                else:
                    status, body = 404, b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self):
        return self.server.server_address[1]

    def url(self, path, host="127.0.0.1"):
        return f"http://{host}:{self.port}{path}"

    @property
    def cert_url(self):
        return self.url("/SimpleNotificationService-test.pem")

    def requested(self):
        with self.lock:
            return list(self.gets)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def signing_key(tmp_path_factory):
    """(key path, certificate PEM bytes) of a fresh RSA key and its self-signed certificate."""
    directory = tmp_path_factory.mktemp("sns-key")
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=sns.amazonaws.com"],
                   check=True, capture_output=True)
    return key, cert.read_bytes()


@pytest.fixture
def sns(signing_key):
    host = SnsHost(signing_key[1])
    yield host
    host.stop()


def string_to_sign(message):
    """SNS's canonical form: "Name\\nvalue\\n" for the signed members, in this order."""
    if message["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{name}\n{message[name]}\n" for name in names if name in message)


def sign(message, key_path):
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(key_path)],
                               input=string_to_sign(message).encode(), check=True,
                               capture_output=True).stdout
    return dict(message, SignatureVersion="2", Signature=base64.b64encode(signature).decode())


def notification(ses_event, cert_url, message_id="22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"):
    return {"Type": "Notification", "MessageId": message_id, "TopicArn": TOPIC,
            "Subject": "Amazon SES Email Event Notification", "Message": json.dumps(ses_event),
            "Timestamp": "2024-10-13T15:41:08.751Z", "SigningCertURL": cert_url,
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"}


def ses_event(event_type, message_id="<em_unknown@example.com>", **sections):
    event = {"eventType": event_type,
             "mail": {"timestamp": "2024-10-13T15:41:06.000Z", "source": "app@example.com",
                      "messageId": "0100018b-ses-id", "destination": ["gone@example.org"],
                      "commonHeaders": {"messageId": message_id, "subject": "Hello"}}}
    event.update(sections)
    return event


def bounce(addresses, bounce_type="Permanent", message_id="<em_unknown@example.com>"):
    return ses_event("Bounce", message_id, bounce={
        "bounceType": bounce_type, "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": a, "status": "5.1.1"} for a in addresses]})


def post_sns(ob, message):
    """Posts like SNS does: JSON with Content-Type text/plain, no Authorization."""
    return http_request(ob.host, ob.port, "POST", "/email-status", json.dumps(message).encode(),
                        {"Content-Type": "text/plain; charset=UTF-8",
                         "x-amz-sns-message-type": message["Type"]})


def suppressed(ob):
    r = ob.api("GET", "/v1/suppressions")
    assert r.status == 200, r
    return {s["address"]: s for s in r.body["data"]}


@pytest.fixture
def sns_outbox(outbox):
    def make(*args):
        return outbox("--sns-cert-hosts", "127.0.0.1", *args)
    return make


def test_subscription_confirmation_visits_the_subscribe_url(sns_outbox, sns, signing_key):
    ob = sns_outbox()
    subscribe_url = sns.url(f"/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=2336412f37fb")
    confirmation = sign({"Type": "SubscriptionConfirmation",
                         "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
                         "Token": "2336412f37fb", "TopicArn": TOPIC,
                         "Message": f"You have chosen to subscribe to the topic {TOPIC}.\n"
                                    "To confirm the subscription, visit the SubscribeURL.",
                         "SubscribeURL": subscribe_url, "Timestamp": "2024-10-13T15:40:00.000Z",
                         "SigningCertURL": sns.cert_url}, signing_key[0])
    r = post_sns(ob, confirmation)
    assert (r.status, r.body) == (200, {"valid": True}), r
    confirm_path = urllib.parse.urlsplit(subscribe_url)
    assert f"{confirm_path.path}?{confirm_path.query}" in sns.requested()

    # A SubscribeURL elsewhere is not visited, even in a genuinely signed message.
    elsewhere = sns.url("/?Action=ConfirmSubscription&Token=x", host="localhost")
    r = post_sns(ob, sign(dict(confirmation, SubscribeURL=elsewhere), signing_key[0]))
    assert (r.status, r.body["valid"], r.body["field"]) == (401, False, "SubscribeURL"), r
    assert "/?Action=ConfirmSubscription&Token=x" not in sns.requested()


def test_a_permanent_bounce_suppresses_and_a_later_send_is_not_attempted(sns_outbox, sns,
                                                                         signing_key):
    ob = sns_outbox()
    r = post_sns(ob, sign(notification(bounce(["Gone@Example.org"]), sns.cert_url),
                          signing_key[0]))
    assert (r.status, r.body) == (200, {"valid": True}), r
    entries = suppressed(ob)
    assert set(entries) == {"gone@example.org"}
    assert entries["gone@example.org"]["reason"] == "bounce"

    # A transient bounce (mailbox full) is no reason to stop sending.
    r = post_sns(ob, sign(notification(bounce(["full@example.org"], "Transient"), sns.cert_url,
                                       message_id="a-second-message"), signing_key[0]))
    assert r.status == 200, r
    assert set(suppressed(ob)) == {"gone@example.org"}
    # The certificate was fetched once for both messages.
    assert sns.requested().count("/SimpleNotificationService-test.pem") == 1

    # The send path leaves suppressed recipients out; with none left the mail is never tried.
    sent = ob.send({"from": "app@example.com", "to": ["gone@example.org"], "subject": "Hi",
                    "text": "Hello"})
    assert sent["status"] == "suppressed", sent
    assert ob.email(sent["id"])["status"] == "suppressed"


def test_a_tampered_message_is_refused_and_suppresses_nothing(sns_outbox, sns, signing_key):
    ob = sns_outbox()
    genuine = sign(notification(ses_event("Delivery"), sns.cert_url), signing_key[0])
    tampered = dict(genuine, Message=json.dumps(bounce(["victim@example.org"])))
    r = post_sns(ob, tampered)
    assert (r.status, r.body["valid"], r.body["field"]) == (401, False, "Signature"), r
    assert suppressed(ob) == {}
    # The genuine one still goes through.
    assert post_sns(ob, genuine).status == 200


def test_a_certificate_on_a_host_outside_the_pattern_is_refused_unfetched(sns_outbox, sns,
                                                                          signing_key):
    ob = sns_outbox()
    for cert_url in (sns.url("/SimpleNotificationService-test.pem", host="localhost"),
                     "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem"):
        message = sign(notification(bounce(["victim@example.org"]), cert_url), signing_key[0])
        r = post_sns(ob, message)
        assert (r.status, r.body["valid"], r.body["field"]) == (401, False, "SigningCertURL"), r
    assert sns.requested() == []
    assert suppressed(ob) == {}


def test_the_default_pattern_trusts_only_amazon(outbox, sns, signing_key):
    ob = outbox()
    r = post_sns(ob, sign(notification(bounce(["victim@example.org"]), sns.cert_url),
                          signing_key[0]))
    assert (r.status, r.body["field"]) == (401, "SigningCertURL"), r
    assert sns.requested() == []


def test_malformed_bodies_are_400(sns_outbox, sns, signing_key):
    ob = sns_outbox()
    for body in (b"", b"not json", b"{}", json.dumps({"Type": "Notification"}).encode()):
        r = http_request(ob.host, ob.port, "POST", "/email-status", body,
                         {"Content-Type": "text/plain"})
        assert (r.status, r.body["valid"]) == (400, False), (body, r)
    # A signed notification whose Message is no SES event.
    message = dict(notification({}, sns.cert_url), Message="hello from the SNS console")
    r = post_sns(ob, sign(message, signing_key[0]))
    assert (r.status, r.body["field"]) == (400, "Message"), r
    # Event types outbox does not track are acknowledged.
    r = post_sns(ob, sign(notification(ses_event("Open"), sns.cert_url), signing_key[0]))
    assert (r.status, r.body) == (200, {"valid": True}), r


def test_suppression_routes(outbox):
    ob = outbox()
    r = ob.api("POST", "/v1/suppressions", json={"address": "Ann@Example.org"})
    assert r.status == 201, r
    assert (r.body["address"], r.body["reason"]) == ("ann@example.org", "manual")
    assert r.body["created_at"].endswith("Z")
    r = ob.api("POST", "/v1/suppressions", json={"address": "ann@example.org",
                                                 "reason": "complaint"})
    assert (r.status, r.body["reason"]) == (200, "manual"), r  # already there: kept as it was
    for address, reason in (("bob@example.org", "bounce"), ("cy@example.org", "complaint")):
        assert ob.api("POST", "/v1/suppressions",
                      json={"address": address, "reason": reason}).status == 201

    r = ob.api("GET", "/v1/suppressions?limit=2")
    assert r.status == 200, r
    assert [s["address"] for s in r.body["data"]] == ["ann@example.org", "bob@example.org"]
    assert r.body["next_cursor"] == "bob@example.org"
    r = ob.api("GET", "/v1/suppressions?limit=2&cursor=" + r.body["next_cursor"])
    assert [s["address"] for s in r.body["data"]] == ["cy@example.org"]
    assert r.body["next_cursor"] is None

    assert ob.api("DELETE", "/v1/suppressions/bob@example.org").status == 204
    assert ob.api("DELETE", "/v1/suppressions/BOB%40example.org").status == 404
    assert set(suppressed(ob)) == {"ann@example.org", "cy@example.org"}

    for body, field in (({"address": "not-an-address"}, "address"),
                        ({"address": "Ann <ann@example.org>"}, "address"),
                        ({}, "address"),
                        ({"address": 7}, "address"),
                        ({"address": "d@example.org", "reason": "spam"}, "reason"),
                        ({"address": "d@example.org", "why": "x"}, "why")):
        r = ob.api("POST", "/v1/suppressions", json=body)
        assert (r.status, r.content_type, r.body["field"]) == \
            (400, "application/problem+json", field), (body, r)
    assert ob.api("GET", "/v1/suppressions?limit=0").status == 400
    assert ob.api("GET", "/v1/suppressions", auth=False).status == 401
    assert set(suppressed(ob)) == {"ann@example.org", "cy@example.org"}


def test_events_reach_the_sending_keys_callback(outbox, smtp_server, sns, signing_key):
    from callbacks import CallbackReceiver
    from test_ses_email import form, send
    from test_ses_tasks import create_key
    from test_templates import SEED_HTML, add_template

    srv = smtp_server()
    hook = CallbackReceiver()
    try:
        ob = outbox(*srv.smtp_args(), "--callback-secret", SALT, "--sns-cert-hosts", "127.0.0.1")
        assert add_template(ob, "welcome-email.html", SEED_HTML).status == 200
        key = create_key(ob, "billing", hook.url)
        r = send(ob, key, form(email="gone@example.org"))
        assert r.status == 200, r
        email_id = r.body["queue_id"]
        wait_for(lambda: srv.count() == 1, timeout=15, message="the mail arrives")
        message_id = srv.received()[0].message["Message-ID"]
        assert message_id.startswith(f"<{email_id}@"), message_id

        delivered = ses_event("Delivery", message_id,
                              delivery={"recipients": ["gone@example.org"],
                                        "smtpResponse": "250 2.6.0 Message received"})
        r = post_sns(ob, sign(notification(delivered, sns.cert_url, "m-1"), signing_key[0]))
        assert r.status == 200, r
        wait_for(lambda: hook.events("DELIVERED"), timeout=10, message="DELIVERED callback")
        callback = hook.events("DELIVERED")[0].json
        assert callback["email_id"] == email_id
        assert callback["data"]["aws_data"] == delivered
        assert callback["data"]["email_data"]["email"] == "gone@example.org"

        bounced = bounce(["gone@example.org"], message_id=message_id)
        r = post_sns(ob, sign(notification(bounced, sns.cert_url, "m-2"), signing_key[0]))
        assert r.status == 200, r
        wait_for(lambda: hook.events("BOUNCE"), timeout=10, message="BOUNCE callback")
        assert hook.events("BOUNCE")[0].json["data"]["aws_data"]["bounce"]["bounceType"] == \
            "Permanent"
        assert "gone@example.org" in suppressed(ob)
        events = [e["type"] for e in ob.email(email_id)["events"]]
        assert "delivered" in events and "bounce" in events, events
        assert hook.failures == []
    finally:
        hook.stop()
