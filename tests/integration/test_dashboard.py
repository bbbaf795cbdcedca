"""The bundled dashboard (issue 13) in a real browser: Debian's chromium, headless, driven by
python3-selenium through chromium-driver, against the real binary and the harness's aiosmtpd.

People sign in on the page (the cookie session), see a just-sent email appear without a
reload and open its timeline; a manager drafts and submits a campaign and is offered no
approval; an admin approves it and watches its progress reach the end; a viewer is offered no
action; a customer is told there is nothing for them; logout ends the session. Every test fails
on any SEVERE entry in the browser's console (goog:loggingPrefs), except the 401s a test
provokes on purpose (named where it does). Screenshots of each screen, light and dark,
desktop and 390 px phone, go to one temporary folder, printed at the start of the run.

Waits poll the page with deadlines (WebDriverWait); nothing sleeps for a fixed time.
"""

from harness import http_request, wait_for

from dashboard_browser import *  # noqa: F401,F403 (the fixtures, Browser and the helpers)


# --------------------------------------------------------------------------- tests


def test_served_files_cache_and_csp(server):
    r = http_request(server.host, server.port, "GET", "/")
    assert r.status == 200 and r.content_type.startswith("text/html"), r
    assert r.headers["cache-control"] == "no-cache", r.headers
    csp = r.headers["content-security-policy"]
    # Scripts only from this origin, never inline; inline styles are allowed (for the template
    # preview), nothing is loaded from elsewhere.
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'", csp
    assert directives["default-src"] == "'self'" and directives["connect-src"] == "'self'", csp
    assert directives["img-src"] == "'self' data:", csp
    assert "frame-ancestors 'none'" in csp, csp
    page = r.body
    assert "<script>" not in page and "style=" not in page, page
    assets = [part.split('"')[0] for part in page.split('assets/')[1:]]
    assert {a.rsplit(".", 1)[1] for a in assets} == {"js", "css", "svg"}, assets
    for asset in assets:
        answer = http_request(server.host, server.port, "GET", "/assets/" + asset)
        assert answer.status == 200, answer
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "content-security-policy" not in answer.headers
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert http_request(server.host, server.port, "GET", "/assets/app-NOPE.js").status == 404


def test_sign_in_live_email_list_timeline_and_logout(server, browsers, report):
    browser = browsers(server)
    browser.open()
    browser.expect_error("/v1/auth/session", 401)  # the session probe, before anyone signs in
    # Measured in the page, from the start of the navigation: a fresh browser, nothing cached.
    shown = browser.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const look = () => document.querySelector('input[name=email]')"
        "  ? done(performance.now()) : requestAnimationFrame(look);"
        "look();")
    loaded = browser.driver.execute_script(
        "return performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd;")
    report(f"dashboard first load (fresh headless chromium, nothing cached): DOMContentLoaded "
           f"{loaded:.0f} ms, sign-in form drawn at {shown:.0f} ms")
    browser.shoot("sign-in")

    # A wrong password: a readable message, still on the sign-in form.
    browser.expect_error("/v1/auth/session", 401)
    browser.sign_in("admin@localhost", "not the password")
    problem = browser.find("[role=alert]")
    assert problem.text.strip(), "an empty error message"
    browser.shoot("sign-in-error")

    browser.sign_in("admin@localhost", ADMIN_PASSWORD)
    browser.heading("Overview")
    assert browser.nav() == ADMIN_NAV
    browser.find(".chart canvas")
    browser.shoot("overview")

    browser.go("Emails")
    browser.has_text("No email has been sent yet")
    browser.shoot("emails-empty")
    # The page stays the same document from here on: no reload happens.
    browser.driver.execute_script("window.outboxNoReload = 1;")
    sent = server.send({"from": SENDER, "to": ["ana@example.test"],
                        "subject": "Hello from the API", "text": "Hi Ana\n"})
    row = browser.find(f"tr[data-id='{sent['id']}']", timeout=WAIT)
    assert "Hello from the API" in row.text, row.text
    assert browser.driver.execute_script("return window.outboxNoReload") == 1
    wait_for(lambda: server.smtp.count() == 1, 15, message="the mail at the SMTP server")
    browser.wait(lambda d: "sent" in browser.text_of(f"tr[data-id='{sent['id']}'] .status"),
                 message="the row to turn sent")
    browser.shoot("emails")

    row.find_element(By.CSS_SELECTOR, "a").click()
    browser.heading("Hello from the API")
    browser.wait(lambda d: [e.text.split()[-1] for e in browser.all(".event-type")][-1:] == ["sent"]
                 if browser.all(".event-type") else False, message="the sent event")
    types = [e.text for e in browser.all(".event-type")]
    assert types[0] == "queued" and types[-1] == "sent", types
    assert browser.driver.execute_script("return window.outboxNoReload") == 1
    browser.button("Show raw source").click()
    raw = browser.find("pre.raw")
    assert "Subject: Hello from the API" in raw.text, raw.text
    # Sent: nothing to retry or cancel.
    assert "Retry" not in browser.buttons() and "Cancel" not in browser.buttons()
    browser.shoot("email")

    browser.go("Audit")
    browser.has_text("login_failed")
    browser.shoot("audit")

    # Logout ends the session: a reload shows the sign-in form again.
    browser.driver.find_element(By.XPATH, "//header//button[normalize-space()='Sign out']").click()
    browser.has_text("You are signed out.")
    browser.driver.refresh()
    browser.find("input[name=email]")
    assert browser.driver.execute_script("return window.outboxNoReload") is None


def test_failed_email_retry_by_admin(outbox, smtp_server, browsers):
    smtp = smtp_server(policy=refusing_first(1))
    ob = outbox(*smtp.smtp_args(), "--admin-password", ADMIN_PASSWORD)
    sent = ob.send({"from": SENDER, "to": ["gone@example.test"], "subject": "Bounces once",
                    "text": "x\n"})
    ob.wait_status(sent["id"], "failed")
    browser = browsers(ob)
    browser.open("/emails?status=failed")
    browser.expect_error("/v1/auth/session", 401)
    browser.sign_in("admin@localhost", ADMIN_PASSWORD)
    browser.heading("Emails")
    browser.find(f"tr[data-id='{sent['id']}'] a").click()
    browser.heading("Bounces once")
    browser.has_text("550 5.1.1 no such user")
    browser.shoot("email-failed")
    browser.button("Retry").click()
    browser.wait(lambda d: browser.text_of("dl.facts .status") == "sent",
                 message="the retried email to be sent")
    assert smtp.count() == 1


def test_manager_submits_admin_approves_progress_reaches_the_end(server, browsers):
    create_person(server, "mia@example.test", "manager")
    import_customers(server, 25)

    manager = signed_in(browsers, server, "mia@example.test", PASSWORD)
    assert manager.nav() == STAFF_NAV
    manager.go("Campaigns")
    manager.has_text("No campaigns yet")
    manager.button("New campaign").click()
    manager.heading("New campaign")
    manager.find("input[name=name]").send_keys("Spring sale")
    manager.find("input[name=subject]").send_keys("20% off this week")
    manager.find("textarea[name=html]").send_keys("<h1>Sale</h1><p>Everything must go.</p>")
    manager.shoot("campaign-new")
    manager.button("Create draft").click()
    manager.heading("Spring sale")
    campaign_id = manager.driver.current_url.rsplit("/", 1)[1]
    manager.button("Submit for approval").click()
    manager.wait(lambda d: manager.text_of("dl.facts .status") == "pending approval",
                 message="pending approval")
    manager.has_text("Waiting for an admin to approve it.")
    assert "Approve" not in manager.buttons() and "Reject…" not in manager.buttons(), \
        manager.buttons()
    manager.shoot("campaign-pending-manager")

    # A manager's approval would be refused anyway (403); the page never offers it.
    admin = signed_in(browsers, server, "admin@localhost", ADMIN_PASSWORD)
    admin.open(f"/campaigns/{campaign_id}")
    admin.heading("Spring sale")
    admin.button("Approve")
    admin.shoot("campaign-pending-admin")
    admin.button("Approve").click()
    admin.wait(lambda d: admin.text_of("dl.facts .status") == "sent", 60,
               message="the campaign to be sent")
    bar = admin.find(".card [role=progressbar]")
    assert bar.get_attribute("aria-valuenow") == "25" and bar.get_attribute("aria-valuemax") == "25"
    admin.has_text("25 / 25 (100%)")
    assert server.smtp.count() == 25
    admin.shoot("campaign-sent")
    admin.go("Campaigns")
    admin.find(f"tr[data-id='{campaign_id}']")
    admin.shoot("campaigns")
    # The overview counts them: the queue's done figure and the hour's chart.
    admin.go("Overview")
    admin.wait(lambda d: (admin.text_of(".chart-summary") or "").startswith("25 sent,"), 30,
               message="the chart's summary to count 25 sent")
    admin.find(".chart canvas")
    admin.shoot("overview-after-campaign")

    # The manager's page follows without a reload.
    manager.wait(lambda d: manager.text_of("dl.facts .status") == "sent", 30,
                 message="the manager's page to show sent")


def test_admin_creates_viewer_who_sees_no_actions(server, browsers):
    waiting = server.send({"from": SENDER, "to": ["x@example.test"], "subject": "Will wait",
                          "text": "x\n", "send_at": "2099-01-01T00:00:00Z"})
    r = server.api("POST", "/v1/campaigns", json={
        "name": "Autumn", "subject": "Autumn", "html": "<p>Leaves</p>", "audience": "customers"})
    assert r.status == 201, r
    campaign_id = r.body["id"]
    assert server.api("POST", f"/v1/campaigns/{campaign_id}/submit", data="").status == 200

    admin = signed_in(browsers, server, "admin@localhost", ADMIN_PASSWORD)
    admin.go("Users")
    admin.find("form[aria-label='New user'] input[name=email]").send_keys("vic@example.test")
    Select(admin.find("form[aria-label='New user'] select[name=role]")).select_by_visible_text("viewer")
    admin.find("form[aria-label='New user'] input[name=password]").send_keys(PASSWORD)
    admin.button("Create user").click()
    admin.has_text("Created vic@example.test (viewer).")
    admin.shoot("users")
    admin.open(f"/emails/{waiting['id']}")
    admin.heading("Will wait")
    assert "Cancel" in admin.buttons()  # what the viewer below is not offered
    doomed = server.send({"from": SENDER, "to": ["y@example.test"], "subject": "Cancel me",
                          "text": "y\n", "send_at": "2099-01-01T00:00:00Z"})
    admin.open(f"/emails/{doomed['id']}")
    admin.heading("Cancel me")
    # Signing in again elsewhere in this browser replaces the cookie: the page's CSRF token is
    # stale, its first DELETE gets 403, and it fetches the new token and tries again.
    answer = admin.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('/v1/auth/session', {method: 'POST', headers: {'Content-Type': 'application/json'},"
        " body: JSON.stringify({email: 'admin@localhost', password: arguments[0]})})"
        ".then(r => done(r.status));", ADMIN_PASSWORD)
    assert answer == 200
    admin.expect_error(f"/v1/emails/{doomed['id']}", 403)
    admin.button("Cancel").click()
    admin.wait(lambda d: admin.text_of("dl.facts .status") == "cancelled",
               message="the email to be cancelled")
    assert not admin.all("[role=alert]")

    viewer = signed_in(browsers, server, "vic@example.test", PASSWORD)
    assert viewer.nav() == STAFF_NAV
    viewer.open(f"/emails/{waiting['id']}")
    viewer.heading("Will wait")
    viewer.has_text("Timeline")
    assert viewer.buttons() == ["Show raw source"], viewer.buttons()
    viewer.shoot("email-viewer")
    viewer.open(f"/campaigns/{campaign_id}")
    viewer.heading("Autumn")
    viewer.has_text("Submitted version 1")
    assert viewer.buttons() == ["Show what is sent"], viewer.buttons()
    viewer.open("/campaigns")
    viewer.heading("Campaigns")
    assert "New campaign" not in viewer.buttons()
    viewer.open("/users")
    viewer.heading("Nothing here")


def test_customer_has_nothing_here_signing_in_by_keyboard(server, browsers):
    create_person(server, "cleo@example.test", "customer")
    browser = browsers(server)
    browser.open()
    browser.expect_error("/v1/auth/session", 401)
    browser.find("input[name=email]")
    # The email field has the focus; Tab moves to the password, Enter signs in.
    focused = browser.driver.switch_to.active_element
    assert focused.get_attribute("name") == "email"
    focused.send_keys("cleo@example.test", Keys.TAB, PASSWORD, Keys.ENTER)
    browser.heading("Nothing for you here")
    assert browser.nav() == []
    # The heading has the focus; Shift+Tab reaches the sign-out button just before it.
    assert browser.driver.switch_to.active_element.tag_name == "h1"
    browser.driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
    assert browser.driver.switch_to.active_element.text == "Sign out"
    browser.shoot("customer")
    browser.driver.switch_to.active_element.send_keys(Keys.ENTER)
    browser.has_text("You are signed out.")
