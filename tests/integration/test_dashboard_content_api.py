"""What the dashboard's Overview, Templates and Lists screens need from the API, as any client
sees it: /v1/stats with delivery latency, the transport's state, the rate limits and the recent
failures; a template draft previewed without saving it; lists with their subscriber count and
next fire time. A viewer reads all of it and changes nothing."""
import datetime

from harness import free_port, parse_rfc3339, wait_for

SENDER = "Shop <shop@example.com>"


def viewer_key(ob):
    r = ob.api("POST", "/v1/keys", json={"name": "monitor", "role": "viewer"})
    assert r.status == 201, r
    return {"Authorization": f"Bearer {r.body['key']}"}


def stats_when(ob, predicate, message):
    """/v1/stats once `predicate(body)` holds (the store's part is read at most every 2 s)."""
    def ready():
        r = ob.api("GET", "/v1/stats")
        assert r.status == 200, r
        return r.body if predicate(r.body) else None
    return wait_for(ready, timeout=15, interval=0.1, message=message)


def test_stats_show_latency_transport_limits_and_failures_with_their_smtp_reply(outbox,
                                                                                 smtp_server):
    def policy(envelope, index):
        return "550 5.1.1 no such user" if "gone@" in envelope.rcpt_tos[0] else "250 OK"
    smtp = smtp_server(policy=policy)
    ob = outbox(*smtp.smtp_args(), "--default-from", SENDER, "--send-rate", "20",
                "--domain-rate", "5")
    good = ob.send({"to": ["ok@example.org"], "subject": "Fine", "text": "x\n"})["id"]
    bad = ob.send({"to": ["gone@example.org"], "subject": "Bounces", "text": "x\n"})["id"]
    ob.wait_status(good, "sent")
    ob.wait_status(bad, "failed")

    body = stats_when(ob, lambda b: b["latency"]["samples"] >= 1 and b["recent_failures"],
                      "the sent and the failed mail in /v1/stats")
    # What clients already read is unchanged.
    assert set(body["queue"]) == {"queued", "scheduled", "leased", "done", "dead", "cancelled"}
    assert set(body["totals"]) == {"enqueued", "sent", "failed", "retried"}
    latency = body["latency"]
    assert latency["window_seconds"] == 3600 and latency["samples"] == 1
    assert 0 <= latency["p50_ms"] <= latency["p95_ms"] < 15000, latency
    assert body["transport"] == {"kind": "smtp", "host": smtp.host, "port": smtp.port,
                                 "last_error": None, "last_error_at": None}
    limits = body["rate_limit"]
    assert limits["send_rate"] == 20 and limits["burst"] == 20 and limits["domain_rate"] == 5
    assert 0 <= limits["tokens"] <= 20
    [failure] = body["recent_failures"]
    assert failure["email_id"] == bad and failure["type"] == "failed"
    assert failure["reply"].startswith("550 5.1.1 no such user"), failure
    assert failure["to"] == ["gone@example.org"] and failure["subject"] == "Bounces"
    parse_rfc3339(failure["at"])

    # A viewer reads it too.
    r = ob.api("GET", "/v1/stats", headers=viewer_key(ob), auth=False)
    assert r.status == 200 and r.body["recent_failures"][0]["email_id"] == bad, r


def test_stats_name_the_last_connection_error_and_the_deferral(outbox):
    closed = free_port()  # nothing listens there
    ob = outbox("--smtp-host", "127.0.0.1", "--smtp-port", str(closed), "--smtp-tls", "none",
                "--default-from", SENDER)
    email_id = ob.send({"to": ["a@example.org"], "subject": "Nowhere", "text": "x\n"})["id"]
    body = stats_when(ob, lambda b: b["transport"]["last_error"] and b["recent_failures"],
                      "the connection error in /v1/stats")
    transport = body["transport"]
    assert transport["kind"] == "smtp" and transport["port"] == closed
    assert "curl error" in transport["last_error"], transport
    parse_rfc3339(transport["last_error_at"])
    failure = body["recent_failures"][0]
    assert failure["email_id"] == email_id and failure["type"] == "deferred", failure
    assert failure["reply"] == transport["last_error"]
    assert body["latency"] == {"window_seconds": 3600, "samples": 0, "p50_ms": None,
                               "p95_ms": None}


def test_stats_of_the_capture_transport_without_limits(outbox):
    ob = outbox("--transport", "capture")
    r = ob.api("GET", "/v1/stats")
    assert r.status == 200, r
    assert r.body["transport"] == {"kind": "capture", "host": None, "port": None,
                                   "last_error": None, "last_error_at": None}
    assert r.body["rate_limit"] == {"send_rate": None, "burst": 1, "tokens": None,
                                    "domain_rate": None}
    assert r.body["recent_failures"] == []


def test_a_template_draft_is_previewed_without_saving_it(outbox):
    ob = outbox("--transport", "capture")
    r = ob.api("POST", "/v1/templates", json={"name": "welcome", "subject": "Hi {{name}}",
                                             "html": "<p>Hello {{name}}</p>"})
    assert r.status == 201, r
    draft = {"subject": "Welcome, {{name}}", "html": "<h1>Dear {{name}}</h1>",
             "text": "Dear {{name}}", "data": {"name": "<Ada>"}}
    r = ob.api("POST", "/v1/templates/welcome/preview", json=draft)
    assert r.status == 200, r
    assert r.body == {"subject": "Welcome, <Ada>", "html": "<h1>Dear &lt;Ada&gt;</h1>",
                      "text": "Dear <Ada>"}
    # Nothing was stored: one version, the old body.
    assert len(ob.api("GET", "/v1/templates/welcome/versions").body["data"]) == 1
    assert ob.api("GET", "/v1/templates/welcome").body["html"] == "<p>Hello {{name}}</p>"
    # The stored version still previews as before.
    r = ob.api("POST", "/v1/templates/welcome/preview", json={"data": {"name": "Bo"}})
    assert r.status == 200 and r.body["html"] == "<p>Hello Bo</p>", r
    # A template not saved yet previews too.
    r = ob.api("POST", "/v1/templates/not-yet/preview", json={"html": "<p>{{x}}</p>",
                                                              "data": {"x": 1}})
    assert r.status == 200 and r.body["html"] == "<p>1</p>", r


def test_a_bad_draft_preview_is_400_naming_the_field(outbox):
    ob = outbox("--transport", "capture")
    cases = [
        ({"html": "<p>{{#open}}</p>", "data": {"open": 1}}, "template"),
        ({"html": "<p>x</p>", "subject": "{{#s}}"}, "subject"),
        ({"html": "<p>x</p>", "text": "{{/closed}}"}, "text"),
        ({"subject": "only a subject"}, "html"),
        ({"html": "<p>{{missing}}</p>", "data": {}}, "data.missing"),
        ({"html": "<p>x</p>", "data": [1]}, "data"),
        ({"html": "<p>x</p>", "version": 1}, "version"),
        ({"html": 5}, "html"),
        ({"html": "<p>x</p>", "sample": {}}, "sample"),
    ]
    for body, field in cases:
        r = ob.api("POST", "/v1/templates/t/preview", json=body)
        assert r.status == 400 and r.body["field"] == field, (body, r)
    assert ob.api("GET", "/v1/templates").body["total"] == 0


def test_a_viewer_reads_templates_but_previews_and_saves_nothing(outbox):
    ob = outbox("--transport", "capture")
    assert ob.api("POST", "/v1/templates", json={"name": "t", "html": "<p>x</p>"}).status == 201
    viewer = viewer_key(ob)
    assert ob.api("GET", "/v1/templates/t", headers=viewer, auth=False).status == 200
    assert ob.api("GET", "/v1/templates/t/versions", headers=viewer, auth=False).status == 200
    for method, path, body in (("POST", "/v1/templates/t/preview", {"html": "<p>y</p>"}),
                               ("PUT", "/v1/templates/t", {"html": "<p>y</p>"})):
        r = ob.api(method, path, json=body, headers=viewer, auth=False)
        assert r.status == 403, (method, path, r)
    assert len(ob.api("GET", "/v1/templates/t/versions").body["data"]) == 1


def next_midnight_utc(after):
    day = (after + datetime.timedelta(days=1)).date()
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)


def test_lists_show_subscribers_and_their_next_fire_time(outbox):
    ob = outbox("--transport", "capture", "--default-from", SENDER)
    for name in ("daily", "empty"):
        r = ob.api("POST", "/v1/lists", json={"name": name, "subject": "S", "html": "<p>H</p>"})
        assert r.status == 201, r
    for email, frequency, zone in (("a@example.org", "@daily", None),
                                   ("b@example.org", "@daily", None),
                                   ("c@example.org", "0 9 * * MON", "Europe/Berlin")):
        body = {"email": email, "frequency": frequency}
        if zone:
            body["timezone"] = zone
        assert ob.api("POST", "/v1/lists/daily/subscribers", json=body).status == 201
    now = datetime.datetime.now(datetime.timezone.utc)

    r = ob.api("GET", "/v1/lists")
    assert r.status == 200, r
    lists = {entry["name"]: entry for entry in r.body["data"]}
    assert set(lists["daily"]) >= {"name", "subject", "html", "created_at", "updated_at",
                                   "subscribers", "next_run_at", "schedules"}
    assert lists["daily"]["subscribers"] == 3
    # Computed at the read by the scheduler's cron code: the earliest group's next fire.
    next_run = parse_rfc3339(lists["daily"]["next_run_at"])
    assert next_run in (next_midnight_utc(now).timestamp(),
                        next_midnight_utc(now + datetime.timedelta(seconds=5)).timestamp())
    groups = {g["frequency"]: g for g in lists["daily"]["schedules"]}
    assert set(groups) == {"@daily", "0 9 * * MON"}
    monday = parse_rfc3339(groups["0 9 * * MON"]["next_fire_at"])
    assert datetime.datetime.fromtimestamp(monday, datetime.timezone.utc).weekday() == 0
    assert groups["0 9 * * MON"]["timezone"] == "Europe/Berlin"
    assert lists["empty"]["subscribers"] == 0
    assert lists["empty"]["next_run_at"] is None and lists["empty"]["schedules"] == []

    one = ob.api("GET", "/v1/lists/daily")
    assert one.status == 200 and one.body["next_run_at"] == lists["daily"]["next_run_at"], one
    assert ob.api("GET", "/v1/lists/missing").status == 404


def test_a_viewer_reads_lists_but_subscribes_removes_and_sends_nothing(outbox):
    ob = outbox("--transport", "capture", "--default-from", SENDER)
    assert ob.api("POST", "/v1/lists", json={"name": "l", "subject": "S",
                                             "html": "<p>H</p>"}).status == 201
    assert ob.api("POST", "/v1/lists/l/subscribers",
                  json={"email": "a@example.org", "frequency": "@daily"}).status == 201
    viewer = viewer_key(ob)
    assert ob.api("GET", "/v1/lists", headers=viewer, auth=False).status == 200
    assert ob.api("GET", "/v1/lists/l/subscribers", headers=viewer, auth=False).status == 200
    for method, path, body in (
            ("POST", "/v1/lists/l/subscribers", {"email": "b@example.org", "frequency": "@daily"}),
            ("DELETE", "/v1/lists/l/subscribers/a%40example.org", None),
            ("POST", "/v1/subscriptions/l/run", None)):
        r = ob.api(method, path, json=body, headers=viewer, auth=False)
        assert r.status == 403, (method, path, r)
    assert ob.api("GET", "/v1/lists/l").body["subscribers"] == 1
    assert ob.api("GET", "/v1/emails").body["data"] == []
