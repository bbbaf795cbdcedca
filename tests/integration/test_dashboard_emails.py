"""The dashboard's Emails screens in a real browser (issue 13): searching by recipient, sender,
subject, tag and status with the failed-only filter; the list as the capture inbox; selecting failed mail and retrying it at
once until it is sent; one email's sandboxed HTML preview at desktop and phone width, its text,
headers and downloadable attachments; a resend that arrives at the SMTP server; a viewer
offered none of the changes; and a mail whose HTML carries scripts that changes nothing outside
its frame. Screenshots of each, light and dark, desktop and phone (see dashboard_browser.py).

Waits poll the page with deadlines; nothing sleeps for a fixed time."""
import base64

from harness import http_request, wait_for

from dashboard_browser import *  # noqa: F401,F403 (the fixtures, Browser and the helpers)
from callbacks import SALT, CallbackReceiver
from test_ses_email import form, send
from test_ses_tasks import create_key
from test_templates import SEED_HTML, add_template

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def rows(browser):
    return [row.get_attribute("data-id") for row in browser.all("table tbody tr[data-id]")]


def wait_rows(browser, wanted, message):
    browser.wait(lambda d: sorted(rows(browser)) == sorted(wanted), message=message)


def search(browser, name, text):
    box = browser.find(f"form[role=search] input[name={name}]")
    box.clear()
    box.send_keys(text)
    box.submit()


def test_filters_failed_only_and_bulk_retry_until_sent(outbox, smtp_server, browsers):
    smtp = smtp_server(policy=refusing_first(3, "550 5.1.1 mailbox unavailable"))
    ob = outbox(*smtp.smtp_args(), "--admin-password", ADMIN_PASSWORD)
    failing = []
    for i in range(3):
        failing.append(ob.send({"from": SENDER, "to": [f"gone{i}@example.test"],
                                "subject": f"Bounces {i}", "text": "x\n",
                                "tags": ["bulk"]})["id"])
        ob.wait_status(failing[-1], "failed")
    arrives = ob.send({"from": "Other <other@example.test>", "to": ["ana@example.test"],
                       "subject": "Arrives fine", "text": "y\n", "tags": ["single"]})["id"]
    ob.wait_status(arrives, "sent")

    browser = signed_in(browsers, ob, "admin@localhost", ADMIN_PASSWORD)
    browser.go("Emails")
    wait_rows(browser, failing + [arrives], "all four emails")

    browser.button("Failed only").click()
    wait_rows(browser, failing, "only the failed ones")
    assert "status=failed" in browser.driver.current_url
    assert browser.find("form[role=search] select[name=status]").get_attribute("value") == "failed"
    browser.button("Failed only").click()  # pressed again: off
    wait_rows(browser, failing + [arrives], "every email again")

    search(browser, "subject", "arrives")
    wait_rows(browser, [arrives], "the subject search")
    assert "subject=arrives" in browser.driver.current_url
    browser.button("Clear").click()
    search(browser, "sender", "other@")
    wait_rows(browser, [arrives], "the sender search")
    browser.button("Clear").click()
    search(browser, "recipient", "gone1@example.test")
    wait_rows(browser, [failing[1]], "the recipient search")
    browser.button("Clear").click()
    search(browser, "tag", "bulk")
    wait_rows(browser, failing, "the tag search")
    browser.button("Clear").click()
    # A time range after everything: nothing matches. The fragment holds it, so it survives a
    # reload of the address.
    browser.open("/emails?since=2099-01-01T00:00:00Z")
    browser.has_text("No email matches these filters.")
    assert browser.find("form[role=search] input[name=since]").get_attribute("value").startswith("2099-")
    browser.open("/emails?until=2000-01-01T00:00:00Z&status=failed")
    browser.has_text("No email matches these filters.")
    browser.open("/emails?status=failed")
    wait_rows(browser, failing, "the failed ones from the address")
    browser.shoot("emails-failed-only")

    # Select all on the page, retry them together: per-email results, then all sent.
    browser.find("input[aria-label='Select all on this page']").click()
    browser.has_text("3 selected")
    browser.shoot("emails-selected")
    browser.button("Retry selected").click()
    browser.has_text("Retry: 3 of 3 done.")
    for email_id in failing:
        assert "queued" in browser.text_of(f".results li[data-id='{email_id}']")
    for email_id in failing:
        ob.wait_status(email_id, "sent")
    wait_for(lambda: smtp.count() == 4, 15, message="the retried mail at the SMTP server")
    browser.has_text("No email matches these filters.")
    browser.shoot("emails-retried")

    # Cancelling what is already sent is refused, per email, with the server's reason.
    browser.open("/emails")
    wait_rows(browser, failing + [arrives], "every email, all sent")
    browser.find(f"tr[data-id='{arrives}'] input[type=checkbox]").click()
    browser.button("Cancel selected").click()
    browser.has_text("Cancel: 0 of 1 done.")
    assert "sent" in browser.text_of(f".results li[data-id='{arrives}']")


def test_with_the_capture_transport_the_list_is_the_capture_inbox(outbox, browsers):
    ob = outbox("--transport", "capture", "--admin-password", ADMIN_PASSWORD,
                "--default-from", SENDER)
    kept = ob.send({"to": ["ana@example.test"], "subject": "Kept, not sent", "text": "x\n"})
    browser = signed_in(browsers, ob, "admin@localhost", ADMIN_PASSWORD)
    browser.open("/emails")
    browser.heading("Capture inbox")
    browser.has_text("The transport is capture")
    browser.find(f"tr[data-id='{kept['id']}']")
    browser.shoot("capture-inbox")


def test_one_email_preview_text_headers_attachment_and_resend(server, browsers):
    # A "remote" image: the dashboard's own icon, by its full address.
    page = http_request(server.host, server.port, "GET", "/").body
    icon = server.url + "/assets/icon-" + page.split("assets/icon-")[1].split('"')[0]
    sent = server.send({
        "from": SENDER, "to": ["ana@example.test"], "subject": "Spring sale",
        "html": "<h1 id=big>Spring sale</h1><p style=\"color: green\">Everything must go</p>"
                f"<img id=remote alt=\"\" src=\"{icon}\">",
        "text": "Spring sale: everything must go\n", "headers": {"X-Campaign": "spring"},
        "attachments": [{"filename": "prices.pdf", "content_type": "application/pdf",
                         "content": base64.b64encode(PDF).decode()}]})
    server.wait_status(sent["id"], "sent")
    browser = signed_in(browsers, server, "admin@localhost", ADMIN_PASSWORD)
    browser.open(f"/emails/{sent['id']}")
    browser.heading("Spring sale")

    frame = browser.find("iframe.preview")
    assert frame.get_attribute("sandbox") == ""
    assert frame.get_attribute("src").endswith(f"/v1/emails/{sent['id']}/preview")
    browser.driver.switch_to.frame(frame)
    assert browser.find("#big").text == "Spring sale"
    browser.driver.switch_to.default_content()
    desktop = frame.size["width"]
    browser.button("Phone").click()
    browser.wait(lambda d: frame.size["width"] == 375, message="the phone width")
    assert desktop > 375
    assert browser.find("button[aria-pressed='true']").text == "Phone"
    browser.shoot("email-preview-phone")
    browser.button("Desktop").click()
    browser.wait(lambda d: frame.size["width"] == desktop, message="the desktop width again")
    # Remote images stay off until asked for.
    browser.driver.switch_to.frame(frame)
    browser.wait(lambda d: d.execute_script("return document.getElementById('remote').complete"),
                 message="the remote image to be settled")
    assert browser.driver.execute_script(
        "return document.getElementById('remote').naturalWidth") == 0
    browser.driver.switch_to.default_content()
    browser.button("Show remote images").click()
    browser.wait(lambda d: browser.find("iframe.preview").get_attribute("src").endswith(
        "/preview?images=1"), message="the preview with remote images")
    browser.has_text("Remote images shown")
    browser.driver.switch_to.frame(browser.find("iframe.preview"))
    browser.wait(lambda d: d.execute_script(
        "const image = document.getElementById('remote'); return image && image.naturalWidth > 0"),
        message="the remote image to load")
    browser.driver.switch_to.default_content()

    assert browser.find("pre.text-part").text == "Spring sale: everything must go"
    headers = {row.find_element(By.CSS_SELECTOR, "td:first-child").text:
               row.find_element(By.CSS_SELECTOR, "td:last-child").text
               for row in browser.all("table.headers tbody tr")}
    assert headers["Subject"] == "Spring sale" and headers["X-Campaign"] == "spring", headers
    link = browser.find(".attachments a")
    assert link.text == "prices.pdf"
    # The link downloads: the same request the browser makes, from the page.
    fetched = browser.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(async (r) => done([r.status, r.headers.get('Content-Disposition'),"
        " (await r.arrayBuffer()).byteLength]));", link.get_attribute("href"))
    assert fetched == [200, "attachment; filename=\"prices.pdf\"; filename*=UTF-8''prices.pdf",
                       len(PDF)], fetched
    browser.shoot("email-preview")

    # Resend: a new email, opened at once, that arrives at the real SMTP server.
    browser.button("Resend").click()
    browser.wait(lambda d: sent["id"] not in d.current_url and "/emails/em_" in d.current_url,
                 message="the copy's page")
    copy = browser.driver.current_url.rsplit("/", 1)[1]
    browser.heading("Spring sale")
    browser.has_text(f"a resend of {sent['id']}")
    server.wait_status(copy, "sent")
    wait_for(lambda: server.smtp.count() == 2, 15, message="the resent mail at the SMTP server")
    assert server.smtp.received()[1].header("Message-ID") == f"<{copy}@example.test>"
    browser.button(sent["id"]).click()
    browser.has_text(f"resent as {copy}")

    # A viewer reads all of it and is offered no change.
    create_person(server, "vic@example.test", "viewer")
    viewer = signed_in(browsers, server, "vic@example.test", PASSWORD)
    viewer.open(f"/emails/{sent['id']}")
    viewer.heading("Spring sale")
    viewer.find("iframe.preview")
    viewer.find(".attachments a")
    assert viewer.buttons() and not {"Retry", "Cancel", "Resend"} & set(viewer.buttons())
    viewer.open("/emails")
    viewer.find(f"tr[data-id='{copy}']")
    assert not viewer.all("table input[type=checkbox]")


def test_a_mails_scripts_change_nothing_outside_the_preview(server, browsers):
    # Each script first marks its own document, then reaches for the dashboard around it.
    attack = (
        "<script>document.documentElement.setAttribute('data-ran', 'script');"
        "parent.document.title = 'pwned'; top.location = 'https://example.invalid/';"
        "localStorage.setItem('pwned', '1'); parent.document.body.innerHTML = 'pwned';</script>"
        "<img src=\"data:image/png;base64,AAAA\" onerror=\"this.setAttribute('data-ran', 'onerror');"
        "parent.document.title = 'pwned'; parent.localStorage.setItem('pwned', '2');"
        "parent.document.body.appendChild(parent.document.createElement('blink')).id = 'pwn';"
        "top.location.hash = '#/users';\">"
        "<p id=shown>Harmless looking text</p>")
    sent = server.send({"from": SENDER, "to": ["ana@example.test"], "subject": "Attack",
                        "html": attack, "text": "x\n"})
    browser = signed_in(browsers, server, "admin@localhost", ADMIN_PASSWORD)
    title = browser.driver.title
    browser.open(f"/emails/{sent['id']}")
    browser.heading("Attack")
    url = browser.driver.current_url
    frame = browser.find("iframe.preview")
    browser.driver.switch_to.frame(frame)
    assert browser.find("#shown").text == "Harmless looking text"
    # The frame's document is whole: its script was passed over and its image has failed, so
    # the onerror handler would have run by now if anything could run.
    # (WebDriver's own scripts reach into the frame; the mail's cannot.)
    state = browser.driver.execute_script(
        "const image = document.images[0];"
        "return [document.readyState, image.complete, image.naturalWidth,"
        " document.documentElement.getAttribute('data-ran'), image.getAttribute('data-ran')]")
    assert state == ["complete", True, 0, None, None], state
    browser.driver.switch_to.default_content()
    assert browser.driver.title == title
    assert browser.driver.current_url == url
    assert browser.driver.execute_script("return localStorage.getItem('pwned')") is None
    assert browser.driver.execute_script("return document.getElementById('pwn')") is None
    assert browser.text_of("main h1") == "Attack"
    browser.shoot("email-attack")


def test_the_timeline_shows_the_callbacks_sent_about_an_email(outbox, smtp_server, browsers):
    smtp = smtp_server()
    hook = CallbackReceiver(statuses=[500])  # the first callback fails once, then all pass
    try:
        ob = outbox(*smtp.smtp_args(), "--admin-password", ADMIN_PASSWORD,
                    "--callback-secret", SALT, "--callback-retry-base-ms", "100")
        assert add_template(ob, "welcome-email.html", SEED_HTML).status == 200
        key = create_key(ob, "billing", hook.url)
        sent = send(ob, key, form())
        assert sent.status == 200, sent
        email_id = sent.body["queue_id"]
        wait_for(lambda: hook.events("SENT"), timeout=15, message="the SENT callback")

        browser = signed_in(browsers, ob, "admin@localhost", ADMIN_PASSWORD)
        browser.open(f"/emails/{email_id}")
        browser.heading("Draft Email")
        browser.wait(lambda d: len(browser.all(".timeline .event-callback")) >= 3,
                     message="three callback attempts in the timeline")
        lines = [" ".join(e.text.split()) for e in browser.all(".timeline li")]
        callbacks = [" ".join(e.text.split()) for e in browser.all(".timeline .event-callback")]
        assert any(f"PROCESSING to {hook.url}: HTTP 500" in line for line in callbacks), lines
        assert any(f"PROCESSING to {hook.url}: HTTP 200" in line for line in callbacks), lines
        assert any(f"SENT to {hook.url}: HTTP 200" in line for line in callbacks), lines
        # In time order: the attempt that sent the mail comes before the callback reporting it.
        sent_line = next(i for i, line in enumerate(lines) if ": sent 250" in line)
        sent_callback = next(i for i, line in enumerate(lines) if "SENT to" in line)
        assert sent_line < sent_callback, lines
        browser.shoot("email-callbacks")
    finally:
        hook.stop()
