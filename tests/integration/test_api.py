"""The /v1/emails resource, health, metrics and auth, over HTTP."""

import json
import time

import pytest

from harness import (parse_rfc3339, rfc3339, simple_email, wait_for)

FAR_FUTURE = rfc3339(time.time() + 30 * 24 * 3600)


def _problem(r, status):
    assert r.status == status, r
    assert r.content_type.startswith("application/problem+json"), r
    assert isinstance(r.body, dict), r
    assert r.body.get("status") == status, r
    for key in ("type", "title", "status"):
        assert key in r.body, r


# ------------------------------------------------------------------ auth


def test_401_without_or_with_wrong_key(outbox):
    ob = outbox()
    for headers in ({}, {"Authorization": "Bearer wrong-key-wrong-key-wrong"},
                    {"Authorization": "Basic " + "YWRtaW46YWRtaW4="},
                    {"Authorization": "Bearer "}):
        r = ob.api("GET", "/v1/emails", headers=headers, auth=False)
        _problem(r, 401)
        r = ob.api("POST", "/v1/emails", json=simple_email(), headers=headers, auth=False)
        _problem(r, 401)
    assert ob.list()["data"] == [], "an unauthenticated POST must not queue"
    assert ob.metrics().get("outbox_emails_enqueued_total", 0) == 0
    r = ob.api("GET", "/v1/emails")
    assert r.status == 200, r


# ------------------------------------------------------------------ health and pages


def test_health_endpoints(outbox):
    ob = outbox()
    r = ob.api("GET", "/health/ping", auth=False)
    assert r.status == 200 and r.body == {"message": "pong"}, r
    r = ob.api("GET", "/health/ready", auth=False)
    assert r.status == 200 and r.body == {"status": "ready"}, r


def test_root_serves_html(outbox):
    ob = outbox()
    r = ob.api("GET", "/", auth=False)
    assert r.status == 200, r
    assert r.content_type.startswith("text/html"), r
    assert "<html" in r.body.lower()


def test_unknown_email_is_404(outbox):
    ob = outbox()
    _problem(ob.api("GET", "/v1/emails/no-such-id"), 404)
    _problem(ob.api("GET", "/v1/emails/no-such-id/raw"), 404)
    _problem(ob.api("DELETE", "/v1/emails/no-such-id"), 404)


# ------------------------------------------------------------------ metrics


def test_metrics_counters_move(outbox, smtp_server):
    srv = smtp_server(policy=lambda env, i: "550 5.1.1 no such user"
                      if "fail" in env.rcpt_tos[0] else "250 OK")
    ob = outbox(*srv.smtp_args())
    m0 = ob.metrics()
    for name in ("outbox_emails_enqueued_total", "outbox_emails_sent_total",
                 "outbox_emails_failed_total", "outbox_delivery_latency_seconds_sum",
                 "outbox_delivery_latency_seconds_count"):
        assert m0.has(name), f"{name} missing:\n{m0.text}"
    assert m0.has("outbox_delivery_latency_seconds_bucket", le="+Inf"), m0.text
    for state in ("queued", "leased", "done", "dead", "cancelled"):
        assert m0.has("outbox_jobs", state=state), f"outbox_jobs{{state={state!r}}}:\n{m0.text}"

    ok = [ob.send(simple_email(to=[f"ok{i}@example.test"]))["id"] for i in range(3)]
    bad = ob.send(simple_email(to=["fail@example.test"]))["id"]
    later = ob.send(simple_email(send_at=FAR_FUTURE))["id"]
    for eid in ok:
        ob.wait_status(eid, "sent")
    ob.wait_status(bad, "failed")

    def moved():
        m = ob.metrics()
        return (m.value("outbox_emails_enqueued_total") - m0.value("outbox_emails_enqueued_total")
                == 5
                and m.value("outbox_emails_sent_total") - m0.value("outbox_emails_sent_total") == 3
                and m.value("outbox_emails_failed_total")
                - m0.value("outbox_emails_failed_total") == 1) and m

    m = wait_for(moved, 5, interval=0.1, message="enqueued +5, sent +3, failed +1")
    assert m.value("outbox_delivery_latency_seconds_count") - m0.value(
        "outbox_delivery_latency_seconds_count") == 3
    assert m.value("outbox_delivery_latency_seconds_bucket", le="+Inf") == m.value(
        "outbox_delivery_latency_seconds_count")
    assert m.value("outbox_delivery_latency_seconds_sum") >= 0
    assert m.value("outbox_jobs", state="queued") >= 1  # the far-future one
    assert m.value("outbox_jobs", state="done") >= 3
    assert m.value("outbox_jobs", state="dead") >= 1
    ob.api("DELETE", f"/v1/emails/{later}")
    wait_for(lambda: ob.metrics().value("outbox_jobs", state="cancelled") >= 1, 5,
             message='outbox_jobs{state="cancelled"} >= 1')


# ------------------------------------------------------------------ idempotency


def test_idempotency_key(outbox):
    ob = outbox()
    payload = simple_email(subject="idem", send_at=FAR_FUTURE)
    key = {"Idempotency-Key": "order-7781-confirmation"}
    r1 = ob.api("POST", "/v1/emails", json=payload, headers=key)
    assert r1.status == 202, r1
    assert r1.body["status"] == "queued"
    r2 = ob.api("POST", "/v1/emails", json=payload, headers=key)
    assert (r2.status, r2.body) == (r1.status, r1.body)

    changed = dict(payload, subject="idem but different")
    r3 = ob.api("POST", "/v1/emails", json=changed, headers=key)
    _problem(r3, 409)

    listed = ob.list()["data"]
    assert [e["id"] for e in listed] == [r1.body["id"]]
    assert ob.metrics().value("outbox_emails_enqueued_total") == 1

    # The key survives a restart.
    ob.restart()
    r4 = ob.api("POST", "/v1/emails", json=payload, headers=key)
    assert (r4.status, r4.body) == (r1.status, r1.body)
    assert len(ob.list()["data"]) == 1

    # Without a key the same body is queued twice; a different key queues anew.
    a = ob.send(payload)["id"]
    b = ob.send(payload)["id"]
    c = ob.send(payload, headers={"Idempotency-Key": "another-key"})["id"]
    assert len({a, b, c, r1.body["id"]}) == 4


def test_idempotency_key_does_not_replay_failed_validation(outbox):
    ob = outbox()
    key = {"Idempotency-Key": "k-validation"}
    r = ob.api("POST", "/v1/emails", json={"to": ["x@example.test"]}, headers=key)
    assert r.status == 400, r
    r = ob.api("POST", "/v1/emails", json=simple_email(send_at=FAR_FUTURE), headers=key)
    assert r.status == 202, r


def test_idempotency_key_under_concurrent_posts(outbox):
    """Concurrent POSTs land in one group commit: batches of enqueues run without savepoints
    and are rerun with them when one fails (a key reused with another body). Each key still
    stores one email, every same-body POST gets its id, and the other bodies get 409."""
    import threading
    ob = outbox()
    payload = simple_email(subject="concurrent idem", send_at=FAR_FUTURE)
    results = {}

    def post(name, body, key):
        results[name] = ob.api("POST", "/v1/emails", json=body, headers={"Idempotency-Key": key})

    threads = [threading.Thread(target=post, args=(f"same{i}", payload, "k-same"))
               for i in range(8)]
    threads += [threading.Thread(target=post, args=(f"diff{i}", dict(payload, subject=f"s{i}"),
                                                    "k-diff")) for i in range(8)]
    threads += [threading.Thread(target=post, args=(f"own{i}", payload, f"k-own-{i}"))
                for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    same = [results[f"same{i}"] for i in range(8)]
    assert {r.status for r in same} == {202}, same
    assert len({r.body["id"] for r in same}) == 1
    diff = sorted(results[f"diff{i}"].status for i in range(8))
    assert diff == [202] + [409] * 7, diff
    own = [results[f"own{i}"] for i in range(8)]
    assert {r.status for r in own} == {202}, own
    assert len({r.body["id"] for r in own}) == 8
    assert len(ob.list()["data"]) == 1 + 1 + 8
    assert ob.metrics().value("outbox_emails_enqueued_total") == 10


# ------------------------------------------------------------------ cancel


def test_cancel(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args())
    eid = ob.send(simple_email(send_at=FAR_FUTURE))["id"]
    assert ob.status(eid) == "queued"
    r = ob.api("DELETE", f"/v1/emails/{eid}")
    assert r.status == 200, r
    assert r.body == {"id": eid, "status": "cancelled"}
    e = ob.email(eid)
    assert e["status"] == "cancelled"
    assert any("cancel" in ev["type"] for ev in e["events"]), e["events"]
    _problem(ob.api("DELETE", f"/v1/emails/{eid}"), 409)
    _problem(ob.api("POST", f"/v1/emails/{eid}/retry"), 409)

    sent = ob.send(simple_email())["id"]
    ob.wait_status(sent, "sent")
    _problem(ob.api("DELETE", f"/v1/emails/{sent}"), 409)
    assert ob.status(sent) == "sent"
    assert srv.count() == 1


def test_cancel_deferred(outbox, smtp_server):
    srv = smtp_server(policy=lambda env, i: "451 4.3.0 try later")
    ob = outbox(*srv.smtp_args(), "--retry-base-ms", "60000")
    eid = ob.send(simple_email())["id"]
    ob.wait_status(eid, "deferred")
    r = ob.api("DELETE", f"/v1/emails/{eid}")
    assert r.status == 200 and r.body == {"id": eid, "status": "cancelled"}, r
    assert ob.status(eid) == "cancelled"


def test_cancelled_mail_is_not_sent_when_due(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args())
    soon = int(time.time()) + 2
    victim = ob.send(simple_email(subject="victim", send_at=rfc3339(soon)))["id"]
    marker = ob.send(simple_email(subject="marker", send_at=rfc3339(soon)))["id"]
    assert ob.api("DELETE", f"/v1/emails/{victim}").status == 200
    ob.wait_status(marker, "sent", timeout=10)
    assert [m.message["Subject"] for m in srv.received()] == ["marker"]
    assert ob.status(victim) == "cancelled"


# ------------------------------------------------------------------ list


def test_list_filters_and_cursor_pagination(outbox):
    ob = outbox()
    created = []
    t_start = time.time()
    for i in range(4):
        created.append(ob.send(simple_email(to=[f"a{i}@example.test"] if i else ["a@example.test"],
                                            send_at=FAR_FUTURE))["id"])
    # A whole-second boundary between the two batches, for since/until.
    boundary = int(time.time()) + 1
    wait_for(lambda: time.time() >= boundary + 0.02, 3, message="the next second")
    for i in range(3):
        created.append(ob.send(simple_email(to=["b@example.test"], cc=[f"c{i}@example.test"],
                                            send_at=FAR_FUTURE))["id"])
    first_batch, second_batch = created[:4], created[4:]
    for eid in created[1:3]:
        assert ob.api("DELETE", f"/v1/emails/{eid}").status == 200

    # Everything, one page.
    body = ob.list(limit=100)
    assert set(body) >= {"data", "next_cursor"}, body
    assert body["next_cursor"] is None
    ids = [e["id"] for e in body["data"]]
    assert ids == list(reversed(created)), "newest first"
    for e in body["data"]:
        assert "events" not in e, e
        assert e["status"] in ("queued", "cancelled")
    stamps = [parse_rfc3339(e["created_at"]) for e in body["data"]]
    assert stamps == sorted(stamps, reverse=True)

    # Cursor pagination, 3 a page.
    pages, cursor = [], None
    for _ in range(10):
        page = ob.list(limit=3, cursor=cursor)
        assert len(page["data"]) <= 3
        pages.append([e["id"] for e in page["data"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    flat = [i for p in pages for i in p]
    assert flat == list(reversed(created)), pages
    assert [len(p) for p in pages][:2] == [3, 3]

    # A page boundary stays stable when new mail arrives meanwhile.
    page1 = ob.list(limit=3)
    newer = ob.send(simple_email(send_at=FAR_FUTURE))["id"]
    page2 = ob.list(limit=3, cursor=page1["next_cursor"])
    got = [e["id"] for e in page1["data"] + page2["data"]]
    assert newer not in got
    assert got == list(reversed(created))[:6]
    ob.api("DELETE", f"/v1/emails/{newer}")

    # Filters.
    def ids_for(**params):
        out, cursor = [], None
        while True:
            page = ob.list(cursor=cursor, **params)
            out += [e["id"] for e in page["data"]]
            cursor = page["next_cursor"]
            if not cursor:
                return out

    assert set(ids_for(status="cancelled")) == set(created[1:3]) | {newer}
    assert set(ids_for(status="queued")) == set(created) - set(created[1:3])
    assert ids_for(status="sent") == []
    assert ids_for(recipient="b@example.test") == list(reversed(second_batch))
    assert ids_for(recipient="a@example.test") == [created[0]]
    assert ids_for(recipient="c1@example.test") == [second_batch[1]]  # cc counts
    assert ids_for(recipient="nobody@example.test") == []
    assert ids_for(recipient="b@example.test", status="cancelled") == []

    since_b = rfc3339(boundary)
    assert set(ids_for(since=since_b)) == set(second_batch) | {newer}
    assert set(ids_for(until=since_b)) == set(first_batch)
    assert set(ids_for(since=rfc3339(t_start - 3600), until=rfc3339(time.time() + 3600))) == \
        set(created) | {newer}
    assert ids_for(since=rfc3339(time.time() + 3600)) == []
    assert ids_for(until=rfc3339(t_start - 3600)) == []


@pytest.mark.parametrize("query,field", [
    ("status=bogus", "status"),
    ("limit=abc", "limit"),
    ("limit=-1", "limit"),
    ("since=yesterday", "since"),
    ("until=2024-13-45T00:00:00Z", "until"),
    ("cursor=%00garbage%ff", "cursor"),
])
def test_list_bad_query(outbox_for_list, query, field):
    r = outbox_for_list.api("GET", f"/v1/emails?{query}")
    _problem(r, 400)
    assert r.body.get("field") == field, r


@pytest.fixture(scope="module")
def outbox_for_list(module_outbox):
    return module_outbox()


# ------------------------------------------------------------------ status resource


def test_get_email_fields_for_queued(outbox):
    ob = outbox()
    payload = simple_email(subject="fields", send_at=FAR_FUTURE, tags=["a"],
                           metadata={"k": {"nested": [1, 2]}}, max_attempts=7,
                           priority="bulk", reply_to="r@example.test")
    eid = ob.send(payload)["id"]
    e = ob.email(eid)
    assert e["id"] == eid
    assert e["status"] == "queued"
    assert e["from"] == "sender@example.test"
    assert e["to"] == ["rcpt@example.test"]
    assert e["cc"] == [] and e["bcc"] == []
    assert e["reply_to"] == "r@example.test"
    assert e["subject"] == "fields"
    assert e["tags"] == ["a"]
    assert e["metadata"] == {"k": {"nested": [1, 2]}}
    assert e["attempts"] == 0
    assert e["max_attempts"] == 7
    assert e["last_reply"] is None
    assert e["sent_at"] is None
    assert parse_rfc3339(e["send_at"]) == parse_rfc3339(FAR_FUTURE)
    assert abs(parse_rfc3339(e["created_at"]) - time.time()) < 60
    assert isinstance(e["events"], list)
    json.dumps(e)
