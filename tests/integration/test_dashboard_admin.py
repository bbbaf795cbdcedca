"""The dashboard's admin screens in a real browser (Debian's chromium, headless): Tasks,
Suppressions, Keys, Webhooks, Settings and one's own Sessions, against the real binary, with a
real HTTP receiver for the status callbacks (callbacks.CallbackReceiver, which checks every
signature). An admin uses each screen; a viewer is offered no change and no Settings; a
customer reaches their sessions too. Every test fails on SEVERE console entries except the
errors it provokes on purpose (named where it does); screenshots go to the run's folder.
Waits poll with deadlines; nothing sleeps for a fixed time."""

import datetime
import json

from callbacks import SALT, CallbackReceiver
from harness import http_request, wait_for

from dashboard_browser import *  # noqa: F401,F403 (the fixtures, Browser and the helpers)


@pytest.fixture
def admin_server(outbox, smtp_server):
    """outbox with a callback secret given on the command line (it must never reach a page),
    quick callback retries, and endpoints disabled after 3 failures in a row."""
    smtp = smtp_server()
    ob = outbox(*smtp.smtp_args(), "--admin-password", ADMIN_PASSWORD, "--default-from", SENDER,
                "--callback-secret", SALT, "--callback-retry-base-ms", "100",
                "--callback-disable-after", "3")
    ob.smtp = smtp
    return ob


@pytest.fixture
def hooks():
    made = []

    def make(statuses=()):
        made.append(CallbackReceiver(statuses=statuses))
        return made[-1]

    yield make
    for hook in made:
        hook.stop()


def iso(seconds_from_now):
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def add_task(ob, key, data):
    """A task added by a sender key over the SES-compatible API (its ADD callback follows)."""
    r = http_request(ob.host, ob.port, "POST", "/server/queue/add",
                     json.dumps({"data": data, "expiryDate": iso(3600)}).encode(),
                     {"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    assert r.status == 200, r
    return r.body["taskId"]


def sender_key(ob, name, url):
    r = ob.api("POST", "/v1/keys", json={"name": name, "role": "sender", "callback_url": url})
    assert r.status == 201, r
    return r.body["key"]


def confirm(browser):
    """Accepts the window.confirm the last click opened."""
    browser.wait(EC.alert_is_present(), message="a confirmation")
    browser.driver.switch_to.alert.accept()


def in_row(row, text):
    return row.find_element(By.XPATH, f".//button[normalize-space()='{text}']")


def rows(browser, css):
    return [r.text for r in browser.all(css)]


# --------------------------------------------------------------------------- suppressions


def test_admin_adds_finds_and_removes_a_suppression(admin_server, browsers):
    admin = signed_in(browsers, admin_server, "admin@localhost", ADMIN_PASSWORD)
    assert admin.nav() == ADMIN_NAV
    admin.go("Suppressions")
    admin.has_text("No address is suppressed.")
    form = "form[aria-label='Add a suppression']"
    for address, reason in (("blocked@example.test", "complaint"), ("other@example.test", "")):
        admin.find(f"{form} input[name=address]").send_keys(address)
        if reason:
            Select(admin.find(f"{form} select[name=reason]")).select_by_visible_text(reason)
        admin.button("Add").click()
        admin.has_text(f"Suppressed {address}")
        admin.find(f"tr[data-address='{address}']")
    assert "complaint" in admin.text_of("tr[data-address='blocked@example.test']")
    # The API's detail shows under the field it names.
    admin.find(f"{form} input[name=address]").send_keys("no-at-sign")
    admin.driver.execute_script(  # past the browser's own check of type=email
        "document.querySelector(arguments[0]).noValidate = true;", form)
    admin.expect_error("/v1/suppressions", 400)
    admin.button("Add").click()
    admin.find(f"{form} .field-wrong .field-error")
    admin.shoot("suppressions")

    search = admin.find("input[name=prefix]")
    search.send_keys("BLO", Keys.ENTER)
    admin.wait(lambda d: len(admin.all("tbody tr")) == 1, message="one match")
    assert admin.all("tr[data-address='blocked@example.test']")
    assert "prefix=BLO" in admin.driver.current_url
    admin.shoot("suppressions-search")
    in_row(admin.find("tr[data-address='blocked@example.test']"), "Remove").click()
    confirm(admin)
    admin.has_text("No suppressed address starts with “BLO”.")
    listed = admin_server.api("GET", "/v1/suppressions").body["data"]
    assert [s["address"] for s in listed] == ["other@example.test"]


# --------------------------------------------------------------------------- keys


def test_admin_creates_a_key_sees_its_secret_once_and_revokes_it(admin_server, browsers):
    admin = signed_in(browsers, admin_server, "admin@localhost", ADMIN_PASSWORD)
    admin.go("Keys")
    form = "form[aria-label='New key']"
    admin.find(f"{form} input[name=name]").send_keys("monitoring")
    Select(admin.find(f"{form} select[name=role]")).select_by_value("viewer")
    admin.button("Create key").click()
    secret = admin.find("code[data-secret]").text.strip()
    assert secret.startswith("obx_"), secret
    admin.has_text("you will not see it again")
    admin.button("Copy key").click()
    admin.wait(lambda d: "Cop" in (admin.text_of(".once [aria-live]") or ""),
               message="the copy's outcome")
    row = admin.find("tbody tr:last-child")
    assert "monitoring" in row.text and "…" + secret[-6:] in row.text, row.text
    admin.shoot("keys-created")
    # The secret works against the API.
    answer = admin_server.api("GET", "/v1/keys", headers={"Authorization": f"Bearer {secret}"},
                              auth=False)
    assert answer.status == 200, answer
    # After a reload the page has no way to show it again.
    admin.driver.refresh()
    admin.heading("Keys")
    admin.find("tbody tr")
    assert secret not in admin.driver.page_source
    assert secret[:-6] not in admin.driver.page_source
    admin.shoot("keys")

    key_id = answer.body["data"][-1]["id"]
    in_row(admin.find(f"tr[data-id='{key_id}']"), "Revoke").click()
    confirm(admin)
    admin.wait(lambda d: not admin.all(f"tr[data-id='{key_id}']"), message="the row to go")
    refused = admin_server.api("GET", "/v1/keys", headers={"Authorization": f"Bearer {secret}"},
                               auth=False)
    assert refused.status == 401, refused


# --------------------------------------------------------------------------- tasks, webhooks


def test_admin_sees_failing_deliveries_replays_one_and_re_enables_the_endpoint(
        admin_server, browsers, hooks):
    hook = hooks(statuses=[500, 500, 500])  # then 200
    key = sender_key(admin_server, "shop", hook.url)
    task_id = add_task(admin_server, key, {"order": 17})

    def disabled():
        endpoints = admin_server.api("GET", "/v1/webhooks/endpoints").body["data"]
        return endpoints and endpoints[0]["disabled"]
    wait_for(disabled, 20, message="the endpoint to be disabled after 3 failures")
    # Its next attempt is given up without a request: the endpoint is disabled.
    wait_for(lambda: len(admin_server.api("GET", "/v1/webhooks/deliveries").body["data"]) == 4,
             10, message="four attempts recorded")
    assert len(hook.events("ADD")) == 3

    admin = signed_in(browsers, admin_server, "admin@localhost", ADMIN_PASSWORD)
    admin.go("Tasks")
    admin.find(f"tr[data-id='{task_id}'] a").click()
    admin.heading(f"Task {task_id}")
    admin.has_text('"order": 17')
    admin.shoot("task")

    admin.go("Webhooks")
    endpoint = admin.find(f"tr[data-url='{hook.url}']")
    assert "disabled" in endpoint.text, endpoint.text
    failed = admin.all("tr[data-callback]")
    assert len(failed) == 4
    for row in failed:
        assert "failed" in row.find_element(By.CSS_SELECTOR, ".status").text
        assert row.find_element(By.CSS_SELECTOR, ".latency").text.endswith(" ms")
    codes = [row.find_element(By.CSS_SELECTOR, ".http-code").text for row in failed]
    assert codes == ["none", "500", "500", "500"], codes
    assert "endpoint disabled" in failed[0].text
    admin.shoot("webhooks-failing")

    in_row(endpoint, "Re-enable").click()
    admin.wait(lambda d: "active" in admin.text_of(f"tr[data-url='{hook.url}'] .status"),
               message="the endpoint to be active")
    assert "Re-enable" not in admin.buttons()
    in_row(admin.all("tr[data-callback]")[0], "Replay").click()
    wait_for(lambda: len(hook.events("ADD")) == 4, 15, message="the replayed callback")
    assert hook.events("ADD")[-1].body == hook.events("ADD")[0].body and not hook.failures
    admin.wait(lambda d: any("delivered" in r for r in rows(admin, "tr[data-callback]")),
               message="the replay's delivery on the page")
    admin.shoot("webhooks")

    # Removing the task (its owner is told REMOVE).
    admin.go("Tasks")
    in_row(admin.find(f"tr[data-id='{task_id}']"), "Remove").click()
    confirm(admin)
    admin.wait(lambda d: "removed" in admin.text_of(f"tr[data-id='{task_id}'] .status"),
               message="the task to be removed")
    admin.shoot("tasks")
    wait_for(lambda: hook.events("REMOVE"), 15, message="the REMOVE callback")


# --------------------------------------------------------------------------- settings


def test_settings_show_the_configuration_with_secrets_masked(admin_server, browsers):
    admin = signed_in(browsers, admin_server, "admin@localhost", ADMIN_PASSWORD)
    admin.go("Settings")
    admin.find("tr[data-name='callback-secret']")
    assert "set" in admin.text_of("tr[data-name='callback-secret'] .status")
    assert "not set" in admin.text_of("tr[data-name='smtp-pass'] .status")
    assert "flag" in admin.text_of("tr[data-name='callback-retry-base-ms']")
    admin.has_text("ready")
    source = admin.driver.page_source
    for secret in (ADMIN_PASSWORD, SALT, admin_server.admin_key):
        assert secret not in source, secret
    admin.shoot("settings")


# --------------------------------------------------------------------------- sessions


def test_admin_ends_another_session_then_their_own(admin_server, browsers):
    other = signed_in(browsers, admin_server, "admin@localhost", ADMIN_PASSWORD)
    admin = signed_in(browsers, admin_server, "admin@localhost", ADMIN_PASSWORD)
    admin.driver.find_element(By.XPATH, "//header//a[normalize-space()='Sessions']").click()
    admin.heading("Your sessions")
    admin.wait(lambda d: len(admin.all("tbody tr")) == 2, message="two sessions")
    mine = admin.find("tr.current")
    assert "this browser" in mine.text and "Chrome on Linux" in mine.text, mine.text
    admin.shoot("sessions")

    theirs = [r for r in admin.all("tbody tr") if "current" not in r.get_attribute("class")][0]
    in_row(theirs, "End session").click()
    confirm(admin)
    admin.wait(lambda d: len(admin.all("tbody tr")) == 1, message="one session left")
    # The other browser finds out at its next request (the overview polls): signed out.
    other.expect_error("/v1/", 401)
    other.has_text("Your session has ended. Sign in again.")

    in_row(admin.find("tr.current"), "Sign out here").click()
    confirm(admin)
    admin.has_text("You are signed out.")
    assert not [c for c in admin.driver.get_cookies() if c["name"] == "outbox_session"]
    admin.expect_error("/v1/auth/session", 401)
    admin.driver.refresh()
    admin.find("input[name=email]")


# --------------------------------------------------------------------------- read-only roles


def test_a_viewer_is_offered_no_change_and_no_settings(admin_server, browsers, hooks):
    hook = hooks(statuses=[500] * 3)
    key = sender_key(admin_server, "shop", hook.url)
    task_id = add_task(admin_server, key, {"n": 1})
    wait_for(lambda: admin_server.api("GET", "/v1/webhooks/endpoints").body["data"][0]["disabled"]
             if admin_server.api("GET", "/v1/webhooks/endpoints").body["data"] else False, 20,
             message="a disabled endpoint")
    assert admin_server.api("POST", "/v1/suppressions",
                            json={"address": "gone@example.test"}).status == 201
    create_person(admin_server, "vic@example.test", "viewer")
    create_person(admin_server, "cleo@example.test", "customer")

    viewer = signed_in(browsers, admin_server, "vic@example.test", PASSWORD)
    assert viewer.nav() == STAFF_NAV
    viewer.go("Tasks")
    viewer.find(f"tr[data-id='{task_id}']")
    assert viewer.buttons() == [], viewer.buttons()
    viewer.go("Suppressions")
    viewer.find("tr[data-address='gone@example.test']")
    assert not viewer.all("form[aria-label='Add a suppression']")
    assert viewer.buttons() == ["Search"], viewer.buttons()
    viewer.shoot("suppressions-viewer")
    viewer.go("Keys")
    viewer.find("tbody tr")
    assert not viewer.all("form[aria-label='New key']")
    assert viewer.buttons() == [], viewer.buttons()
    viewer.go("Webhooks")
    viewer.find(f"tr[data-url='{hook.url}']")
    viewer.find("tr[data-callback]")
    assert viewer.buttons() == [], viewer.buttons()
    viewer.shoot("webhooks-viewer")
    viewer.open("/settings")
    viewer.heading("Nothing here")

    # A customer has no screen but their sessions, from the top bar.
    customer = signed_in(browsers, admin_server, "cleo@example.test", PASSWORD,
                         heading="Nothing for you here")
    customer.driver.find_element(By.XPATH, "//header//a[normalize-space()='Sessions']").click()
    customer.heading("Your sessions")
    customer.find("tr.current")
    customer.shoot("sessions-customer")
