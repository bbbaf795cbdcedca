"""The dashboard's Overview (latency, transport, limits, recent failures), Templates (a live
preview the server renders while the template is edited, save, what changed between versions)
and Lists (next fire time, add a subscriber, send now) in a real browser, against the real
binary and a real SMTP server. A viewer is offered nothing that changes anything."""
import json

from dashboard_browser import *  # noqa: F401,F403 (fixtures and helpers)
from dashboard_browser import (ADMIN_PASSWORD, PASSWORD, SENDER, By, EC, create_person,
                               signed_in)
from harness import wait_for


def frame_text(browser):
    """The text of the preview's sandboxed document ('' while there is none)."""
    frames = browser.all("iframe.preview-frame")
    if not frames:
        return ""
    try:
        browser.driver.switch_to.frame(frames[0])
        return browser.driver.find_element(By.TAG_NAME, "body").text
    finally:
        browser.driver.switch_to.default_content()


def frame_color(browser, css):
    """The computed colour of `css` in the preview's document (None while there is none)."""
    frames = browser.all("iframe.preview-frame")
    if not frames:
        return None
    try:
        browser.driver.switch_to.frame(frames[0])
        found = browser.all(css)
        return found[0].value_of_css_property("color") if found else None
    finally:
        browser.driver.switch_to.default_content()


def wait_frame(browser, text):
    browser.wait(lambda d: text in frame_text(browser), message=f"{text!r} in the preview")


def replace(element, text):
    """Sets a text box's whole value as typing would (Preact listens to input events)."""
    element.clear()
    element.send_keys(text)


def test_overview_shows_latency_transport_and_a_failure_with_its_smtp_reply(outbox, smtp_server,
                                                                            browsers):
    def policy(envelope, index):
        return "550 5.1.1 no such user" if "gone@" in envelope.rcpt_tos[0] else "250 OK"
    smtp = smtp_server(policy=policy)
    ob = outbox(*smtp.smtp_args(), "--admin-password", ADMIN_PASSWORD, "--default-from", SENDER,
                "--send-rate", "50")
    good = ob.send({"to": ["ok@example.test"], "subject": "Arrives", "text": "x\n"})["id"]
    bad = ob.send({"to": ["gone@example.test"], "subject": "Bounces", "text": "x\n"})["id"]
    ob.wait_status(good, "sent")
    ob.wait_status(bad, "failed")

    admin = signed_in(browsers, ob, "admin@localhost", ADMIN_PASSWORD)
    # Polled: the figures arrive without a reload.
    admin.wait(lambda d: (admin.text_of(".latency-p50") or "–") != "–", 30,
               message="the latency to be shown")
    assert admin.text_of(".latency-p95") != "–"
    assert admin.text_of(".transport-kind") == f"smtp to {smtp.host}:{smtp.port}"
    assert admin.text_of(".transport-error") == "none since the server started"
    admin.has_text("50 / s")
    row = admin.find(f"table.failures tr[data-id='{bad}']")
    assert "550 5.1.1 no such user" in row.text and "gone@example.test" in row.text, row.text
    assert not admin.all(f"table.failures tr[data-id='{good}']")
    admin.shoot("overview-delivery")
    row.find_element(By.LINK_TEXT, "Bounces").click()
    admin.heading("Bounces")
    assert admin.driver.current_url.endswith(f"#/emails/{bad}")


def test_template_edited_with_a_live_preview_saved_and_its_change_shown(server, browsers):
    r = server.api("POST", "/v1/templates", json={
        "name": "welcome", "subject": "Hello {{name}}",
        "html": "<h1>Hello {{name}}</h1>\n<p>Thanks for joining.</p>"})
    assert r.status == 201, r

    admin = signed_in(browsers, server, "admin@localhost", ADMIN_PASSWORD)
    admin.go("Templates")
    admin.find("tr[data-name='welcome'] a").click()
    admin.heading("welcome")
    # The sample starts with the template's placeholders, each set to its own name.
    sample = admin.find("textarea[name=sample]")
    assert json.loads(sample.get_attribute("value")) == {"name": "name"}
    wait_frame(admin, "Hello name")

    # The server renders what is typed: the sample, then the HTML, each shown a moment later.
    replace(sample, '{"name": "Ada"}')
    wait_frame(admin, "Hello Ada")
    admin.wait(lambda d: admin.text_of(".preview-subject") == "Subject: Hello Ada",
               message="the rendered subject")
    html = admin.find("textarea[name=html]")
    html.send_keys("\n<p>See you soon, {{name}}.</p>")
    wait_frame(admin, "See you soon, Ada.")
    # The mail's own CSS applies in the preview (a <style> element and a style attribute).
    styled = ('\n<style>.note { color: rgb(1, 2, 3); }</style>'
              '<p class="note">styled</p><b style="color: rgb(4, 5, 6)">inline</b>')
    html.send_keys(styled)
    admin.wait(lambda d: frame_color(admin, "p.note") == "rgba(1, 2, 3, 1)",
               message="the <style> element applied in the preview")
    assert frame_color(admin, "b") == "rgba(4, 5, 6, 1)"
    html.send_keys("\b" * len(styled))
    admin.wait(lambda d: frame_color(admin, "p.note") is None, message="the styled lines gone")

    # Errors show under their field: the sample's JSON (checked here), a template's syntax (the
    # server's 400).
    replace(sample, '{"name": ')
    admin.wait(lambda d: "Not valid JSON" in (admin.text_of("label.field-wrong .field-error") or ""),
               message="the JSON error under the sample")
    replace(sample, '{"name": "Ada"}')
    admin.expect_error("/v1/templates/welcome/preview", 400)
    admin.expect_error("/v1/templates/receipt/preview", 400)  # the new template's, below
    html.send_keys("{{#open}}")
    admin.wait(lambda d: admin.all("label.field-wrong textarea[name=html]"),
               message="the syntax error under the HTML")
    assert "open" in admin.text_of("label.field-wrong .field-error")
    admin.shoot("template-error")
    for _ in range(len("{{#open}}")):
        html.send_keys("\b")
    admin.wait(lambda d: not admin.all("label.field-wrong"), message="the error to clear")
    wait_frame(admin, "See you soon, Ada.")
    admin.shoot("template-edit")

    admin.button("Save as a new version").click()
    admin.has_text("Saved as version 2.")
    assert admin.text_of(".template-version") == "2"
    stored = server.api("GET", "/v1/templates/welcome").body
    assert stored["version"] == 2 and "See you soon, {{name}}." in stored["html"], stored
    # What changed between version 1 and 2, line by line.
    admin.wait(lambda d: any("See you soon" in line.text for line in admin.all(".diff .diff-added")),
               message="the added line in the diff")
    added = [line.text for line in admin.all(".diff .diff-added")]
    assert added == ["+ <p>See you soon, {{name}}.</p>"], added
    assert not admin.all(".diff .diff-removed")
    admin.has_text("subject: unchanged")
    admin.shoot("template-versions")

    # A new one, previewed before it exists; a value the sample lacks is named under it.
    admin.go("Templates")
    admin.shoot("templates")
    admin.button("New template").click()
    admin.heading("New template")
    admin.find("input[name=name]").send_keys("receipt")
    admin.find("textarea[name=html]").send_keys("<p>Total: {{amount}}</p>")
    admin.wait(lambda d: "amount" in (admin.text_of("label.field-wrong .field-error") or ""),
               message="the missing value under the sample")
    assert admin.all("label.field-wrong textarea[name=sample]")
    replace(admin.find("textarea[name=sample]"), '{"amount": "9.99"}')
    wait_frame(admin, "Total: 9.99")
    admin.button("Create template").click()
    admin.heading("receipt")
    assert admin.text_of(".template-version") == "1"
    assert server.api("GET", "/v1/templates/receipt").body["html"] == "<p>Total: {{amount}}</p>"


def test_list_next_fire_time_add_subscriber_and_send_now(server, browsers):
    r = server.api("POST", "/v1/lists", json={"name": "weekly", "subject": "This week",
                                              "html": "<h1>News</h1>"})
    assert r.status == 201, r
    r = server.api("POST", "/v1/lists/weekly/subscribers",
                   json={"email": "ann@example.test", "frequency": "0 9 * * MON",
                         "timezone": "Europe/Berlin"})
    assert r.status == 201, r

    admin = signed_in(browsers, server, "admin@localhost", ADMIN_PASSWORD)
    admin.go("Lists")
    row = admin.find("tr[data-name='weekly']")
    assert "0 9 * * MON in Europe/Berlin" in row.text, row.text
    next_run = row.find_element(By.CSS_SELECTOR, ".next-run time")
    assert next_run.get_attribute("datetime") == \
        server.api("GET", "/v1/lists/weekly").body["next_run_at"]
    assert next_run.text, "the next fire time in the viewer's zone"
    admin.shoot("lists")
    row.find_element(By.LINK_TEXT, "weekly").click()
    admin.heading("weekly")
    admin.find("form[aria-label='Add a subscriber'] input[name=email]").send_keys("bo@example.test")
    admin.button("Add subscriber").click()
    admin.has_text("Subscribed bo@example.test.")
    admin.find("tr[data-email='bo@example.test']")
    admin.wait(lambda d: admin.text_of(".subscriber-count") == "2", message="two subscribers")
    admin.shoot("list")

    admin.button("Send now").click()
    alert = admin.wait(EC.alert_is_present(), message="the confirmation")
    assert "2 subscribers" in alert.text, alert.text
    alert.accept()
    admin.has_text("Queued 2 emails.")
    wait_for(lambda: server.smtp.count() == 2, timeout=20, message="the newsletter at the SMTP server")
    assert sorted(m.rcpt_tos[0] for m in server.smtp.received()) == \
        ["ann@example.test", "bo@example.test"]
    assert all(m.message["Subject"] == "This week" for m in server.smtp.received())
    # Removing one asks first, then the row goes.
    row = admin.find("tr[data-email='ann@example.test']")
    row.find_element(By.XPATH, ".//button[normalize-space()='Remove']").click()
    alert = admin.wait(EC.alert_is_present(), message="the confirmation")
    assert "ann@example.test" in alert.text, alert.text
    alert.accept()
    admin.wait(lambda d: not admin.all("tr[data-email='ann@example.test']"),
               message="the removed subscriber's row to go")
    admin.wait(lambda d: admin.text_of(".subscriber-count") == "1", message="one subscriber")
    assert server.api("GET", "/v1/lists/weekly").body["subscribers"] == 1
    admin.button("See them in Emails").click()
    admin.heading("Emails")
    admin.wait(lambda d: len([r for r in admin.all("tbody tr") if "This week" in r.text]) == 2,
               message="the two newsletter emails in the list")


def test_a_viewer_is_offered_no_edit_save_or_send(server, browsers):
    assert server.api("POST", "/v1/templates", json={"name": "receipt", "subject": "Receipt",
                                                     "html": "<p>{{amount}}</p>"}).status == 201
    assert server.api("PUT", "/v1/templates/receipt",
                      json={"subject": "Your receipt", "html": "<p>{{amount}}</p>"}).status == 200
    assert server.api("POST", "/v1/lists", json={"name": "daily", "subject": "Today",
                                                 "html": "<p>x</p>"}).status == 201
    assert server.api("POST", "/v1/lists/daily/subscribers",
                      json={"email": "x@example.test", "frequency": "@daily"}).status == 201
    create_person(server, "vic@example.test", "viewer")

    viewer = signed_in(browsers, server, "vic@example.test", PASSWORD)
    assert viewer.nav() == STAFF_NAV
    viewer.go("Templates")
    viewer.find("tr[data-name='receipt']")
    assert viewer.buttons() == [], viewer.buttons()
    viewer.open("/templates/receipt")
    viewer.heading("receipt")
    viewer.has_text("<p>{{amount}}</p>")
    viewer.wait(lambda d: diff_shown(viewer), message="the versions diff")
    assert viewer.buttons() == ["All templates"], viewer.buttons()
    assert not viewer.all("textarea") and not viewer.all("iframe")
    viewer.shoot("template-viewer")
    viewer.go("Lists")
    viewer.find("tr[data-name='daily'] a").click()
    viewer.heading("daily")
    viewer.find("tr[data-email='x@example.test']")
    assert viewer.buttons() == ["All lists"], viewer.buttons()
    assert not viewer.all("form")
    viewer.shoot("list-viewer")
    viewer.open("/templates?new=1")
    viewer.heading("Templates")
    assert not viewer.all("textarea")


def diff_shown(browser):
    """The template page has loaded its versions and what changed in the subject."""
    return any("Your receipt" in line.text for line in browser.all(".diff .diff-added"))
