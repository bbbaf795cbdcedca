"""What the dashboard needs from the server, as any client sees it: the cookie sign-in with its
CSRF token (and the attacks on it), and the queue's figures as JSON (/v1/stats, timeline)."""
import pytest

from harness import wait_for

SENDER = "Shop <shop@example.com>"


@pytest.fixture(scope="module")
def server(module_outbox):
    return module_outbox("--transport", "capture", "--default-from", SENDER)


def sign_in(ob, email=None, password=None):
    """POST /v1/auth/session; returns (cookie header value, csrf token, response)."""
    if email is None:
        email, password = ob.admin_user()
    r = ob.api("POST", "/v1/auth/session", json={"email": email, "password": password},
               auth=False)
    assert r.status == 200, r
    cookie = r.headers["set-cookie"].split(";")[0]
    return cookie, r.body["csrf_token"], r


def with_cookie(ob, method, path, cookie, csrf=None, json=None, headers=None):
    hdrs = {"Cookie": cookie}
    if csrf is not None:
        hdrs["X-CSRF-Token"] = csrf
    hdrs.update(headers or {})
    return ob.api(method, path, json=json, headers=hdrs, auth=False)


def test_sign_in_sets_a_strict_http_only_cookie_and_returns_a_csrf_token(server):
    cookie, csrf, r = sign_in(server)
    attributes = [a.strip() for a in r.headers["set-cookie"].split(";")]
    assert cookie.startswith("outbox_session=") and len(cookie) > 40
    assert "HttpOnly" in attributes and "SameSite=Strict" in attributes and "Path=/" in attributes
    assert "Max-Age=43200" in attributes
    assert "Secure" not in attributes  # the public URL is http here
    assert r.headers.get("cache-control") == "no-store"
    assert len(csrf) == 64
    assert r.body["user"]["role"] == "admin"
    assert r.body["expires_in"] == 1800
    # The cookie alone reads; the session route gives the CSRF token back after a reload.
    me = with_cookie(server, "GET", "/v1/me", cookie)
    assert me.status == 200 and me.body["role"] == "admin"
    again = with_cookie(server, "GET", "/v1/auth/session", cookie)
    assert again.status == 200 and again.body["csrf_token"] == csrf


def test_a_change_with_the_cookie_needs_the_csrf_token(server):
    cookie, csrf, _ = sign_in(server)
    body = {"name": "csrf", "subject": "s", "html": "<p>x</p>", "audience": "customers"}
    missing = with_cookie(server, "POST", "/v1/campaigns", cookie, json=body)
    assert missing.status == 403 and missing.body["field"] == "X-CSRF-Token", missing
    wrong = with_cookie(server, "POST", "/v1/campaigns", cookie, csrf="0" * 64, json=body)
    assert wrong.status == 403 and wrong.body["field"] == "X-CSRF-Token", wrong
    # Another session's token is not this one's.
    _, other_csrf, _ = sign_in(server)
    crossed = with_cookie(server, "POST", "/v1/campaigns", cookie, csrf=other_csrf, json=body)
    assert crossed.status == 403, crossed
    listed = server.api("GET", "/v1/campaigns?limit=100").body["data"]
    assert not [c for c in listed if c["name"] == "csrf"]  # nothing was written
    ok = with_cookie(server, "POST", "/v1/campaigns", cookie, csrf=csrf, json=body)
    assert ok.status == 201, ok
    assert ok.body["created_by"].startswith("user:")


def test_an_authorization_header_wins_over_the_cookie(server):
    cookie, csrf, _ = sign_in(server)
    r = with_cookie(server, "GET", "/v1/me", cookie, headers={"Authorization": "Bearer nonsense"})
    assert r.status == 401, r
    # A key sent with a cookie needs no CSRF token: the key is the credential.
    r = with_cookie(server, "POST", "/v1/campaigns", cookie,
                    headers={"Authorization": f"Bearer {server.admin_key}"},
                    json={"name": "key", "audience": "customers"})
    assert r.status == 201, r


def test_forged_and_foreign_cookies_are_refused(server):
    for value in ["outbox_session=forged", "outbox_session=" + "a" * 300, "jwt_token=x"]:
        r = with_cookie(server, "GET", "/v1/me", value)
        assert r.status == 401, (value, r)
    # Seed 001's token is not a dashboard cookie, and the dashboard's is not a DRF token.
    email, password = server.admin_user()
    drf = server.api("POST", "/api/v1/users/login/", json={"username": email, "password": password},
                     auth=False)
    assert drf.status == 200, drf
    r = with_cookie(server, "GET", "/v1/me", "outbox_session=" + drf.body["token"])
    assert r.status == 401, r
    cookie, _, _ = sign_in(server)
    r = server.api("GET", "/api/v1/emails/", headers={"Authorization": "Token " +
                                                      cookie.split("=", 1)[1]}, auth=False)
    assert r.status == 401, r
    # Other doors never read the dashboard cookie.
    r = with_cookie(server, "POST", "/server/email/fetch-api-records", cookie, json={})
    assert r.status == 401, r


def test_a_wrong_password_is_refused_like_the_login(server):
    email, _ = server.admin_user()
    r = server.api("POST", "/v1/auth/session", json={"email": email, "password": "wrong-pass"},
                   auth=False)
    assert r.status == 401 and "set-cookie" not in r.headers, r
    r = server.api("POST", "/v1/auth/session", json={"email": email, "password": "x", "extra": 1},
                   auth=False)
    assert r.status == 400 and r.body["field"] == "extra", r


def test_sign_out_ends_the_session_and_clears_the_cookie(server):
    cookie, csrf, _ = sign_in(server)
    no_token = with_cookie(server, "DELETE", "/v1/auth/session", cookie)
    assert no_token.status == 403, no_token
    r = with_cookie(server, "DELETE", "/v1/auth/session", cookie, csrf=csrf)
    assert r.status == 204, r
    attributes = [a.strip() for a in r.headers["set-cookie"].split(";")]
    assert attributes[0] == "outbox_session=" and "Max-Age=0" in attributes
    assert with_cookie(server, "GET", "/v1/me", cookie).status == 401
    audit = server.api("GET", "/v1/audit?action=logout").body["data"]
    assert audit and audit[0]["target"].startswith("session:")


def test_a_customer_signs_in_but_reads_nothing_of_the_queue(server):
    r = server.api("POST", "/v1/users", json={"email": "cust@example.com",
                                              "password": "customer-pass", "role": "customer"})
    assert r.status == 201, r
    cookie, _, _ = sign_in(server, "cust@example.com", "customer-pass")
    assert with_cookie(server, "GET", "/v1/me", cookie).status == 200
    for path in ["/v1/stats", "/v1/stats/timeline", "/v1/emails", "/v1/campaigns"]:
        assert with_cookie(server, "GET", path, cookie).status == 403, path


def test_stats_count_the_queue_and_the_timeline_the_minute(server):
    before = server.api("GET", "/v1/stats")
    assert before.status == 200, before
    assert set(before.body["queue"]) == {"queued", "scheduled", "leased", "done", "dead",
                                         "cancelled"}
    sent_before = before.body["totals"]["sent"]
    email_id = server.send({"from": SENDER, "to": ["a@example.org"], "subject": "s",
                            "text": "t"})["id"]
    server.wait_status(email_id, "sent")
    # /v1/stats is counted at most every 2 s (shared with /metrics).
    wait_for(lambda: server.api("GET", "/v1/stats").body["totals"]["sent"] > sent_before,
             timeout=10, message="stats never counted the sent mail")

    hour = server.api("GET", "/v1/stats/timeline")
    assert hour.status == 200, hour
    assert hour.body["window"] == "1h" and hour.body["step_seconds"] == 60
    points = hour.body["points"]
    assert len(points) == 60
    assert sum(p["sent"] for p in points[-2:]) >= 1
    assert all(set(p) == {"t", "sent", "failed", "deferred"} for p in points)
    day = server.api("GET", "/v1/stats/timeline?window=24h")
    assert day.status == 200 and len(day.body["points"]) == 144 and day.body["step_seconds"] == 600

    bad = server.api("GET", "/v1/stats/timeline?window=7d")
    assert bad.status == 400 and bad.body["field"] == "window", bad
    unknown = server.api("GET", "/v1/stats/timeline?since=0")
    assert unknown.status == 400 and unknown.body["field"] == "since", unknown


def test_emails_are_searched_by_sender_subject_and_tag(server):
    ids = {}
    for name, sender, subject, tags in [("a", "News <news@shop.example>", "Spring 50% off", ["promo"]),
                                        ("b", SENDER, "Your receipt", ["receipt"])]:
        ids[name] = server.send({"from": sender, "to": ["s@example.org"], "subject": subject,
                                 "text": "t", "tags": tags})["id"]

    def found(query):
        r = server.api("GET", "/v1/emails?limit=200&" + query)
        assert r.status == 200, r
        return {e["id"] for e in r.body["data"]} & set(ids.values())

    assert found("sender=NEWS%40shop") == {ids["a"]}
    assert found("subject=50%25") == {ids["a"]}
    assert found("subject=receipt") == {ids["b"]}
    assert found("tag=receipt") == {ids["b"]}
    assert found("tag=rece") == set()
    r = server.api("GET", "/v1/emails?subject=" + "x" * 999)
    assert r.status == 400 and r.body["field"] == "subject", r


def test_many_emails_are_retried_or_cancelled_at_once(outbox, smtp_server):
    srv = smtp_server(policy=lambda envelope, index: "550 5.1.1 no such user")
    ob = outbox(*srv.smtp_args(), "--default-from", SENDER)
    failed = [ob.send({"to": [f"f{i}@example.org"], "subject": "s", "text": "t"})["id"]
              for i in range(3)]
    for email_id in failed:
        ob.wait_status(email_id, "failed")
    later = ob.send({"to": ["later@example.org"], "subject": "s", "text": "t",
                     "send_at": "2099-01-01T00:00:00Z"})["id"]

    r = ob.api("POST", "/v1/emails/retry", json={"ids": failed + [later, "em_nope"]})
    assert r.status == 200, r
    results = r.body["results"]
    assert [x["id"] for x in results] == failed + [later, "em_nope"]
    assert all(x["status"] == "queued" for x in results[:3])
    assert results[3]["error"]["code"] == "failed_precondition"
    assert results[4]["error"]["code"] == "not_found"
    # Retried: each is attempted once more (the server refuses again, so they fail again).
    wait_for(lambda: len(srv.attempts) >= 6, timeout=15,
             message="the retried emails were not attempted again")
    for email_id in failed:
        ob.wait_status(email_id, "failed")

    r = ob.api("POST", "/v1/emails/cancel", json={"ids": [later]})
    assert r.status == 200 and r.body["results"] == [{"id": later, "status": "cancelled"}], r
    for body, field in [({}, "ids"), ({"ids": []}, "ids"), ({"ids": ["x"] * 501}, "ids"),
                        ({"ids": [1]}, "ids"), ({"ids": ["x"], "all": True}, "all")]:
        r = ob.api("POST", "/v1/emails/retry", json=body)
        assert r.status == 400 and r.body["field"] == field, (body, r)
