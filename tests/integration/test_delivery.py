"""Delivery over real SMTP: what arrives, retries, permanent failures, faults."""

import email
import email.policy
import time

from harness import parse_rfc3339, rfc3339, simple_email, wait_for

SUBJECT = "Grüße – 日本語 🎉"
TEXT = ("Hallo Jörg — 日本語 🎉\n"
        ".a line starting with a dot\n"
        "..two dots\n"
        "From the start of a line\n"
        + "long " * 400 + "end\n")
HTML = "<html><body><p>Grüße – <b>日本語</b> 🎉</p></body></html>"


def _norm(text):
    return text.replace("\r\n", "\n").rstrip("\n")


def _fast_retry(*extra):
    return ["--retry-base-ms", "100", "--retry-max-ms", "400", *extra]


def test_sent_mail_arrives_intact(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args())
    sent = ob.send({
        "from": "sender@example.test",
        "to": ["alice@example.test", "bob@example.test"],
        "cc": ["carol@example.test"],
        "bcc": ["dave@example.test"],
        "reply_to": "replies@example.test",
        "subject": SUBJECT,
        "text": TEXT,
        "html": HTML,
        "tags": ["welcome", "t2"],
        "metadata": {"user_id": 42, "plan": "pro"},
    })
    assert sent["status"] == "queued" and sent["id"]

    final = ob.wait_status(sent["id"], {"sent", "failed"})
    assert final["status"] == "sent", final
    assert srv.count() == 1
    rec = srv.received()[0]

    # Envelope: every recipient, Bcc included.
    assert rec.mail_from == "sender@example.test"
    assert sorted(rec.rcpt_tos) == sorted(["alice@example.test", "bob@example.test",
                                           "carol@example.test", "dave@example.test"])
    # Every line within RFC 5322's 998-octet limit, however long the input line.
    assert max(len(line) for line in rec.data.split(b"\r\n")) <= 998

    msg = rec.message
    assert msg["Subject"] == SUBJECT
    assert [a.addr_spec for a in msg["From"].addresses] == ["sender@example.test"]
    assert sorted(a.addr_spec for a in msg["To"].addresses) == ["alice@example.test",
                                                                "bob@example.test"]
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["carol@example.test"]
    assert [a.addr_spec for a in msg["Reply-To"].addresses] == ["replies@example.test"]
    assert msg["Bcc"] is None, "Bcc must not appear in the delivered headers"
    assert b"dave@example.test" not in rec.data
    assert msg["Message-ID"], "a Message-ID header is expected"
    assert msg["Date"], "a Date header is expected"

    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and html is not None, msg.get_content_type()
    assert msg.get_content_type() == "multipart/alternative"
    assert _norm(plain.get_content()) == _norm(TEXT)
    assert _norm(html.get_content()) == _norm(HTML)

    # The status resource describes the delivery.
    assert final["attempts"] == 1
    assert final["sent_at"] is not None
    assert final["to"] == ["alice@example.test", "bob@example.test"]
    assert final["cc"] == ["carol@example.test"]
    assert final["bcc"] == ["dave@example.test"]
    assert final["subject"] == SUBJECT
    assert final["tags"] == ["welcome", "t2"]
    assert final["metadata"] == {"user_id": 42, "plan": "pro"}
    for key in ("id", "status", "from", "to", "cc", "bcc", "reply_to", "subject", "tags",
                "metadata", "attempts", "max_attempts", "last_reply", "created_at", "send_at",
                "updated_at", "sent_at", "next_attempt_at", "events"):
        assert key in final, f"GET /v1/emails/{{id}} lacks {key!r}: {final}"
    assert final["events"], "a sent email has events"
    for ev in final["events"]:
        assert set(ev) >= {"at", "type", "detail"}, ev


def test_text_only_and_html_only(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args())
    a = ob.send(simple_email(subject="text only", text="just text ✓\n"))["id"]
    b = ob.send({"from": "sender@example.test", "to": "rcpt@example.test",
                 "subject": "html only", "html": "<p>just html ✓</p>"})["id"]
    ob.wait_status(a, "sent")
    ob.wait_status(b, "sent")
    by_subject = {m.message["Subject"]: m.message for m in srv.received()}
    t = by_subject["text only"]
    assert t.get_content_type() == "text/plain"
    assert _norm(t.get_content()) == "just text ✓"
    h = by_subject["html only"]
    assert h.get_content_type() == "text/html"
    assert _norm(h.get_content()) == "<p>just html ✓</p>"
    # `to` given as a single string is one recipient.
    assert [x.addr_spec for x in h["To"].addresses] == ["rcpt@example.test"]


def test_display_names_non_ascii(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args())
    eid = ob.send(simple_email(**{"from": "Jörg Müller <joerg@example.test>",
                                  "to": ["José Núñez <jose@example.test>"]}))["id"]
    ob.wait_status(eid, "sent")
    msg = srv.received()[0].message
    assert msg["From"].addresses[0].display_name == "Jörg Müller"
    assert msg["From"].addresses[0].addr_spec == "joerg@example.test"
    assert msg["To"].addresses[0].display_name == "José Núñez"
    assert srv.received()[0].rcpt_tos == ["jose@example.test"]
    assert srv.received()[0].mail_from == "joerg@example.test"


def test_custom_headers_delivered(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args())
    eid = ob.send(simple_email(headers={"X-Campaign": "spring-2024",
                                        "X-Test-Id": "abc-123",
                                        "X-Note": "Grüße 🎉",
                                        "List-Unsubscribe": "<mailto:unsub@example.test>"}))["id"]
    ob.wait_status(eid, "sent")
    msg = srv.received()[0].message
    assert msg["X-Campaign"] == "spring-2024"
    assert msg["X-Test-Id"] == "abc-123"
    assert msg["X-Note"] == "Grüße 🎉"
    assert msg["List-Unsubscribe"] == "<mailto:unsub@example.test>"


def test_default_from(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--default-from", "noreply@example.test")
    payload = simple_email()
    del payload["from"]
    eid = ob.send(payload)["id"]
    ob.wait_status(eid, "sent")
    rec = srv.received()[0]
    assert rec.mail_from == "noreply@example.test"
    assert rec.message["From"].addresses[0].addr_spec == "noreply@example.test"


def test_451_then_250_is_sent_after_retry(outbox, smtp_server):
    srv = smtp_server(policy=["451 4.3.0 try later"])
    ob = outbox(*srv.smtp_args(), *_fast_retry())
    eid = ob.send(simple_email(subject="retry me"))["id"]
    final = ob.wait_status(eid, {"sent", "failed"}, timeout=15)
    assert final["status"] == "sent", final
    assert final["attempts"] == 2, final
    assert len(srv.attempts) == 2
    assert srv.attempts[0].response.startswith("451")
    assert srv.count() == 1
    types = [e["type"] for e in final["events"]]
    assert any("defer" in t for t in types), f"expected a deferred event, got {types}"


def test_451_shows_deferred_status_between_attempts(outbox, smtp_server):
    srv = smtp_server(policy=lambda env, i: "451 4.3.0 try later")
    ob = outbox(*srv.smtp_args(), "--retry-base-ms", "60000")
    eid = ob.send(simple_email())["id"]
    e = ob.wait_status(eid, "deferred", timeout=10)
    assert e["attempts"] == 1
    assert "451" in (e["last_reply"] or ""), e
    assert e["next_attempt_at"] is not None, e
    # The next attempt lies after the failed one, and with a 60 s base it has not happened.
    assert parse_rfc3339(e["next_attempt_at"]) > srv.attempts[0].at - 1, e
    assert len(srv.attempts) == 1


def test_451_until_max_attempts_then_failed(outbox, smtp_server):
    srv = smtp_server(policy=lambda env, i: "451 4.3.0 try later")
    ob = outbox(*srv.smtp_args(), *_fast_retry())
    eid = ob.send(simple_email(max_attempts=3))["id"]
    final = ob.wait_status(eid, "failed", timeout=20)
    assert final["attempts"] == 3
    assert final["max_attempts"] == 3
    assert "451" in (final["last_reply"] or "")
    assert len(srv.attempts) == 3
    assert srv.count() == 0


def test_550_fails_at_once_with_reply(outbox, smtp_server):
    srv = smtp_server(policy=lambda env, i: "550 5.1.1 no such user")
    ob = outbox(*srv.smtp_args(), *_fast_retry())
    before = ob.metrics().get("outbox_emails_failed_total", 0)
    eid = ob.send(simple_email())["id"]
    final = ob.wait_status(eid, {"failed", "sent"}, timeout=10)
    assert final["status"] == "failed", final
    assert final["attempts"] == 1
    assert "550" in final["last_reply"], final
    assert "no such user" in final["last_reply"], final
    assert len(srv.attempts) == 1
    wait_for(lambda: ob.metrics().get("outbox_emails_failed_total", 0) == before + 1, 5,
             message="outbox_emails_failed_total to grow by 1")


def test_server_down_then_up_is_delivered(outbox, fault_smtp):
    srv = fault_smtp(start=False)  # nothing listens on srv.port yet
    ob = outbox(*srv.smtp_args(), "--retry-base-ms", "200", "--retry-max-ms", "500",
                "--max-attempts", "50", "--smtp-timeout-ms", "3000")
    eid = ob.send(simple_email(subject="while down"))["id"]
    e = ob.wait_status(eid, "deferred", timeout=15)
    assert e["attempts"] >= 1
    srv.start()
    final = ob.wait_status(eid, {"sent", "failed"}, timeout=15)
    assert final["status"] == "sent", final
    assert srv.count() == 1
    assert srv.received()[0].message["Subject"] == "while down"


def test_connection_dropped_mid_data_is_retried(outbox, fault_smtp):
    srv = fault_smtp(drop_in_data=1)
    ob = outbox(*srv.smtp_args(), *_fast_retry(), "--smtp-timeout-ms", "3000")
    eid = ob.send(simple_email(subject="dropped once", headers={"X-Test-Id": "drop-1"}))["id"]
    final = ob.wait_status(eid, {"sent", "failed"}, timeout=20)
    assert final["status"] == "sent", final
    assert srv.dropped == 1
    assert final["attempts"] >= 2, final
    got = srv.received()
    assert len(got) == 1
    assert got[0].message["X-Test-Id"] == "drop-1"
    assert got[0].rcpt_tos == ["rcpt@example.test"]


def test_554_greeting_is_retried_not_failed(outbox, fault_smtp):
    # Regression: curl reports a refused greeting like a refused end of DATA, and the mail
    # was failed for good although nothing was wrong with it.
    srv = fault_smtp(reject_greetings=1)
    ob = outbox(*srv.smtp_args(), *_fast_retry(), "--smtp-timeout-ms", "3000")
    eid = ob.send(simple_email(subject="greeted with 554"))["id"]
    final = ob.wait_status(eid, {"sent", "failed"}, timeout=20)
    assert final["status"] == "sent", final
    assert final["attempts"] == 2, final
    assert srv.count() == 1
    events = [e["type"] for e in ob.api("GET", f"/v1/emails/{eid}").body["events"]]
    assert "deferred" in events, events


def test_drop_mid_data_for_several_messages_then_all_delivered(outbox, fault_smtp):
    srv = fault_smtp(drop_in_data=3)
    ob = outbox(*srv.smtp_args(), *_fast_retry(), "--smtp-timeout-ms", "3000")
    ids = [ob.send(simple_email(headers={"X-Test-Id": f"m{i}"}))["id"] for i in range(5)]
    for eid in ids:
        assert ob.wait_status(eid, {"sent", "failed"}, timeout=20)["status"] == "sent"
    got = sorted(m.message["X-Test-Id"] for m in srv.received())
    assert got == [f"m{i}" for i in range(5)]


def test_send_at_in_future_is_not_sent_before(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args())
    send_at = int(time.time()) + 3
    eid = ob.send(simple_email(subject="later", send_at=rfc3339(send_at)))["id"]
    e = ob.email(eid)
    assert e["status"] == "queued", e
    assert parse_rfc3339(e["send_at"]) == send_at, e
    while time.time() < send_at - 0.3:
        assert srv.count() == 0, "delivered before send_at"
        assert ob.status(eid) == "queued"
        time.sleep(0.1)
    final = ob.wait_status(eid, "sent", timeout=10)
    assert srv.count() == 1
    assert srv.received()[0].at >= send_at - 0.05, (srv.received()[0].at, send_at)
    assert parse_rfc3339(final["sent_at"]) >= send_at - 1


def test_retry_endpoint_on_failed_mail(outbox, smtp_server):
    srv = smtp_server(policy=["550 5.1.1 no such user"])
    ob = outbox(*srv.smtp_args())
    eid = ob.send(simple_email(subject="retry endpoint"))["id"]
    assert ob.wait_status(eid, {"failed", "sent"})["status"] == "failed"
    assert srv.count() == 0

    r = ob.api("POST", f"/v1/emails/{eid}/retry")
    assert r.status == 200, r
    assert r.body == {"id": eid, "status": "queued"}
    final = ob.wait_status(eid, {"sent", "failed"})
    assert final["status"] == "sent", final
    assert srv.count() == 1

    # Retrying something that is not failed is a conflict.
    r = ob.api("POST", f"/v1/emails/{eid}/retry")
    assert r.status == 409, r
    assert r.content_type.startswith("application/problem+json"), r
    r = ob.api("POST", "/v1/emails/does-not-exist/retry")
    assert r.status == 404, r


def test_raw_endpoint_matches_what_is_sent(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args())
    eid = ob.send(simple_email(subject=SUBJECT, html=HTML, cc=["cc@example.test"],
                               bcc=["hidden@example.test"]))["id"]
    ob.wait_status(eid, "sent")
    r = ob.api("GET", f"/v1/emails/{eid}/raw")
    assert r.status == 200, r
    assert r.content_type.startswith("message/rfc822"), r
    raw = email.message_from_bytes(r.raw, policy=email.policy.default)
    got = srv.received()[0].message
    assert raw["Subject"] == SUBJECT
    assert raw["Bcc"] is None
    assert raw["Message-ID"] == got["Message-ID"], (raw["Message-ID"], got["Message-ID"])
    assert _norm(raw.get_body(("plain",)).get_content()) == _norm(
        got.get_body(("plain",)).get_content())
